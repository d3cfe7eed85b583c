package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/canary"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// The business number's cloud device holds end-to-end keys on the server
// (business/cloudkeys.go): a customer whose client encrypts writes to it
// like to anyone, the webhook carries the plaintext, the business's
// replies reach the customer encrypted, and a program that does not
// encrypt keeps working in the clear.

func TestE2EECustomerBothWaysSQLite(t *testing.T) { testE2EECustomerBothWays(t, false) }

func TestE2EECustomerBothWaysPostgres(t *testing.T) { testE2EECustomerBothWays(t, true) }

func testE2EECustomerBothWays(t *testing.T, postgres bool) {
	var opts []envOption
	var dsn, schema string
	if postgres {
		dsn = servertest.PostgresDSN(t)
		schema = servertest.FreshSchema(t, dsn)
		nats := servertest.NATSURL(t)
		opts = append(opts, func(e *env) {
			e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { o.PostgresDSN = servertest.WithSearchPath(dsn, schema) }),
				servertest.WithExternalNATS(nats))
		})
	}
	e := newEnv(t, opts...)
	marker := fmt.Sprintf("BIZCANARY%d", time.Now().UnixNano())

	// A customer whose client encrypts (as the CLI and the web app do).
	c, chatID := encryptingCustomer(t, e, "+14155550122")

	// The business's account publishes a signed device list naming its
	// cloud device, like any account.
	ak, err := c.AccountKeys(e.ctx, e.num.AccountID)
	if err != nil || ak.DeviceList == nil || len(ak.DeviceList.Devices) != 1 {
		t.Fatalf("the business's keys: got %+v %v, want a signed list of its cloud device", ak, err)
	}

	// Inbound: the customer's message is encrypted; the webhook has its text.
	in := e.customerSends(c, chatID, chat.KindMessage, "", client.Body{Text: "size 42 " + marker})
	if m := e.hooks.message(in); m.Type != "text" || m.Text == nil || m.Text.Body != "size 42 "+marker || m.From != "14155550122" {
		t.Errorf("webhook of an encrypted message: got %+v", m)
	}
	second := e.customerSends(c, chatID, chat.KindMessage, "", client.Body{Text: "and in blue?"})
	if m := e.hooks.message(second); m.Text == nil || m.Text.Body != "and in blue?" {
		t.Errorf("webhook of the second encrypted message: got %+v", m)
	}

	// An attachment the customer's app encrypted: the business downloads
	// the file itself, as from any customer.
	res, err := c.SendMedia(e.ctx, chatID, "image/png", pngBytes, "this pair")
	if err != nil {
		t.Fatal(err)
	}
	im := e.hooks.message(business.InboundWamid(chatID, res.MessageID))
	if im.Type != "image" || im.Image == nil || im.Image.Caption != "this pair" || im.Image.MimeType != "image/png" {
		t.Fatalf("webhook of an encrypted image: got %+v", im)
	}
	if code, b := e.cloud("GET", "/"+im.Image.ID+"/content", nil); code != 200 || !bytes.Equal(b, pngBytes) {
		t.Errorf("the business downloads the customer's encrypted image: got %d, %d bytes, want the %d bytes of the image", code, len(b), len(pngBytes))
	}

	// Outbound: the business's replies reach the customer encrypted.
	out := e.send(map[string]any{"to": "+14155550122", "type": "text", "context": map[string]any{"message_id": in},
		"text": map[string]any{"body": "Yes, in stock " + marker}})
	entry, body := openEntry(t, e, c, out)
	if body.Text != "Yes, in stock "+marker || body.ReplyTo != clientID(t, in) {
		t.Errorf("the customer read %+v, want the reply", body)
	}
	if !strings.Contains(string(entry.Body), `"alg":"olm.v1"`) {
		t.Errorf("the business's reply reached the customer as %s, want an Olm envelope", entry.Body)
	}
	e.hooks.status(out, "delivered")
	interactive := e.send(map[string]any{"to": "+14155550122", "type": "interactive", "interactive": map[string]any{
		"type": "button", "body": map[string]any{"text": "Reserve a pair?"},
		"action": map[string]any{"buttons": []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "yes", "title": "Yes"}}}}}})
	if _, body := openEntry(t, e, c, interactive); body.Interactive == nil || body.Text == "" && body.Interactive.Body.Text != "Reserve a pair?" {
		t.Errorf("the customer read the interactive message as %+v", body)
	}
	react := e.send(map[string]any{"to": "+14155550122", "type": "reaction", "reaction": map[string]any{"message_id": in, "emoji": "👍"}})
	if _, body := openEntry(t, e, c, react); body.Emoji != "👍" {
		t.Errorf("the customer read the reaction as %+v", body)
	}

	// A ciphertext that does not decrypt is reported, not dropped, and
	// not a crash: an Olm envelope from the customer's device, garbled.
	bad := client.NewMessageID()
	garbled, _ := json.Marshal(map[string]any{"v": 1, "alg": "olm.v1", "sender_key": "x", "type": 1, "body": "AwoggarbledAAAA"})
	if _, err := c.Send(e.ctx, chatID, client.SendRequest{MessageID: bad, Kind: wire.KindMessage,
		Envelopes: []wire.Envelope{{DeviceID: ak.DeviceList.Devices[0].DeviceID, Body: garbled}}}); err != nil {
		t.Fatal(err)
	}
	if m := e.hooks.message(business.InboundWamid(chatID, bad)); m.Type != "unknown" || len(m.Errors) != 1 || m.Errors[0].Code != 131051 ||
		m.Errors[0].Title != "Message could not be decrypted" {
		t.Errorf("webhook of a garbled ciphertext: got %+v", m)
	}
	// And the pipeline goes on.
	after := e.customerSends(c, chatID, chat.KindMessage, "", client.Body{Text: "still there?"})
	if m := e.hooks.message(after); m.Text == nil || m.Text.Body != "still there?" {
		t.Errorf("webhook after a garbled ciphertext: got %+v", m)
	}

	// An order is checked before it is committed, encrypted or not: the
	// send path decrypts it (without keeping the state it moved).
	_, err = c.SendBody(e.ctx, chatID, client.NewMessageID(), wire.KindMessage, "", client.Body{
		Order: &wire.Order{CatalogID: "1", ProductItems: []wire.OrderItem{{ProductRetailerID: "nope", Quantity: 1}}}})
	if client.ErrorCode(err) != "invalid_argument" {
		t.Errorf("an encrypted order for another catalog: got %v, want invalid_argument", err)
	}

	// A program that does not encrypt keeps working in the clear.
	plainIn := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "plain hello"})
	if m := e.hooks.message(plainIn); m.Text == nil || m.Text.Body != "plain hello" {
		t.Errorf("webhook of a plaintext customer: got %+v", m)
	}
	plainOut := e.send(map[string]any{"type": "text", "text": map[string]any{"body": "plain reply"}})
	if b := e.receive(e.cust, plainOut); b.Text != "plain reply" {
		t.Errorf("the plaintext customer read %+v", b)
	}

	// The control: a message to the plain customer that it does not read
	// yet stays in its queue in the clear, and the search must find it.
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "plain unread control"}})

	// The marker is in no table: not in the messages, not in the cloud
	// device's state, and not in the webhook outbox, whose bodies are
	// sealed at rest.
	tables := dumpTables(t, e, postgres, dsn, schema)
	if where := canary.Leaks([]byte(marker), tables); len(where) > 0 {
		t.Errorf("the customer's marker is stored in the clear in %v", where)
	}
	if leaks := canary.Leaks([]byte("plain unread control"), tables); len(leaks) == 0 {
		t.Error("the plaintext control was found nowhere: the search is blind")
	}
	for _, tb := range []string{"cloud_device_keys"} {
		if _, ok := tables[tb]; !ok {
			t.Errorf("no table %s in the dump", tb)
		}
	}
}

