package web_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestFirstMessageToOfflinePersonShows: in a new 1:1 chat whose recipient
// has no browser open (so no delivery receipt comes back), the sender's
// first message stays in the conversation once the server has numbered it.
func TestFirstMessageToOfflinePersonShows(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	alice := b.NewPage(t)
	goClient(t, srv, "+14155550702", "Olga") // signed up, then offline
	signUp(t, alice, srv, "+14155550701", "Alice")

	alice.Click("#new-chat")
	submitDialog(alice, "#ask-phone", "+14155550702")
	alice.WaitText(".chat-title", "Olga")
	send(alice, "Are you there?")
	waitStatus(alice, "Are you there?", "sent")
	// Nothing else arrives to redraw the chat: it must still be there.
	time.Sleep(300 * time.Millisecond)
	waitStatus(alice, "Are you there?", "sent")
	alice.WaitText(".chat-item .chat-preview", "Are you there?")

	// A second message lands under the first.
	send(alice, "Second")
	waitStatus(alice, "Second", "sent")
	if n := webtest.Eval[int](alice, `document.querySelectorAll('.msg.mine').length`); n != 2 {
		t.Errorf("got %d own messages on screen, want 2", n)
	}
}
