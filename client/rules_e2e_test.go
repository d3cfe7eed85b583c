package client_test

// End-to-end tests of the service's rules that depend on time or on
// configured limits: a real server on a random port, driven over HTTP and
// WebSocket, with a clock the test moves forward.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

const day = 24 * time.Hour

// startClocked starts a server whose service reads the returned clock.
// cfg.CodeResend defaults to 1 ms so that a test can link several devices.
func startClocked(t testing.TB, cfg chatpkg.Config) (*servertest.Server, *servertest.Clock) {
	t.Helper()
	if cfg.CodeResend == 0 {
		cfg.CodeResend = time.Millisecond
	}
	clock := &servertest.Clock{}
	return servertest.Start(t, servertest.WithConfig(cfg), servertest.WithClock(clock)), clock
}

// wantStatus checks an error's code and HTTP status.
func wantStatus(t testing.TB, err error, code string, status int) *client.Error {
	t.Helper()
	wantCode(t, err, code)
	var e *client.Error
	errors.As(err, &e)
	if e.Status != status {
		t.Fatalf("got status %d for %s, want %d", e.Status, code, status)
	}
	return e
}

// receipts returns the receipts queued for p with the given status.
func receipts(t testing.TB, p person, status string) []wire.ReceiptBody {
	t.Helper()
	var out []wire.ReceiptBody
	for _, e := range pending(t, p) {
		if r, err := client.DecodeReceipt(e); err == nil && r.Status == status {
			out = append(out, r)
		}
	}
	return out
}

// send sends text as message id and fails the test on an error.
func send(t testing.TB, p person, chatID int64, id, text string) wire.SendResult {
	t.Helper()
	return must(p.SendBody(ctxT(t), chatID, id, wire.KindMessage, "", client.Body{Text: text})).get(t)
}

func TestRetentionExpiry(t *testing.T) {
	t.Parallel()
	srv, clock := startClocked(t, chatpkg.Config{})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	send(t, alice, chat.ID, "never-fetched", "are you there?")

	// A day before the retention ends the envelope is still waiting.
	clock.Advance(29 * day)
	srv.Sweep(t)
	if got, want := texts(t, pending(t, bob)), []string{"are you there?"}; !slices.Equal(got, want) {
		t.Fatalf("after 29 days bob has %q, want %q", got, want)
	}

	// Past the retention it is not handed out, even before a sweep ...
	clock.Advance(2 * day)
	if got := texts(t, pending(t, bob)); len(got) != 0 {
		t.Fatalf("after 31 days, before a sweep, bob is handed %q, want nothing", got)
	}
	// ... and the sweep deletes it and tells the sender which device missed it.
	srv.Sweep(t)
	if got := texts(t, pending(t, bob)); len(got) != 0 {
		t.Fatalf("after the sweep bob has %q, want nothing", got)
	}
	want := []wire.ReceiptBody{{Status: "expired", DeviceID: bob.DeviceID, MessageIDs: []string{"never-fetched"}}}
	if diff := cmp.Diff(want, receipts(t, alice, "expired")); diff != "" {
		t.Fatalf("alice's expired receipts (-want +got):\n%s", diff)
	}
	// A second sweep finds nothing more to report.
	srv.Sweep(t)
	if got := receipts(t, alice, "expired"); len(got) != 1 {
		t.Fatalf("after a second sweep alice has %d expired receipts, want 1", len(got))
	}
}

