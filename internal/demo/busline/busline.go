// Package busline is a demo business: a bus company that sells seats in
// a chat (docs/DEMO-BUSLINE.md). It runs as a real business would, apart
// from the server: it talks to Parley only through the public Cloud API
// (HTTP, with its token) and answers as the business's WhatsApp Flow
// endpoint and webhook. It imports nothing of Parley but the wire shapes
// (wire) and the Flow endpoint encryption (internal/flowcrypto), which a
// Go business would write from Meta's documentation.
//
// Start sets the business up (its number, public key, Flow, reminder
// template, click-to-chat link and webhook subscription) and serves;
// a person who opens the link gets the Flow (route, date, departure,
// seat map, passenger), an order to pay in the chat, and once paid a
// PDF ticket with a QR code; they can cancel for a refund, and get a
// reminder template the day before the trip. Seats live in memory.
package busline

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names the demo gives what it creates on the server.
const (
	BusinessName = "Busline"
	FlowName     = "Bus booking"
	ReminderName = "bus_trip_reminder"
	LinkMessage  = "Book a bus seat"
	// PaymentConfig is the payment configuration name of the orders.
	PaymentConfig = "busline"
)

// Options configure the demo. ServerURL and either Token or AdminToken
// are required.
type Options struct {
	// ServerURL is Parley's public URL (http://localhost:8080).
	ServerURL string
	// Token is the business's system token. When empty, the demo creates
	// (or finds) the business "Busline" through the operator's admin API
	// at AdminURL with AdminToken, with the number Phone, and makes a
	// token.
	Token      string
	AdminURL   string // default http://127.0.0.1:8081
	AdminToken string
	// AppSecret checks the signature of webhooks and Flow requests
	// (X-Hub-Signature-256). Found through the admin API when the demo
	// creates the business; unchecked when empty.
	AppSecret string
	// Phone is the bus company's number when the demo creates it.
	// Default +918000000100.
	Phone string
	// Addr is where the demo listens for its webhook and Flow endpoint.
	// Default 127.0.0.1:8090; "127.0.0.1:0" picks a port.
	Addr string
	// PublicURL is the URL at which the server reaches Addr; default
	// http:// and the listener's address (the server must then allow
	// loopback webhooks: serve --webhook-allow 127.0.0.0/8).
	PublicURL string
	// Key is the Flow endpoint's RSA key; a new 2048-bit key when nil.
	Key *rsa.PrivateKey
	// Now is the demo's clock (departures, holds, reminders); time.Now
	// when nil. A test moves it to fire the reminders.
	Now func() time.Time
	// HoldFor is how long a picked seat is held unpaid. Default 15 min.
	HoldFor time.Duration
	// RemindEvery is how often the reminder scheduler looks for trips
	// that leave within a day. Default 1 min; negative: never (call
	// SendReminders).
	RemindEvery time.Duration
	// Logger logs what the demo does; slog.Default() when nil.
	Logger *slog.Logger
	// HTTPClient calls the server; a client with a 30 s timeout when nil.
	HTTPClient *http.Client
}

// Demo is the running bus company.
type Demo struct {
	o      Options
	g      graph
	log    *slog.Logger
	st     *store
	key    *rsa.PrivateKey
	secret string
	verify string // the webhook's verify token

	wabaID, numberID, phone string
	flowID, linkCode        string
	linkURL                 string

	ln   net.Listener
	srv  *http.Server
	stop context.CancelFunc
	wg   sync.WaitGroup

	seenMu sync.Mutex
	seen   map[string]bool // webhook messages and statuses already handled
}

// Start listens, sets the business up on the server and serves until
// Close. ctx bounds the setup only.
func Start(ctx context.Context, o Options) (*Demo, error) {
	if o.ServerURL == "" {
		return nil, errors.New("busline: the server URL is required")
	}
	if o.Token == "" && o.AdminToken == "" {
		return nil, errors.New("busline: a business token or the operator's admin token is required")
	}
	if o.AdminURL == "" {
		o.AdminURL = "http://127.0.0.1:8081"
	}
	if o.Phone == "" {
		o.Phone = "+918000000100"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8090"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HoldFor == 0 {
		o.HoldFor = 15 * time.Minute
	}
	if o.RemindEvery == 0 {
		o.RemindEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	d := &Demo{o: o, log: o.Logger, st: newStore(), key: o.Key, secret: o.AppSecret, seen: map[string]bool{},
		g: graph{hc: o.HTTPClient, base: trimSlash(o.ServerURL), tok: o.Token}}
	if d.key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("busline: generate the flow key: %w", err)
		}
		d.key = k
	}
	d.verify = randomHex(8)
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("busline: listen: %w", err)
	}
	d.ln = ln
	if d.o.PublicURL == "" {
		d.o.PublicURL = "http://" + ln.Addr().String()
	}
	d.o.PublicURL = trimSlash(d.o.PublicURL)
	d.srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	if err := d.setup(ctx); err != nil {
		_ = d.srv.Close()
		return nil, fmt.Errorf("busline: set up: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	d.stop = stop
	if o.RemindEvery > 0 {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.runReminders(runCtx)
		}()
	}
	return d, nil
}

