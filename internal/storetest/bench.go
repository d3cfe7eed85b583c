package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley"
)

// BenchmarkCommit measures, for any store, one group commit of 500 messages with two
// envelopes each, spread over 50 chats.
func BenchmarkCommit(b *testing.B, db parley.Store) {
	ctx := context.Background()
	const appends, chats = 500, 50
	acct := parley.Account{Phone: "+15550000001"}
	if err := db.CreateAccount(ctx, &acct); err != nil {
		b.Fatal(err)
	}
	d := parley.Device{AccountID: acct.ID}
	if err := db.CreateDevice(ctx, &d, []byte("t"), 10); err != nil {
		b.Fatal(err)
	}
	var chatIDs []int64
	for range chats {
		c := parley.Chat{Kind: parley.ChatGroup, CreatedBy: acct.ID}
		if err := db.CreateChat(ctx, &c, []parley.Member{{AccountID: acct.ID, Role: parley.RoleAdmin}}); err != nil {
			b.Fatal(err)
		}
		chatIDs = append(chatIDs, c.ID)
	}
	now := time.Now()
	body := make([]byte, 200)
	n := 0
	for b.Loop() {
		batch := make([]*parley.Append, appends)
		for i := range batch {
			n++
			chat := chatIDs[i%chats]
			id := fmt.Sprintf("m%d", n)
			e := parley.Entry{DeviceID: d.ID, Type: parley.EntryMessage, ChatID: chat, MessageID: id,
				Kind: parley.KindMessage, SenderAccount: acct.ID, SenderDevice: d.ID, Body: body,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			batch[i] = &parley.Append{ChatID: chat, Meta: &parley.MessageMeta{
				ID: id, SenderAccount: acct.ID, SenderDevice: d.ID, Kind: parley.KindMessage, CreatedAt: now,
			}, Entries: []parley.Entry{e, e}}
		}
		if err := db.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*appends)/b.Elapsed().Seconds(), "appends/s")
}