func TestAckedEnvelopeIsDeleted(t *testing.T) {
	t.Parallel()
	srv, clock := startClocked(t, chatpkg.Config{})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	send(t, alice, chat.ID, "fetched", "got it?")
	es := messages(pending(t, bob))
	if len(es) != 1 {
		t.Fatalf("bob has %d messages, want 1", len(es))
	}
	if err := bob.Ack(ctx, es[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := messages(pending(t, bob)); len(got) != 0 {
		t.Fatalf("after the ack bob still has %d messages", len(got))
	}
	if got := receipts(t, alice, "delivered"); len(got) != 1 || !slices.Equal(got[0].MessageIDs, []string{"fetched"}) {
		t.Fatalf("alice got delivered receipts %+v, want one for fetched", got)
	}
	// Acked means delivered, never expired.
	clock.Advance(31 * day)
	srv.Sweep(t)
	if got := receipts(t, alice, "expired"); len(got) != 0 {
		t.Fatalf("alice got expired receipts %+v for a delivered message", got)
	}
}

func TestDisappearingMessages(t *testing.T) {
	t.Parallel()
	t.Run("invalid timers", func(t *testing.T) {
		srv, _ := startClocked(t, chatpkg.Config{})
		ctx := ctxT(t)
		alice := login(t, srv, alicePhone, "phone")
		bob := login(t, srv, bobPhone, "phone")
		chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		for _, d := range []time.Duration{time.Second, time.Hour, 48 * time.Hour, 30 * day, -day} {
			_, err := alice.SetDisappearing(ctx, chat.ID, d)
			wantStatus(t, err, "invalid_argument", 400)
		}
		for _, d := range chatpkg.DisappearingTimers {
			v := must(alice.SetDisappearing(ctx, chat.ID, d)).get(t)
			if got, want := v.DisappearAfterSeconds, int64(d/time.Second); got != want {
				t.Errorf("timer %v: got %d seconds, want %d", d, got, want)
			}
		}
	})

	t.Run("queued envelopes vanish at the timer, silently", func(t *testing.T) {
		srv, clock := startClocked(t, chatpkg.Config{})
		ctx := ctxT(t)
		alice := login(t, srv, alicePhone, "phone")
		bob := login(t, srv, bobPhone, "phone")
		chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		must(alice.SetDisappearing(ctx, chat.ID, day)).get(t)
		send(t, alice, chat.ID, "poof", "this will vanish")

		clock.Advance(day - time.Hour)
		if got := texts(t, pending(t, bob)); !slices.Equal(got, []string{"this will vanish"}) {
			t.Fatalf("before the timer bob has %q, want the message", got)
		}
		clock.Advance(2 * time.Hour)
		if got := texts(t, pending(t, bob)); len(got) != 0 {
			t.Fatalf("after the timer, before a sweep, bob is handed %q, want nothing", got)
		}
		srv.Sweep(t)
		if got := texts(t, pending(t, bob)); len(got) != 0 {
			t.Fatalf("after the sweep bob has %q, want nothing", got)
		}
		if got := receipts(t, alice, "expired"); len(got) != 0 {
			t.Fatalf("alice got expired receipts %+v, want none for a disappearing message", got)
		}
	})

	t.Run("a shorter timer applies to what is queued", func(t *testing.T) {
		srv, clock := startClocked(t, chatpkg.Config{})
		ctx := ctxT(t)
		alice := login(t, srv, alicePhone, "phone")
		bob := login(t, srv, bobPhone, "phone")
		chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		must(alice.SetDisappearing(ctx, chat.ID, 7*day)).get(t)
		send(t, alice, chat.ID, "old", "two days old")
		clock.Advance(2 * day)
		send(t, alice, chat.ID, "new", "fresh")

		// Older than the new timer: purged at once.
		must(alice.SetDisappearing(ctx, chat.ID, day)).get(t)
		if got := texts(t, pending(t, bob)); !slices.Equal(got, []string{"fresh"}) {
			t.Fatalf("after shortening the timer bob has %q, want only fresh", got)
		}
		// Younger: it now disappears a day after it was sent, not seven.
		clock.Advance(day + time.Minute)
		srv.Sweep(t)
		if got := texts(t, pending(t, bob)); len(got) != 0 {
			t.Fatalf("a day after it was sent bob still has %q, want nothing", got)
		}
	})

	t.Run("turning a timer on applies to what is queued", func(t *testing.T) {
		srv, clock := startClocked(t, chatpkg.Config{})
		ctx := ctxT(t)
		alice := login(t, srv, alicePhone, "phone")
		bob := login(t, srv, bobPhone, "phone")
		chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		send(t, alice, chat.ID, "before", "sent before the timer")
		clock.Advance(time.Hour)
		must(alice.SetDisappearing(ctx, chat.ID, day)).get(t)
		clock.Advance(day)
		srv.Sweep(t)
		if got := texts(t, pending(t, bob)); len(got) != 0 {
			t.Fatalf("a day after the timer was set bob still has %q, want nothing", got)
		}
		if got := receipts(t, alice, "expired"); len(got) != 0 {
			t.Fatalf("alice got expired receipts %+v, want none", got)
		}
	})

	t.Run("group timers are for admins", func(t *testing.T) {
		srv, _ := startClocked(t, chatpkg.Config{})
		ctx := ctxT(t)
		alice := login(t, srv, alicePhone, "phone")
		bob := login(t, srv, bobPhone, "phone")
		g := must(alice.CreateGroup(ctx, "Timers", bob.AccountID)).get(t)
		_, err := bob.SetDisappearing(ctx, g.ID, day)
		wantStatus(t, err, "forbidden", 403)
		must(alice.SetDisappearing(ctx, g.ID, 90*day)).get(t)
	})
}

func TestEditAndDeleteWindows(t *testing.T) {
	t.Parallel()
	srv, clock := startClocked(t, chatpkg.Config{})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	send(t, alice, chat.ID, "m1", "helo")
	send(t, alice, chat.ID, "m2", "oops")

	edit := func(ref string) error {
		_, err := alice.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindEdit, ref, client.Body{Text: "hello"})
		return err
	}
	del := func(p person, ref string) error {
		_, err := p.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindDelete, ref, client.Body{})
		return err
	}

	clock.Advance(14 * time.Minute)
	if err := edit("m1"); err != nil {
		t.Fatalf("edit after 14 minutes: %v", err)
	}
	clock.Advance(2 * time.Minute)
	e := wantStatus(t, edit("m1"), "window_closed", 409)
	if got, want := e.Details["window_seconds"], float64(15*60); got != want {
		t.Errorf("got window_seconds %v, want %v", got, want)
	}
	// Deleting is still allowed, for the sender only.
	wantStatus(t, del(bob, "m1"), "forbidden", 403)
	if err := del(alice, "m1"); err != nil {
		t.Fatalf("delete after 16 minutes: %v", err)
	}

	clock.Advance(48*time.Hour - 17*time.Minute)
	if err := del(alice, "m2"); err != nil {
		t.Fatalf("delete just inside 48 h: %v", err)
	}
	clock.Advance(2 * time.Minute)
	e = wantStatus(t, del(alice, "m2"), "window_closed", 409)
	if got, want := e.Details["window_seconds"], float64(48*3600); got != want {
		t.Errorf("got window_seconds %v, want %v", got, want)
	}

	t.Run("group admins delete anyone's", func(t *testing.T) {
		carol := login(t, srv, carolPhone, "phone")
		g := must(alice.CreateGroup(ctx, "Moderated", bob.AccountID, carol.AccountID)).get(t)
		send(t, bob, g.ID, "spam", "buy now")
		send(t, alice, g.ID, "rules", "be nice")
		_, err := carol.SendBody(ctx, g.ID, client.NewMessageID(), wire.KindDelete, "spam", client.Body{})
		wantStatus(t, err, "forbidden", 403)
		_, err = bob.SendBody(ctx, g.ID, client.NewMessageID(), wire.KindDelete, "rules", client.Body{})
		wantStatus(t, err, "forbidden", 403)
		must(alice.SendBody(ctx, g.ID, client.NewMessageID(), wire.KindDelete, "spam", client.Body{})).get(t)
		clock.Advance(49 * time.Hour)
		_, err = alice.SendBody(ctx, g.ID, client.NewMessageID(), wire.KindDelete, "rules", client.Body{})
		wantStatus(t, err, "window_closed", 409)
	})
}