// Close stops serving and the reminder scheduler.
func (d *Demo) Close() error {
	if d.stop != nil {
		d.stop()
	}
	d.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.srv.Shutdown(ctx)
}

// URL is where the demo serves: its webhook (/webhook), Flow endpoint
// (/flow), reminders (POST /reminders) and /healthz.
func (d *Demo) URL() string { return d.o.PublicURL }

// Phone is the bus company's number (E.164).
func (d *Demo) Phone() string { return d.phone }

// LinkCode is the click-to-chat link's code: a person opens
// {server}/c/{code}.
func (d *Demo) LinkCode() string { return d.linkCode }

// LinkURL is the click-to-chat link.
func (d *Demo) LinkURL() string { return d.linkURL }

// FlowID is the published Flow's id.
func (d *Demo) FlowID() string { return d.flowID }

// Booking returns a booking by its reference.
func (d *Demo) Booking(ref string) (Booking, bool) { return d.st.booking(ref) }

// Handler serves the demo's endpoints.
func (d *Demo) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /webhook", d.handshake)
	mux.HandleFunc("POST /webhook", d.webhook)
	mux.HandleFunc("POST /flow", d.flowEndpoint)
	mux.HandleFunc("POST /reminders", func(w http.ResponseWriter, r *http.Request) {
		now := d.o.Now()
		if s := r.URL.Query().Get("now"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				http.Error(w, "now: want an RFC 3339 time", http.StatusBadRequest)
				return
			}
			now = t
		}
		n, err := d.SendReminders(r.Context(), now)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "{\"sent\":%d}\n", n)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

// setup makes the business ready: token, number, public key, Flow,
// template, link and webhook. Each step finds what an earlier run made.
func (d *Demo) setup(ctx context.Context) error {
	if d.g.tok == "" {
		if err := d.createBusiness(ctx); err != nil {
			return err
		}
	}
	if err := d.findAccount(ctx); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&d.key.PublicKey)
	if err != nil {
		return err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := d.g.form(ctx, "/"+d.numberID+"/whatsapp_business_encryption", url.Values{"business_public_key": {string(pemKey)}}, nil); err != nil {
		return fmt.Errorf("upload the public key: %w", err)
	}
	if err := d.ensureFlow(ctx); err != nil {
		return err
	}
	if err := d.ensureTemplate(ctx); err != nil {
		return err
	}
	if err := d.ensureLink(ctx); err != nil {
		return err
	}
	if err := d.g.call(ctx, http.MethodPost, "/"+d.wabaID+"/subscribed_apps",
		map[string]string{"override_callback_uri": d.o.PublicURL + "/webhook", "verify_token": d.verify}, nil); err != nil {
		return fmt.Errorf("subscribe the webhook: %w", err)
	}
	d.log.Info("busline: ready", "business", d.wabaID, "number", d.phone, "flow", d.flowID, "link", d.linkURL, "endpoint", d.o.PublicURL)
	return nil
}

