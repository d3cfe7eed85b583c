package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/sqlite"
)

// sqliteBaseline commits batches of appends shaped like the run's messages
// (fan-out envelopes of BodySize bytes over 100 chats) straight to a fresh
// SQLite store for about two seconds: the store's ceiling on this disk,
// without HTTP, checks, the bus or sockets.
func sqliteBaseline(ctx context.Context, o Options, fan float64) (*Baseline, error) {
	dir, cleanup, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "baseline.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	acct := chatpkg.Account{Phone: "+447700900001"}
	if err := db.CreateAccount(ctx, &acct); err != nil {
		return nil, err
	}
	d := chatpkg.Device{AccountID: acct.ID}
	if err := db.CreateDevice(ctx, &d, []byte("t"), 10); err != nil {
		return nil, err
	}
	const chats, batch = 100, 256
	var ids []int64
	for range chats {
		c := chatpkg.Chat{Kind: chatpkg.ChatGroup, CreatedBy: acct.ID}
		if err := db.CreateChat(ctx, &c, []chatpkg.Member{{AccountID: acct.ID, Role: chatpkg.RoleAdmin}}); err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	body := make([]byte, o.BodySize)
	envs := max(int(math.Round(fan)), 1)
	var took time.Duration
	n, commits := 0, 0
	for took < 2*time.Second && ctx.Err() == nil {
		now := time.Now()
		as := make([]*chatpkg.Append, batch)
		for i := range as {
			n++
			chat := ids[n%chats]
			id := fmt.Sprintf("m%d", n)
			e := chatpkg.Entry{DeviceID: d.ID, Type: chatpkg.EntryMessage, ChatID: chat, MessageID: id, Kind: chatpkg.KindMessage,
				SenderAccount: acct.ID, SenderDevice: d.ID, Body: body, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			es := make([]chatpkg.Entry, envs)
			for j := range es {
				es[j] = e
			}
			as[i] = &chatpkg.Append{ChatID: chat, Sequenced: true, Meta: &chatpkg.MessageMeta{ID: id, SenderAccount: acct.ID,
				SenderDevice: d.ID, Kind: chatpkg.KindMessage, CreatedAt: now}, Entries: es}
		}
		start := time.Now()
		if err := db.Commit(ctx, as); err != nil {
			return nil, err
		}
		took += time.Since(start)
		commits++
	}
	secs := took.Seconds()
	return &Baseline{Batch: batch, Commits: commits, AppendsPerSec: float64(commits*batch) / secs,
		EntriesPerSec: float64(commits*batch*envs) / secs, CommitDuration: took / time.Duration(commits)}, ctx.Err()
}
