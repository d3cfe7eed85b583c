// Package business is the load generator behind `parley bench business`:
// businesses send text and utility templates to customers through the
// Cloud API endpoint of an in-process server, while the customers' devices
// fetch and acknowledge their inboxes over WebSockets and one webhook
// receiver acknowledges every POST after checking its signature
// (docs/PERFORMANCE.md).
//
// The server is reached as a client would reach it: the admin and Cloud
// APIs over HTTP, the customers through the public client.
package business

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

// Config is the run of `parley bench business`; its fields are the flags.
type Config struct {
	Businesses  int           // business accounts, one number each
	Customers   int           // customers; each chats with one business
	Concurrency int           // concurrent API senders in the maximum phase
	Duration    time.Duration // length of each phase
	Templates   float64       // share of template messages (the rest are text)
	Postgres    string        // PostgreSQL DSN (an empty database) instead of SQLite
	// BlockProfile and CPUProfile, when set, are files for a blocking and
	// a CPU profile of the maximum phase.
	BlockProfile, CPUProfile string
	// Log gets the progress lines and the server's errors; nil discards
	// them.
	Log io.Writer
}

// adminToken is the in-process server's admin token.
const adminToken = "bench-admin"

// Run starts a server on a temporary directory (or cfg.Postgres), sets up
// the businesses and customers, runs the maximum and the paced phase and
// writes the report to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	dir, err := os.MkdirTemp("", "parley-bench-business-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r := &run{cfg: cfg, codes: &codes{m: map[string]string{}},
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}}
	srv, err := server.Start(ctx, server.Options{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", DataDir: dir, PostgresDSN: cfg.Postgres, AdminToken: adminToken, Codes: r.codes,
		Logger:   slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelError})),
		Business: business.Config{Throughput: 1_000_000, InboxPoll: 200 * time.Millisecond},
		// Customers log in in bulk from one address.
		Config: chat.Config{CodeRequestsPerAddress: chat.Rate{Burst: -1}, VerifiesPerAddress: chat.Rate{Burst: -1},
			CodeRequestsTotal: chat.Rate{Burst: -1}, CodeBudgetPerPrefix: -1},
		Webhooks:     webhook.Options{PerBusiness: 16, Poll: 50 * time.Millisecond},
		WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	r.base, r.adminBase = srv.URL(), srv.AdminURL()
	recv := httptest.NewServer(r.webhookReceiver())
	defer recv.Close()

	fmt.Fprintf(cfg.Log, "setting up %d businesses and %d customers\n", cfg.Businesses, cfg.Customers)
	if err := r.setupBusinesses(ctx, recv.URL); err != nil {
		return err
	}
	if err := r.setupCustomers(ctx); err != nil {
		return err
	}
	// Wait until every business has seen its customers' first messages.
	time.Sleep(2 * time.Second)
	stopCustomers, err := r.connectCustomers(ctx)
	if err != nil {
		return err
	}
	maxP := r.maximumPhase(ctx)
	fmt.Fprintf(cfg.Log, "paced phase: %.0f messages/s for %s\n", maxP.AcceptedPerSec/2, cfg.Duration)
	paced := r.phase(ctx, "paced (half)", maxP.AcceptedPerSec/2)
	stopCustomers()
	writeReport(out, cfg, maxP, paced)
	return nil
}

// run is one run of the bench: the server's address and what the steps
// set up.
type run struct {
	cfg       Config
	base      string // the server's URL
	adminBase string // its operator listener's URL (/admin/v1)
	hc        *http.Client
	codes     *codes
	secrets   sync.Map     // business id → app secret, for the webhook signatures
	hooks     atomic.Int64 // webhook POSTs received
	delivered atomic.Int64 // messages received by customers' devices
	bizs      []biz
	custs     []cust
}

type biz struct {
	id, num, numAccount int64
	token               string
}

type cust struct {
	c     *client.Client
	phone string
	biz   int
}

// webhookReceiver answers the verification GET and counts POSTs, with a
// valid signature when the POST is for one business.
func (r *run) webhookReceiver() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			io.WriteString(w, req.URL.Query().Get("hub.challenge"))
			return
		}
		body, _ := io.ReadAll(req.Body)
		var env struct {
			Entry []struct{ ID string } `json:"entry"`
		}
		_ = json.Unmarshal(body, &env)
		if len(env.Entry) == 1 {
			if s, ok := r.secrets.Load(env.Entry[0].ID); ok && !webhook.ValidSignature(s.(string), body, req.Header.Get("X-Hub-Signature-256")) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
		}
		r.hooks.Add(1)
	})
}

