package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SeedUsage inserts n synthetic usage-ledger entries numbered first to
// first+n-1 in one statement, for the billing benchmark: it bypasses the
// Service. Entry i belongs to one of businesses businesses (skewed: a few
// large ones), goes to one of markets (two-letter codes, skewed to the
// first ones), is at start + i*step, and is, by a hash of i: a marketing
// (40 %), utility (20 %, a third of them in the service window) or
// authentication (12 %) template, a service message (20 %), an entry
// point message (5 %), or (3 %) a conversation opened if its business
// is on conversation pricing (every tenth business, model CBP) and a
// marketing template otherwise. Keys are msg:%010d (conv:%010d), so
// seeding a range again inserts nothing: it returns the entries
// inserted. Entries are typed as the July 2025 rules type them, with
// in_window set on the service messages and in-window utility templates.
// The formulas are the same as the PostgreSQL store's.
func (db *DB) SeedUsage(ctx context.Context, first, n, businesses int, markets []string, start time.Time, step time.Duration) (int64, error) {
	for _, m := range markets {
		if len(m) != 2 {
			return 0, fmt.Errorf("seed usage: market %q is not two letters", m)
		}
	}
	var inserted int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			WITH RECURSIVE seq(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2),
			h AS (SELECT i, (i * 2654435761 + 12345) % 4294967296 AS h,
			             (i * 2246822519 + 374761393) % 4294967291 % 100 AS r FROM seq),
			g AS (SELECT i, r, 1 + ((h % ?3) * (h % ?3)) / ?3 AS biz,
			             (((h / 65536) % ?4) * ((h / 65536) % ?4)) / ?4 AS mk FROM h),
			e AS (SELECT i, r, biz, biz % 10 = 0 AS cbp, substr(?5, 1 + 2 * mk, 2) AS country FROM g)
			INSERT INTO usage_ledger (key, business_id, number_id, event, category, country, pricing_type, model, billable, message_id, at, in_window)
			SELECT CASE WHEN cbp AND r >= 97 THEN printf('conv:%010d', i) ELSE printf('msg:%010d', i) END,
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
			       CASE WHEN r < 52 OR (r >= 60 AND r < 72) OR r >= 97 THEN 1 ELSE 0 END,
			       printf('m%d', i),
			       ?6 + i * ?7,
			       CASE WHEN (r >= 52 AND r < 60) OR (r >= 72 AND r < 92) THEN 1 ELSE 0 END
			FROM e WHERE true
			ON CONFLICT (key) DO NOTHING`,
			first, first+n-1, businesses, len(markets), strings.Join(markets, ""), start.UnixNano(), step.Nanoseconds())
		if err != nil {
			return err
		}
		inserted, err = res.RowsAffected()
		return err
	})
	return inserted, wrap("seed usage", err)
}

// SeedBusinesses inserts businesses 1 to n (named bench-<id>, on the
// pricing model SeedUsage gives them) that do not exist, for the billing
// benchmark, in one statement.
func (db *DB) SeedBusinesses(ctx context.Context, n int) error {
	_, err := db.w.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
		INSERT INTO businesses (id, name, app_secret, pricing_model) SELECT i, 'bench-' || i, 'bench',
		CASE WHEN i % 10 = 0 THEN 'CBP' ELSE 'PMP' END FROM seq WHERE true ON CONFLICT (id) DO NOTHING`, n)
	return wrap("seed businesses", err)
}
