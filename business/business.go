package business

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Business is a business account (Meta's WABA): a profile, the app secret
// that signs its webhooks, and its webhook subscription. Its numbers are
// BusinessNumbers.
type Business struct {
	ID          int64
	Name        string
	Category    string
	Description string
	Address     string
	Website     string
	Verified    bool // the badge, granted by the operator
	AppSecret   string
	CallbackURL string // verified with the GET handshake before it is set
	VerifyToken string
	// PricingModel is PMP (per message, the default) or CBP (per
	// conversation); it decides the ledger entries and the pricing object.
	PricingModel string
	CreatedAt    time.Time
}

// Quality ratings and number statuses, as Meta names them.
const (
	QualityGreen  = "GREEN"
	QualityYellow = "YELLOW"
	QualityRed    = "RED"

	NumberConnected = "CONNECTED"
	NumberFlagged   = "FLAGGED"
	NumberPaused    = "PAUSED" // by quality: sends are refused with 368
)

// Tiers are the messaging limits: distinct customers a business portfolio
// (all its numbers) may reach outside the service window in a rolling
// 24 h. 0 means unlimited.
var Tiers = []int{250, 1000, 10000, 100000, 0}

// BusinessNumber is a business phone number: a Parley account flagged as
// business, with one server-held "cloud device" through which the Cloud
// API sends and receives. ID is the phone-number-id.
type BusinessNumber struct {
	ID          int64
	BusinessID  int64
	AccountID   int64
	DeviceID    int64 // the cloud device
	Phone       string
	DisplayName string
	Throughput  int // messages per second; 0: BusinessConfig.Throughput
	TierLimit   int // the portfolio's messaging limit, the same on each of its numbers (see portfolioTier): one of Tiers; 0 unlimited
	Quality     string
	Status      string
	CreatedAt   time.Time
}

// WaID is a phone number as the Cloud API writes it: E.164 digits without +.
func WaID(phone string) string { return strings.TrimPrefix(phone, "+") }

// BusinessToken is a system access token of one business. Only the hash
// of its secret is stored.
type BusinessToken struct {
	ID         int64
	BusinessID int64
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: live
}

// Config is business messaging's behaviour. Zero fields take the
// defaults beside them.
type Config struct {
	// HostedBy names who runs the numbers' cloud devices, which hold their
	// end-to-end keys (the business's hosting provider): the person's app
	// says messages to a business are handled by it. Default "the
	// operator of this Parley server".
	HostedBy         string
	Throughput       int           // messages/s per number; default 80
	ServiceWindow    time.Duration // default 24h
	EntryPointWindow time.Duration // free entry point; default 72h
	EntryPointReply  time.Duration // the business must reply within; default 24h
	MarketingCap     int           // marketing templates per recipient per 24 h, all businesses; default 2
	DefaultTier      int           // messaging limit of a new number; default 1000 (250 when not verified)
	TokenTTL         time.Duration // default lifetime of a system token; 0: 60 days
	QualityYellow    int           // blocks+reports in 7 days that make a number YELLOW; default 5
	QualityRed       int           // ... RED and PAUSED; default 20
	// TemplatePolicy is "auto" (the rules decide APPROVED or REJECTED) or
	// "manual" (rules may reject; the rest waits PENDING for an operator).
	TemplatePolicy   string
	PromotionalWords []string       // flagged in UTILITY and AUTHENTICATION templates; default promotionalWords
	InboxPoll        time.Duration  // how often cloud inboxes are polled without a bus wake-up; default 1s
	Billing          billing.Config // rate cards, wallets, invoices (docs/BILLING.md)
	Commerce         CommerceConfig // the operator's fee on payments in the chat (docs/COMMERCE.md)
	// RecordTTL is how long message records are kept (receipts of older
	// messages cannot come: their envelopes expired); default the
	// service's Retention + 7 days. WebhookLogTTL keeps delivered and
	// failed webhooks in the delivery log; default 30 days. PruneEvery is
	// how often both are pruned, with reach rows (after 48 h) and quality
	// signals (after 30 days); default 1 h.
	RecordTTL     time.Duration
	WebhookLogTTL time.Duration
	PruneEvery    time.Duration
	// TemplatePauseSignals blocks and reports in 7 days, by customers whose
	// last template from the number was this one, pause it (default 3)
	// for TemplatePause (default 3 h), twice as long the second time; the
	// third pause disables it.
	TemplatePauseSignals int
	TemplatePause        time.Duration
	// NodeHeartbeat is how often a node tells the others on the bus that it
	// is alive, for the deployment-wide throughput limit
	// (business_cluster.go); default 1 s.
	NodeHeartbeat time.Duration
	// TemplateRecategorize approves a UTILITY template with promotional
	// wording as MARKETING (a template_category_update webhook) instead
	// of rejecting it, as Meta does since April 2025 (template.go,
	// review); default off.
	TemplateRecategorize bool
	// FlowLocalEndpoints accepts Flow endpoint URIs in plain http on a
	// loopback host (development and tests); Meta requires https.
	FlowLocalEndpoints bool
	// FlowProbeEvery is how often the endpoints of Flows that health
	// throttled or blocked on this node are pinged (flows_health.go);
	// default 1 min.
	FlowProbeEvery time.Duration
}

// WithDefaults returns c with every zero field set to its default (the
// one place those defaults are written; flag help prints them).
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Throughput == 0 {
		c.Throughput = 80
	}
	if c.NodeHeartbeat == 0 {
		c.NodeHeartbeat = time.Second
	}
	if c.ServiceWindow == 0 {
		c.ServiceWindow = 24 * time.Hour
	}
	if c.EntryPointWindow == 0 {
		c.EntryPointWindow = 72 * time.Hour
	}
	if c.EntryPointReply == 0 {
		c.EntryPointReply = 24 * time.Hour
	}
	if c.MarketingCap == 0 {
		c.MarketingCap = 2
	}
	if c.DefaultTier == 0 {
		c.DefaultTier = 1000
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 60 * 24 * time.Hour
	}
	if c.QualityYellow == 0 {
		c.QualityYellow = 5
	}
	if c.QualityRed == 0 {
		c.QualityRed = 20
	}
	if c.TemplatePolicy == "" {
		c.TemplatePolicy = "auto"
	}
	if c.PromotionalWords == nil {
		c.PromotionalWords = promotionalWords
	}
	if c.InboxPoll == 0 {
		c.InboxPoll = time.Second
	}
	if c.WebhookLogTTL == 0 {
		c.WebhookLogTTL = 30 * 24 * time.Hour
	}
	if c.PruneEvery == 0 {
		c.PruneEvery = time.Hour
	}
	if c.FlowProbeEvery == 0 {
		c.FlowProbeEvery = time.Minute
	}
	if c.HostedBy == "" {
		c.HostedBy = "the operator of this Parley server"
	}
	if c.TemplatePauseSignals == 0 {
		c.TemplatePauseSignals = 3
	}
	if c.TemplatePause == 0 {
		c.TemplatePause = 3 * time.Hour
	}
}