// do makes one JSON request to the server and decodes a 2xx answer into
// out.
func (r *run) do(ctx context.Context, method, path, token string, in, out any) (int, error) {
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	base := r.base
	if strings.HasPrefix(path, "/admin/") {
		base = r.adminBase
	}
	req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// setupBusinesses creates the businesses through the admin API, each with
// a number, a webhook to hookURL, an API token and a utility template.
func (r *run) setupBusinesses(ctx context.Context, hookURL string) error {
	r.bizs = make([]biz, r.cfg.Businesses)
	for i := range r.bizs {
		var b adminapi.Business
		var n adminapi.Number
		var t adminapi.Token
		if _, err := r.do(ctx, "POST", "/admin/v1/businesses", adminToken, map[string]any{"name": fmt.Sprintf("Bench %d", i)}, &b); err != nil {
			return err
		}
		r.secrets.Store(fmt.Sprint(b.ID), b.AppSecret)
		if _, err := r.do(ctx, "POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", b.ID), adminToken, map[string]any{"phone": fmt.Sprintf("+1415560%04d", i)}, &n); err != nil {
			return err
		}
		if _, err := r.do(ctx, "PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", b.ID), adminToken, map[string]any{"callback_url": hookURL, "verify_token": "v"}, nil); err != nil {
			return err
		}
		if _, err := r.do(ctx, "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", b.ID), adminToken, map[string]any{"name": "bench"}, &t); err != nil {
			return err
		}
		if _, err := r.do(ctx, "POST", fmt.Sprintf("/v23.0/%d/message_templates", b.ID), t.Secret, map[string]any{"name": "bench_notice", "category": "UTILITY",
			"language": "en", "components": []any{map[string]any{"type": "BODY", "text": "Your order {{1}} is on its way"}}}, nil); err != nil {
			return err
		}
		r.bizs[i] = biz{b.ID, n.ID, n.AccountID, t.Secret}
	}
	return nil
}

// setupCustomers registers the customers, 32 at a time; each opens a
// chat with its business and writes first, which opens the service
// window.
func (r *run) setupCustomers(ctx context.Context) error {
	r.custs = make([]cust, r.cfg.Customers)
	var setupErr error
	var setupMu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range r.custs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			phone := fmt.Sprintf("+1415570%04d", i)
			c := client.New(r.base, client.WithHTTPClient(r.hc))
			err := c.RequestCode(ctx, phone)
			if err == nil {
				_, err = c.Verify(ctx, phone, r.codes.get(phone), "bench", nil)
			}
			var chat wire.ChatView
			if err == nil {
				chat, err = c.OpenDirect(ctx, r.bizs[i%len(r.bizs)].numAccount)
			}
			if err == nil {
				_, err = c.SendText(ctx, chat.ID, "hi") // opens the service window
			}
			if err != nil {
				setupMu.Lock()
				setupErr = err
				setupMu.Unlock()
			}
			r.custs[i] = cust{c, phone, i % len(r.bizs)}
		}()
	}
	wg.Wait()
	if setupErr != nil {
		return fmt.Errorf("set up customers: %w", setupErr)
	}
	return nil
}

// connectCustomers gives every customer a WebSocket, as apps hold, that
// counts the messages delivered and acknowledges what it receives every
// 100 ms. stop closes the sockets and waits for their goroutines.
func (r *run) connectCustomers(ctx context.Context) (stop func(), err error) {
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, cu := range r.custs {
		conn, err := cu.c.Connect(cctx, 0)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("connect customer: %w", err)
		}
		var mu sync.Mutex
		var pending []int64
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer conn.Close()
			for {
				ev, err := conn.Next(cctx)
				if err != nil {
					return
				}
				if ev.Type == wire.EventEntry && ev.Entry != nil {
					if ev.Entry.Type == chat.EntryMessage {
						r.delivered.Add(1)
					}
					mu.Lock()
					pending = append(pending, ev.Entry.ID)
					mu.Unlock()
				}
			}
		}()
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-cctx.Done():
					return
				case <-t.C:
				}
				mu.Lock()
				ids := pending
				pending = nil
				mu.Unlock()
				if len(ids) > 0 {
					_ = conn.Ack(cctx, ids...)
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }, nil
}

