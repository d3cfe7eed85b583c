package client_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// BenchmarkChannelFanout posts to a channel with N followers online over
// WebSockets (on loopback, in this process) and measures the time until
// the last of them has received the post. It is the in-process part of
// the push benchmark; run it with
//
//	go test ./client -run '^$' -bench ChannelFanout -benchtime 20x
func BenchmarkChannelFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("online=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	srv := servertest.Start(b, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}))
	ctx := context.Background()
	owner := login(b, srv, alicePhone, "phone")
	ch := must(owner.CreateChannel(ctx, wire.ChannelInput{Handle: "bench", Name: "Bench"})).get(b)

	// N followers, each with an open socket whose reader counts posts.
	var received sync.WaitGroup
	var mu sync.Mutex
	errs := 0
	conns := make([]*client.Conn, n)
	var setup sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		setup.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := login(b, srv, fmt.Sprintf("+14152%06d", i), "phone")
			if _, err := p.Follow(ctx, ch.ID); err != nil {
				b.Error(err)
				return
			}
			conn, err := p.Connect(ctx, 0)
			if err != nil {
				b.Error(err)
				return
			}
			conns[i] = conn
		})
	}
	setup.Wait()
	if b.Failed() {
		b.FailNow()
	}
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, conn := range conns {
		go func() {
			defer conn.Close()
			for {
				ev, err := conn.Next(readCtx)
				if err != nil {
					return
				}
				if ev.Type == wire.EventChannelPost {
					received.Done()
				} else if ev.Type == wire.EventError {
					mu.Lock()
					errs++
					mu.Unlock()
				}
			}
		}()
	}
	// Wait until every session is indexed under the channel.
	var followers int64
	if !testutil.Within(30*time.Second, func() bool {
		followers = must(owner.Channel(ctx, ch.ID)).get(b).Followers
		return followers == int64(n)
	}) {
		b.Fatalf("followers: got %d, want %d", followers, n)
	}
	time.Sleep(200 * time.Millisecond) // sockets finish their replay

	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		received.Add(n)
		if _, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostText, Text: fmt.Sprint("post ", i)}); err != nil {
			b.Fatal(err)
		}
		received.Wait()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	if errs > 0 {
		b.Errorf("%d error frames", errs)
	}
}