// Service applies the rules of business messaging on top of the chat
// core: accounts and tokens, the Cloud API send path, the service
// window, limits, the inbound webhook pipeline, the outbox and the
// ledger. Templates, catalogs and click-to-chat links are services of
// their own (Templates, Catalogs, Links), built in New and returned by
// its accessors. It is safe for concurrent use.
type Service struct {
	svc *chat.Service
	st  Store
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	buckets map[int64]*bucket // per number; see throughput
	cloud   map[int64]int64   // cloud device id → number id, for bus wake-ups

	wake     chan int64 // number ids whose inbox has news
	enqueued func()     // called after webhooks were enqueued
	writes   chan *bizWrite
	bill     *billing.Biller
	payments money.PaymentProvider
	bus      chat.Bus
	peers    *peers // the deployment's live nodes, which share each number's throughput

	templates *Templates
	catalogs  *Catalogs
	flows     *Flows
	links     *Links

	onAdChat func(ctx context.Context, clickID string) // Deps.OnAdChat

	hookSettings hookSettingsCache // webhook_settings.go
	userIDs      userIDMemory      // bsuid.go
	keys         *cloudKeys        // cloudkeys.go
	hookSeal     *payloadSealer    // webhook_seal.go
}

// New returns the business context's service over the chat core svc. onEnqueue, if set,
// is called whenever webhooks were added to the outbox (to wake the
// dispatcher on this node).
func New(svc *chat.Service, cfg Config, d Deps) *Service {
	cfg.setDefaults()
	if cfg.RecordTTL == 0 {
		cfg.RecordTTL = svc.Config().Retention + 7*24*time.Hour
	}
	onEnqueue := d.OnEnqueue
	if onEnqueue == nil {
		onEnqueue = func() {}
	}
	if d.Payments == nil {
		d.Payments = money.NoPayments{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Ads == nil {
		d.Ads = parley.AdsAllowed{}
	}
	b := &Service{svc: svc, st: d.Store, cfg: cfg, log: d.Logger, now: d.Now, bus: d.Bus, payments: d.Payments,
		buckets: map[int64]*bucket{}, cloud: map[int64]int64{}, wake: make(chan int64, 1024), enqueued: onEnqueue,
		writes: make(chan *bizWrite, 4096)}
	b.bill = b.newBiller(cfg.Billing)
	b.peers = newPeers(cfg.NodeHeartbeat)
	b.templates = &Templates{st: d.Store, cfg: cfg, now: d.Now, enqueue: b.enqueue}
	b.catalogs = &Catalogs{st: d.Store, now: d.Now}
	b.flows = &Flows{st: d.Store, now: d.Now, enqueue: b.enqueue, localEndpoints: cfg.FlowLocalEndpoints, call: d.FlowCaller}
	b.templates.flows = b.flows
	b.links = &Links{st: d.Store, ads: d.Ads, now: d.Now}
	b.onAdChat = d.OnAdChat
	b.keys = newCloudKeys(d.Store, svc, d.Secret, d.Logger)
	b.hookSeal = newPayloadSealer(d.Secret)
	return b
}

// Deps are what the business context needs besides the chat core.
type Deps struct {
	Store     Store
	OnEnqueue func()                // called when webhooks were added to the outbox (wakes this node's dispatcher)
	Payments  money.PaymentProvider // wallet top-ups; default none
	Ads       parley.AdsPolicy      // default: ads allowed
	Bus       chat.Bus              // wake-ups and node heartbeats
	Logger    *slog.Logger
	Now       func() time.Time // default time.Now
	// OnAdChat, when set, is told the click id of a customer's first
	// message that came from an ad click (the ads context counts a chat
	// started; docs/ADS.md).
	OnAdChat func(ctx context.Context, clickID string)
	// Secret is the server's secret; the cloud devices' end-to-end state
	// is sealed at rest under a key derived from it (cloudkeys.go).
	Secret []byte
	// FlowCaller calls businesses' Flow endpoints (internal/flowendpoint);
	// without it a person's Flow exchange answers invalid_argument.
	FlowCaller FlowCaller
}

// MayLink refuses to link a device to a business number: its only device
// is the server-held cloud device. It is the chat core's LinkCheck.
func (b *Service) MayLink(ctx context.Context, accountID int64) error {
	if _, err := b.st.NumberByAccount(ctx, accountID); err == nil {
		return parley.Errorf(parley.EForbidden, "this number is a business number on the Cloud API; it cannot be linked to an app")
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return fmt.Errorf("number by account: %w", err)
	}
	return nil
}

// Config returns the effective configuration.
func (b *Service) Config() Config { return b.cfg }

// Service returns the core service.
func (b *Service) Service() *chat.Service { return b.svc }

// Templates returns the template service (template.go).
func (b *Service) Templates() *Templates { return b.templates }

// Catalogs returns the catalog service (catalog.go).
func (b *Service) Catalogs() *Catalogs { return b.catalogs }

// Flows returns the WhatsApp Flows service (flows.go).
func (b *Service) Flows() *Flows { return b.flows }

// Links returns the click-to-chat service (clicktochat.go).
func (b *Service) Links() *Links { return b.links }

func randomString(prefix string, n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// BusinessProfile is the editable profile of a business.
type BusinessProfile struct {
	Name         *string `json:"name,omitempty"`
	Category     *string `json:"category,omitempty"`
	Description  *string `json:"description,omitempty"`
	Address      *string `json:"address,omitempty"`
	Website      *string `json:"website,omitempty"`
	Verified     *bool   `json:"verified,omitempty"`
	PricingModel *string `json:"pricing_model,omitempty"`
}

func (p BusinessProfile) apply(b *Business) error {
	set := func(dst *string, v *string, field string, max int) error {
		if v == nil {
			return nil
		}
		form := parley.Line
		if field == "description" || field == "address" {
			form = parley.Lines
		}
		if err := parley.CheckText(field, *v, form); err != nil {
			return err
		}
		if utf8.RuneCountInString(*v) > max {
			return &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("%s is longer than %d characters", field, max), Details: map[string]any{"field": field}}
		}
		*dst = strings.TrimSpace(*v)
		return nil
	}
	for _, f := range []struct {
		dst *string
		v   *string
		n   string
		max int
	}{{&b.Name, p.Name, "name", 128}, {&b.Category, p.Category, "category", 64}, {&b.Description, p.Description, "description", 512},
		{&b.Address, p.Address, "address", 256}, {&b.Website, p.Website, "website", 256}} {
		if err := set(f.dst, f.v, f.n, f.max); err != nil {
			return err
		}
	}
	if p.Verified != nil {
		b.Verified = *p.Verified
	}
	if p.PricingModel != nil {
		if *p.PricingModel != "PMP" && *p.PricingModel != "CBP" {
			return &parley.Error{Code: parley.EInvalid, Message: "pricing_model must be PMP or CBP", Details: map[string]any{"field": "pricing_model"}}
		}
		b.PricingModel = *p.PricingModel
	}
	if b.Name == "" {
		return &parley.Error{Code: parley.EInvalid, Message: "a business needs a name", Details: map[string]any{"field": "name"}}
	}
	return nil
}

// CreateBusiness creates a business account with a fresh app secret.
// EInvalid for a bad profile.
func (b *Service) CreateBusiness(ctx context.Context, p BusinessProfile) (Business, error) {
	biz := Business{AppSecret: randomHex(32), PricingModel: "PMP", CreatedAt: b.now()}
	if err := p.apply(&biz); err != nil {
		return Business{}, err
	}
	if err := b.st.CreateBusiness(ctx, &biz); err != nil {
		return Business{}, fmt.Errorf("create business: %w", err)
	}
	return biz, nil
}

// GetBusiness returns a business, or ENotFound.
func (b *Service) GetBusiness(ctx context.Context, id int64) (Business, error) {
	biz, err := b.st.GetBusiness(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Business{}, &parley.Error{Code: parley.ENotFound, Message: "no such business", Details: map[string]any{"business_id": id}}
	}
	return biz, err
}

// ListBusinesses returns every business.
func (b *Service) ListBusinesses(ctx context.Context) ([]Business, error) {
	return b.st.ListBusinesses(ctx)
}

// UpdateBusiness changes a business's profile (the operator grants the
// verified badge this way).
func (b *Service) UpdateBusiness(ctx context.Context, id int64, p BusinessProfile) (Business, error) {
	biz, err := b.GetBusiness(ctx, id)
	if err != nil {
		return Business{}, err
	}
	if err := p.apply(&biz); err != nil {
		return Business{}, err
	}
	if err := b.st.UpdateBusiness(ctx, biz); err != nil {
		return Business{}, fmt.Errorf("update business: %w", err)
	}
	return biz, nil
}

// RotateAppSecret gives the business a new app secret.
func (b *Service) RotateAppSecret(ctx context.Context, id int64) (Business, error) {
	biz, err := b.GetBusiness(ctx, id)
	if err != nil {
		return Business{}, err
	}
	biz.AppSecret = randomHex(32)
	return biz, b.st.UpdateBusiness(ctx, biz)
}

// verificationFailed is what a caller is told of any failed webhook
// verification, whatever the reason.
const verificationFailed = "the callback URL did not pass verification: it must be reachable, " +
	"answer GET with 200 and echo hub.challenge when hub.verify_token matches"

// SetWebhook sets the callback URL and verify token. verify performs the
// GET handshake (hub.mode, hub.verify_token, hub.challenge) and must
// succeed before the URL is stored (EInvalid, with one message whatever
// the reason, which is logged); an empty URL unsubscribes.
func (b *Service) SetWebhook(ctx context.Context, id int64, url, verifyToken string, verify func(ctx context.Context, url, verifyToken, challenge string) error) (Business, error) {
	biz, err := b.GetBusiness(ctx, id)
	if err != nil {
		return Business{}, err
	}
	if url != "" {
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return Business{}, &parley.Error{Code: parley.EInvalid, Message: "callback_url must be an http(s) URL", Details: map[string]any{"field": "callback_url"}}
		}
		if err := verify(ctx, url, verifyToken, randomHex(8)); err != nil {
			// The reason stays in the log: the caller learns only that the
			// handshake failed. Repeating it (connection refused, timed
			// out, not a public address, the status an endpoint answered)
			// would let a business scan the addresses webhooks may reach
			// (docs/SECURITY.md, "Operator surface and TLS").
			b.log.InfoContext(ctx, "webhook verification failed", "business", id, "callback_url", url, "err", err)
			return Business{}, &parley.Error{Code: parley.EInvalid, Message: verificationFailed,
				Details: map[string]any{"field": "callback_url"}}
		}
	}
	biz.CallbackURL, biz.VerifyToken = url, verifyToken
	if err := b.st.UpdateBusiness(ctx, biz); err != nil {
		return Business{}, fmt.Errorf("update business: %w", err)
	}
	return biz, nil
}

// AddNumber registers phone as a business number of the business: it
// creates the Parley account of that number, flagged as business through
// the number row, and its one cloud device. EConflict if the phone
// number already has a Parley account.
func (b *Service) AddNumber(ctx context.Context, businessID int64, phone, displayName string) (BusinessNumber, error) {
	biz, err := b.GetBusiness(ctx, businessID)
	if err != nil {
		return BusinessNumber{}, err
	}
	phone, err = chat.NormalizePhone(phone)
	if err != nil {
		return BusinessNumber{}, err
	}
	if displayName == "" {
		displayName = biz.Name
	}
	now := b.now()
	acct := chat.Account{Phone: phone, DisplayName: displayName, About: biz.Description, LastSeenVisibility: chat.VisibleNobody,
		AvatarVisibility: chat.VisibleEveryone, ReadReceipts: true, CreatedAt: now}
	if err := b.st.CreateAccount(ctx, &acct); parley.ErrorCode(err) == parley.EConflict {
		return BusinessNumber{}, &parley.Error{Code: parley.EConflict, Message: "this phone number already has an account", Details: map[string]any{"phone": phone}}
	} else if err != nil {
		return BusinessNumber{}, fmt.Errorf("create account: %w", err)
	}
	// The cloud device's token is random and never shown: only the server
	// acts as this device.
	dev := chat.Device{AccountID: acct.ID, Name: "cloud-api", CreatedAt: now, LastActiveAt: now}
	err = b.st.CreateDevice(ctx, &dev, chat.TokenHash(randomString("cloud_", 32)), 1)
	b.svc.DevicesChanged(acct.ID) // the send path's caches, on every node
	if err != nil {
		return BusinessNumber{}, fmt.Errorf("create cloud device: %w", err)
	}
	// A new number shares its portfolio's messaging limit.
	ns, err := b.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return BusinessNumber{}, fmt.Errorf("list numbers: %w", err)
	}
	tier := newNumberTier(b.cfg.DefaultTier, biz.Verified, ns)
	n := BusinessNumber{BusinessID: biz.ID, AccountID: acct.ID, DeviceID: dev.ID, Phone: phone, DisplayName: displayName,
		TierLimit: tier, Quality: QualityGreen, Status: NumberConnected, CreatedAt: now}
	if err := b.st.CreateNumber(ctx, &n); err != nil {
		return BusinessNumber{}, fmt.Errorf("create number: %w", err)
	}
	b.mu.Lock()
	b.cloud[n.DeviceID] = n.ID
	b.mu.Unlock()
	// Customers encrypt to the number from its first message: publish its
	// keys now. A failure is not the number's; the inbox poll tries again.
	if err := b.keys.ensure(ctx, n); err != nil {
		b.log.Error("publish cloud device keys", "number", n.ID, "err", err)
	}
	return n, nil
}

