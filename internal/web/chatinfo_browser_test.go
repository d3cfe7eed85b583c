package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/web/webtest"
)

// writePNG writes a small PNG into dir and returns its path.
func writePNG(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 80, 20, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChatInfoAndSearch: bubbles have a tail on the first message of each
// run; the search inside a chat finds messages on the device and jumps
// to one; the contact's info shows the person, the chat's media, mute and
// block.
func TestChatInfoAndSearch(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550831", "Ana")
	ben, _ := goClient(t, srv, "+14155550832", "Ben")
	openChatWith(p, "+14155550832", "Ben")
	for _, s := range []string{"alpha one", "beta two", "alpha three"} {
		send(p, s)
		p.WaitText(".msg.mine .text", s)
	}
	p.Do(chromedp.SetUploadFiles(chromedp.CSS("#attach"), []string{writePNG(t, t.TempDir(), "pot.png")}))
	p.WaitVisible(".compose-context .attach-preview")
	p.Click("#send")
	p.WaitVisible(".msg.mine .media img")
	ctx := context.Background()
	chats, err := ben.Chats(ctx)
	if err != nil || len(chats) != 1 {
		t.Fatalf("ben's chats: %v %v", chats, err)
	}
	if _, err := ben.SendText(ctx, chats[0].ID, "gamma from Ben"); err != nil {
		t.Fatal(err)
	}
	p.WaitText(".msg.theirs .text", "gamma from Ben")

	// Tails: the first of Ana's run and Ben's message, not the others.
	got := webtest.Eval[[]bool](p, `[...document.querySelectorAll('.msg')].map(m => m.classList.contains('run-start'))`)
	want := []bool{true, false, false, false, true}
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: tail %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}

	// Search in the chat.
	p.Click("#chat-search-btn")
	p.Type("#chat-find", "alpha")
	p.WaitJS(`document.querySelectorAll('.find-hit').length === 2`, "two hits")
	p.WaitText(".find-count", "Results: 2")
	p.Click(`.find-hit`)
	p.WaitText(".msg.found .text", "alpha three")
	p.Type("#chat-find", "nothing like this")
	p.WaitText(".find-count", "Results: 0")

	// The contact's info.
	p.Click("#chat-info")
	p.WaitText("#contact-name", "Ben")
	p.WaitVisible("#chat-media img")
	p.Select("#info-mute", "8h")
	p.WaitText(".toast", "Saved")
	p.WaitText("#info-block", "Block Ben")
	p.Click("#info-block")
	p.WaitText("#info-block", "Unblock")
	screenshot(t, p, "app-contact-info-desktop")
	blocked := webtest.Eval[bool](p, `(async () => {
		const s = JSON.parse(localStorage.getItem('parley.session'));
		const r = await fetch('/v1/blocks', { headers: { Authorization: 'Bearer ' + s.token } });
		return (await r.json()).blocked.length === 1;
	})()`)
	if !blocked {
		t.Error("Ben is not in Ana's blocked list")
	}
	muted := webtest.Eval[bool](p, `(async () => {
		const s = JSON.parse(localStorage.getItem('parley.session'));
		const r = await fetch('/v1/chats/' + location.hash.split('/')[2] + '/mute', { headers: { Authorization: 'Bearer ' + s.token } });
		return !!(await r.json()).until;
	})()`)
	if !muted {
		t.Error("the chat is not muted")
	}
}