func TestOneTimeCodes(t *testing.T) {
	t.Parallel()
	srv, clock := startClocked(t, chatpkg.Config{CodeResend: 30 * time.Second})
	ctx := ctxT(t)
	c := client.New(srv.URL)

	t.Run("expiry", func(t *testing.T) {
		if err := c.RequestCode(ctx, alicePhone); err != nil {
			t.Fatal(err)
		}
		code := srv.Code(alicePhone)
		clock.Advance(10*time.Minute + time.Second)
		_, err := c.Verify(ctx, alicePhone, code, "phone", nil)
		wantStatus(t, err, "code_expired", 410)
		// The expired code is gone: trying again says so too.
		_, err = c.Verify(ctx, alicePhone, code, "phone", nil)
		wantStatus(t, err, "code_expired", 410)
	})

	t.Run("resend gap", func(t *testing.T) {
		if err := c.RequestCode(ctx, bobPhone); err != nil {
			t.Fatal(err)
		}
		e := wantStatus(t, c.RequestCode(ctx, bobPhone), "rate_limited", 429)
		if s, _ := e.Details["retry_after_seconds"].(float64); s < 1 || s > 31 {
			t.Errorf("got retry_after_seconds %v, want 1 to 31", e.Details["retry_after_seconds"])
		}
		clock.Advance(31 * time.Second)
		if err := c.RequestCode(ctx, bobPhone); err != nil {
			t.Fatalf("after the gap: %v", err)
		}
	})

	t.Run("attempts", func(t *testing.T) {
		if err := c.RequestCode(ctx, carolPhone); err != nil {
			t.Fatal(err)
		}
		code := srv.Code(carolPhone)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for left := 4; left >= 0; left-- {
			_, err := c.Verify(ctx, carolPhone, wrong, "phone", nil)
			e := wantStatus(t, err, "code_invalid", 401)
			if got := e.Details["attempts_left"]; got != float64(left) {
				t.Fatalf("got attempts_left %v, want %d", got, left)
			}
		}
		// Used up: even the right code is refused now.
		_, err := c.Verify(ctx, carolPhone, code, "phone", nil)
		wantStatus(t, err, "rate_limited", 429)
		// A new code starts over.
		clock.Advance(31 * time.Second)
		if err := c.RequestCode(ctx, carolPhone); err != nil {
			t.Fatal(err)
		}
		code = srv.Code(carolPhone)
		if _, err := c.Verify(ctx, carolPhone, code, "phone", nil); err != nil {
			t.Fatalf("verify with a new code: %v", err)
		}
		// A code works once.
		_, err = client.New(srv.URL).Verify(ctx, carolPhone, code, "laptop", nil)
		wantStatus(t, err, "code_expired", 410)
	})

	t.Run("concurrent guesses", func(t *testing.T) {
		// Guessing in parallel must not buy more than the 5 attempts.
		const phone, guesses = "+14155550104", 50
		if err := c.RequestCode(ctx, phone); err != nil {
			t.Fatal(err)
		}
		code := srv.Code(phone)
		codes := make(chan string, guesses)
		var wg sync.WaitGroup
		for i := range guesses {
			wg.Go(func() {
				guess := fmt.Sprintf("%06d", i)
				if guess == code {
					guess = "999999"
				}
				_, err := client.New(srv.URL).Verify(ctx, phone, guess, "phone", nil)
				codes <- client.ErrorCode(err)
			})
		}
		wg.Wait()
		close(codes)
		counts := map[string]int{}
		for c := range codes {
			counts[c]++
		}
		if want := map[string]int{"code_invalid": 5, "rate_limited": guesses - 5}; !cmp.Equal(counts, want) {
			t.Fatalf("%d concurrent wrong guesses got %v, want %v", guesses, counts, want)
		}
		_, err := c.Verify(ctx, phone, code, "phone", nil)
		wantStatus(t, err, "rate_limited", 429)
	})
}

