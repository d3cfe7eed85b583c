package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestHistoryTransfer: Ana links a second browser to her account. Its chat
// is empty and says why (earlier messages cannot be read there); her first
// browser offers to send the history, and once she accepts, the second
// shows the messages written before it was linked, hers and Ben's. The
// bundle went through the server sealed for the laptop: the bytes the
// phone posted are not gzip, hold no marker, and the server's data folder
// holds no marker either.
func TestHistoryTransfer(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv, b, phone, ben, benChat := anaWritesToBen(t, "+14155550811", "+14155550812", "Written before the laptop HIST-WEB-CANARY")
	ctx := context.Background()
	if _, err := ben.SendText(ctx, benChat, "Ben's answer"); err != nil {
		t.Fatal(err)
	}
	phone.WaitText(".msg.theirs .text", "Ben's answer")

	// The laptop: the same number, a device of the same account.
	laptop := b.NewPage(t)
	logIn(t, laptop, srv, "+14155550811")
	laptop.WaitText(".chat-item .chat-name", "Ben")
	laptop.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	laptop.WaitText("#empty-chat", "No messages on this device yet")
	laptop.WaitText("#empty-chat", "Earlier messages cannot be read on this device")
	laptop.WaitVisible("#empty-restore")

	// The phone offers its history; Ana accepts. The test keeps what the
	// phone posts, to look at what the server was given.
	phone.WaitText("dialog[open] h2", "Send your history to the new device?")
	webtest.Eval[bool](phone, `(() => {
	  const real = window.fetch;
	  window.fetch = async (url, opts) => {
	    if (String(url).includes('/history') && opts && opts.body) {
	      const b = new Uint8Array(await new Response(opts.body).arrayBuffer());
	      let bin = '';
	      for (const x of b) bin += String.fromCharCode(x);
	      window.postedHistory = btoa(bin);
	    }
	    return real(url, opts);
	  };
	  return true;
	})()`)
	// The toast lives 4 s, and sealing takes longer than that on a loaded
	// machine: the page records every toast, and the test reads the record.
	webtest.Eval[bool](phone, `(() => {
	  window.toastsSeen = [];
	  new MutationObserver((muts) => {
	    for (const m of muts) for (const n of m.addedNodes) {
	      if (n.classList && n.classList.contains('toast')) window.toastsSeen.push(n.textContent);
	    }
	  }).observe(document.body, { childList: true, subtree: true });
	  return true;
	})()`)
	phone.Click("dialog[open] button[type=submit]")
	phone.WaitJSWithin(60*time.Second, `window.toastsSeen.length > 0`, "a toast after sending the history")
	if seen := webtest.Eval[[]string](phone, `window.toastsSeen`); !strings.Contains(seen[0], "History sent") {
		t.Fatalf("after sending the history the phone said %q, want \"History sent\"", seen)
	}

	laptop.WaitText(".msg.mine .text", "Written before the laptop HIST-WEB-CANARY")
	laptop.WaitText(".msg.theirs .text", "Ben's answer")
	laptop.WaitGone("#empty-chat")
	// Nothing doubled: each message once.
	if n := webtest.Eval[int](laptop, `document.querySelectorAll('.msg').length`); n != 2 {
		t.Errorf("the laptop shows %d messages, want 2", n)
	}
	posted, err := base64.StdEncoding.DecodeString(webtest.Eval[string](phone, `window.postedHistory || ''`))
	if err != nil || len(posted) == 0 {
		t.Fatalf("the phone posted no history (%v)", err)
	}
	if !e2ee.IsSealedHistory(posted) || bytes.Contains(posted, []byte("HIST-WEB-CANARY")) || bytes.HasPrefix(posted, []byte{0x1f, 0x8b}) {
		t.Fatalf("the history the server was given is not sealed: %.60q", posted)
	}
	if dataHolds(t, srv.Opts.DataDir, "HIST-WEB-CANARY") {
		t.Fatal("the server's data folder holds the history's marker")
	}
	// A message written now reaches both, as before.
	send(laptop, "Now on the laptop")
	phone.WaitText(".msg.mine .text", "Now on the laptop")
}

