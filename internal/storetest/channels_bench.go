package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/channel"
)

// Seeder bulk-inserts n followers of a channel (accounts included),
// numbering their phones from first.
type Seeder func(ctx context.Context, channelID int64, first, n int) error

// BenchChannels is the channel write and read benchmark a store runs from
// its own benchmarks: the cost of a post with 1,000 and with 1,000,000
// followers (the same, since a post is written once), and timeline reads.
// open returns an empty, migrated store and the store's bulk seeder.
func BenchChannels(b *testing.B, open func(b *testing.B) (Store, Seeder)) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("post/followers=%d", n), func(b *testing.B) {
			s, seed := open(b)
			ctx := context.Background()
			owner := newAccount(b, s, "+15550000001")
			ch := newChannel(b, s, owner.ID, "bench")
			start := time.Now()
			if err := seed(ctx, ch.ID, 0, n); err != nil {
				b.Fatal(err)
			}
			seedTook := time.Since(start)
			b.ResetTimer()
			for b.Loop() {
				p := channel.Post{ChannelID: ch.ID, Kind: channel.PostText, Text: "hello followers", AuthorID: owner.ID, CreatedAt: time.Now()}
				if err := s.CreatePost(ctx, &p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(seedTook.Seconds(), "seed-s")
		})
	}
	b.Run("timeline", func(b *testing.B) {
		s, seed := open(b)
		ctx := context.Background()
		owner := newAccount(b, s, "+15550000001")
		ch := newChannel(b, s, owner.ID, "bench")
		if err := seed(ctx, ch.ID, 0, 10_000); err != nil {
			b.Fatal(err)
		}
		for i := range 200 {
			p := channel.Post{ChannelID: ch.ID, Kind: channel.PostText, Text: fmt.Sprint("post ", i), AuthorID: owner.ID, CreatedAt: time.Now()}
			if err := s.CreatePost(ctx, &p); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		// One catch-up read: the follow (cursor), a page of 20 posts and their counts.
		var mu sync.Mutex
		var lat []time.Duration
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for pb.Next() {
				t := time.Now()
				if _, err := s.GetFollow(ctx, ch.ID, owner.ID); err != nil && !isNotFound(err) {
					b.Error(err)
					return
				}
				ps, err := s.Posts(ctx, ch.ID, 0, 20, false)
				if err != nil {
					b.Error(err)
					return
				}
				seqs := make([]int64, len(ps))
				for i, p := range ps {
					seqs[i] = p.Seq
				}
				if _, err := s.PostStats(ctx, ch.ID, seqs); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		if len(lat) > 0 {
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		}
	})
}