// Number returns a business number, or ENotFound.
func (b *Service) Number(ctx context.Context, id int64) (BusinessNumber, error) {
	n, err := b.st.GetNumber(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return BusinessNumber{}, &parley.Error{Code: parley.ENotFound, Message: "no such phone number", Details: map[string]any{"phone_number_id": id}}
	}
	return n, err
}

// Numbers returns a business's numbers.
func (b *Service) Numbers(ctx context.Context, businessID int64) ([]BusinessNumber, error) {
	return b.st.ListNumbers(ctx, businessID)
}

// NumberSettings are the operator's settings of a number.
type NumberSettings struct {
	DisplayName *string `json:"display_name,omitempty"`
	Throughput  *int    `json:"throughput,omitempty"`
	TierLimit   *int    `json:"tier_limit,omitempty"`
	Quality     *string `json:"quality,omitempty"`
	Status      *string `json:"status,omitempty"`
}

// UpdateNumber applies the operator's settings to a number.
func (b *Service) UpdateNumber(ctx context.Context, id int64, s NumberSettings) (BusinessNumber, error) {
	n, err := b.Number(ctx, id)
	if err != nil {
		return BusinessNumber{}, err
	}
	if s.DisplayName != nil {
		n.DisplayName = *s.DisplayName
	}
	if s.Throughput != nil {
		if *s.Throughput < 0 || *s.Throughput > 100000 {
			return BusinessNumber{}, &parley.Error{Code: parley.EInvalid, Message: "throughput must be 0 to 100000 messages per second", Details: map[string]any{"field": "throughput"}}
		}
		n.Throughput = *s.Throughput
	}
	if s.TierLimit != nil {
		// The operator may set any limit; Tiers are the steps quality moves along.
		if *s.TierLimit < 0 {
			return BusinessNumber{}, &parley.Error{Code: parley.EInvalid, Message: "tier_limit must be 0 (unlimited) or more", Details: map[string]any{"field": "tier_limit"}}
		}
		n.TierLimit = *s.TierLimit
		// The limit is the portfolio's: every number of the business takes it.
		ns, err := b.st.ListNumbers(ctx, n.BusinessID)
		if err != nil {
			return BusinessNumber{}, fmt.Errorf("list numbers: %w", err)
		}
		if err := b.setPortfolioTier(ctx, slices.DeleteFunc(ns, func(m BusinessNumber) bool { return m.ID == n.ID }), n.TierLimit); err != nil {
			return BusinessNumber{}, err
		}
	}
	if s.Quality != nil {
		n.Quality = *s.Quality
	}
	if s.Status != nil {
		n.Status = *s.Status
	}
	if err := b.st.UpdateNumber(ctx, n); err != nil {
		return BusinessNumber{}, fmt.Errorf("update number: %w", err)
	}
	b.mu.Lock()
	delete(b.buckets, n.ID)
	b.mu.Unlock()
	return n, nil
}