func TestDeviceLimit(t *testing.T) {
	srv, _ := startClocked(t, chatpkg.Config{MaxDevices: 2})
	ctx := ctxT(t)
	phone := login(t, srv, alicePhone, "phone")
	login(t, srv, alicePhone, "laptop")

	c := client.New(srv.URL)
	if err := c.RequestCode(ctx, alicePhone); err != nil {
		t.Fatal(err)
	}
	_, err := c.Verify(ctx, alicePhone, srv.Code(alicePhone), "tablet", nil)
	e := wantStatus(t, err, "limit_exceeded", 422)
	if got := e.Details["limit"]; got != float64(2) {
		t.Errorf("got limit %v, want 2", got)
	}
	if ds := must(phone.Devices(ctx)).get(t); len(ds) != 2 {
		t.Fatalf("after the refusal alice has %d devices, want 2", len(ds))
	}
	// Unlinking one makes room.
	if err := phone.RevokeDevice(ctx, phone.DeviceID); err != nil {
		t.Fatal(err)
	}
	login(t, srv, alicePhone, "tablet")
}

func TestGroupLimit(t *testing.T) {
	srv, _ := startClocked(t, chatpkg.Config{MaxGroupMembers: 3})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	dave := login(t, srv, "+14155550104", "phone")

	_, err := alice.CreateGroup(ctx, "Too many", bob.AccountID, carol.AccountID, dave.AccountID)
	e := wantStatus(t, err, "limit_exceeded", 422)
	if got := e.Details["limit"]; got != float64(3) {
		t.Errorf("got limit %v, want 3", got)
	}
	g := must(alice.CreateGroup(ctx, "Just right", bob.AccountID, carol.AccountID)).get(t)
	_, err = alice.AddMembers(ctx, g.ID, dave.AccountID)
	wantStatus(t, err, "limit_exceeded", 422)
	if got := must(alice.Chat(ctx, g.ID)).get(t); len(got.Members) != 3 {
		t.Fatalf("after the refusal the group has %d members, want 3", len(got.Members))
	}
	// Naming someone twice, or oneself, does not count twice.
	g2 := must(alice.CreateGroup(ctx, "Twice", bob.AccountID, bob.AccountID, alice.AccountID, carol.AccountID)).get(t)
	if len(g2.Members) != 3 {
		t.Fatalf("got %d members, want 3", len(g2.Members))
	}
	// Adding someone already in is not growth.
	must(alice.AddMembers(ctx, g.ID, bob.AccountID)).get(t)
	if err := carol.RemoveMember(ctx, g.ID, carol.AccountID); err != nil {
		t.Fatal(err)
	}
	if got := must(alice.AddMembers(ctx, g.ID, dave.AccountID)).get(t); len(got.Members) != 3 {
		t.Fatalf("after carol left and dave joined the group has %d members, want 3", len(got.Members))
	}
}

