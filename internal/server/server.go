// Package server wires Parley together: it opens the store (SQLite or
// PostgreSQL), the bus (embedded or external NATS), the blob store and the
// code sender, builds the Service, the HTTP API and the WebSocket gateway,
// and runs them until shut down on two listeners: the public one and the
// operator's (operator.go). It is the only package
// that imports the adapters; cmd/parley and the end-to-end tests use it.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/chat/push"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/clientaddr"
	"github.com/parleyhq/parley/internal/cloudapi"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/nats"
	"github.com/parleyhq/parley/internal/otp"
	"github.com/parleyhq/parley/internal/postgres"
	"github.com/parleyhq/parley/internal/sqlite"
	"github.com/parleyhq/parley/internal/stripe"
	"github.com/parleyhq/parley/internal/web"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// Options is all of the server's configuration, read once by main.
type Options struct {
	Addr string // public listen address; default ":8080"
	// AdminAddr is the operator listener's address: /metrics, the admin
	// API (/admin/v1) and the operator console (/admin/), which the public
	// listener does not serve. Default DefaultAdminAddr (loopback);
	// AdminAddrOff starts none (operator.go).
	AdminAddr string
	// TLS, when it names a certificate or ACME domains, makes the public
	// listener speak HTTPS, with HSTS (operator.go).
	TLS         TLSOptions
	DataDir     string // SQLite file, media, NATS JetStream, secret; default "./parley-data"
	PostgresDSN string // use PostgreSQL instead of SQLite
	NATS        nats.Options
	// S3, when it names an endpoint, keeps media in that bucket of an
	// S3-compatible object store instead of <DataDir>/media: the nodes of a
	// cluster share it.
	S3 blob.S3Options
	// SMSGatewayURL, when set, sends one-time codes by POSTing to it;
	// otherwise codes are written to the log (development).
	SMSGatewayURL   string
	SMSGatewayToken string
	// Secret keys one-time-code hashes. Nodes sharing a database must share
	// it. Default: read from DataDir/secret, created on first start.
	Secret []byte
	Config chat.Config
	// Channels and Revenue configure the channels and the people-side
	// revenue models (all off by default).
	Channels channel.Config
	Revenue  revenue.Config
	// Payments takes every payment: channels, premium, donations and
	// business top-ups. Default: Stripe with a Stripe key, else the sandbox.
	Payments        money.PaymentProvider
	Logger          *slog.Logger
	Codes           chat.CodeSender // overrides the sender chosen above (tests)
	ShutdownTimeout time.Duration   // default 10s
	// Now is the service's clock; default time.Now. Tests move it to reach
	// retention, disappearing timers, edit windows and code expiry.
	Now func() time.Time
	// AdminToken authenticates the operator's admin API (/admin/v1/);
	// without one the admin API refuses every request.
	AdminToken string
	// Ads configures the ads product (docs/ADS.md); off unless
	// Ads.Enabled (--ads).
	Ads ads.Config
	// Business configures business messaging (the Cloud API surface).
	Business business.Config
	// Webhooks configures webhook delivery; Now and Logger are filled in.
	Webhooks webhook.Options
	// Push configures notifications (chat/push, docs/NOTIFICATIONS.md).
	// Push services are reached through the webhook guard: WebhookAllow
	// lists the private addresses they may have.
	Push push.Options
	// WebhookAllow lists the non-public addresses (CIDR prefixes) that
	// webhooks and their verification may reach; by default only public
	// addresses are (SSRF). Tests and local development allow loopback.
	WebhookAllow []netip.Prefix
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client address that the per-address limits count; none by
	// default (docs/SECURITY.md).
	TrustedProxies []netip.Prefix
	// Stripe, with a Key, takes every payment through Stripe instead of
	// the sandbox (unless Payments is set).
	Stripe stripe.Options
	// StripeWebhookSecret verifies Stripe's callbacks to POST
	// /v1/payments/stripe/events (docs/COMMERCE.md); empty: not taken.
	StripeWebhookSecret string
	// License is the licence of a self-hosted enterprise deployment.
	License LicenseOptions
	// FanoutWorkers is gateway.Options.FanoutWorkers: the goroutines that
	// write a channel post to online followers (0: GOMAXPROCS; -1: the
	// per-session path before batched writes, for benchmarks).
	FanoutWorkers int
	// Limits are the HTTP timeouts by kind of route and the connections
	// per client address (conn.go).
	Limits Limits
	// WebSocket bounds each WebSocket session: queued bytes, write time,
	// client frame rate and size (gateway.Limits).
	WebSocket gateway.Limits
	// WebSocketTransport is gateway.Options.Transport: how WebSockets on
	// plain TCP are served; readiness (epoll) by default on Linux.
	WebSocketTransport gateway.Transport
}

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = ":8080"
	}
	if o.AdminAddr == "" {
		o.AdminAddr = DefaultAdminAddr
	}
	if o.DataDir == "" {
		o.DataDir = "parley-data"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.NATS.DataDir == "" {
		o.NATS.DataDir = o.DataDir
	}
	o.Limits.setDefaults()
}

