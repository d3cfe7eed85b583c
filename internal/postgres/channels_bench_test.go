package postgres_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/storetest"
)

// BenchmarkChannels: go test ./internal/postgres -run '^$' -bench Channels
func BenchmarkChannels(b *testing.B) {
	storetest.BenchChannels(b, func(b *testing.B) (storetest.Store, storetest.Seeder) {
		db := open(b)
		return db, db.SeedFollowers
	})
}

// BenchmarkLogin: go test ./internal/postgres -run '^$' -bench Login
func BenchmarkLogin(b *testing.B) {
	storetest.BenchLogin(b, func(b *testing.B) storetest.Store { return open(b) })
}