// dataHolds reports whether a file of the server's data folder (the SQLite
// database and its WAL, the blobs) holds marker.
func dataHolds(t *testing.T, dir, marker string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, []byte(marker))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestKeyBackupWeb: Ana turns the key backup on in Settings and writes
// down the recovery key; she loses her only device. A new browser says
// her earlier messages cannot be read there, refuses a wrong recovery
// key, takes the right one, and shows Ben's earlier message; it is in
// her signed device list again, so Ben's next message reaches it.
func TestKeyBackupWeb(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv, b, phone, ben, benChat := anaWritesToBen(t, "+14155550821", "+14155550822", "Hello Ben")
	ctx := context.Background()
	const marker = "BACKUP-WEB-CANARY-77"
	if _, err := ben.SendText(ctx, benChat, marker); err != nil {
		t.Fatal(err)
	}
	phone.WaitText(".msg.theirs .text", marker)

	phone.Navigate(srv.URL + "/#/settings")
	phone.WaitText("#backup-status", "Key backup is off")
	phone.Click("#backup-on")
	phone.WaitVisible("#recovery-key")
	key := phone.Text("#recovery-key")
	if len(strings.Fields(key)) != 14 {
		t.Fatalf("recovery key %q: want 14 groups", key)
	}
	phone.Click("dialog[open] button[type=submit]")
	phone.WaitText("#backup-status", "Key backup is on")
	if dataHolds(t, srv.Opts.DataDir, marker) {
		t.Fatal("the server's data folder holds the marker after the backup")
	}
	// The blob WebCrypto made opens in Go with the same recovery key: one
	// format (e2ee.SealBackup's), two implementations.
	blob := webtest.Eval[string](phone, `(async () => {
	  const s = JSON.parse(localStorage.getItem('parley.session'));
	  const r = await fetch('/v1/me/key-backup', { headers: { Authorization: 'Bearer ' + s.token } });
	  return JSON.stringify({ account: s.account_id, blob: await r.text() });
	})()`)
	var got struct {
		Account int64  `json:"account"`
		Blob    string `json:"blob"`
	}
	if err := json.Unmarshal([]byte(blob), &got); err != nil {
		t.Fatal(err)
	}
	rk, err := e2ee.ParseRecoveryKey(key)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e2ee.OpenBackup(rk, got.Account, []byte(got.Blob))
	if err != nil {
		t.Fatalf("Go opens the web app's backup: %v", err)
	}
	var payload struct {
		History    []byte         `json:"history"`
		Sessions   map[string]any `json:"sessions"`
		SigningKey []byte         `json:"signing_key"`
	}
	if err := json.Unmarshal(plain, &payload); err != nil || len(payload.History) == 0 || len(payload.SigningKey) != 64 {
		t.Fatalf("the web app's backup payload: %d bytes of history, a %d-byte signing key, %v", len(payload.History), len(payload.SigningKey), err)
	}

	// Ana loses her phone: she unlinks it from Settings (log out).
	phone.Click("#logout")
	phone.Close()

	laptop := b.NewPage(t)
	logIn(t, laptop, srv, "+14155550821")
	laptop.WaitText(".chat-item .chat-name", "Ben")
	laptop.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	laptop.WaitText("#empty-chat", "Earlier messages cannot be read on this device")
	laptop.Click("#empty-restore")
	laptop.WaitText("#backup-status", "Your account has a key backup")

	wrong, err := e2ee.NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	laptop.Type("#recovery-key-input", wrong.String())
	laptop.Click("#backup-restore button[type=submit]")
	laptop.WaitText(".toast", "does not open your backup")
	webtest.Eval[bool](laptop, `(document.getElementById('recovery-key-input').value = '', true)`)
	laptop.Type("#recovery-key-input", strings.ToLower(key))
	laptop.Click("#backup-restore button[type=submit]")
	laptop.WaitText(".toast", "Restored")
	laptop.WaitText("#backup-status", "Key backup is on")

	laptop.Navigate(srv.URL + "/#/")
	laptop.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	laptop.WaitText(".msg.theirs .text", marker)
	laptop.WaitText(".msg.mine .text", "Hello Ben")
	// The restored device signed itself into Ana's list: Ben's next
	// message is encrypted to it.
	if _, err := ben.SendText(ctx, benChat, "after the restore"); err != nil {
		t.Fatal(err)
	}
	laptop.WaitText(".msg.theirs .text", "after the restore")
}

// anaWritesToBen starts a server and a browser in which Ana signs up and
// writes first to Ben, who uses the Go client; it returns Ben's client and
// his id of the chat.
func anaWritesToBen(t *testing.T, anaPhone, benPhone, first string) (*servertest.Server, *webtest.Browser, *webtest.Page, *client.Client, int64) {
	t.Helper()
	srv := startServer(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}))
	b := webtest.Start(t)
	phone := b.NewPage(t)
	signUp(t, phone, srv, anaPhone, "Ana")
	ben, _ := goClient(t, srv, benPhone, "Ben")
	openChatWith(phone, benPhone, "Ben")
	send(phone, first)
	chats, err := ben.Chats(context.Background())
	if err != nil || len(chats) != 1 {
		t.Fatalf("ben's chats: %v %v", chats, err)
	}
	return srv, b, phone, ben, chats[0].ID
}
