package busline_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/demo/busline"
	"github.com/parleyhq/parley/internal/flowcrypto"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

// startDemo starts a real server and the bus company beside it, which
// talks to the server only over HTTP: it creates itself with the
// operator's token, as the README's one command does.
func startDemo(t *testing.T, key *rsa.PrivateKey) (*servertest.Server, *busline.Demo) {
	t.Helper()
	srv := servertest.Start(t, servertest.WithBulkLogins(), servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = "secret"
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 5 * time.Second}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := busline.Start(ctx, busline.Options{ServerURL: srv.URL, AdminURL: srv.AdminURL, AdminToken: "secret",
		Addr: "127.0.0.1:0", RemindEvery: -1, Logger: testLogger(t), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return srv, d
}

// person is someone with the web app's client, reading their inbox.
type person struct {
	t     *testing.T
	c     *client.Client
	chat  int64
	after int64
	got   []got
}

type got struct {
	id   string
	body client.Body
}

func login(t *testing.T, srv *servertest.Server, phone string) *person {
	t.Helper()
	ctx := context.Background()
	c := client.New(srv.URL)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(ctx, phone, srv.Code(phone), "web", nil); err != nil {
		t.Fatal(err)
	}
	return &person{t: t, c: c}
}

// wait returns the first message from the business, not taken by an
// earlier wait, that ok accepts.
func (p *person) wait(what string, ok func(client.Body) bool) got {
	p.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for i, g := range p.got {
			if ok(g.body) {
				p.got = append(p.got[:i:i], p.got[i+1:]...)
				return g
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waited 15 s for %s; got %d other messages", what, len(p.got))
		}
		es, err := p.c.Pending(ctx, p.after, 100)
		if err != nil {
			p.t.Fatal(err)
		}
		var ids []int64
		for _, e := range es {
			p.after = max(p.after, e.ID)
			ids = append(ids, e.ID)
			if b, err := client.DecodeBody(e); err == nil && e.ChatID == p.chat {
				p.got = append(p.got, got{e.MessageID, b})
			}
		}
		if len(ids) > 0 {
			_ = p.c.Ack(ctx, ids...)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (p *person) flowMessage() got {
	p.t.Helper()
	return p.wait("the Flow", func(b client.Body) bool { return b.Interactive != nil && b.Interactive.Type == "flow" })
}

// step drives the Flow message m one step.
func (p *person) step(m got, action, screen string, data any) client.FlowAnswer {
	p.t.Helper()
	a, err := p.try(m, action, screen, data)
	if err != nil {
		p.t.Fatalf("%s %s: %v", action, screen, err)
	}
	return a
}

func (p *person) try(m got, action, screen string, data any) (client.FlowAnswer, error) {
	s := client.FlowStep{ChatID: p.chat, MessageID: m.id, Action: action, Screen: screen}
	if data != nil {
		s.Data, _ = json.Marshal(data)
	}
	return p.c.ExchangeFlow(context.Background(), s)
}

type item struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Enabled *bool  `json:"enabled"`
}

type screenData struct {
	Cities  []item `json:"cities"`
	Dates   []item `json:"dates"`
	Trips   []item `json:"trips"`
	Seats   []item `json:"seats"`
	Notice  string `json:"notice"`
	SeatMap string `json:"seat_map"`
	Summary string `json:"summary"`
	Booking string `json:"booking"`
}

func data(t *testing.T, a client.FlowAnswer, screen string) screenData {
	t.Helper()
	if a.Screen != screen {
		t.Fatalf("got screen %q, want %s (%s)", a.Screen, screen, a.Data)
	}
	var d screenData
	if err := json.Unmarshal(a.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func seatEnabled(d screenData, seat string) bool {
	for _, s := range d.Seats {
		if s.ID == seat {
			return s.Enabled == nil || *s.Enabled
		}
	}
	return false
}

// toSeats opens the link, runs the Flow's search and departures, and
// returns the Flow message and the seat map.
func (p *person) toSeats(srv *servertest.Server, d *busline.Demo) (got, screenData) {
	p.t.Helper()
	ctx := context.Background()
	l, err := p.c.OpenLink(ctx, d.LinkCode())
	if err != nil || l.Phone != d.Phone() || l.Text != busline.LinkMessage {
		p.t.Fatalf("open the link: %+v %v", l, err)
	}
	chat, err := p.c.StartLinkChat(ctx, l, "")
	if err != nil {
		p.t.Fatal(err)
	}
	p.chat = chat.ID
	m := p.flowMessage()
	if m.body.Interactive.Action.Parameters == nil || m.body.Interactive.Action.Parameters.FlowID != d.FlowID() {
		p.t.Fatalf("the flow message: %+v", m.body.Interactive)
	}
	search := data(p.t, p.step(m, "INIT", "", nil), "SEARCH")
	if len(search.Cities) < 2 || len(search.Dates) != 14 {
		p.t.Fatalf("search screen: %+v", search)
	}
	deps := data(p.t, p.step(m, "data_exchange", "SEARCH", map[string]string{"from": "blr", "to": "mys", "date": search.Dates[1].ID}), "DEPARTURES")
	if len(deps.Trips) != 3 {
		p.t.Fatalf("departures: %+v", deps.Trips)
	}
	seats := data(p.t, p.step(m, "data_exchange", "DEPARTURES", map[string]string{"trip": deps.Trips[0].ID}), "SEATS")
	return m, seats
}

// TestBuslineJourney is the seed journey of conversational commerce
// against the demo business: a person opens the bus company's link,
// searches, picks a seat (two people race for the same one: one wins, the
// other is told and shown the map again), pays in the chat, receives the
// PDF ticket, gets the reminder template, cancels and is refunded.
func TestBuslineJourney(t *testing.T) {
	srv, d := startDemo(t, nil)
	ctx := context.Background()
	asha, ravi := login(t, srv, "+919900000001"), login(t, srv, "+919900000002")

	ma, seatsA := asha.toSeats(srv, d)
	mr, seatsR := ravi.toSeats(srv, d)
	if !seatEnabled(seatsA, "3A") || !seatEnabled(seatsR, "3A") || !strings.Contains(seatsA.SeatMap, "□") {
		t.Fatalf("seat 3A is not free: %+v", seatsA)
	}

	// Both pick 3A at once: exactly one holds it.
	var wg sync.WaitGroup
	answers := make([]client.FlowAnswer, 2)
	errs := make([]error, 2)
	for i, p := range []*person{asha, ravi} {
		m := []got{ma, mr}[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = p.try(m, "data_exchange", "SEATS", map[string]string{"seat": "3A"})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("seat race: %v, %v", errs[0], errs[1])
	}
	winner, loser, mw, ml := asha, ravi, ma, mr
	if answers[1].Screen == "PASSENGER" {
		winner, loser, mw, ml = ravi, asha, mr, ma
		answers[0], answers[1] = answers[1], answers[0]
	}
	data(t, answers[0], "PASSENGER")
	lost := data(t, answers[1], "SEATS")
	if !strings.Contains(lost.Notice, "3A was just taken") || seatEnabled(lost, "3A") || !strings.Contains(lost.SeatMap, "■") {
		t.Fatalf("the loser's seat map: notice %q, 3A enabled %v, map %q", lost.Notice, seatEnabled(lost, "3A"), lost.SeatMap)
	}
	data(t, loser.step(ml, "data_exchange", "SEATS", map[string]string{"seat": "3B"}), "PASSENGER")

	// The winner names the passenger and finishes the Flow.
	confirm := data(t, winner.step(mw, "data_exchange", "PASSENGER", map[string]string{"name": "Asha Rao"}), "CONFIRM")
	ref := confirm.Booking
	if !strings.HasPrefix(ref, "BL-") || !strings.Contains(confirm.Summary, "seat 3A") {
		t.Fatalf("confirm screen: %+v", confirm)
	}
	if _, err := winner.c.CompleteFlow(ctx, winner.chat, mw.id, json.RawMessage(`{"booking":"`+ref+`"}`), "Book and pay"); err != nil {
		t.Fatal(err)
	}

	// The order arrives; the person pays it in the chat (the sandbox).
	order := winner.wait("the order", func(b client.Body) bool {
		return b.Interactive != nil && b.Interactive.Type == "order_details"
	})
	if p := order.body.Interactive.Action.Parameters; p == nil || p.ReferenceID != ref || p.TotalAmount == nil || p.TotalAmount.Value <= 0 {
		t.Fatalf("order_details: %+v", order.body.Interactive.Action.Parameters)
	}
	total := order.body.Interactive.Action.Parameters.TotalAmount.Value
	pay, err := winner.c.PayOrder(ctx, wire.PayOrder{ChatID: winner.chat, ReferenceID: ref, IdempotencyKey: "pay-" + ref, PaymentMethod: "card"})
	if err != nil || pay.Status != "captured" || pay.AmountMinor != total {
		t.Fatalf("pay: %+v %v", pay, err)
	}

	// The ticket: a PDF document holding the booking reference.
	doc := winner.wait("the ticket", func(b client.Body) bool { return b.MediaKind == "document" })
	if doc.body.MediaID == "" || !strings.HasSuffix(doc.body.Filename, ".pdf") {
		t.Fatalf("ticket message: %+v", doc.body)
	}
	dl, err := winner.c.Media(ctx, doc.body.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte(ref)) || !bytes.Contains(pdf, []byte("/Image")) {
		t.Fatalf("the ticket is not a PDF with %s and a QR image (%d bytes)", ref, len(pdf))
	}
	winner.wait("order_status completed", func(b client.Body) bool {
		return b.Interactive != nil && b.Interactive.Type == "order_status" && b.Interactive.Action.Parameters != nil &&
			b.Interactive.Action.Parameters.Order != nil && b.Interactive.Action.Parameters.Order.Status == "completed"
	})
	if v, err := winner.c.Order(ctx, winner.chat, ref); err != nil || v.Status != "completed" || v.PaidMinor != total {
		t.Fatalf("order view: %+v %v", v, err)
	}
	if b, _ := d.Booking(ref); b.Status != busline.Paid {
		t.Fatalf("booking %s is %s, want paid", ref, b.Status)
	}

	// The reminder goes the day before, once.
	b, _ := d.Booking(ref)
	if n, err := d.SendReminders(ctx, b.Trip.Departure.Add(-36*time.Hour)); err != nil || n != 0 {
		t.Fatalf("reminders two days before: %d, %v", n, err)
	}
	if n, err := d.SendReminders(ctx, b.Trip.Departure.Add(-20*time.Hour)); err != nil || n != 1 {
		t.Fatalf("reminders the day before: %d, %v", n, err)
	}
	if n, _ := d.SendReminders(ctx, b.Trip.Departure.Add(-19*time.Hour)); n != 0 {
		t.Fatalf("a second reminder: %d", n)
	}
	winner.wait("the reminder", func(b client.Body) bool {
		return b.Template != nil && b.Template.Name == busline.ReminderName && strings.Contains(b.Template.Body, ref)
	})

	// Cancel with the button: refunded, the seat is free again.
	btn := winner.wait("the cancel button", func(b client.Body) bool {
		return b.Interactive != nil && b.Interactive.Type == "button" && len(b.Interactive.Action.Buttons) == 1
	})
	choice := btn.body.Interactive.Action.Buttons[0].Reply
	if choice.ID != "cancel:"+ref {
		t.Fatalf("cancel button: %+v", choice)
	}
	if _, err := winner.c.SendBody(ctx, winner.chat, client.NewMessageID(), wire.KindMessage, "", client.Body{Text: choice.Title, ReplyTo: btn.id,
		Reply: &wire.InteractiveReply{Type: "button_reply", ID: choice.ID, Title: choice.Title}}); err != nil {
		t.Fatal(err)
	}
	winner.wait("the cancellation", func(b client.Body) bool { return strings.Contains(b.Text, ref+" is cancelled") })
	if v, err := winner.c.Order(ctx, winner.chat, ref); err != nil || v.RefundedMinor != total {
		t.Fatalf("after the cancel, order view: %+v %v", v, err)
	}
	if b, _ := d.Booking(ref); b.Status != busline.Cancelled {
		t.Fatalf("booking %s is %s, want cancelled", ref, b.Status)
	}
	back := data(t, loser.step(ml, "BACK", "PASSENGER", nil), "SEATS")
	if !seatEnabled(back, "3A") || seatEnabled(back, "3B") {
		t.Fatalf("after the cancel, 3A should be free and 3B held: %+v", back.Seats[8:10])
	}

	// The other person books 3B, pays, and cancels with the keyword.
	confirm = data(t, loser.step(ml, "data_exchange", "PASSENGER", map[string]string{"name": "Ravi"}), "CONFIRM")
	if _, err := loser.c.CompleteFlow(ctx, loser.chat, ml.id, json.RawMessage(`{"booking":"`+confirm.Booking+`"}`), ""); err != nil {
		t.Fatal(err)
	}
	loser.wait("the order", func(b client.Body) bool { return b.Interactive != nil && b.Interactive.Type == "order_details" })
	if _, err := loser.c.PayOrder(ctx, wire.PayOrder{ChatID: loser.chat, ReferenceID: confirm.Booking, IdempotencyKey: "k1", PaymentMethod: "card"}); err != nil {
		t.Fatal(err)
	}
	loser.wait("the ticket", func(b client.Body) bool { return b.MediaKind == "document" })
	if _, err := loser.c.SendText(ctx, loser.chat, "cancel"); err != nil {
		t.Fatal(err)
	}
	loser.wait("the cancellation", func(b client.Body) bool { return strings.Contains(b.Text, confirm.Booking+" is cancelled") })
	if v, err := loser.c.Order(ctx, loser.chat, confirm.Booking); err != nil || v.RefundedMinor != v.PaidMinor || v.PaidMinor == 0 {
		t.Fatalf("after the keyword cancel, order view: %+v %v", v, err)
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, nil))
}

// TestBuslineEndpointErrors: the demo's Flow endpoint answers Meta's
// errors: 432 for a request not signed with the app secret, 421 for one
// it cannot decrypt, 427 for a flow token it never gave; and a signed
// ping is answered, encrypted.
func TestBuslineEndpointErrors(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv, d := startDemo(t, key)
	var list struct {
		Businesses []struct {
			Name      string `json:"name"`
			AppSecret string `json:"app_secret"`
		} `json:"businesses"`
	}
	req, _ := http.NewRequest("GET", srv.AdminURL+"/admin/v1/businesses", nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Businesses) != 1 || list.Businesses[0].Name != busline.BusinessName {
		t.Fatalf("businesses: %+v", list)
	}
	secret := list.Businesses[0].AppSecret
	call := func(body []byte, signWith string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", d.URL()+"/flow", bytes.NewReader(body))
		m := hmac.New(sha256.New, []byte(signWith))
		m.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	encrypt := func(pub *rsa.PublicKey, payload string) ([]byte, flowcrypto.Session) {
		t.Helper()
		body, sess, err := flowcrypto.EncryptRequest(pub, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(body)
		return b, sess
	}
	ping, sess := encrypt(&key.PublicKey, `{"version":"3.0","action":"ping"}`)
	if code, _ := call(ping, "not the secret"); code != 432 {
		t.Errorf("a bad signature: got %d, want 432", code)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	wrong, _ := encrypt(&other.PublicKey, `{"version":"3.0","action":"ping"}`)
	if code, _ := call(wrong, secret); code != 421 {
		t.Errorf("another key: got %d, want 421", code)
	}
	code, text := call(ping, secret)
	plain, err := sess.DecryptResponse(text)
	if code != 200 || err != nil || string(plain) != `{"data":{"status":"active"}}` {
		t.Errorf("ping: %d %s %v", code, plain, err)
	}
	unknown, _ := encrypt(&key.PublicKey, `{"version":"3.0","action":"INIT","flow_token":"not-ours"}`)
	if code, _ := call(unknown, secret); code != 427 {
		t.Errorf("an unknown flow token: got %d, want 427", code)
	}
}
