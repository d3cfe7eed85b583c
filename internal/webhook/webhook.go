// Package webhook delivers business webhooks from the durable outbox
// (parley.WebhookStore): it claims due rows, POSTs them signed with
// X-Hub-Signature-256 and X-Hub-Signature (SHA-1) to each business's
// callback URL, and records every attempt. Failures are retried with exponential backoff and full jitter
// until MaxAge (7 days by default). Each business has its own concurrency
// limit and every attempt has a timeout, so a slow or dead endpoint only
// delays its own business's webhooks. Order is kept per conversation
// while the endpoint accepts: the store hands out a webhook only once the
// older ones of its conversation were delivered or have failed an attempt.
// A refused webhook thus holds the later ones back for one attempt (at most
// Timeout) and is then retried on its own, for MaxAge.
//
// It also performs the GET verification handshake of a callback URL. It
// imports only the domain package.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/business"
)

// Store is what the dispatcher needs: the outbox and the businesses'
// callback URLs and secrets.
type Store interface {
	business.WebhookStore
	GetBusiness(ctx context.Context, id int64) (business.Business, error)
}

// Options configure a Dispatcher. Zero fields take the defaults beside them.
type Options struct {
	Client *http.Client // default: NewClient(Allow, 0); Timeout applies per attempt
	// Allow lists the non-public addresses webhooks may reach (the guard
	// refuses loopback, private and other special ranges otherwise).
	Allow       []netip.Prefix
	Timeout     time.Duration // one attempt; default 10s
	PerBusiness int           // concurrent deliveries per business; default 4
	Workers     int           // concurrent deliveries in all; default 256
	Batch       int           // rows claimed at once; default 256
	MaxAge      time.Duration // give up after; default 7 days
	BaseBackoff time.Duration // first retry delay; default 5s
	MaxBackoff  time.Duration // longest retry delay; default 1h
	Poll        time.Duration // how often the outbox is polled when not woken; default 1s
	Lease       time.Duration // how long a claimed row is hidden from other claimers; default 5m
	Now         func() time.Time
	Logger      *slog.Logger
	// Delivered, if set, observes each successful delivery (metrics, bench).
	Delivered func()
	// Open, if set, returns a webhook's body as posted from the stored one
	// (business.WebhookPayloadOpener: bodies are sealed at rest).
	Open func(business.Webhook) ([]byte, error)
}

