package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestChannelAdmin: a person creates a channel in the app, posts a text,
// a photo with a caption and a poll; a follower (the Go client) sees the
// posts, views them and votes; the owner's insights show the follower,
// the views and the voter.
func TestChannelAdmin(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550821", "Dora")

	p.Click("#tab-updates")
	p.Click("#new-channel")
	p.Type("dialog[open] #channel-name", "Dora Kitchen")
	if h := webtest.Eval[string](p, `document.querySelector('#channel-handle').value`); h != "dorakitchen" {
		t.Errorf("the handle follows the name: got %q, want dorakitchen", h)
	}
	p.Type("dialog[open] #channel-desc", "Soups, weekly")
	p.Select("dialog[open] #channel-category", "lifestyle")
	p.Click("dialog[open] button[type=submit]")
	p.WaitText(".channel .chat-title", "Dora Kitchen")
	p.WaitText("#channel-list .chat-name", "Dora Kitchen") // the channels she runs are listed

	// A text post.
	p.Type("#post-text", "Leek soup tonight")
	p.Click("#post-send")
	p.WaitText(".post .text", "Leek soup tonight")

	// A photo with a caption.
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 80, 20, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(dir, "soup.png")
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Do(chromedp.SetUploadFiles(chromedp.CSS("#post-attach"), []string{photo}))
	p.WaitVisible(".post-composer .attach-preview")
	p.Type("#post-text", "The pot")
	p.Click("#post-send")
	p.WaitJS(`[...document.querySelectorAll('.post')].some(e => e.querySelector('.media img') && e.textContent.includes('The pot'))`, "the photo post")

	// A poll.
	p.Click("#new-poll")
	p.Type("dialog[open] #poll-question", "Which soup next?")
	p.Type("dialog[open] #poll-options", "Pumpkin\nMinestrone\nPho")
	p.Click("dialog[open] button[type=submit]")
	p.WaitJS(`document.querySelectorAll('.post .poll-option').length === 3`, "the poll's three options")

	// A follower reads and votes.
	ctx := context.Background()
	eli, _ := goClient(t, srv, "+14155550822", "Eli")
	found, err := eli.Directory(ctx, client.DirectoryQuery{Q: "dorakitchen"})
	if err != nil || len(found) != 1 || found[0].Name != "Dora Kitchen" || found[0].Category != "lifestyle" {
		t.Fatalf("directory: %+v %v", found, err)
	}
	id := found[0].ID
	if _, err := eli.Follow(ctx, id); err != nil {
		t.Fatal(err)
	}
	page, err := eli.Timeline(ctx, id, 0, 10)
	if err != nil || len(page.Posts) != 3 {
		t.Fatalf("timeline: %v %v", page, err)
	}
	var seqs []int64
	var poll int64
	for _, post := range page.Posts {
		seqs = append(seqs, post.Seq)
		if post.Poll != nil {
			poll = post.Seq
			if strings.Join(post.Poll.Options, ",") != "Pumpkin,Minestrone,Pho" || post.Text != "Which soup next?" {
				t.Errorf("the poll reads %q %v", post.Text, post.Poll.Options)
			}
		}
	}
	if err := eli.RecordViews(ctx, id, seqs...); err != nil {
		t.Fatal(err)
	}
	if _, err := eli.Vote(ctx, id, poll, 1); err != nil {
		t.Fatal(err)
	}

	// Insights.
	p.Click("#channel-insights")
	p.WaitText(".channel-insights h2", "Dora Kitchen")
	p.WaitText("#insight-followers .stat-value", "1")
	p.WaitText("#insight-views .stat-value", "3")
	p.WaitJS(`document.querySelectorAll('.insight-posts tbody tr').length === 3`, "a row per post")
	p.WaitJS(`[...document.querySelectorAll('.insight-posts tbody tr')].some(r => r.lastChild.textContent === '1')`, "the poll's voter")
	p.WaitVisible(".growth-chart")
	screenshot(t, p, "app-channel-insights-desktop")
}