// encryptingCustomer logs in a customer whose client encrypts, with its
// keys published, and opens its chat with the business.
func encryptingCustomer(t *testing.T, e *env, phone string) (*client.Client, int64) {
	t.Helper()
	c := client.New(e.srv.URL)
	if err := c.RequestCode(e.ctx, phone); err != nil {
		t.Fatal(err)
	}
	s, err := c.Verify(e.ctx, phone, e.srv.Code(phone), "phone", nil)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := e2ee.NewDevice(s.AccountID, s.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	c.UseE2EE(dev)
	if err := c.SetupE2EE(e.ctx); err != nil {
		t.Fatal(err)
	}
	return c, e.openChat(c)
}

// TestE2EEBusinessAcrossNodes: two nodes share the database and each
// sends for the same number to an encrypting customer at once. The cloud
// device's state is swapped by version, so neither node ratchets from a
// state the other moved on: the customer opens every message, and the
// business still reads the customer after.
func TestE2EEBusinessAcrossNodes(t *testing.T) {
	e := newEnv(t, withPostgres(t))
	c, chatID := encryptingCustomer(t, e, "+14155550123")
	e.hooks.message(e.customerSends(c, chatID, chat.KindMessage, "", client.Body{Text: "hello"}))
	other := servertest.Start(t, e.opts...)
	const each = 8
	var wg sync.WaitGroup
	ids := make(chan string, 2*each)
	for _, url := range []string{e.srv.URL, other.URL} {
		for i := range each {
			wg.Go(func() {
				b, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "to": "+14155550123", "type": "text",
					"text": map[string]any{"body": fmt.Sprintf("update %d", i)}})
				req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/messages", url, e.num.ID), bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				defer resp.Body.Close()
				var out sendResponse
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out.Messages) != 1 {
					t.Errorf("send through %s: status %d, %v", url, resp.StatusCode, err)
					return
				}
				ids <- out.Messages[0].ID
			})
		}
	}
	wg.Wait()
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	got := map[string]client.Body{}
	testutil.Eventually(t, "every message from both nodes to open", func() bool {
		es, err := c.Pending(e.ctx, 0, 100)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		var acks []int64
		for _, en := range es {
			acks = append(acks, en.ID)
			if en.Type != chat.EntryMessage || en.Kind == chat.KindSystem {
				continue
			}
			b, err := c.OpenBody(e.ctx, en)
			if err != nil {
				t.Errorf("open %s: %v", en.MessageID, err)
				continue
			}
			got[en.MessageID] = b
		}
		if len(acks) > 0 {
			if err := c.Ack(e.ctx, acks...); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		for id := range want {
			if _, ok := got[id]; !ok {
				return false
			}
		}
		return true
	})
	for id := range want {
		if !strings.HasPrefix(got[id].Text, "update ") {
			t.Errorf("message %s opened as %+v", id, got[id])
		}
	}
	after := e.customerSends(c, chatID, chat.KindMessage, "", client.Body{Text: "got them all"})
	if m := e.hooks.message(after); m.Text == nil || m.Text.Body != "got them all" {
		t.Errorf("webhook after the two nodes' sends: got %+v", m)
	}
}

