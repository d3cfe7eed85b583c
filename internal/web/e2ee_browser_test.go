package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/parleyhq/parley/internal/canary"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// The web app and the Go client talk end to end (docs/E2EE.md, "The web
// app"): a person in Chromium (package e2ee in WebAssembly) and people
// on the Go client (UseE2EE) exchange 1:1 messages both ways and group
// messages both ways; then no message's marker may be in the server's
// storage: the SQLite data folder (database and WAL) or, in the
// PostgreSQL variant, any table. A plaintext control message must be
// found by the same search.
func TestE2EEWebInteropSQLite(t *testing.T) { testE2EEWebInterop(t, false) }

func TestE2EEWebInteropPostgres(t *testing.T) {
	servertest.PostgresDSN(t) // skips without PARLEY_TEST_POSTGRES
	testE2EEWebInterop(t, true)
}

func testE2EEWebInterop(t *testing.T, postgres bool) {
	webtest.ChromiumPath(t)
	t.Parallel()
	var opts []servertest.Option
	var dsn, schema string
	if postgres {
		dsn = servertest.PostgresDSN(t)
		schema = servertest.FreshSchema(t, dsn)
		opts = append(opts, servertest.WithOptions(func(o *server.Options) { o.PostgresDSN = servertest.WithSearchPath(dsn, schema) }))
	}
	srv := startServer(t, opts...)
	ctx := context.Background()
	b := webtest.Start(t)
	wendy := b.NewPage(t)
	signUp(t, wendy, srv, "+14155551301", "Wendy")
	me := int64(webtest.Eval[int](wendy, `JSON.parse(localStorage.getItem('parley.session')).account_id`))
	t.Logf("the end-to-end module was ready %.0f ms after navigation start (the chat list: %.0f ms)",
		webtest.Eval[float64](wendy, `window.parleyMetrics.e2eeReadyMs`), webtest.Eval[float64](wendy, `window.parleyMetrics.chatListMs`))
	gus, _ := goClient(t, srv, "+14155551302", "Gus")
	hana, _ := goClient(t, srv, "+14155551303", "Hana")

	marker := fmt.Sprintf("WEBCANARY%d", time.Now().UnixNano())
	read := newReader(t, gus)

	// 1:1, Go → web, then web → Go, twice (a pre-key message, then the
	// ratchet's answers).
	dm, err := gus.OpenDirect(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gus.SendText(ctx, dm.ID, "from go "+marker); err != nil {
		t.Fatal(err)
	}
	wendy.WaitText(".chat-item .chat-name", "Gus")
	wendy.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	wendy.WaitText(".msg.theirs .text", "from go "+marker)
	send(wendy, "from web "+marker)
	read.want(dm.ID, "from web "+marker)
	if _, err := gus.SendText(ctx, dm.ID, "again from go "+marker); err != nil {
		t.Fatal(err)
	}
	wendy.WaitText(".msg.theirs .text", "again from go "+marker)
	send(wendy, "again from web "+marker)
	read.want(dm.ID, "again from web "+marker)

	// The safety number: the web shows the digits the Go client computes,
	// and marks Gus verified.
	want, err := gus.E2EE().FreshSafetyNumber(ctx, gus, me)
	if err != nil {
		t.Fatal(err)
	}
	wendy.Click("#chat-menu")
	wendy.Click("dialog[open] [data-action=safety-number]")
	wendy.WaitVisible("#safety-number")
	digits := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if got := digits(wendy.Text("#safety-number")); got != digits(want) || len(got) != 60 {
		t.Errorf("the web's safety number is %q, the Go client's %q", got, want)
	}
	wendy.Click("dialog[open] button[type=submit]")
	wendy.WaitText(".toast", "You verified Gus")
	wendy.WaitGone("dialog[open]")

	// Media both ways: encrypted on the device, the key in the message.
	photo := tinyPNG(t)
	if _, err := gus.SendMedia(ctx, dm.ID, "image/png", photo, "photo "+marker); err != nil {
		t.Fatal(err)
	}
	wendy.WaitJS(`[...document.querySelectorAll('.msg.theirs .media img')].some(i => i.complete && i.naturalWidth === 3)`, "Gus's photo, decrypted")
	file := filepath.Join(t.TempDir(), "dot.png")
	if err := os.WriteFile(file, photo, 0o600); err != nil {
		t.Fatal(err)
	}
	wendy.Do(chromedp.SetUploadFiles(chromedp.CSS("#attach"), []string{file}))
	send(wendy, "web photo "+marker)
	body := read.wantBody(dm.ID, "web photo "+marker)
	if body.MediaKey == "" {
		t.Fatalf("the web's photo message has no media key: %+v", body)
	}
	if got, err := gus.OpenMedia(ctx, body); err != nil || !bytes.Equal(got, photo) {
		t.Fatalf("gus opens the web's photo: %d bytes, %v", len(got), err)
	}

	// A group of the three: Go → everyone, web → everyone.
	g, err := gus.CreateGroup(ctx, "Cipher club", me, hanaID(t, hana))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gus.SendText(ctx, g.ID, "group from go "+marker); err != nil {
		t.Fatal(err)
	}
	wendy.Navigate(srv.URL + fmt.Sprintf("/#/chat/%d", g.ID))
	wendy.WaitText(".msg.theirs .text", "group from go "+marker)
	send(wendy, "group from web "+marker)
	read.want(g.ID, "group from web "+marker)
	newReader(t, hana).want(g.ID, "group from web "+marker)
	send(wendy, "second group from web "+marker)
	read.want(g.ID, "second group from web "+marker)
	if errs := wendy.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// The canary: Gus's and Hana's copies stay queued (never acked), so
	// the server still holds them while it is searched.
	search := func(secret string) []string {
		t.Helper()
		blobs := map[string][]byte{}
		err := filepath.WalkDir(srv.Opts.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			blobs["file "+strings.TrimPrefix(path, srv.Opts.DataDir)] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if postgres {
			for name, b := range canary.DumpSchema(t, dsn, schema) {
				blobs["postgres table "+name] = b
			}
		}
		return canary.Leaks([]byte(secret), blobs)
	}
	if where := search(marker); len(where) > 0 {
		t.Errorf("the marker is stored in the clear in: %v", where)
	}
	// The control: a program without end-to-end encryption sends
	// plaintext, and the search finds it.
	control := fmt.Sprintf("WEBCONTROL%d", time.Now().UnixNano())
	plain := client.New(srv.URL)
	if err := plain.RequestCode(ctx, "+14155551304"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Verify(ctx, "+14155551304", srv.Code("+14155551304"), "bot", nil); err != nil {
		t.Fatal(err)
	}
	pdm, err := plain.OpenDirect(ctx, hanaID(t, hana))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.SendText(ctx, pdm.ID, control); err != nil {
		t.Fatal(err)
	}
	if where := search(control); len(where) == 0 {
		t.Error("the plaintext control was found nowhere: the search is blind")
	}
}

func hanaID(t *testing.T, c *client.Client) int64 {
	t.Helper()
	return c.E2EE().AccountID()
}

// reader reads a Go client's queue without acking it, opening each
// message entry once (a second open would be a replay).
type reader struct {
	t     *testing.T
	c     *client.Client
	after int64
	got   map[int64][]client.Body // chat → bodies
}

func newReader(t *testing.T, c *client.Client) *reader {
	return &reader{t: t, c: c, got: map[int64][]client.Body{}}
}

// want waits until a message with text arrived in chat, decrypted.
func (r *reader) want(chat int64, text string) {
	r.t.Helper()
	r.wantBody(chat, text)
}

// wantBody waits until a message with text arrived in chat, decrypted,
// and returns it.
func (r *reader) wantBody(chat int64, text string) client.Body {
	r.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, b := range r.got[chat] {
			if b.Text == text {
				return b
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%q never arrived in chat %d; got %+v", text, chat, r.got[chat])
		}
		es, err := r.c.Pending(ctx, r.after, 100)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, e := range es {
			r.after = max(r.after, e.ID)
			if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
				continue
			}
			body, err := r.c.OpenBody(ctx, e)
			if errors.Is(err, e2ee.ErrReplay) {
				continue
			}
			if err != nil {
				r.t.Fatalf("open entry %d from account %d: %v", e.ID, e.SenderAccount, err)
			}
			r.got[e.ChatID] = append(r.got[e.ChatID], body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tinyPNG is a 3×1 image.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 1))
	img.Set(1, 0, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