// Store is the store with its migration step.
type Store interface {
	chat.Store
	channel.Store
	business.Store
	revenue.Store
	ads.Store
	webhook.Store
	push.Store
	Migrate(ctx context.Context) error
	SecretFingerprint(ctx context.Context, fp string) (string, error)
}

// OpenStore opens the configured database (PostgreSQL if a DSN is set,
// else SQLite under DataDir) and applies migrations.
func OpenStore(ctx context.Context, o Options) (Store, error) {
	o.setDefaults()
	var st Store
	if o.PostgresDSN != "" {
		db, err := postgres.Open(ctx, o.PostgresDSN)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		st = db
	} else {
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		db, err := sqlite.Open(ctx, filepath.Join(o.DataDir, "parley.db"))
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		st = db
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return st, nil
}

func loadSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "secret")
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return b, nil
}

// ErrSecretMismatch is returned by Start when the node's secret is not the
// one the other nodes sharing its database use.
var ErrSecretMismatch = errors.New("this node's secret differs from the secret of the nodes that share its database: " +
	"start every node with the same --secret (or PARLEY_SECRET); a single node keeps its secret in <data-dir>/secret")

// checkSecret makes nodes that share a database agree on their secret,
// which keys one-time-code hashes and signed links: a code requested on one
// node must verify on another. The database keeps a fingerprint (an HMAC of
// a fixed label under the secret), never the secret itself.
func checkSecret(ctx context.Context, st Store, secret []byte) error {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("parley node secret fingerprint v1"))
	fp := hex.EncodeToString(m.Sum(nil))
	got, err := st.SecretFingerprint(ctx, fp)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(got), []byte(fp)) {
		return ErrSecretMismatch
	}
	return nil
}

// Server is a running Parley node.
type Server struct {
	log   *slog.Logger
	store Store
	bus   *nats.Bus
	svc   *chat.Service
	// The other contexts' services.
	channels *channel.Service
	people   *revenue.Service
	gw       *gateway.Gateway
	http     *http.Server
	ln       net.Listener
	scheme   string       // of the public listener: http or https
	admin    *http.Server // the operator listener; nil when off
	adminLn  net.Listener
	timeout  time.Duration

	cancelSvc context.CancelFunc
	svcDone   chan struct{}
	serveErr  chan error
	once      sync.Once
	shutErr   error
	biz       *business.Service
	ads       *ads.Service
	chanDone  chan struct{} // the channel sweeper has stopped
}