// openEntry waits for the message with that id in c's inbox, acks what it
// read, and returns the entry and its opened body.
func openEntry(t *testing.T, e *env, c *client.Client, id string) (wire.Entry, client.Body) {
	t.Helper()
	var found *wire.Entry
	var body client.Body
	testutil.Eventually(t, "message "+id+" to reach the encrypting customer", func() bool {
		es, err := c.Pending(e.ctx, 0, 100)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		var ids []int64
		for i := range es {
			ids = append(ids, es[i].ID)
			if es[i].Type != chat.EntryMessage || es[i].Kind == chat.KindSystem {
				continue
			}
			b, err := c.OpenBody(e.ctx, es[i])
			if err != nil {
				t.Errorf("open entry %d (%s): %v", es[i].ID, es[i].Body, err)
				continue
			}
			if es[i].MessageID == id {
				found, body = &es[i], b
			}
		}
		if len(ids) > 0 {
			if err := c.Ack(e.ctx, ids...); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		return found != nil
	})
	return *found, body
}

// dumpTables returns every row of every table of the server's database
// as text, by table name.
func dumpTables(t *testing.T, e *env, postgres bool, dsn, schema string) map[string][]byte {
	t.Helper()
	if postgres {
		return canary.DumpSchema(t, dsn, schema)
	}
	return canary.DumpSQLite(t, filepath.Join(e.dataDir, "parley.db"))
}