// createBusiness finds or creates the business, its number and a token
// through the operator's admin API.
func (d *Demo) createBusiness(ctx context.Context) error {
	a := admin{hc: d.o.HTTPClient, base: trimSlash(d.o.AdminURL), token: d.o.AdminToken}
	type biz struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		AppSecret string `json:"app_secret"`
	}
	var list struct {
		Businesses []biz `json:"businesses"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/businesses", nil, &list); err != nil {
		return fmt.Errorf("list businesses (admin API at %s): %w", d.o.AdminURL, err)
	}
	var b biz
	for _, x := range list.Businesses {
		if x.Name == BusinessName {
			b = x
		}
	}
	if b.ID == 0 {
		if err := a.call(ctx, http.MethodPost, "/admin/v1/businesses", map[string]string{"name": BusinessName, "category": "TRAVEL",
			"description": "Intercity buses: book a seat in the chat"}, &b); err != nil {
			return fmt.Errorf("create the business: %w", err)
		}
	}
	if d.secret == "" {
		d.secret = b.AppSecret
	}
	bid := strconv.FormatInt(b.ID, 10)
	var nums struct {
		Numbers []struct {
			ID    int64  `json:"id"`
			Phone string `json:"phone"`
		} `json:"numbers"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/businesses/"+bid+"/numbers", nil, &nums); err != nil {
		return fmt.Errorf("list numbers: %w", err)
	}
	if len(nums.Numbers) == 0 {
		if err := a.call(ctx, http.MethodPost, "/admin/v1/businesses/"+bid+"/numbers", map[string]string{"phone": d.o.Phone, "display_name": BusinessName}, nil); err != nil {
			return fmt.Errorf("add the number: %w", err)
		}
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := a.call(ctx, http.MethodPost, "/admin/v1/businesses/"+bid+"/tokens", map[string]string{"name": "busline demo"}, &tok); err != nil {
		return fmt.Errorf("create a token: %w", err)
	}
	d.g.tok = tok.Token
	return nil
}

// findAccount reads which business the token opens, and its first number.
func (d *Demo) findAccount(ctx context.Context) error {
	var dbg struct {
		Data struct {
			GranularScopes []struct {
				TargetIDs []string `json:"target_ids"`
			} `json:"granular_scopes"`
		} `json:"data"`
	}
	if err := d.g.call(ctx, http.MethodGet, "/debug_token", nil, &dbg); err != nil {
		return fmt.Errorf("debug_token: %w", err)
	}
	if len(dbg.Data.GranularScopes) == 0 || len(dbg.Data.GranularScopes[0].TargetIDs) == 0 {
		return errors.New("debug_token names no business account")
	}
	d.wabaID = dbg.Data.GranularScopes[0].TargetIDs[0]
	var nums struct {
		Data []struct {
			ID                 string `json:"id"`
			DisplayPhoneNumber string `json:"display_phone_number"`
		} `json:"data"`
	}
	if err := d.g.call(ctx, http.MethodGet, "/"+d.wabaID+"/phone_numbers", nil, &nums); err != nil {
		return fmt.Errorf("phone numbers: %w", err)
	}
	if len(nums.Data) == 0 {
		return errors.New("the business has no phone number")
	}
	d.numberID, d.phone = nums.Data[0].ID, nums.Data[0].DisplayPhoneNumber
	if !strings.HasPrefix(d.phone, "+") {
		d.phone = "+" + d.phone
	}
	return nil
}

// ensureFlow publishes the booking Flow with this run's endpoint, or
// reuses a published one that already calls it.
func (d *Demo) ensureFlow(ctx context.Context) error {
	endpoint := d.o.PublicURL + "/flow"
	var list struct {
		Data []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Status      string `json:"status"`
			EndpointURI string `json:"endpoint_uri"`
		} `json:"data"`
	}
	if err := d.g.call(ctx, http.MethodGet, "/"+d.wabaID+"/flows?fields=id,name,status,endpoint_uri&limit=100", nil, &list); err != nil {
		return fmt.Errorf("list flows: %w", err)
	}
	names := map[string]bool{}
	for _, f := range list.Data {
		names[f.Name] = true
		if f.EndpointURI == endpoint && (f.Status == "PUBLISHED" || f.Status == "THROTTLED") {
			d.flowID = f.ID
			return nil
		}
	}
	// A published Flow cannot be edited: a run on another address makes
	// a new one, and retires the old ones.
	for _, f := range list.Data {
		if f.Status == "PUBLISHED" && (f.Name == FlowName || len(f.Name) > len(FlowName) && f.Name[:len(FlowName)] == FlowName) {
			_ = d.g.call(ctx, http.MethodPost, "/"+f.ID+"/deprecate", nil, nil)
		}
	}
	name := FlowName
	for i := 2; names[name]; i++ {
		name = fmt.Sprintf("%s %d", FlowName, i)
	}
	var out struct {
		ID               string            `json:"id"`
		ValidationErrors []json.RawMessage `json:"validation_errors"`
	}
	if err := d.g.call(ctx, http.MethodPost, "/"+d.wabaID+"/flows", map[string]any{"name": name, "categories": []string{"APPOINTMENT_BOOKING"},
		"endpoint_uri": endpoint, "flow_json": string(flowJSON), "publish": true}, &out); err != nil {
		return fmt.Errorf("create the flow: %w", err)
	}
	if len(out.ValidationErrors) > 0 {
		return fmt.Errorf("the flow JSON has errors: %s", out.ValidationErrors)
	}
	d.flowID = out.ID
	return nil
}

