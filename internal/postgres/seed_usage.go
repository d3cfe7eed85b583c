package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SeedUsage inserts n synthetic usage-ledger entries numbered first to
// first+n-1 in one statement, for the billing benchmark; it returns the
// entries inserted (a range seeded again inserts none). The mix and the
// formulas are the SQLite store's: see its SeedUsage.
func (db *DB) SeedUsage(ctx context.Context, first, n, businesses int, markets []string, start time.Time, step time.Duration) (int64, error) {
	for _, m := range markets {
		if len(m) != 2 {
			return 0, fmt.Errorf("seed usage: market %q is not two letters", m)
		}
	}
	var inserted int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			WITH h AS (SELECT i, (i * 2654435761 + 12345) % 4294967296 AS h,
			                  (i * 2246822519 + 374761393) % 4294967291 % 100 AS r
			           FROM generate_series($1::bigint, $2::bigint) AS i),
			g AS (SELECT i, r, 1 + ((h % $3::bigint) * (h % $3::bigint)) / $3::bigint AS biz,
			             (((h / 65536) % $4::bigint) * ((h / 65536) % $4::bigint)) / $4::bigint AS mk FROM h),
			e AS (SELECT i, r, biz, biz % 10 = 0 AS cbp, substr($5::text, (1 + 2 * mk)::int, 2) AS country FROM g)
			INSERT INTO usage_ledger (key, business_id, number_id, event, category, country, pricing_type, model, billable, message_id, at, in_window)
			SELECT CASE WHEN cbp AND r >= 97 THEN 'conv:' || lpad(i::text, 10, '0') ELSE 'msg:' || lpad(i::text, 10, '0') END,
			       biz, biz,
			       CASE WHEN r < 72 THEN 'template_delivered' WHEN r < 92 THEN 'service_message'
			            WHEN r < 97 THEN 'entry_point_message' WHEN cbp THEN 'conversation_opened' ELSE 'template_delivered' END,
			       CASE WHEN r < 40 THEN 'marketing' WHEN r < 60 THEN 'utility' WHEN r < 72 THEN 'authentication'
			            WHEN r < 92 THEN 'service' WHEN r < 97 THEN (CASE r % 2 WHEN 0 THEN 'marketing' ELSE 'service' END)
			            WHEN cbp THEN (CASE i % 4 WHEN 0 THEN 'marketing' WHEN 1 THEN 'utility' WHEN 2 THEN 'authentication' ELSE 'service' END)
			            ELSE 'marketing' END,
			       country,
			       CASE WHEN r >= 52 AND r < 60 THEN 'free_customer_service' WHEN r >= 72 AND r < 92 THEN 'free_customer_service'
			            WHEN r >= 92 AND r < 97 THEN 'free_entry_point' ELSE 'regular' END,
			       CASE WHEN cbp THEN 'CBP' ELSE 'PMP' END,
			       r < 52 OR (r >= 60 AND r < 72) OR r >= 97,
			       'm' || i,
			       timestamptz 'epoch' + (($6::bigint + i * $7::bigint) / 1000) * interval '1 microsecond',
			       (r >= 52 AND r < 60) OR (r >= 72 AND r < 92)
			FROM e
			ON CONFLICT (key) DO NOTHING`,
			first, first+n-1, businesses, len(markets), strings.Join(markets, ""), start.UnixNano(), step.Nanoseconds())
		if err != nil {
			return err
		}
		inserted = tag.RowsAffected()
		return nil
	})
	return inserted, wrap("seed usage", err)
}

// SeedBusinesses inserts businesses 1 to n (named bench-<id>, on the
// pricing model SeedUsage gives them) that do not exist, for the billing
// benchmark, in one statement.
func (db *DB) SeedBusinesses(ctx context.Context, n int) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO businesses (id, name, app_secret, pricing_model)
		SELECT i, 'bench-' || i, 'bench', CASE WHEN i % 10 = 0 THEN 'CBP' ELSE 'PMP' END FROM generate_series(1, $1::bigint) AS i
		ON CONFLICT (id) DO NOTHING`, n)
	if err == nil {
		_, err = db.pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('businesses', 'id'), GREATEST((SELECT max(id) FROM businesses), 1))`)
	}
	return wrap("seed businesses", err)
}