func TestMediaRules(t *testing.T) {
	t.Parallel()
	const limit = 1024
	srv, _ := startClocked(t, chatpkg.Config{MaxMedia: limit})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	png := append(slices.Clone(pngBytes), make([]byte, limit-len(pngBytes))...)

	upload := func(p person, chatID int64, ctype string, b []byte) (client.Media, error) {
		return p.UploadMedia(ctx, chatID, ctype, bytes.NewReader(b))
	}
	tests := []struct {
		name   string
		ctype  string
		body   []byte
		code   string
		status int
	}{
		{"over the limit", "application/octet-stream", make([]byte, limit+1), "too_large", 413},
		{"far over the limit", "application/octet-stream", make([]byte, 64*limit), "too_large", 413},
		{"png over the limit", "image/png", append(slices.Clone(png), 0), "too_large", 413},
		{"type not allowed", "text/html", []byte("<p>hi</p>"), "unsupported_media_type", 415},
		{"no type", "", []byte("bytes"), "unsupported_media_type", 415},
		{"bytes contradict the type", "image/png", []byte("%PDF-1.4 not a png at all"), "unsupported_media_type", 415},
		{"jpeg that is a png", "image/jpeg", pngBytes, "unsupported_media_type", 415},
		{"empty", "application/octet-stream", nil, "invalid_argument", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := upload(alice, chat.ID, tt.ctype, tt.body)
			wantStatus(t, err, tt.code, tt.status)
		})
	}

	m := must(upload(alice, chat.ID, "image/png", png)).get(t)
	if m.Size != limit {
		t.Fatalf("uploaded %d bytes, want %d", m.Size, limit)
	}
	download := func(p person) ([]byte, error) {
		d, err := p.Media(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		defer d.Body.Close()
		return io.ReadAll(d.Body)
	}
	for _, p := range []person{alice, bob} {
		if got, err := download(p); err != nil || !bytes.Equal(got, png) {
			t.Fatalf("account %d downloaded %d bytes (%v), want the png", p.AccountID, len(got), err)
		}
	}
	_, err := download(carol)
	wantStatus(t, err, "not_found", 404)
	_, err = carol.UploadMedia(ctx, chat.ID, "image/png", bytes.NewReader(pngBytes))
	wantStatus(t, err, "forbidden", 403)
	_, err = carol.Media(ctx, strings.Repeat("0", 32))
	wantStatus(t, err, "not_found", 404)

	t.Run("member who leaves", func(t *testing.T) {
		g := must(alice.CreateGroup(ctx, "Photos", bob.AccountID, carol.AccountID)).get(t)
		gm := must(upload(alice, g.ID, "image/png", pngBytes)).get(t)
		d := must(carol.Media(ctx, gm.ID)).get(t)
		d.Body.Close()
		if err := carol.RemoveMember(ctx, g.ID, carol.AccountID); err != nil {
			t.Fatal(err)
		}
		_, err := carol.Media(ctx, gm.ID)
		wantStatus(t, err, "not_found", 404)
	})

	t.Run("avatar", func(t *testing.T) {
		_, err := alice.SetAvatar(ctx, "image/gif", bytes.NewReader([]byte("GIF89a")))
		wantStatus(t, err, "unsupported_media_type", 415)
		_, err = alice.SetAvatar(ctx, "image/png", bytes.NewReader([]byte("not a png")))
		wantStatus(t, err, "unsupported_media_type", 415)
		_, err = alice.SetAvatar(ctx, "image/png", bytes.NewReader(append(slices.Clone(png), 0)))
		wantStatus(t, err, "too_large", 413)
	})
}