// ensureTemplate creates the reminder template unless it exists.
func (d *Demo) ensureTemplate(ctx context.Context) error {
	var list struct {
		Data []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"data"`
	}
	if err := d.g.call(ctx, http.MethodGet, "/"+d.wabaID+"/message_templates?name="+ReminderName, nil, &list); err != nil {
		return fmt.Errorf("list templates: %w", err)
	}
	for _, t := range list.Data {
		if t.Name == ReminderName {
			return nil
		}
	}
	var out struct {
		Status string `json:"status"`
	}
	err := d.g.call(ctx, http.MethodPost, "/"+d.wabaID+"/message_templates", map[string]any{
		"name": ReminderName, "category": "UTILITY", "language": "en",
		"components": []map[string]any{
			{"type": "BODY", "text": "Hello {{1}}, your Busline bus {{2}} leaves tomorrow at {{3}}, seat {{4}}. Booking {{5}}. Please be at the stop 15 minutes early.",
				"example": map[string]any{"body_text": [][]string{{"Asha", "Bangalore → Mysore", "06:30", "12A", "BL-7K3Q9X"}}}},
			{"type": "FOOTER", "text": "Reply CANCEL to cancel"},
		}}, &out)
	if err != nil {
		return fmt.Errorf("create the reminder template: %w", err)
	}
	if out.Status != "APPROVED" {
		d.log.Warn("busline: the reminder template awaits the operator's review", "status", out.Status)
	}
	return nil
}

// ensureLink creates the click-to-chat link unless it exists.
func (d *Demo) ensureLink(ctx context.Context) error {
	type link struct {
		Code             string `json:"code"`
		URL              string `json:"url"`
		PhoneNumberID    string `json:"phone_number_id"`
		PrefilledMessage string `json:"prefilled_message"`
	}
	var list struct {
		Data []link `json:"data"`
	}
	if err := d.g.call(ctx, http.MethodGet, "/"+d.wabaID+"/ctwa_links", nil, &list); err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	for _, l := range list.Data {
		if l.PhoneNumberID == d.numberID && l.PrefilledMessage == LinkMessage {
			d.linkCode, d.linkURL = l.Code, l.URL
			return nil
		}
	}
	var l link
	if err := d.g.call(ctx, http.MethodPost, "/"+d.wabaID+"/ctwa_links", map[string]any{"phone_number_id": d.numberID, "prefilled_message": LinkMessage,
		"source": map[string]string{"source_type": "qr", "source_id": "busline-demo", "headline": "Busline: book a bus seat in a chat"}}, &l); err != nil {
		return fmt.Errorf("create the link: %w", err)
	}
	d.linkCode, d.linkURL = l.Code, l.URL
	return nil
}

// runReminders sends the day-before reminders every RemindEvery.
func (d *Demo) runReminders(ctx context.Context) {
	t := time.NewTicker(d.o.RemindEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.SendReminders(ctx, d.o.Now()); err != nil {
				d.log.Warn("busline: reminders", "err", err)
			}
		}
	}
}

// SendReminders sends the reminder template for every paid booking that
// leaves within a day of now and was not reminded, and returns how many
// it sent.
func (d *Demo) SendReminders(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for _, b := range d.st.due(now, 24*time.Hour) {
		route := fmt.Sprintf("%s → %s", mustCity(b.Trip.From), mustCity(b.Trip.To))
		params := []map[string]string{}
		for _, v := range []string{b.Passenger, route, b.Trip.Departure.Format("15:04 on Mon 2 Jan"), b.Seat, b.Ref} {
			params = append(params, map[string]string{"type": "text", "text": v})
		}
		_, err := d.g.send(ctx, d.numberID, b.WaID, map[string]any{"type": "template", "template": map[string]any{
			"name": ReminderName, "language": map[string]string{"code": "en"},
			"components": []map[string]any{{"type": "body", "parameters": params}}}})
		if err != nil {
			return n, fmt.Errorf("remind %s: %w", b.Ref, err)
		}
		_, _ = d.st.update(b.Ref, func(x *Booking) error { x.Reminded = true; return nil })
		n++
	}
	return n, nil
}

func mustCity(id string) string {
	n, _ := cityName(id)
	return n
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