func (o *Options) setDefaults() {
	if o.Client == nil {
		o.Client = NewClient(o.Allow, 0)
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.PerBusiness == 0 {
		o.PerBusiness = 4
	}
	if o.Workers == 0 {
		o.Workers = 256
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.MaxAge == 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = 5 * time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Lease == 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Dispatcher delivers the outbox. Run it with Run; Wake hurries it.
type Dispatcher struct {
	st   Store
	o    Options
	wake chan struct{}

	mu       sync.Mutex
	inflight map[int64]int           // business → deliveries claimed and not finished
	slots    map[int64]chan struct{} // business → PerBusiness delivery slots
	total    int

	results chan result // finished attempts, recorded in batches by the finisher

	unattempted []int64 // claimed when shutdown began and never attempted: released by Run

	cacheMu sync.Mutex
	cache   map[int64]cachedBusiness // callback URL and secret, for a second
}

type cachedBusiness struct {
	b       business.Business
	fetched time.Time
}

type result struct {
	w    business.Webhook
	a    business.WebhookAttempt
	done func()
}

// New returns a Dispatcher over st.
func New(st Store, o Options) *Dispatcher {
	o.setDefaults()
	return &Dispatcher{st: st, o: o, wake: make(chan struct{}, 1), inflight: map[int64]int{}, slots: map[int64]chan struct{}{},
		results: make(chan result, 4096), cache: map[int64]cachedBusiness{}}
}

// Wake tells the dispatcher that new webhooks may be due.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then waits for deliveries in flight
// (which are cut short and recorded as failed attempts).
func (d *Dispatcher) Run(ctx context.Context) error {
	finished := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(finished)
		d.finisher(stop)
	}()
	defer func() { close(stop); <-finished }()
	var wg sync.WaitGroup
	defer d.release(&wg)
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	for {
		n, err := d.claimOnce(ctx, &wg)
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Error("claim webhooks", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-t.C:
		}
	}
}

func (d *Dispatcher) claimOnce(ctx context.Context, wg *sync.WaitGroup) (int, error) {
	d.mu.Lock()
	free := min(d.o.Batch, d.o.Workers-d.total)
	var skip []int64
	for biz, n := range d.inflight {
		if n >= d.o.PerBusiness {
			skip = append(skip, biz)
		}
	}
	d.mu.Unlock()
	if free <= 0 {
		return 0, nil
	}
	now := d.o.Now()
	// The claim is not cut short by shutdown: a claim the database made
	// but the dispatcher never heard of would hide its rows for a lease.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.o.Timeout)
	ws, err := d.st.ClaimWebhooks(cctx, now, now.Add(d.o.Lease), free, skip)
	cancel()
	if err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		d.giveBack(ws)
		return 0, nil
	}
	// Rows of one business beyond its limit wait for a slot in their own
	// goroutine: their lease keeps them from other claimers meanwhile.
	d.mu.Lock()
	for _, w := range ws {
		d.inflight[w.BusinessID]++
		d.total++
		if d.slots[w.BusinessID] == nil {
			d.slots[w.BusinessID] = make(chan struct{}, d.o.PerBusiness)
		}
	}
	d.mu.Unlock()
	for _, w := range ws {
		d.mu.Lock()
		slot := d.slots[w.BusinessID]
		d.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slot <- struct{}{}:
				d.deliver(ctx, w)
				<-slot
			case <-ctx.Done():
				d.giveBack([]business.Webhook{w})
			}
			d.mu.Lock()
			if d.inflight[w.BusinessID]--; d.inflight[w.BusinessID] <= 0 {
				delete(d.inflight, w.BusinessID)
			}
			d.total--
			d.mu.Unlock()
			d.Wake()
		}()
	}
	return len(ws), nil
}

// giveBack notes claimed webhooks that shutdown kept from being attempted.
func (d *Dispatcher) giveBack(ws []business.Webhook) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range ws {
		d.unattempted = append(d.unattempted, w.ID)
	}
}

// release waits for the deliveries in flight, then makes the webhooks that
// were claimed but never attempted due again at once, so that the next
// process delivers them without waiting out their lease.
func (d *Dispatcher) release(wg *sync.WaitGroup) {
	wg.Wait()
	d.mu.Lock()
	ids := d.unattempted
	d.unattempted = nil
	d.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.o.Timeout)
	defer cancel()
	if err := d.st.ReleaseWebhooks(ctx, ids, d.o.Now()); err != nil {
		d.o.Logger.Error("release unattempted webhooks", "n", len(ids), "err", err)
	}
}

// Sign returns the X-Hub-Signature-256 value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignSHA1 returns the X-Hub-Signature value of body under secret: the
// HMAC-SHA1 that Meta still sends beside the SHA-256 one, for receivers
// written before it.
func SignSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// ValidSignature reports whether header is body's signature under secret.
func ValidSignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

