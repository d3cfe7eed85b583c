package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
)

// BenchmarkCommit measures, for any store, one group commit of 500 messages with two
// envelopes each, spread over 50 chats.
func BenchmarkCommit(b *testing.B, db chatpkg.Store) {
	ctx := context.Background()
	const appends, chats = 500, 50
	acct := chatpkg.Account{Phone: "+15550000001"}
	if err := db.CreateAccount(ctx, &acct); err != nil {
		b.Fatal(err)
	}
	d := chatpkg.Device{AccountID: acct.ID}
	if err := db.CreateDevice(ctx, &d, []byte("t"), 10); err != nil {
		b.Fatal(err)
	}
	var chatIDs []int64
	for range chats {
		c := chatpkg.Chat{Kind: chatpkg.ChatGroup, CreatedBy: acct.ID}
		if err := db.CreateChat(ctx, &c, []chatpkg.Member{{AccountID: acct.ID, Role: chatpkg.RoleAdmin}}); err != nil {
			b.Fatal(err)
		}
		chatIDs = append(chatIDs, c.ID)
	}
	now := time.Now()
	body := make([]byte, 200)
	n := 0
	for b.Loop() {
		batch := make([]*chatpkg.Append, appends)
		for i := range batch {
			n++
			chat := chatIDs[i%chats]
			id := fmt.Sprintf("m%d", n)
			e := chatpkg.Entry{DeviceID: d.ID, Type: chatpkg.EntryMessage, ChatID: chat, MessageID: id,
				Kind: chatpkg.KindMessage, SenderAccount: acct.ID, SenderDevice: d.ID, Body: body,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			batch[i] = &chatpkg.Append{ChatID: chat, Meta: &chatpkg.MessageMeta{
				ID: id, SenderAccount: acct.ID, SenderDevice: d.ID, Kind: chatpkg.KindMessage, CreatedAt: now,
			}, Entries: []chatpkg.Entry{e, e}}
		}
		if err := db.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*appends)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkSharedFanout is a group's delivery path in the store: each
// iteration commits two messages with one shared body to 500 devices in
// one transaction (the group committer's batch under back-to-back posts),
// then acks them as the ack committer does, 50 devices a batch. It
// reports the store's cost per delivery (one entry written and acked).
func BenchmarkSharedFanout(b *testing.B, db chatpkg.Store) {
	ctx := context.Background()
	const devices, perCommit, ackBatch = 500, 2, 50
	acct := chatpkg.Account{Phone: "+15550000001"}
	if err := db.CreateAccount(ctx, &acct); err != nil {
		b.Fatal(err)
	}
	devs := make([]chatpkg.Device, devices)
	for i := range devs {
		devs[i] = chatpkg.Device{AccountID: acct.ID}
		if err := db.CreateDevice(ctx, &devs[i], fmt.Appendf(nil, "t%d", i), devices); err != nil {
			b.Fatal(err)
		}
	}
	c := chatpkg.Chat{Kind: chatpkg.ChatGroup, CreatedBy: acct.ID}
	if err := db.CreateChat(ctx, &c, []chatpkg.Member{{AccountID: acct.ID, Role: chatpkg.RoleAdmin}}); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	body := make([]byte, 200)
	n := 0
	for b.Loop() {
		batch := make([]*chatpkg.Append, perCommit)
		for i := range batch {
			n++
			id := fmt.Sprintf("m%d", n)
			a := &chatpkg.Append{ChatID: c.ID, Sequenced: true, Shared: body, Meta: &chatpkg.MessageMeta{
				ID: id, SenderAccount: acct.ID, SenderDevice: devs[0].ID, Kind: chatpkg.KindMessage, CreatedAt: now,
			}}
			for _, d := range devs {
				a.Entries = append(a.Entries, chatpkg.Entry{DeviceID: d.ID, Type: chatpkg.EntryMessage, ChatID: c.ID,
					MessageID: id, Kind: chatpkg.KindMessage, SenderAccount: acct.ID, SenderDevice: devs[0].ID,
					Body: body, Shared: true, CreatedAt: now, ExpiresAt: now.Add(time.Hour), NotifyExpiry: true})
			}
			batch[i] = a
		}
		if err := db.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
		acks := make([]chatpkg.DeviceAck, devices)
		for _, a := range batch {
			for i, e := range a.Entries {
				acks[i].DeviceID = e.DeviceID
				acks[i].IDs = append(acks[i].IDs, e.ID)
			}
		}
		for len(acks) > 0 {
			k := min(ackBatch, len(acks))
			got, err := db.AckMany(ctx, acks[:k])
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != k*perCommit {
				b.Fatalf("acked %d entries, want %d", len(got), k*perCommit)
			}
			acks = acks[k:]
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*devices*perCommit), "µs/delivery")
}
