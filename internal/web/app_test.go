package web_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// startServer starts a server on a port chosen now, so that Restart comes
// back on the same address and the browser's page can reconnect to it.
func startServer(t *testing.T, opts ...servertest.Option) *servertest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts = append([]servertest.Option{servertest.WithOptions(func(o *server.Options) { o.Addr = addr })}, opts...)
	return servertest.Start(t, opts...)
}

// enterCode goes through the log-in screen with phone and its code.
func enterCode(p *webtest.Page, srv *servertest.Server, phone string) {
	p.Navigate(srv.URL + "/")
	p.Type("#phone", phone)
	p.Click("form button[type=submit]")
	p.WaitVisible("#code")
	p.Type("#code", srv.Code(phone))
	p.Click("form button[type=submit]")
}

// logIn links the browser of p to phone's existing account and waits for
// the app and its end-to-end keys.
func logIn(t *testing.T, p *webtest.Page, srv *servertest.Server, phone string) {
	t.Helper()
	enterCode(p, srv, phone)
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	waitE2EE(t, p)
}

// signUp creates an account through the log-in screen and waits for the
// chat list.
func signUp(t *testing.T, p *webtest.Page, srv *servertest.Server, phone, name string) {
	t.Helper()
	enterCode(p, srv, phone)
	p.Type("#display-name", name)
	p.Click("form button[type=submit]")
	p.WaitVisible(".side .chat-list, .side .muted")
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	waitE2EE(t, p)
}

// waitE2EE waits until the page's device published its end-to-end keys
// (the module loads after first paint): from then on others can encrypt
// to it. Compiling the module takes long on a loaded machine, so this
// waits longer than one helper call.
func waitE2EE(t *testing.T, p *webtest.Page) {
	t.Helper()
	deadline := time.Now().Add(4 * webtest.Timeout)
	for webtest.Eval[string](p, `document.documentElement.dataset.e2ee || ''`) != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("the page's end-to-end keys were not published after %v", 4*webtest.Timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submitDialog fills the open dialog's first field and submits it.
func submitDialog(p *webtest.Page, field, value string) {
	p.Type("dialog[open] "+field, value)
	p.Click("dialog[open] button[type=submit]")
	p.WaitGone("dialog[open]")
}

// send types text into the composer and sends it with Enter.
func send(p *webtest.Page, text string) {
	p.Type("#composer", text)
	p.Click("#send")
}

// lastStatus waits until the message with text shows status want
// (pending, sent, delivered, read).
func waitStatus(p *webtest.Page, text, want string) {
	p.WaitJS(fmt.Sprintf(`[...document.querySelectorAll('.msg.mine')].some(m => m.querySelector('.text')?.textContent === %q && m.dataset.status === %q)`, text, want),
		fmt.Sprintf("%q to be %s", text, want))
}

// shots returns where to save screenshots ($PARLEY_SCREENSHOTS), or "".
func shots() string { return os.Getenv("PARLEY_SCREENSHOTS") }

func screenshot(t *testing.T, p *webtest.Page, name string) {
	t.Helper()
	dir := shots()
	if dir == "" {
		return
	}
	// Let fonts and images settle.
	p.WaitJS(`document.fonts.status === 'loaded'`, "fonts")
	time.Sleep(150 * time.Millisecond)
	p.Screenshot(filepath.Join(dir, name+".png"))
}

func TestTwoPeopleChat(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	alice, bob := b.NewPage(t), b.NewPage(t)
	signUp(t, alice, srv, "+14155550101", "Alice")
	signUp(t, bob, srv, "+14155550102", "Bob")

	// Alice starts a chat with Bob by his number and writes.
	alice.Click("#new-chat")
	submitDialog(alice, "#ask-phone", "+14155550102")
	alice.WaitText(".chat-title", "Bob")
	send(alice, "Hello Bob")
	waitStatus(alice, "Hello Bob", "delivered")

	// Bob sees the chat with one unread message, opens it: Alice's ticks turn to read.
	bob.WaitText(".chat-item .chat-preview", "Hello Bob")
	bob.WaitText(".chat-item .unread", "1")
	bob.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	bob.WaitText(".msg.theirs .text", "Hello Bob")
	waitStatus(alice, "Hello Bob", "read")
	bob.WaitGone(".chat-item .unread")

	// Typing shows on the other side; a reply comes back.
	bob.Type("#composer", "Hi Al")
	alice.WaitText(".chat-status", "typing")
	send(bob, "Hi Alice")
	alice.WaitText(".msg.theirs .text", "Hi Alice")
	waitStatus(bob, "Hi Alice", "read")

	// Reply, react, edit and delete for everyone.
	alice.Click(".msg.theirs .msg-more")
	alice.Click("dialog[open] [data-action=reply]")
	send(alice, "Quoting you")
	bob.WaitText(".msg.theirs .quote", "Hi Alice")
	bob.Click(".msg.theirs .msg-more")
	bob.Click("dialog[open] .react-pick")
	alice.WaitText(".msg.mine .reaction", "👍")
	alice.Click(".msg.mine:last-child .msg-more")
	alice.Click("dialog[open] [data-action=edit]")
	alice.Type("#composer", "Quoting you, edited")
	alice.Click("#send")
	bob.WaitText(".msg.theirs .text", "Quoting you, edited")
	bob.WaitText(".msg.theirs .meta", "edited")
	alice.Click(".msg.mine:last-child .msg-more")
	alice.Click("dialog[open] [data-action=delete]")
	alice.Click("dialog[open] button[type=submit]")
	bob.WaitText(".msg.theirs .deleted", "deleted")
	screenshot(t, alice, "chat-desktop")

	// The server restarts: both pages reconnect and resume, and a message
	// sent meanwhile is queued and delivered.
	srv = srv.Restart(t)
	send(alice, "After the restart")
	bob.WaitText(".msg.theirs .text", "After the restart")
	waitStatus(alice, "After the restart", "read")

	// History stays on the device: a reload shows it from IndexedDB (the
	// server deleted the delivered envelopes).
	bob.Navigate(srv.URL + "/")
	bob.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "reload")
	// The list may redraw as the socket resumes (entries below the cursor
	// younger than the resume grace come again): a click on a row that
	// was just replaced is lost, as a tap would be, so tap again.
	bob.WaitJS(`(() => {
		if (!document.querySelector('.chat')) document.querySelector('.chat-item')?.click();
		return [...document.querySelectorAll('.msg.theirs .text')].some((e) => e.textContent.includes('Hello Bob'));
	})()`, "the history from IndexedDB after the reload")

	// French.
	bob.Click("#open-settings")
	bob.Select("#lang", "fr")
	bob.WaitText("#tab-chats", "Discussions")
	if !strings.Contains(bob.Text("#tab-updates"), "Actus") {
		t.Errorf("updates tab not translated")
	}
}