func (d *Dispatcher) deliver(ctx context.Context, w business.Webhook) {
	start := d.o.Now()
	attempt := business.WebhookAttempt{WebhookID: w.ID, Attempt: w.Attempts + 1, At: start}
	code, err := d.post(ctx, w)
	attempt.StatusCode, attempt.Duration = code, time.Since(start)
	w.Attempts++
	now := d.o.Now()
	if err == nil {
		w.Status, w.DeliveredAt, w.LastError = business.WebhookDelivered, now, ""
		if d.o.Delivered != nil {
			d.o.Delivered()
		}
	} else {
		attempt.Error = err.Error()
		w.LastError = err.Error()
		if now.Sub(w.CreatedAt) >= d.o.MaxAge {
			w.Status = business.WebhookFailed
		} else {
			w.NextAttemptAt = now.Add(d.backoff(w.Attempts))
		}
	}
	// The outcome is recorded even during shutdown: the finisher drains
	// every result before Run returns.
	recorded := make(chan struct{})
	d.results <- result{w: w, a: attempt, done: func() { close(recorded) }}
	<-recorded
}

// finisher records finished attempts, many per transaction, until stop is
// closed and nothing is left.
func (d *Dispatcher) finisher(stop <-chan struct{}) {
	var batch []result
	for {
		batch = batch[:0]
		select {
		case r := <-d.results:
			batch = append(batch, r)
		case <-stop:
			select {
			case r := <-d.results:
				batch = append(batch, r)
			default:
				return
			}
		}
	gather:
		for len(batch) < 512 {
			select {
			case r := <-d.results:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		ws := make([]business.Webhook, len(batch))
		as := make([]business.WebhookAttempt, len(batch))
		for i, r := range batch {
			ws[i], as[i] = r.w, r.a
		}
		if err := d.st.FinishWebhooks(context.Background(), ws, as); err != nil {
			d.o.Logger.Error("record webhook attempts", "n", len(ws), "err", err)
		}
		for _, r := range batch {
			r.done()
		}
	}
}

// backoff is exponential with full jitter: a random delay up to
// BaseBackoff·2^(attempts-1), capped at MaxBackoff.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	ceil := d.o.BaseBackoff << min(attempts-1, 30)
	if ceil <= 0 || ceil > d.o.MaxBackoff {
		ceil = d.o.MaxBackoff
	}
	return ceil/2 + rand.N(ceil/2+1)
}

func (d *Dispatcher) post(ctx context.Context, w business.Webhook) (int, error) {
	biz, err := d.business(ctx, w.BusinessID)
	if err != nil {
		return 0, fmt.Errorf("get business: %w", err)
	}
	if biz.CallbackURL == "" {
		return 0, fmt.Errorf("the business has no callback URL")
	}
	payload := w.Payload
	if d.o.Open != nil {
		if payload, err = d.o.Open(w); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, biz.CallbackURL, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Webhooks/1.0")
	req.Header.Set("X-Hub-Signature-256", Sign(biz.AppSecret, payload))
	req.Header.Set("X-Hub-Signature", SignSHA1(biz.AppSecret, payload))
	req.Header.Set("X-Parley-Webhook-Id", fmt.Sprint(w.ID))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// business returns the business's callback URL and secret, read from
// the store at most once a second: a changed URL or rotated secret
// applies within a second.
func (d *Dispatcher) business(ctx context.Context, id int64) (business.Business, error) {
	d.cacheMu.Lock()
	c, ok := d.cache[id]
	d.cacheMu.Unlock()
	if ok && time.Since(c.fetched) < time.Second {
		return c.b, nil
	}
	b, err := d.st.GetBusiness(ctx, id)
	if err != nil {
		return business.Business{}, err
	}
	d.cacheMu.Lock()
	d.cache[id] = cachedBusiness{b: b, fetched: time.Now()}
	d.cacheMu.Unlock()
	return b, nil
}

// Verify performs the GET verification handshake on a callback URL: the
// endpoint must answer 200 with the challenge.
func Verify(ctx context.Context, client *http.Client, callbackURL, verifyToken, challenge string) error {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return fmt.Errorf("parse url: %w", err)
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", verifyToken)
	q.Set("hub.challenge", challenge)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the endpoint answered %d", resp.StatusCode)
	}
	if strings.TrimSpace(string(body)) != challenge {
		return fmt.Errorf("the endpoint did not echo hub.challenge")
	}
	return nil
}
