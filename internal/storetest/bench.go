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