// sendOne sends a text or (with probability Templates) a template from a
// random customer's business to that customer, and returns the API
// latency.
func (r *run) sendOne(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
	cu := r.custs[rng.IntN(len(r.custs))]
	b := r.bizs[cu.biz]
	msg := map[string]any{"messaging_product": "whatsapp", "to": cu.phone, "type": "text", "text": map[string]any{"body": "Your order is ready for pickup"}}
	if rng.Float64() < r.cfg.Templates {
		msg = map[string]any{"messaging_product": "whatsapp", "to": cu.phone, "type": "template", "template": map[string]any{"name": "bench_notice",
			"language": map[string]any{"code": "en"}, "components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "#42"}}}}}}
	}
	start := time.Now()
	_, err := r.do(ctx, "POST", fmt.Sprintf("/v23.0/%d/messages", b.num), b.token, msg, nil)
	return time.Since(start), err
}

// phaseResult is one row of the report.
type phaseResult struct {
	Name            string  `json:"name"`
	Accepted        int64   `json:"accepted"`
	Errors          int64   `json:"errors"`
	AcceptedPerSec  float64 `json:"accepted_per_s"`
	DeliveredPerSec float64 `json:"delivered_per_s"`
	WebhooksPerSec  float64 `json:"webhooks_per_s"`
	P50, P99, Max   string
	CPUPerMsg       time.Duration `json:"cpu_per_msg"` // the process's CPU (server and load generator) per accepted message
}

// maximumPhase runs the closed-loop phase, under the profiles the Config
// asks for.
func (r *run) maximumPhase(ctx context.Context) phaseResult {
	fmt.Fprintf(r.cfg.Log, "maximum phase: %d senders for %s\n", r.cfg.Concurrency, r.cfg.Duration)
	if r.cfg.BlockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
	}
	if r.cfg.CPUProfile != "" {
		if f, err := os.Create(r.cfg.CPUProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	p := r.phase(ctx, "maximum", 0)
	if r.cfg.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if r.cfg.BlockProfile != "" {
		if f, err := os.Create(r.cfg.BlockProfile); err == nil {
			_ = pprof.Lookup("block").WriteTo(f, 0)
			f.Close()
		}
		runtime.SetBlockProfileRate(0)
	}
	return p
}

// phase sends for Duration: with Concurrency senders as fast as they go
// when rate <= 0 (closed loop), else at rate messages/s (open loop).
func (r *run) phase(ctx context.Context, name string, rate float64) phaseResult {
	var lat []time.Duration
	var mu sync.Mutex
	var accepted, errs atomic.Int64
	d0, h0 := r.delivered.Load(), r.hooks.Load()
	cpu0 := procstat.CPU(os.Getpid())
	pctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	start := time.Now()
	record := func(d time.Duration, err error) {
		if err != nil {
			errs.Add(1)
			return
		}
		accepted.Add(1)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	if rate <= 0 {
		for w := range r.cfg.Concurrency {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for pctx.Err() == nil {
					record(r.sendOne(ctx, rng))
				}
			})
		}
	} else {
		tick := time.Duration(float64(time.Second) / rate)
		seeds := rand.New(rand.NewPCG(7, 7))
		var smu sync.Mutex
		for next := time.Now(); pctx.Err() == nil; next = next.Add(tick) {
			time.Sleep(time.Until(next))
			wg.Go(func() {
				smu.Lock()
				rng := rand.New(rand.NewPCG(seeds.Uint64(), 1))
				smu.Unlock()
				record(r.sendOne(ctx, rng))
			})
		}
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	var perMsg time.Duration
	if n := accepted.Load(); n > 0 {
		perMsg = (procstat.CPU(os.Getpid()) - cpu0) / time.Duration(n)
	}
	slices.Sort(lat)
	q := func(p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(100 * time.Microsecond).String()
	}
	return phaseResult{Name: name, Accepted: accepted.Load(), Errors: errs.Load(), AcceptedPerSec: float64(accepted.Load()) / el,
		DeliveredPerSec: float64(r.delivered.Load()-d0) / el, WebhooksPerSec: float64(r.hooks.Load()-h0) / el,
		P50: q(0.50), P99: q(0.99), Max: q(1), CPUPerMsg: perMsg}
}

// writeReport writes the report of `parley bench business`.
func writeReport(w io.Writer, cfg Config, maxP, paced phaseResult) {
	store := "sqlite"
	if cfg.Postgres != "" {
		store = "postgres"
	}
	fmt.Fprintf(w, "parley bench business: %d businesses, %d customers, %.0f%% templates, store %s\n", cfg.Businesses, cfg.Customers, cfg.Templates*100, store)
	fmt.Fprintf(w, "%-14s %10s %8s %12s %12s %12s %9s %9s %9s %9s\n", "phase", "accepted", "errors", "accepted/s", "delivered/s", "webhooks/s", "p50", "p99", "max", "cpu/msg")
	for _, p := range []phaseResult{maxP, paced} {
		fmt.Fprintf(w, "%-14s %10d %8d %12.0f %12.0f %12.0f %9s %9s %9s %9s\n", p.Name, p.Accepted, p.Errors, p.AcceptedPerSec, p.DeliveredPerSec, p.WebhooksPerSec, p.P50, p.P99, p.Max,
			p.CPUPerMsg.Round(time.Microsecond))
	}
	fmt.Fprintf(w, "cpu/msg is this process's CPU time (server, customers' devices, webhook receiver and senders) per accepted message:\n"+
		"%d cores at that cost allow about %.0f messages/s\n", runtime.NumCPU(), float64(runtime.NumCPU())*float64(time.Second)/float64(max(maxP.CPUPerMsg, 1)))
}

// codes captures one-time codes for the bench's customers.
type codes struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *codes) SendCode(_ context.Context, phone, code string) error {
	c.mu.Lock()
	c.m[phone] = code
	c.mu.Unlock()
	return nil
}

// get waits up to 5 s for the code sent to phone.
func (c *codes) get(phone string) string {
	for range 500 {
		c.mu.Lock()
		code := c.m[phone]
		c.mu.Unlock()
		if code != "" {
			return code
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}
