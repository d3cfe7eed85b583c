package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SeedFollowers creates n accounts (phones +1999 followed by a 10-digit
// counter from first) that follow the channel, in one statement each, for
// benchmarks: it bypasses the Service and writes no daily aggregates.
func (db *DB) SeedFollowers(ctx context.Context, channelID int64, first, n int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		now := time.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (phone, created_at)
			SELECT '+1999' || lpad(i::text, 10, '0'), $3 FROM generate_series($1::bigint, $2::bigint) i`,
			first, first+n-1, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO channel_follows (channel_id, account_id, followed_at)
			SELECT $3, a.id, $4 FROM generate_series($1::bigint, $2::bigint) i JOIN accounts a ON a.phone = '+1999' || lpad(i::text, 10, '0')`,
			first, first+n-1, channelID, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE channels SET followers = followers + $1 WHERE id = $2`, n, channelID)
		return err
	})
	return wrap("seed followers", err)
}

// SeedDevices links one device to each of n accounts made by
// SeedFollowers (phones numbered from first), with the given token hashes,
// for benchmarks.
func (db *DB) SeedDevices(ctx context.Context, first, n int, tokenHashes [][]byte) error {
	if len(tokenHashes) != n {
		return fmt.Errorf("seed devices: %d hashes, want %d", len(tokenHashes), n)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO devices (account_id, name, token_hash, created_at)
		SELECT a.id, 'bench', h.hash, now() FROM unnest($3::bytea[]) WITH ORDINALITY AS h(hash, i)
		JOIN accounts a ON a.phone = '+1999' || lpad(($1::bigint + h.i - 1)::text, 10, '0')
		WHERE h.i <= $2`, first, n, tokenHashes)
	return wrap("seed devices", err)
}