func TestPrivacy(t *testing.T) {
	t.Parallel()
	srv, _ := startClocked(t, chatpkg.Config{})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")     // shares a 1:1 chat with alice: a contact
	carol := login(t, srv, carolPhone, "phone") // does not
	must(bob.OpenDirect(ctx, alice.AccountID)).get(t)
	must(alice.SetAvatar(ctx, "image/png", bytes.NewReader(pngBytes))).get(t)
	// Alice comes online and leaves, so she has a last-seen time.
	conn, _ := connect(t, alice, 0)
	conn.Close()
	testutil.Eventually(t, "alice's last seen", func() bool { return must(alice.Me(ctx)).get(t).LastSeen != nil })

	type view struct{ LastSeen, Avatar bool }
	sees := func(t *testing.T, viewer person) view {
		t.Helper()
		p := must(viewer.Profile(ctx, alice.AccountID)).get(t)
		_, err := viewer.Avatar(ctx, alice.AccountID)
		if err != nil && client.ErrorCode(err) != "not_found" {
			t.Fatalf("avatar: %v", err)
		}
		if (err == nil) != p.HasAvatar {
			t.Fatalf("profile says has_avatar %v, but the download gave %v", p.HasAvatar, err)
		}
		return view{LastSeen: p.LastSeen != nil, Avatar: p.HasAvatar}
	}
	setPrivacy := func(t *testing.T, p person, u client.PrivacyUpdate) {
		t.Helper()
		must(p.UpdatePrivacy(ctx, u)).get(t)
	}
	vis := func(v wire.Visibility) *wire.Visibility { return &v }

	tests := []struct {
		name       string
		vis        wire.Visibility
		bob, carol view
	}{
		{"everyone", wire.VisibleEveryone, view{true, true}, view{true, true}},
		{"contacts", wire.VisibleContacts, view{true, true}, view{false, false}},
		{"nobody", wire.VisibleNobody, view{false, false}, view{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setPrivacy(t, alice, client.PrivacyUpdate{LastSeen: vis(tt.vis), Avatar: vis(tt.vis)})
			if got := sees(t, bob); got != tt.bob {
				t.Errorf("bob (a contact) sees %+v, want %+v", got, tt.bob)
			}
			if got := sees(t, carol); got != tt.carol {
				t.Errorf("carol (not a contact) sees %+v, want %+v", got, tt.carol)
			}
			// Alice always sees her own.
			if me := must(alice.Me(ctx)).get(t); me.LastSeen == nil || !me.HasAvatar {
				t.Errorf("alice sees her own last seen %v and avatar %v, want both", me.LastSeen, me.HasAvatar)
			}
		})
	}

	t.Run("online status follows last seen", func(t *testing.T) {
		setPrivacy(t, alice, client.PrivacyUpdate{LastSeen: vis(wire.VisibleContacts)})
		aconn, _ := connect(t, alice, 0)
		defer aconn.Close()
		bconn, _ := connect(t, bob, 0)
		defer bconn.Close()
		cconn, _ := connect(t, carol, 0)
		defer cconn.Close()
		if err := bconn.WatchPresence(ctx, alice.AccountID); err != nil {
			t.Fatal(err)
		}
		if ev := next(t, bconn, isType(wire.EventPresence)); ev.AccountID != alice.AccountID || ev.State != "online" {
			t.Fatalf("bob (a contact) got presence %+v, want alice online", ev)
		}
		// Carol may see bob's, not alice's; alice's would come first.
		if err := cconn.WatchPresence(ctx, alice.AccountID, bob.AccountID); err != nil {
			t.Fatal(err)
		}
		if ev := next(t, cconn, isType(wire.EventPresence)); ev.AccountID != bob.AccountID {
			t.Fatalf("carol (not a contact) got presence %+v, want only bob's", ev)
		}
	})

	t.Run("last seen is reciprocal", func(t *testing.T) {
		setPrivacy(t, alice, client.PrivacyUpdate{LastSeen: vis(wire.VisibleEveryone), Avatar: vis(wire.VisibleEveryone)})
		setPrivacy(t, carol, client.PrivacyUpdate{LastSeen: vis(wire.VisibleNobody)})
		if got, want := sees(t, carol), (view{LastSeen: false, Avatar: true}); got != want {
			t.Errorf("carol, hiding her own last seen, sees %+v, want %+v", got, want)
		}
		setPrivacy(t, carol, client.PrivacyUpdate{LastSeen: vis(wire.VisibleEveryone)})
	})

	t.Run("blocked", func(t *testing.T) {
		if err := alice.Block(ctx, carol.AccountID); err != nil {
			t.Fatal(err)
		}
		if got, want := sees(t, carol), (view{}); got != want {
			t.Errorf("carol, blocked by alice, sees %+v, want %+v", got, want)
		}
		if got, want := sees(t, bob), (view{true, true}); got != want {
			t.Errorf("bob sees %+v, want %+v", got, want)
		}
	})
}