// NewToken issues a system access token for the business, valid for ttl
// (BusinessConfig.TokenTTL when 0, never when negative). The secret is
// returned once and stored only as a hash.
func (b *Service) NewToken(ctx context.Context, businessID int64, name string, ttl time.Duration) (BusinessToken, string, error) {
	if _, err := b.GetBusiness(ctx, businessID); err != nil {
		return BusinessToken{}, "", err
	}
	if ttl == 0 {
		ttl = b.cfg.TokenTTL
	}
	now := b.now()
	t := BusinessToken{BusinessID: businessID, Name: name, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	secret := randomString("EAAP", 32)
	if err := b.st.CreateBusinessToken(ctx, &t, chat.TokenHash(secret)); err != nil {
		return BusinessToken{}, "", fmt.Errorf("create token: %w", err)
	}
	return t, secret, nil
}

// Tokens lists a business's tokens.
func (b *Service) Tokens(ctx context.Context, businessID int64) ([]BusinessToken, error) {
	return b.st.ListBusinessTokens(ctx, businessID)
}

// RevokeToken revokes a token; ENotFound if it is not the business's.
func (b *Service) RevokeToken(ctx context.Context, businessID, id int64) error {
	err := b.st.RevokeBusinessToken(ctx, businessID, id, b.now())
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such token", Details: map[string]any{"token_id": id}}
	}
	return err
}