// Start opens everything and starts serving. It returns once the listener
// is bound; Addr tells where. Stop it with Shutdown.
func Start(ctx context.Context, o Options) (_ *Server, err error) {
	o.setDefaults()
	log := o.Logger
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	st, err := OpenStore(ctx, o)
	if err != nil {
		return nil, err
	}
	closers = append(closers, st.Close)
	bus, err := nats.Open(ctx, o.NATS, log)
	if err != nil {
		return nil, fmt.Errorf("open nats: %w", err)
	}
	closers = append(closers, bus.Close)
	var blobs chat.BlobStore
	if o.S3.Endpoint != "" {
		blobs, err = blob.NewS3(ctx, o.S3, filepath.Join(o.DataDir, "media-spool"))
	} else {
		blobs, err = blob.NewDisk(filepath.Join(o.DataDir, "media"))
	}
	if err != nil {
		return nil, fmt.Errorf("open media store: %w", err)
	}
	codes := o.Codes
	if codes == nil {
		if o.SMSGatewayURL != "" {
			codes = &otp.HTTP{URL: o.SMSGatewayURL, Token: o.SMSGatewayToken, Client: &http.Client{Timeout: 10 * time.Second}}
		} else {
			codes = &otp.Log{Logger: log}
		}
	}
	cfg := o.Config
	payments := o.Payments
	if payments == nil && o.Stripe.Key != "" {
		if payments, err = stripe.New(o.Stripe); err != nil {
			return nil, err
		}
	}
	if payments == nil {
		payments = money.NewSandboxPayments() // every payment: channels, premium, donations, top-ups
	}
	if cfg.Secret = o.Secret; len(cfg.Secret) == 0 {
		if cfg.Secret, err = loadSecret(o.DataDir); err != nil {
			return nil, err
		}
	}
	if err := checkSecret(ctx, st, cfg.Secret); err != nil {
		return nil, err
	}
	rcfg := o.Revenue
	if rcfg.License == nil {
		if rcfg.License, err = loadLicense(o.License); err != nil {
			return nil, err
		}
	}
	m := newMetrics()
	// The contexts, in import order. The chat core is built first; what it
	// needs of the others it declares as small interfaces (chat.Deps). The
	// business context sits on the chat core, so its checks reach the core
	// through bizGate, set once the business service exists.
	gate := &bizGate{}
	ccfg := o.Channels
	people := revenue.New(rcfg, revenue.Deps{Store: st, Logger: log, Now: o.Now, Payments: payments,
		Free: chatLimits(cfg), ChannelCurrency: ccfg.WithDefaults().Currency})
	var svc *chat.Service
	pushes, err := push.New(ctx, o.Push, push.Deps{Store: st, Client: webhook.NewClient(o.WebhookAllow, 0), Logger: log, Now: o.Now,
		Member: func(ctx context.Context, p parley.Principal, chatID int64) error {
			_, err := svc.GetChat(ctx, p, chatID)
			return err
		}})
	if err != nil {
		return nil, err
	}
	svc = chat.NewService(cfg, chat.Deps{Store: st, Bus: bus, Codes: codes, Blobs: blobs, Logger: log, Now: o.Now,
		OnCommit: m.observeCommit, Offline: pushes.Offline, Entitlements: people, Admission: people, LinkCheck: gate, BodyCheck: gate})
	adsPolicy := revenue.Nonprofit(people.Config().Nonprofit)
	channels := channel.New(svc, ccfg, channel.Deps{Store: st, Bus: bus, Logger: log, Now: o.Now, Secret: cfg.Secret,
		Policy: adsPolicy, Payments: payments, LinkCheck: gate})
	watchLicense(ctx, log, m, people)
	logRevenue(log, people.Config())
	gw, err := gateway.New(svc, bus, gateway.Options{Logger: log, WriteError: httpapi.ErrorWriter(log),
		Connections: m.connections, Pushed: m.pushed, FanoutWorkers: o.FanoutWorkers, Channels: channels,
		Limits: o.WebSocket, Transport: o.WebSocketTransport})
	if err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	closers = append(closers, gw.Close)

	var tlsConf *tls.Config
	if o.TLS.enabled() {
		if tlsConf, err = o.TLS.config(o.DataDir); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", o.Addr, err)
	}
	closers = append(closers, ln.Close)
	var adminLn net.Listener
	if o.AdminAddr != AdminAddrOff {
		if adminLn, err = net.Listen("tcp", o.AdminAddr); err != nil {
			return nil, fmt.Errorf("listen %s (operator): %w", o.AdminAddr, err)
		}
		closers = append(closers, adminLn.Close)
	}

	// Business messaging: the webhook dispatcher and the business
	// service with its inbound pipeline.
	wo := o.Webhooks
	wo.Logger, wo.Now = log, o.Now
	wo.Open = business.WebhookPayloadOpener(cfg.Secret)
	if wo.Allow == nil {
		wo.Allow = o.WebhookAllow
	}
	disp := webhook.New(st, wo)
	adChats := &adsChat{}
	// Flow endpoints may be plain http on loopback where webhooks may
	// reach non-public addresses (local development and tests).
	o.Business.FlowLocalEndpoints = o.Business.FlowLocalEndpoints || len(o.WebhookAllow) > 0
	flowCalls := &flowCaller{}
	biz := business.New(svc, o.Business, business.Deps{Store: st, OnEnqueue: disp.Wake, Payments: payments, Ads: adsPolicy,
		Bus: bus, Logger: log, Now: o.Now, OnAdChat: adChats.started, FlowCaller: flowCalls.call, Secret: cfg.Secret})
	flowCalls.start(biz, wo.Allow, o.Now, log)
	gate.b = biz
	// The ads context imports none of the others: what it needs of them
	// crosses here (ads.go).
	adsvc, err := ads.New(o.Ads, ads.Deps{Store: st, Policy: adsPolicy, Viewers: adsViewers{st, people}, Channels: adsChannels{st},
		Links: adsLinks{st, biz.Links()}, Billing: adsBilling{st, biz}, Payments: payments, Secret: cfg.Secret, Logger: log, Now: o.Now})
	if err != nil {
		return nil, err
	}
	adChats.svc = adsvc
	verifyClient := webhook.NewClient(wo.Allow, 10*time.Second)
	verify := func(ctx context.Context, url, token, challenge string) error {
		return webhook.Verify(ctx, verifyClient, url, token, challenge)
	}
	api := httpapi.NewHandler(svc, httpapi.Options{
		StripeWebhookSecret: o.StripeWebhookSecret,
		TrustedProxies:      o.TrustedProxies,
		Now:                 o.Now,
		Channels:            channels,
		People:              people,
		Businesses:          biz,
		Ads:                 adsvc,
		Push:                pushes,
		Logger:              log,
		Gateway:             gw,
		Ready: func(r *http.Request) error {
			if err := st.Ping(r.Context()); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			if err := bus.Ping(r.Context()); err != nil {
				return fmt.Errorf("bus: %w", err)
			}
			return nil
		},
	})
	admin := adminapi.NewHandler(biz, adminapi.Options{Logger: log, Token: o.AdminToken, Verify: verify,
		Channels: channels, People: people, Ads: adsvc})
	cloud := cloudapi.NewHandler(biz, cloudapi.Options{Logger: log, Verify: verify, Channels: channels, Ads: adsvc})
	// The public listener: two HTTP surfaces, each with its one route
	// table, and the public web clients, whose paths (GET /, /business/,
	// /static/...) are exact, more specific than the API's "/". The
	// operator's surfaces (/admin/, /metrics) are on the operator listener
	// only; here /admin/... and /metrics are the API's 404.
	root := http.NewServeMux()
	root.Handle("/", api) // /v1/..., /healthz, /readyz, /transparency, /c/{code}; Parley's 404
	webClients, err := web.New()
	if err != nil {
		return nil, fmt.Errorf("load web clients: %w", err)
	}
	webClients.Register(root)
	// The Cloud API's paths start with a Graph API version (/v23.0/...),
	// which no mux pattern can express (see docs/ARCHITECTURE.md).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cloudapi.IsCloudPath(r.URL.Path) {
			cloud.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	svcCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{log: log, store: st, bus: bus, svc: svc, channels: channels, people: people, gw: gw, ln: ln, timeout: o.ShutdownTimeout,
		cancelSvc: cancel, svcDone: make(chan struct{}), serveErr: make(chan error, 2), biz: biz, ads: adsvc, scheme: "http", adminLn: adminLn}
	s.http = &http.Server{
		Handler:           routeDeadlines(o.Limits, hsts(clientaddr.NewResolver(o.TrustedProxies), clientBodies(log, m.instrument(handler)))),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: o.Limits.ReadHeaderTimeout,
		ReadTimeout:       o.Limits.ReadTimeout,
		WriteTimeout:      o.Limits.WriteTimeout,
		IdleTimeout:       o.Limits.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.svcDone)
		var wg sync.WaitGroup
		wg.Add(4)
		go func() { defer wg.Done(); _ = pushes.Run(svcCtx) }()
		go func() { defer wg.Done(); _ = adsvc.Run(svcCtx) }()
		go func() { defer wg.Done(); _ = biz.Run(svcCtx) }()
		go func() { defer wg.Done(); _ = disp.Run(svcCtx) }()
		_ = svc.Run(svcCtx)
		wg.Wait()
	}()
	s.chanDone = make(chan struct{})
	go func() {
		defer close(s.chanDone)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); _ = people.Run(svcCtx, channels.Config().SweepInterval) }()
		_ = channels.RunChannels(svcCtx)
		wg.Wait()
	}()
	if adminLn != nil {
		s.admin = &http.Server{
			Handler:           clientBodies(log, m.instrument(operatorHandler(m.handler(), admin, webClients))),
			ReadHeaderTimeout: o.Limits.ReadHeaderTimeout,
			ReadTimeout:       o.Limits.ReadTimeout,
			WriteTimeout:      o.Limits.WriteTimeout,
			IdleTimeout:       o.Limits.IdleTimeout,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() { s.serveErr <- s.admin.Serve(adminLn) }()
	}
	public := newLimitListener(ln, o.Limits)
	if tlsConf != nil {
		s.scheme = "https"
		public = tls.NewListener(public, tlsConf)
	}
	go func() { s.serveErr <- s.http.Serve(public) }()
	store := "sqlite"
	if o.PostgresDSN != "" {
		store = "postgres"
	}
	busKind := "embedded"
	if o.NATS.URL != "" {
		busKind = "external"
	}
	adminAt := AdminAddrOff
	if adminLn != nil {
		adminAt = adminLn.Addr().String()
	}
	log.Info("parley serving", "addr", ln.Addr().String(), "tls", tlsConf != nil, "admin_addr", adminAt,
		"store", store, "nats", busKind, "data_dir", o.DataDir)
	var adminAddr net.Addr
	if adminLn != nil {
		adminAddr = adminLn.Addr()
	}
	logAppURLs(log, s.scheme, ln.Addr(), adminAddr, o.AdminToken != "")
	return s, nil
}

