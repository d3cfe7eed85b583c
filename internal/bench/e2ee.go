package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// The crypto layer of `bench messaging -e2ee`: each simulated device
// encrypts with package e2ee as the Go client does (Olm per recipient
// device in a 1:1 chat, one Megolm body for a group), and a delivery
// counts only once its recipient decrypted it. The send and receive loops
// call seal and open; everything else about end-to-end encryption is
// here, so that other transports reuse it unchanged.

// plainMagic starts the text of a benchmark message's plaintext; the send
// time follows it in decimal unix nanoseconds.
const plainMagic = "pbench01 "

// plainBody is a message content of size bytes (at least its stamp) as
// clients send it, JSON that carries the send time.
func plainBody(size int, t time.Time) []byte {
	b := strconv.AppendInt([]byte(`{"text":"`+plainMagic), t.UnixNano(), 10)
	b = append(b, ' ')
	for len(b) < size-2 {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

// readPlainStamp returns the send time a plainBody carries.
func readPlainStamp(plain []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(plain, []byte(`{"text":"`+plainMagic))
	if !ok {
		return 0, false
	}
	num, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	return n, err == nil
}

// threadCPU returns the calling thread's CPU time. The caller locks its
// goroutine to the thread between two readings, so that the difference
// is the work done and not the time spent waiting for a core on a busy
// machine.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// cpuOf runs f and returns the thread CPU time it took.
func cpuOf(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	f()
	return threadCPU() - t0
}

// cryptoCounts is the client-side work of end-to-end encryption in one
// phase, as thread CPU time.
type cryptoCounts struct {
	directSeal, directDevices atomic.Int64 // ns sealing 1:1 messages, and their recipient devices
	groupSeal, groupMessages  atomic.Int64 // ns sealing group messages, and how many
	keyParts                  atomic.Int64 // group session keys sent to a device (first message, rotation)
	open, opened              atomic.Int64 // ns decrypting messages, and how many decrypted
	failed                    atomic.Int64 // messages that did not decrypt
	upload                    atomic.Int64 // ciphertext bytes sent (envelopes and shared bodies)
	plain                     atomic.Int64 // plaintext bytes of the same messages
}

// E2EEResult is the client-side cost of end-to-end encryption in a phase,
// from the load generator's own threads (CPU time, not wall time).
type E2EEResult struct {
	SealPerDirectDevice time.Duration // sealing a 1:1 message, per recipient device (Olm)
	DirectDevices       int64
	SealPerGroupMessage time.Duration // sealing a group message, whatever its size (Megolm, plus key parts)
	GroupMessages       int64
	KeyParts            int64
	OpenPerMessage      time.Duration // decrypting one message on one device
	Opened, Failed      int64
	CiphertextRatio     float64 // bytes uploaded per plaintext byte
}

func (c *cryptoCounts) result() *E2EEResult {
	per := func(ns, n int64) time.Duration {
		if n == 0 {
			return 0
		}
		return time.Duration(ns / n)
	}
	r := &E2EEResult{
		SealPerDirectDevice: per(c.directSeal.Load(), c.directDevices.Load()), DirectDevices: c.directDevices.Load(),
		SealPerGroupMessage: per(c.groupSeal.Load(), c.groupMessages.Load()), GroupMessages: c.groupMessages.Load(),
		KeyParts:       c.keyParts.Load(),
		OpenPerMessage: per(c.open.Load(), c.opened.Load()), Opened: c.opened.Load(), Failed: c.failed.Load(),
	}
	if p := c.plain.Load(); p > 0 {
		r.CiphertextRatio = float64(c.upload.Load()) / float64(p)
	}
	return r
}

// setupE2EE gives every user an end-to-end device and publishes its keys,
// then sets up every session the load will use, outside the measured
// phases: each 1:1 chat's first member writes and the other answers (one
// Olm session per pair, as between people), then each group member in
// turn sends the group its Megolm session. It waits for every priming
// message to be decrypted.
func (l *load) setupE2EE(ctx context.Context, logf func(string, ...any)) error {
	start := time.Now()
	if err := parallel(ctx, len(l.users), l.o.Parallel, func(ctx context.Context, i int) error {
		u := l.users[i]
		d, err := e2ee.NewDevice(u.acct, u.dev)
		if err != nil {
			return err
		}
		if err := d.Setup(ctx, u.c); err != nil {
			return fmt.Errorf("publish keys of account %d: %w", u.acct, err)
		}
		u.e2e = d
		return nil
	}); err != nil {
		return err
	}
	logf("e2ee: %d devices published their keys (%v)", len(l.users), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	p := &phase{errors: map[string]int64{}} // never in its window: counts nothing but errors
	l.cur.Store(p)
	defer l.cur.Store(nil)
	var directs, groups []*chat
	for _, u := range l.users {
		for _, c := range u.directs {
			if c.members[0] == u {
				directs = append(directs, c)
			}
		}
		if u.group != nil && u.group.members[0] == u {
			groups = append(groups, u.group)
		}
	}
	maxGroup := 0
	for _, g := range groups {
		maxGroup = max(maxGroup, len(g.members))
	}
	round := func(sends []func(ctx context.Context), want int64) error {
		before := l.opened.Load()
		if err := parallel(ctx, len(sends), l.o.Parallel, func(ctx context.Context, i int) error {
			sends[i](ctx)
			return nil
		}); err != nil {
			return err
		}
		p.mu.Lock()
		failed := errorList(p.errors)
		p.mu.Unlock()
		if failed != "0" {
			return fmt.Errorf("e2ee setup: sends failed: %s", failed)
		}
		deadline := time.Now().Add(30 * time.Second)
		for l.opened.Load()-before < want {
			if n := l.openFailed.Load(); n > 0 {
				return fmt.Errorf("e2ee setup: %d messages did not decrypt", n)
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("e2ee setup: %d of %d messages decrypted in time", l.opened.Load()-before, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}
	for side := range 2 {
		var sends []func(context.Context)
		for _, c := range directs {
			sends = append(sends, func(ctx context.Context) { l.sendTo(ctx, c.members[side], c, time.Now()) })
		}
		if err := round(sends, int64(len(sends))); err != nil {
			return err
		}
	}
	for k := range maxGroup {
		var sends []func(context.Context)
		var want int64
		for _, g := range groups {
			if k < len(g.members) {
				sends = append(sends, func(ctx context.Context) { l.sendTo(ctx, g.members[k], g, time.Now()) })
				want += int64(len(g.members) - 1)
			}
		}
		if err := round(sends, want); err != nil {
			return err
		}
	}
	logf("e2ee: sessions set up in %d 1:1 chats and %d groups (%v)", len(directs), len(groups), time.Since(start).Round(time.Millisecond))
	return nil
}

// seal encrypts the message u sends to ch, content plain, into req: Olm
// envelopes for a 1:1 chat, or the Megolm body as req.Shared with key
// parts for the devices that need the session. Call the returned func
// once the server accepted the message.
// Its cost goes to c, unless c is nil.
func (l *load) seal(ctx context.Context, c *cryptoCounts, u *user, ch *chat, req *client.SendRequest, plain []byte) (func(), error) {
	kind := wire.ChatDirect
	if ch == u.group {
		kind = wire.ChatGroup
	}
	devs := make([]wire.RecipientDevice, 0, len(ch.members)-1)
	for _, m := range ch.members {
		if m != u {
			devs = append(devs, wire.RecipientDevice{AccountID: m.acct, DeviceID: m.dev})
		}
	}
	var s *e2ee.Sealed
	var err error
	cpu := cpuOf(func() { s, err = u.e2e.Seal(ctx, u.c, kind, ch.id, req.MessageID, devs, plain) })
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	req.Envelopes, req.Shared = s.Envelopes, s.Shared
	if c == nil {
		return s.Done, nil
	}
	if kind == wire.ChatDirect {
		c.directSeal.Add(int64(cpu))
		c.directDevices.Add(int64(len(devs)))
	} else {
		c.groupSeal.Add(int64(cpu))
		c.groupMessages.Add(1)
		c.keyParts.Add(int64(len(s.Envelopes)))
	}
	n := len(s.Shared)
	for _, e := range s.Envelopes {
		n += len(e.Body)
	}
	c.upload.Add(int64(n))
	c.plain.Add(int64(len(plain)))
	return s.Done, nil
}

// open decrypts a message entry on u's device and returns the send time
// its content carries; a message that does not decrypt is counted as
// failed, and is no delivery. Its cost goes to p if p is in its window.
func (l *load) open(ctx context.Context, p *phase, u *user, e *wire.Entry) (int64, bool) {
	var plain []byte
	var err error
	cpu := cpuOf(func() { plain, err = u.e2e.Open(ctx, u.c, *e) })
	if err != nil {
		if errors.Is(err, e2ee.ErrReplay) {
			return 0, false
		}
		l.openFailed.Add(1)
		if p != nil {
			p.crypto.failed.Add(1)
			p.count("decrypt")
		}
		return 0, false
	}
	l.opened.Add(1)
	if p != nil && p.inWindow(time.Now().UnixNano()) {
		p.crypto.open.Add(int64(cpu))
		p.crypto.opened.Add(1)
	}
	return readPlainStamp(plain)
}
