package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// user is one simulated person with one device.
type user struct {
	phone string
	acct  int64
	dev   int64
	c     *client.Client

	directs []*chat
	group   *chat

	e2e     *e2ee.Device // with -e2ee: the device's end-to-end state
	conn    *client.Conn
	ackc    chan struct{} // a signal that unacked is worth sending
	mu      sync.Mutex
	unacked []int64
	waiting map[string]chan error // WebSocket sends by message id, until "sent" or "error"
	gone    error                 // why the socket's reader stopped: sends over it fail at once
}

// socketGone fails the sends waiting for an answer on u's socket, and
// those made after, with err: their answer can no longer come, and a
// closed-loop sender waiting for it would hold the bench up for ever.
func (u *user) socketGone(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.gone = err
	for id, done := range u.waiting {
		done <- err
		delete(u.waiting, id)
	}
}

// chat is a chat that users send to.
type chat struct {
	id      int64
	members []*user
}

// register creates n accounts through the API, par at a time: request a
// code, read it from t, verify it.
func register(ctx context.Context, t Target, hc *http.Client, n, par int) ([]*user, error) {
	ps := phones(n)
	users := make([]*user, n)
	err := parallel(ctx, n, par, func(ctx context.Context, i int) error {
		u := &user{phone: ps[i], c: client.New(t.URL, client.WithHTTPClient(hc))}
		if err := u.c.RequestCode(ctx, u.phone); err != nil {
			return fmt.Errorf("request code for %s: %w", u.phone, err)
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		code, err := t.Code(cctx, u.phone)
		cancel()
		if err != nil {
			return fmt.Errorf("code for %s: %w", u.phone, err)
		}
		s, err := u.c.Verify(ctx, u.phone, code, "bench", nil)
		if err != nil {
			return fmt.Errorf("verify %s: %w", u.phone, err)
		}
		u.acct, u.dev = s.AccountID, s.DeviceID
		users[i] = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// makeChats gives every user two 1:1 chats (with its neighbours on a
// ring) and, when groups are in the mix, puts users into groups of
// groupSize (the last group takes the remainder).
func makeChats(ctx context.Context, users []*user, groupSize int, groups bool, par int) (directs, nGroups int, err error) {
	n := len(users)
	pairs := n
	if n == 2 {
		pairs = 1
	}
	dchats := make([]*chat, pairs)
	err = parallel(ctx, pairs, par, func(ctx context.Context, i int) error {
		a, b := users[i], users[(i+1)%n]
		v, err := a.c.OpenDirect(ctx, b.acct)
		if err != nil {
			return fmt.Errorf("open direct chat: %w", err)
		}
		dchats[i] = &chat{id: v.ID, members: []*user{a, b}}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, c := range dchats {
		for _, m := range c.members {
			m.directs = append(m.directs, c)
		}
	}
	if !groups {
		return pairs, 0, nil
	}
	var parts [][]*user
	for i := 0; i+groupSize <= n; i += groupSize {
		parts = append(parts, users[i:i+groupSize])
	}
	if rest := n % groupSize; rest > 0 {
		if rest >= 2 {
			parts = append(parts, users[n-rest:])
		} else {
			last := parts[len(parts)-1]
			parts[len(parts)-1] = last[:len(last):len(last)]
			parts[len(parts)-1] = append(parts[len(parts)-1], users[n-1])
		}
	}
	err = parallel(ctx, len(parts), par, func(ctx context.Context, i int) error {
		ms := parts[i]
		ids := make([]int64, 0, len(ms)-1)
		for _, m := range ms[1:] {
			ids = append(ids, m.acct)
		}
		v, err := ms[0].c.CreateGroup(ctx, fmt.Sprintf("bench %d", i), ids...)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		c := &chat{id: v.ID, members: ms}
		for _, m := range ms {
			m.group = c
		}
		return nil
	})
	return pairs, len(parts), err
}

// stamp layout: a magic word, then the send time in unix nanoseconds.
const (
	stampMagic = 0x7062656e63683031 // "pbench01"
	stampLen   = 16
)

func putStamp(body []byte, t time.Time) {
	binary.BigEndian.PutUint64(body, stampMagic)
	binary.BigEndian.PutUint64(body[8:], uint64(t.UnixNano()))
}

func readStamp(body []byte) (int64, bool) {
	if len(body) < stampLen || binary.BigEndian.Uint64(body) != stampMagic {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(body[8:])), true
}

// connect opens u's socket and reads the backlog up to "ready", which it
// queues for acking.
func (u *user) connect(ctx context.Context, c *client.Client) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := c.Connect(cctx, 0)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Next closes the socket if its ctx ends, so read the backlog with a
	// timer instead of cctx.
	stop := time.AfterFunc(30*time.Second, func() { _ = conn.Close() })
	defer stop.Stop()
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			return fmt.Errorf("read backlog: %w", err)
		}
		switch ev.Type {
		case wire.EventEntry:
			if ev.Entry != nil {
				u.unacked = append(u.unacked, ev.Entry.ID)
			}
		case wire.EventReady:
			u.conn = conn
			return nil
		}
	}
}

// ackLoop sends u's gathered entry ids whenever signalled, until ctx ends.
func (u *user) ackLoop(ctx context.Context, failed func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.ackc:
		}
		u.mu.Lock()
		ids := u.unacked
		u.unacked = nil
		u.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		if err := u.conn.Ack(ctx, ids...); err != nil {
			if ctx.Err() == nil {
				failed(err)
			}
			return
		}
	}
}