// Addr is the bound listen address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the base URL of the public listener on loopback (https when it
// serves TLS).
func (s *Server) URL() string { return urlOf(s.ln, s.scheme) }

// AdminURL is the base URL of the operator listener on loopback, or ""
// when it is off.
func (s *Server) AdminURL() string {
	if s.adminLn == nil {
		return ""
	}
	return urlOf(s.adminLn, "http")
}

// Service returns the domain service (for benchmarks and admin commands).
func (s *Server) Service() *chat.Service { return s.svc }

// ChannelSessions returns how many of this node's WebSocket sessions are
// indexed under channel id, that is, will be pushed its posts (for
// benchmarks: parley bench channels waits for them).
func (s *Server) ChannelSessions(id int64) int { return s.gw.ChannelSessions(id) }

// Sessions returns the number of connected WebSockets (for tests).
func (s *Server) Sessions() int { return s.gw.Sessions() }

// Businesses returns the business messaging layer (for tests, benchmarks
// and admin commands).
func (s *Server) Businesses() *business.Service { return s.biz }

// Ads returns the node's ads service (tests: Refresh and Settle now).
func (s *Server) Ads() *ads.Service { return s.ads }

// Channels returns the node's channels service.
func (s *Server) Channels() *channel.Service { return s.channels }