func TestReadReceiptPrivacy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		senderOn, readOn bool
		wantRead         bool
	}{
		{"both on", true, true, true},
		{"reader has them off", true, false, false},
		{"sender has them off", false, true, false},
		{"both off", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startClocked(t, chatpkg.Config{})
			ctx := ctxT(t)
			alice := login(t, srv, alicePhone, "phone")
			bob := login(t, srv, bobPhone, "phone")
			laptop := login(t, srv, bobPhone, "laptop")
			must(alice.UpdatePrivacy(ctx, client.PrivacyUpdate{ReadReceipts: &tt.senderOn})).get(t)
			must(bob.UpdatePrivacy(ctx, client.PrivacyUpdate{ReadReceipts: &tt.readOn})).get(t)
			chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
			send(t, alice, chat.ID, "m1", "read me")

			var ids []int64
			for _, e := range messages(pending(t, bob)) {
				ids = append(ids, e.ID)
			}
			if err := bob.Ack(ctx, ids...); err != nil {
				t.Fatal(err)
			}
			if err := bob.MarkRead(ctx, chat.ID, "m1"); err != nil {
				t.Fatal(err)
			}
			// Delivered receipts are not a privacy setting.
			if got := receipts(t, alice, "delivered"); len(got) != 1 {
				t.Errorf("alice got %d delivered receipts, want 1", len(got))
			}
			got := receipts(t, alice, "read")
			if (len(got) > 0) != tt.wantRead {
				t.Errorf("alice got read receipts %+v, want any: %v", got, tt.wantRead)
			}
			// Bob's other device always learns what he read.
			want := []wire.ReceiptBody{{Status: "read", AccountID: bob.AccountID, MessageIDs: []string{"m1"}}}
			if diff := cmp.Diff(want, receipts(t, laptop, "read")); diff != "" {
				t.Errorf("bob's laptop read receipts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlocking(t *testing.T) {
	t.Parallel()
	srv, _ := startClocked(t, chatpkg.Config{})
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	g := must(carol.CreateGroup(ctx, "Three", alice.AccountID, bob.AccountID)).get(t)
	bconn, _ := connect(t, bob, 0)

	if err := bob.Block(ctx, alice.AccountID); err != nil {
		t.Fatal(err)
	}
	_, err := alice.SendText(ctx, chat.ID, "hello?")
	wantStatus(t, err, "blocked", 403)
	_, err = bob.SendText(ctx, chat.ID, "go away")
	wantStatus(t, err, "blocked", 403)
	_, err = alice.OpenDirect(ctx, 9999)
	wantStatus(t, err, "not_found", 404)
	if err := alice.Block(ctx, 9999); err == nil {
		t.Fatal("blocking an unknown account: got no error")
	}
	wantStatus(t, alice.Block(ctx, alice.AccountID), "invalid_argument", 400)

	// Alice typing reaches carol, never bob. Carol types after alice, on the
	// same bus, so if alice's typing reached bob it would come first.
	cconn, _ := connect(t, carol, 0)
	if err := alice.Typing(ctx, chat.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	if err := alice.Typing(ctx, g.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, cconn, isType(wire.EventTyping)); ev.AccountID != alice.AccountID {
		t.Fatalf("carol got typing from %d, want alice", ev.AccountID)
	}
	if err := carol.Typing(ctx, g.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, bconn, isType(wire.EventTyping)); ev.AccountID != carol.AccountID {
		t.Fatalf("bob got typing %+v, want only carol's", ev)
	}

	// Nor does bob's typing reach alice, whom he blocked.
	aconn, _ := connect(t, alice, 0)
	if err := bob.Typing(ctx, chat.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	if err := bob.Typing(ctx, g.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	if err := carol.Typing(ctx, g.ID, client.TypingPaused); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, aconn, isType(wire.EventTyping)); ev.AccountID != carol.AccountID {
		t.Fatalf("alice got typing %+v, want only carol's, not bob's, who blocked her", ev)
	}

	// Unblocked, both may write again.
	if err := bob.Unblock(ctx, alice.AccountID); err != nil {
		t.Fatal(err)
	}
	must(alice.SendText(ctx, chat.ID, "friends again")).get(t)
	if ev := next(t, bconn, isEntry(wire.EntryMessage, wire.KindMessage)); ev.Entry.SenderAccount != alice.AccountID {
		t.Fatalf("bob got %+v, want alice's message", ev.Entry)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