// AuthenticateBusiness returns the business that holds the token. An
// unknown or revoked token is CloudError 190 (subcode 463 when expired,
// 458 when revoked), as Meta answers.
func (b *Service) AuthenticateBusiness(ctx context.Context, token string) (Business, error) {
	if token == "" {
		return Business{}, cloudErr(190, 0, "An access token is required to request this resource.")
	}
	t, err := b.st.BusinessTokenByHash(ctx, chat.TokenHash(token))
	if parley.ErrorCode(err) == parley.ENotFound {
		return Business{}, cloudErr(190, 0, "Invalid OAuth access token - Cannot parse access token")
	} else if err != nil {
		return Business{}, fmt.Errorf("token by hash: %w", err)
	}
	if !t.RevokedAt.IsZero() {
		return Business{}, cloudErr(190, 458, "Error validating access token: The user has not authorized application.")
	}
	if !t.ExpiresAt.IsZero() && !b.now().Before(t.ExpiresAt) {
		return Business{}, cloudErr(190, 463, fmt.Sprintf("Error validating access token: Session has expired on %s.", t.ExpiresAt.UTC().Format(time.RFC1123)))
	}
	return b.st.GetBusiness(ctx, t.BusinessID)
}

// OwnNumber returns the business's number id, or CloudError 100/33 (the
// object does not exist or is not the caller's), as Meta answers.
func (b *Service) OwnNumber(ctx context.Context, biz Business, id int64) (BusinessNumber, error) {
	return ownNumber(ctx, b.st, biz, id)
}

func ownNumber(ctx context.Context, st linkStore, biz Business, id int64) (BusinessNumber, error) {
	n, err := st.GetNumber(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && n.BusinessID != biz.ID) {
		return BusinessNumber{}, cloudErr(100, 33, fmt.Sprintf("Unsupported post request. Object with ID '%d' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", id))
	}
	return n, err
}

// BusinessOf returns the business profile behind an account, or ENotFound
// when the account is not a business number.
func (b *Service) BusinessOf(ctx context.Context, accountID int64) (wire.PublicBusiness, error) {
	n, err := b.st.NumberByAccount(ctx, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return wire.PublicBusiness{}, parley.Errorf(parley.ENotFound, "this account is not a business")
	} else if err != nil {
		return wire.PublicBusiness{}, err
	}
	biz, err := b.st.GetBusiness(ctx, n.BusinessID)
	if err != nil {
		return wire.PublicBusiness{}, err
	}
	return wire.PublicBusiness{AccountID: accountID, Phone: n.Phone, Name: n.DisplayName, Category: biz.Category,
		Description: biz.Description, Address: biz.Address, Website: biz.Website, Verified: biz.Verified, HostedBy: b.cfg.HostedBy}, nil
}