// People returns the node's people-side revenue models.
func (s *Server) People() *revenue.Service { return s.people }

// SweepChannels runs the channels' and the revenue models' sweeps once, now: old
// posts, renewals, monthly donations and payouts (tests).
func (s *Server) SweepChannels(ctx context.Context) error {
	if err := s.channels.SweepChannels(ctx); err != nil {
		return err
	}
	return s.people.Sweep(ctx)
}

// bizGate is the chat core's LinkCheck and BodyCheck, answered by the
// business context, which is built on the core and so after it.
type bizGate struct{ b *business.Service }

func (g *bizGate) MayLink(ctx context.Context, accountID int64) error {
	return g.b.MayLink(ctx, accountID)
}

func (g *bizGate) CheckBody(ctx context.Context, p parley.Principal, chatID int64, messageID string, envs []wire.Envelope) error {
	return g.b.CheckBody(ctx, p, chatID, messageID, envs)
}

// chatLimits are the chat core's free limits, which premium raises.
func chatLimits(cfg chat.Config) revenue.FreeLimits {
	cfg = cfg.WithDefaults()
	return revenue.FreeLimits{MaxDevices: cfg.MaxDevices, MaxMedia: cfg.MaxMedia, MediaQuota: cfg.MediaQuota}
}

// Wait blocks until the server stops serving and returns why (nil after
// Shutdown).
func (s *Server) Wait() error {
	err := <-s.serveErr
	s.serveErr <- err
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops gracefully: no new connections; in-flight requests
// finish (their commits included); WebSocket clients are told to
// reconnect; then the committer, the bus and the store are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		var errs []error
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if s.admin != nil {
			if err := s.admin.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("operator http shutdown: %w", err))
			}
		}
		if err := s.gw.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
		}
		s.cancelSvc()
		<-s.svcDone
		<-s.chanDone
		errs = append(errs, s.gw.Close(), s.bus.Close(), s.store.Close())
		s.shutErr = errors.Join(errs...)
		s.log.Info("parley stopped")
	})
	return s.shutErr
}
