package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SeedFollowers creates n accounts (phones +1999 followed by a 10-digit
// counter from first) that follow the channel, in one statement each, for
// benchmarks: it bypasses the Service and writes no daily aggregates.
func (db *DB) SeedFollowers(ctx context.Context, channelID int64, first, n int) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixNano()
		if _, err := tx.ExecContext(ctx, `
			WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			INSERT INTO accounts (phone, created_at) SELECT printf('+1999%010d', i), ? FROM seq`,
			first, first+n-1, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			INSERT INTO channel_follows (channel_id, account_id, followed_at)
			SELECT ?, a.id, ? FROM seq JOIN accounts a ON a.phone = printf('+1999%010d', seq.i)`,
			first, first+n-1, channelID, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE channels SET followers = followers + ? WHERE id = ?`, n, channelID)
		return err
	})
	return wrap("seed followers", err)
}

// SeedDevices links one device to each of n accounts made by
// SeedFollowers (phones numbered from first), with the given token hashes,
// for benchmarks.
func (db *DB) SeedDevices(ctx context.Context, first, n int, tokenHashes [][]byte) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM accounts WHERE phone >= printf('+1999%010d', ?) AND phone <= printf('+1999%010d', ?) ORDER BY phone`,
			first, first+n-1)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) != n || len(tokenHashes) != n {
			return fmt.Errorf("seed devices: %d accounts and %d hashes, want %d", len(ids), len(tokenHashes), n)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO devices (account_id, name, token_hash, created_at) VALUES (?, 'bench', ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		now := time.Now().UnixNano()
		for i, id := range ids {
			if _, err := st.ExecContext(ctx, id, tokenHashes[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("seed devices", err)
}
