package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	adminapi "github.com/parleyhq/parley/internal/admin"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/webhook"
)

const benchBusinessUsage = `usage: parley bench business [flags]

Businesses send text (inside the service window) and utility templates to
customers through the Cloud API endpoint of an in-process server (SQLite in
a temporary directory, or -postgres), while customers' devices fetch and
acknowledge their inboxes and one webhook receiver acknowledges every POST
after checking its signature. Two phases: as fast as -concurrency senders
can go (closed loop), then paced at half that rate (open loop). Reports
accepted messages/s, messages/s delivered to customer devices, webhooks/s
delivered, and API latency percentiles.
`

// benchBusiness runs `parley bench business`.
func benchBusiness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench business", flag.ContinueOnError)
	fs.SetOutput(stderr)
	businesses := fs.Int("businesses", 20, "business accounts, one number each")
	customers := fs.Int("customers", 400, "customers; each chats with one business")
	concurrency := fs.Int("concurrency", 64, "concurrent API senders in the maximum phase")
	duration := fs.Duration("duration", 10*time.Second, "length of each phase")
	templates := fs.Float64("templates", 0.3, "share of template messages (the rest are text)")
	pgDSN := fs.String("postgres", "", "PostgreSQL DSN (an empty database) instead of SQLite")
	blockProfile := fs.String("blockprofile", "", "write a blocking profile of the maximum phase to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the maximum phase to this file")
	fs.Usage = func() { fmt.Fprint(stderr, benchBusinessUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "parley-bench-business-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	codes := &benchCodes{m: map[string]string{}}
	const adminTok = "bench-admin"
	srv, err := server.Start(ctx, server.Options{Addr: "127.0.0.1:0", DataDir: dir, PostgresDSN: *pgDSN, AdminToken: adminTok, Codes: codes,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Business:     business.Config{Throughput: 1_000_000, InboxPoll: 200 * time.Millisecond},
		Webhooks:     webhook.Options{PerBusiness: 16, Poll: 50 * time.Millisecond},
		WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	base := srv.URL()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}

	var hooks atomic.Int64
	secrets := sync.Map{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		var env struct {
			Entry []struct{ ID string } `json:"entry"`
		}
		_ = json.Unmarshal(body, &env)
		if len(env.Entry) == 1 {
			if s, ok := secrets.Load(env.Entry[0].ID); ok && !webhook.ValidSignature(s.(string), body, r.Header.Get("X-Hub-Signature-256")) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
		}
		hooks.Add(1)
	}))
	defer recv.Close()

	do := func(method, path, token string, in, out any) (int, error) {
		var rd io.Reader
		if in != nil {
			b, _ := json.Marshal(in)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
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
	type biz struct {
		id, num, numAccount int64
		token               string
	}
	fmt.Fprintf(stderr, "setting up %d businesses and %d customers\n", *businesses, *customers)
	bizs := make([]biz, *businesses)
	for i := range bizs {
		var b adminapi.Business
		var n adminapi.Number
		var t adminapi.Token
		if _, err := do("POST", "/admin/v1/businesses", adminTok, map[string]any{"name": fmt.Sprintf("Bench %d", i)}, &b); err != nil {
			return err
		}
		secrets.Store(fmt.Sprint(b.ID), b.AppSecret)
		if _, err := do("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", b.ID), adminTok, map[string]any{"phone": fmt.Sprintf("+1415560%04d", i)}, &n); err != nil {
			return err
		}
		if _, err := do("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", b.ID), adminTok, map[string]any{"callback_url": recv.URL, "verify_token": "v"}, nil); err != nil {
			return err
		}
		if _, err := do("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", b.ID), adminTok, map[string]any{"name": "bench"}, &t); err != nil {
			return err
		}
		if _, err := do("POST", fmt.Sprintf("/v23.0/%d/message_templates", b.ID), t.Secret, map[string]any{"name": "bench_notice", "category": "UTILITY",
			"language": "en", "components": []any{map[string]any{"type": "BODY", "text": "Your order {{1}} is on its way"}}}, nil); err != nil {
			return err
		}
		bizs[i] = biz{b.ID, n.ID, n.AccountID, t.Secret}
	}
	type cust struct {
		c     *client.Client
		phone string
		biz   int
	}
	custs := make([]cust, *customers)
	var setupErr error
	var setupMu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range custs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			phone := fmt.Sprintf("+1415570%04d", i)
			c := client.New(base, client.WithHTTPClient(hc))
			err := c.RequestCode(ctx, phone)
			if err == nil {
				_, err = c.Verify(ctx, phone, codes.get(phone), "bench", nil)
			}
			var chat chat.ChatView
			if err == nil {
				chat, err = c.OpenDirect(ctx, bizs[i%len(bizs)].numAccount)
			}
			if err == nil {
				_, err = c.SendText(ctx, chat.ID, "hi") // opens the service window
			}
			if err != nil {
				setupMu.Lock()
				setupErr = err
				setupMu.Unlock()
			}
			custs[i] = cust{c, phone, i % len(bizs)}
		}()
	}
	wg.Wait()
	if setupErr != nil {
		return fmt.Errorf("set up customers: %w", setupErr)
	}
	// Wait until every business has seen its customers' first messages.
	time.Sleep(2 * time.Second)

	// Customers hold a WebSocket each, as apps do, and acknowledge what
	// they receive every 100 ms.
	var delivered atomic.Int64
	cctx, stopCustomers := context.WithCancel(ctx)
	var cwg sync.WaitGroup
	for _, cu := range custs {
		conn, err := cu.c.Connect(cctx, 0)
		if err != nil {
			stopCustomers()
			return fmt.Errorf("connect customer: %w", err)
		}
		var mu sync.Mutex
		var pending []int64
		cwg.Add(2)
		go func() {
			defer cwg.Done()
			defer conn.Close()
			for {
				ev, err := conn.Next(cctx)
				if err != nil {
					return
				}
				if ev.Type == chat.EventEntry && ev.Entry != nil {
					if ev.Entry.Type == chat.EntryMessage {
						delivered.Add(1)
					}
					mu.Lock()
					pending = append(pending, ev.Entry.ID)
					mu.Unlock()
				}
			}
		}()
		go func() {
			defer cwg.Done()
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

	sendOne := func(r *rand.Rand) (time.Duration, error) {
		cu := custs[r.IntN(len(custs))]
		b := bizs[cu.biz]
		msg := map[string]any{"messaging_product": "whatsapp", "to": cu.phone, "type": "text", "text": map[string]any{"body": "Your order is ready for pickup"}}
		if r.Float64() < *templates {
			msg = map[string]any{"messaging_product": "whatsapp", "to": cu.phone, "type": "template", "template": map[string]any{"name": "bench_notice",
				"language": map[string]any{"code": "en"}, "components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "#42"}}}}}}
		}
		start := time.Now()
		_, err := do("POST", fmt.Sprintf("/v23.0/%d/messages", b.num), b.token, msg, nil)
		return time.Since(start), err
	}
	type phase struct {
		Name            string  `json:"name"`
		Accepted        int64   `json:"accepted"`
		Errors          int64   `json:"errors"`
		AcceptedPerSec  float64 `json:"accepted_per_s"`
		DeliveredPerSec float64 `json:"delivered_per_s"`
		WebhooksPerSec  float64 `json:"webhooks_per_s"`
		P50, P99, Max   string
		CPUPerMsg       time.Duration `json:"cpu_per_msg"` // the process's CPU (server and load generator) per accepted message
	}
	run := func(name string, rate float64) phase {
		var lat []time.Duration
		var mu sync.Mutex
		var accepted, errs atomic.Int64
		d0, h0 := delivered.Load(), hooks.Load()
		cpu0 := processCPU(os.Getpid())
		pctx, cancel := context.WithTimeout(ctx, *duration)
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
		var swg sync.WaitGroup
		if rate <= 0 {
			for w := range *concurrency {
				swg.Add(1)
				go func() {
					defer swg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 1))
					for pctx.Err() == nil {
						record(sendOne(r))
					}
				}()
			}
		} else {
			tick := time.Duration(float64(time.Second) / rate)
			r := rand.New(rand.NewPCG(7, 7))
			var rmu sync.Mutex
			for next := time.Now(); pctx.Err() == nil; next = next.Add(tick) {
				time.Sleep(time.Until(next))
				swg.Add(1)
				go func() {
					defer swg.Done()
					rmu.Lock()
					rr := rand.New(rand.NewPCG(r.Uint64(), 1))
					rmu.Unlock()
					record(sendOne(rr))
				}()
			}
		}
		swg.Wait()
		el := time.Since(start).Seconds()
		var perMsg time.Duration
		if n := accepted.Load(); n > 0 {
			perMsg = (processCPU(os.Getpid()) - cpu0) / time.Duration(n)
		}
		slices.Sort(lat)
		q := func(p float64) string {
			if len(lat) == 0 {
				return "-"
			}
			return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(100 * time.Microsecond).String()
		}
		return phase{Name: name, Accepted: accepted.Load(), Errors: errs.Load(), AcceptedPerSec: float64(accepted.Load()) / el,
			DeliveredPerSec: float64(delivered.Load()-d0) / el, WebhooksPerSec: float64(hooks.Load()-h0) / el,
			P50: q(0.50), P99: q(0.99), Max: q(1), CPUPerMsg: perMsg}
	}
	fmt.Fprintf(stderr, "maximum phase: %d senders for %s\n", *concurrency, *duration)
	if *blockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
	}
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	maxP := run("maximum", 0)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *blockProfile != "" {
		if f, err := os.Create(*blockProfile); err == nil {
			_ = pprof.Lookup("block").WriteTo(f, 0)
			f.Close()
		}
		runtime.SetBlockProfileRate(0)
	}
	fmt.Fprintf(stderr, "paced phase: %.0f messages/s for %s\n", maxP.AcceptedPerSec/2, *duration)
	paced := run("paced (half)", maxP.AcceptedPerSec/2)
	stopCustomers()
	cwg.Wait()
	store := "sqlite"
	if *pgDSN != "" {
		store = "postgres"
	}
	fmt.Fprintf(stdout, "parley bench business: %d businesses, %d customers, %.0f%% templates, store %s\n", *businesses, *customers, *templates*100, store)
	fmt.Fprintf(stdout, "%-14s %10s %8s %12s %12s %12s %9s %9s %9s %9s\n", "phase", "accepted", "errors", "accepted/s", "delivered/s", "webhooks/s", "p50", "p99", "max", "cpu/msg")
	for _, p := range []phase{maxP, paced} {
		fmt.Fprintf(stdout, "%-14s %10d %8d %12.0f %12.0f %12.0f %9s %9s %9s %9s\n", p.Name, p.Accepted, p.Errors, p.AcceptedPerSec, p.DeliveredPerSec, p.WebhooksPerSec, p.P50, p.P99, p.Max,
			p.CPUPerMsg.Round(time.Microsecond))
	}
	fmt.Fprintf(stdout, "cpu/msg is this process's CPU time (server, customers' devices, webhook receiver and senders) per accepted message:\n"+
		"%d cores at that cost allow about %.0f messages/s\n", runtime.NumCPU(), float64(runtime.NumCPU())*float64(time.Second)/float64(max(maxP.CPUPerMsg, 1)))
	return nil
}

// benchCodes captures one-time codes for the bench's customers.
type benchCodes struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *benchCodes) SendCode(_ context.Context, phone, code string) error {
	c.mu.Lock()
	c.m[phone] = code
	c.mu.Unlock()
	return nil
}

func (c *benchCodes) get(phone string) string {
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
