package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/webhook"
)

// The ids the README's quick start uses.
const quickstartBusiness, quickstartNumber = 100000000000001, 200000000000001

// TestBusinessQuickstart follows the README's "Run a business in five
// minutes" on a fresh server: the same requests as its curl commands, the
// webhook endpoint of parley webhook-listen, and a person who writes
// first. (Only the server's poll intervals are shorter than the defaults.)
func TestBusinessQuickstart(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = "secret"
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 2 * time.Second}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// ./parley webhook-listen --addr 127.0.0.1:PORT
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := ln.Addr().String()
	ln.Close()
	var hooks, hookLog syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"webhook-listen", "--addr", hookAddr}, envFunc(nil), strings.NewReader(""), &hooks, &hookLog)
	}()
	waitOutput(t, &hookLog, "webhook endpoint: http://"+hookAddr+"/")

	// curl -s -H "$A" -H "$J" -d '...' URL
	curl := func(method, url, token, body string) []byte {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
		}
		return b
	}
	admin := srv.AdminURL
	// The README names them by the ids a fresh server gives its first
	// business and number.
	idOf := func(b []byte) int64 {
		var v struct{ ID int64 }
		_ = json.Unmarshal(b, &v)
		return v.ID
	}
	if id := idOf(curl("POST", admin+"/admin/v1/businesses", "secret", `{"name":"Acme Shoes","category":"RETAIL"}`)); id != quickstartBusiness {
		t.Fatalf("the business is id %d, not %d", id, quickstartBusiness)
	}
	if id := idOf(curl("POST", admin+"/admin/v1/businesses/100000000000001/numbers", "secret", `{"phone":"+14155550100","display_name":"Acme"}`)); id != quickstartNumber {
		t.Fatalf("the number is id %d, not %d", id, quickstartNumber)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(curl("POST", admin+"/admin/v1/businesses/100000000000001/tokens", "secret", `{"name":"quickstart"}`), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %v", err)
	}
	curl("PUT", admin+"/admin/v1/businesses/100000000000001/webhook", "secret", `{"callback_url":"http://`+hookAddr+`/","verify_token":"vt"}`)

	// A person signs up and writes "hi" to +14155550100.
	person := client.New(srv.URL)
	if err := person.RequestCode(ctx, "+14155550101"); err != nil {
		t.Fatal(err)
	}
	if _, err := person.Verify(ctx, "+14155550101", srv.Code("+14155550101"), "web", nil); err != nil {
		t.Fatal(err)
	}
	cs, err := person.LookupContacts(ctx, "+14155550100")
	if err != nil || len(cs) != 1 {
		t.Fatalf("look up the business: %v %v", cs, err)
	}
	chat, err := person.OpenDirect(ctx, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := person.SendText(ctx, chat.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &hooks, `"text":{"body":"hi"}`)

	// The business answers: a template, then a text.
	curl("POST", srv.URL+"/v23.0/100000000000001/message_templates", tok.Token, `{"name":"order_ready","category":"UTILITY","language":"en","components":[{"type":"BODY","text":"Your order is ready"}]}`)
	curl("POST", srv.URL+"/v23.0/200000000000001/messages", tok.Token, `{"messaging_product":"whatsapp","to":"+14155550101","type":"template","template":{"name":"order_ready","language":{"code":"en"}}}`)
	curl("POST", srv.URL+"/v23.0/200000000000001/messages", tok.Token, `{"messaging_product":"whatsapp","to":"+14155550101","type":"text","text":{"body":"Hello from Acme"}}`)
	waitOutput(t, &hooks, `"status":"sent"`)

	// Both reach the person's device.
	var got []string
	var ids []int64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(got) < 2 {
		es, err := person.Pending(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		got, ids = got[:0], ids[:0]
		for _, e := range es {
			ids = append(ids, e.ID)
			if bytes.Contains(e.Body, []byte("Your order is ready")) || bytes.Contains(e.Body, []byte("Hello from Acme")) {
				got = append(got, string(e.Body))
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) < 2 {
		t.Fatalf("the person got %d of the 2 business messages", len(got))
	}
	// The person's device takes them: delivered statuses reach the webhook.
	if err := person.Ack(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &hooks, `"status":"delivered"`)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("webhook-listen: %v", err)
	}
}
