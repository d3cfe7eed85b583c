package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Config is the Service's behaviour, set once by main. Zero fields take the
// defaults documented beside them.
type Config struct {
	MaxDevices        int           // linked devices per account; default 5
	MaxGroupMembers   int           // default 1024
	CodeTTL           time.Duration // one-time code lifetime; default 10m
	CodeMaxAttempts   int           // wrong guesses before the code is void; default 5
	CodeResend        time.Duration // minimum gap between codes for one number; default 30s
	EditWindow        time.Duration // default 15m
	DeleteWindow      time.Duration // delete-for-everyone; default 48h
	Retention         time.Duration // undelivered envelopes; default 30 days
	MetaTTL           time.Duration // message metadata and receipts; default 7 days, at least DeleteWindow
	MaxEnvelope       int           // bytes of one envelope body; default 64 KiB
	MaxHistoryBundle  int64         // bytes of a history bundle; default 32 MiB
	MaxKeyBackup      int64         // bytes of an account's encrypted key backup; default 48 MiB (a base64 history bundle and its sessions)
	MaxMedia          int64         // bytes of one media upload; default 16 MiB
	MediaQuota        int64         // bytes of media an account has uploaded and the server still keeps; default 1 GiB, negative lifts it
	MaxCommitBatch    int           // appends per group commit; default 512
	ReadCache         int           // entries in each of the send path's read caches (tokens, chats, accounts' devices, blocks); default 65536, negative: none
	SweepInterval     time.Duration // how often expired entries are purged; default 1m
	ResumeGrace       time.Duration // entries younger than this at or below a resume cursor are replayed, not acked; default 10s
	Secret            []byte        // server secret that keys one-time-code hashes; required
	AllowedMediaTypes []string      // default: see defaultMediaTypes

	// Login and lookup limits (docs/SECURITY.md, "Login codes and rate
	// limits"). Daily ones count per UTC day in the database, so they hold
	// across nodes; a negative value lifts one.
	CodeSendsPerRequester   int // codes sent to one number for one requester a day; default 10
	CodeGuessesPerRequester int // code attempts on one number by one requester a day; default 10
	CodeGuessesPerNumber    int // code attempts on one number by everyone a day; default 40
	CodeBudgetPerPrefix     int // codes sent to one country calling code a day; default 10000
	LookupsPerAccount       int // numbers one account may look up a day; default 4096
	// Per-node token buckets, in memory, kept by internal/httpapi.
	CodeRequestsPerAddress Rate // POST /v1/auth/code per client address; default 10, then 1 a minute
	VerifiesPerAddress     Rate // POST /v1/auth/verify per client address; default 20, then 1 every 10s
	CodeRequestsTotal      Rate // POST /v1/auth/code on the node; default 200, then 20 a second
}

// DisappearingTimers are the only allowed disappearing-message timers.
var DisappearingTimers = []time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour, 90 * 24 * time.Hour}

// WithDefaults returns c with every zero field set to its default (the
// one place those defaults are written).
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	defInt := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	defInt(&c.MaxDevices, 5)
	defInt(&c.MaxGroupMembers, 1024)
	def(&c.CodeTTL, 10*time.Minute)
	defInt(&c.CodeMaxAttempts, 5)
	def(&c.CodeResend, 30*time.Second)
	def(&c.EditWindow, 15*time.Minute)
	def(&c.DeleteWindow, 48*time.Hour)
	def(&c.Retention, 30*24*time.Hour)
	def(&c.MetaTTL, 7*24*time.Hour)
	if c.MetaTTL < c.DeleteWindow {
		c.MetaTTL = c.DeleteWindow
	}
	if c.MetaTTL < c.EditWindow {
		c.MetaTTL = c.EditWindow
	}
	defInt(&c.MaxEnvelope, 64<<10)
	if c.MaxHistoryBundle == 0 {
		c.MaxHistoryBundle = 32 << 20
	}
	if c.MaxKeyBackup == 0 {
		c.MaxKeyBackup = 48 << 20
	}
	if c.MaxMedia == 0 {
		c.MaxMedia = 16 << 20
	}
	if c.MediaQuota == 0 {
		c.MediaQuota = 1 << 30
	}
	defInt(&c.MaxCommitBatch, 512)
	defInt(&c.ReadCache, 1<<16)
	def(&c.SweepInterval, time.Minute)
	def(&c.ResumeGrace, 10*time.Second)
	if len(c.AllowedMediaTypes) == 0 {
		c.AllowedMediaTypes = defaultMediaTypes
	}
	defInt(&c.CodeSendsPerRequester, 10)
	defInt(&c.CodeGuessesPerRequester, 10)
	defInt(&c.CodeGuessesPerNumber, 40)
	defInt(&c.CodeBudgetPerPrefix, 10_000)
	defInt(&c.LookupsPerAccount, 4096)
	defRate := func(p *Rate, burst int, every time.Duration) {
		if p.Burst == 0 {
			p.Burst = burst
		}
		def(&p.Every, every)
	}
	defRate(&c.CodeRequestsPerAddress, 10, time.Minute)
	defRate(&c.VerifiesPerAddress, 20, 10*time.Second)
	defRate(&c.CodeRequestsTotal, 200, time.Second/20)
}

// Deps are the Service's collaborators.
type Deps struct {
	Store  Store
	Bus    Bus
	Codes  CodeSender
	Blobs  BlobStore
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
	// OnCommit, if set, observes each group commit (for metrics).
	OnCommit func(appends int, took time.Duration)
	// Offline, if set, is told of each committed entry queued for a device
	// that no node holds (chat/push wakes it). It must not block.
	Offline func(e *Entry)

	// What other contexts decide for the chat core; the wiring supplies
	// them. Each is optional.
	Entitlements Entitlements // default: everyone has Config's limits
	Admission    Admission    // default: every new account is admitted
	LinkCheck    LinkCheck    // default: every account may link devices
	BodyCheck    BodyCheck    // default: no check
}

// Limits are what one account may use now.
type Limits struct {
	Premium    bool // shown on the profile
	MaxDevices int
	MaxMedia   int64
	MediaQuota int64 // bytes of kept uploads; negative: no quota
}

// Entitlements decides each account's limits (the revenue models'
// premium membership).
type Entitlements interface {
	// Limits returns what accountID may use now.
	Limits(ctx context.Context, accountID int64) (Limits, error)
	// PremiumLimits returns what premium membership would allow, and
	// false when it is not offered.
	PremiumLimits() (Limits, bool)
}

// Admission decides whether a new account may be created (the licence's
// seats).
type Admission interface {
	// Admit returns a release func to call once the account is created (or
	// not), or the error that refuses it (ELicenseExpired, ELicenseSeats).
	Admit(ctx context.Context) (release func(), err error)
}

// LinkCheck decides whether an account may link a device (business
// numbers may not: their one device is held by the server).
type LinkCheck interface {
	// MayLink returns nil, or the error that refuses the link (EForbidden).
	MayLink(ctx context.Context, accountID int64) error
}

// BodyCheck checks a direct message's envelopes before commit (the
// business context reads what a person sends to a business number; p is
// the sending device, which an encrypted envelope names inside).
type BodyCheck interface {
	// CheckBody returns nil, or the error that refuses the message.
	CheckBody(ctx context.Context, p parley.Principal, chatID int64, messageID string, envs []wire.Envelope) error
}

// freeLimits are the entitlements of a server without premium.
type freeLimits struct{ cfg *Config }

func (f freeLimits) Limits(context.Context, int64) (Limits, error) {
	return Limits{MaxDevices: f.cfg.MaxDevices, MaxMedia: f.cfg.MaxMedia, MediaQuota: f.cfg.MediaQuota}, nil
}

func (f freeLimits) PremiumLimits() (Limits, bool) { return Limits{}, false }

type admitAll struct{}

func (admitAll) Admit(context.Context) (func(), error) { return func() {}, nil }

type linkAll struct{}

func (linkAll) MayLink(context.Context, int64) error { return nil }

// Service applies Parley's rules: who may do what, and in what order. It is
// safe for concurrent use. Run must be running for anything that writes
// messages to complete.
type Service struct {
	store Store
	bus   Bus
	codes CodeSender
	blobs BlobStore
	// blobMu keeps the media sweep from deleting a blob that an upload is
	// about to refer to: uploads hold it shared from Put to CreateMedia,
	// the sweep exclusively while it rechecks and deletes blobs.
	blobMu       sync.RWMutex
	log          *slog.Logger
	now          func() time.Time
	onCommit     func(int, time.Duration)
	offline      func(*Entry)
	cfg          Config
	commits      chan *commitReq
	acks         chan *ackReq
	stopped      chan struct{} // closed when the committer has stopped
	entitlements Entitlements
	admission    Admission
	linkCheck    LinkCheck
	checkBody    BodyCheck // nil: no check
	profiles     *Profiles
	dir          *Directory // where devices are connected; nil without a bus
	quotas       quotas     // the daily limits
	reads        *readCaches
}

// NewService returns a Service. It starts nothing; call Run.
func NewService(cfg Config, d Deps) *Service {
	cfg.setDefaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		store: d.Store, bus: d.Bus, codes: d.Codes, blobs: d.Blobs,
		log: d.Logger, now: d.Now, onCommit: d.OnCommit, offline: d.Offline, cfg: cfg,
		commits:      make(chan *commitReq, 4096),
		acks:         make(chan *ackReq, 4096),
		stopped:      make(chan struct{}),
		entitlements: d.Entitlements, admission: d.Admission, linkCheck: d.LinkCheck, checkBody: d.BodyCheck,
	}
	if s.entitlements == nil {
		s.entitlements = freeLimits{&s.cfg}
	}
	if s.admission == nil {
		s.admission = admitAll{}
	}
	if s.linkCheck == nil {
		s.linkCheck = linkAll{}
	}
	if d.Bus != nil {
		s.dir = newDirectory(d.Bus, d.Logger)
	}
	s.quotas = quotas{store: d.Store, now: d.Now}
	s.reads = newReadCaches(d.Store, cfg.ReadCache)
	s.profiles = &Profiles{store: d.Store, entitlements: s.entitlements, media: s, quotas: s.quotas, lookups: cfg.LookupsPerAccount,
		blockChanged: s.BlockChanged}
	return s
}

// Profiles returns the profile side of the core: profiles, privacy,
// contact lookup, blocks and avatars.
func (s *Service) Profiles() *Profiles { return s.profiles }

// Config returns the effective configuration, with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Run runs the group committer and the expiry sweeper until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if s.dir != nil {
		wg.Go(func() { s.dir.run(ctx) })
	}
	if s.bus != nil && s.cfg.ReadCache > 0 {
		wg.Go(func() { s.reads.run(ctx, s.bus, s.log) })
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.sweepLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		s.ackLoop(ctx)
	}()
	s.commitLoop(ctx)
	wg.Wait()
	return nil
}

type commitReq struct {
	appends []*Append
	done    chan error
}

// commit hands appends to the group committer and waits until they are
// durably committed (or failed). Nothing is acknowledged before the commit.
func (s *Service) commit(ctx context.Context, appends ...*Append) error {
	if len(appends) == 0 {
		return nil
	}
	req := &commitReq{appends: appends, done: make(chan error, 1)}
	select {
	case s.commits <- req:
	case <-ctx.Done():
		return parley.Errorf(parley.EUnavailable, "request cancelled before commit")
	case <-s.stopped:
		return parley.Errorf(parley.EUnavailable, "server is shutting down")
	}
	select {
	case err := <-req.done:
		return err
	case <-s.stopped:
		// The committer answers every request it took before stopping.
		select {
		case err := <-req.done:
			return err
		default:
			return parley.Errorf(parley.EUnavailable, "server is shutting down")
		}
	case <-ctx.Done():
		// The commit may still happen; the client retries with the same
		// message id and gets the original result.
		return parley.Errorf(parley.EUnavailable, "request cancelled while committing")
	}
}

func (s *Service) commitLoop(ctx context.Context) {
	var batch []*commitReq
	var appends []*Append
	for {
		batch, appends = batch[:0], appends[:0]
		select {
		case <-ctx.Done():
			close(s.stopped)
			s.drainCommits()
			return
		case req := <-s.commits:
			batch = append(batch, req)
			appends = append(appends, req.appends...)
		}
	gather:
		for len(appends) < s.cfg.MaxCommitBatch {
			select {
			case req := <-s.commits:
				batch = append(batch, req)
				appends = append(appends, req.appends...)
			default:
				break gather
			}
		}
		start := s.now()
		// The commit must not be cut short by shutdown once started.
		err := s.store.Commit(context.WithoutCancel(ctx), appends)
		if s.onCommit != nil {
			s.onCommit(len(appends), time.Since(start))
		}
		if err != nil {
			s.log.Error("group commit failed", "appends", len(appends), "err", err)
			err = commitError(err)
		}
		// Publish before answering, so that a client that connects right
		// after its send rarely sees the live copy of what it replays.
		if err == nil {
			s.publishEntries(appends)
		}
		for _, req := range batch {
			req.done <- err
		}
	}
}

// drainCommits fails requests that arrive during shutdown.
func (s *Service) drainCommits() {
	for {
		select {
		case req := <-s.commits:
			req.done <- parley.Errorf(parley.EUnavailable, "server is shutting down")
		default:
			return
		}
	}
}

// DeviceSubject is the bus subject of events for one device.
func DeviceSubject(deviceID int64) string { return "parley.dev." + strconv.FormatInt(deviceID, 10) }

// AccountSubject is the bus subject of ephemeral events for all of an
// account's devices (typing, presence).
func AccountSubject(accountID int64) string {
	return "parley.acct." + strconv.FormatInt(accountID, 10)
}

// PresenceSubject is the bus subject on which an account's presence changes.
func PresenceSubject(accountID int64) string {
	return "parley.presence." + strconv.FormatInt(accountID, 10)
}

// publishEntries tells connected devices about newly committed entries. It
// is best effort: a device that misses it reads the entry from its inbox.
//
// A duplicate (a retried send the store already had) publishes the
// original's entries that are still queued: the node that committed them
// may have died before publishing them, and a device that is online would
// otherwise see them only on its next reconnect.
func (s *Service) publishEntries(appends []*Append) {
	var dups []messageKey
	var r router
	for _, a := range appends {
		if a.Err != nil {
			continue
		}
		if a.Duplicate {
			if a.Meta != nil {
				dups = append(dups, messageKey{a.ChatID, a.Meta.ID})
			}
			continue
		}
		for i := range a.Entries {
			s.route(&r, &a.Entries[i])
		}
	}
	s.flushRoutes(&r)
	if len(dups) > 0 {
		go s.republish(dups)
	}
}

// maxBatch is the size at which a node's batch is sent before the commit's
// entries are all routed (NATS refuses messages over 1 MiB by default).
const maxBatch = 256 << 10

// router gathers a commit's entries into one batch per node.
type router struct {
	batches map[string][]byte
}

// route adds e to its node's batch, or publishes it on its device's
// subject when the directory does not know where the device is.
func (s *Service) route(r *router, e *Entry) {
	node := ""
	if s.dir != nil {
		node = s.dir.NodeOf(e.DeviceID)
	}
	if node == "" {
		s.publishEntry(e)
		if s.offline != nil {
			s.offline(e)
		}
		return
	}
	frame, err := json.Marshal(wire.Event{Type: wire.EventEntry, Entry: e.Wire()})
	if err != nil {
		s.log.Error("encode entry event", "err", err)
		return
	}
	if r.batches == nil {
		r.batches = map[string][]byte{}
	}
	b := AppendBatch(r.batches[node], e.DeviceID, frame)
	if len(b) >= maxBatch {
		s.publishBatch(node, b)
		b = b[:0]
	}
	r.batches[node] = b
}

// flushRoutes sends the batches route gathered.
func (s *Service) flushRoutes(r *router) {
	for node, b := range r.batches {
		if len(b) > 0 {
			s.publishBatch(node, b)
		}
	}
}

func (s *Service) publishBatch(node string, batch []byte) {
	if err := s.bus.Publish(NodeSubject(node), batch); err != nil {
		s.log.Warn("publish entries to a node", "node", node, "err", err)
	}
}

// Directory returns where devices are connected (nil without a bus). The
// gateway records its sessions there and takes the batches for its node.
func (s *Service) Directory() *Directory { return s.dir }

// Forward publishes an entry frame on its device's own subject, which
// every node receives: for a batch entry whose device left this node.
func (s *Service) Forward(device int64, frame []byte) {
	if err := s.bus.Publish(DeviceSubject(device), frame); err != nil {
		s.log.Warn("forward an entry", "device", device, "err", err)
	}
}

func (s *Service) publishEntry(e *Entry) {
	data, err := json.Marshal(wire.Event{Type: wire.EventEntry, Entry: e.Wire()})
	if err != nil {
		s.log.Error("encode entry event", "err", err)
		return
	}
	if err := s.bus.Publish(DeviceSubject(e.DeviceID), data); err != nil {
		s.log.Warn("publish entry", "device", e.DeviceID, "err", err)
	}
}

// messageKey names a message: its chat and the sender's id for it.
type messageKey struct {
	chatID int64
	id     string
}

// republish publishes the queued entries of messages sent again. Devices
// drop entries they already have by id.
func (s *Service) republish(dups []messageKey) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range dups {
		es, err := s.store.QueuedEntries(ctx, k.chatID, k.id)
		if err != nil {
			s.log.Warn("republish a duplicate's entries", "chat", k.chatID, "message", k.id, "err", err)
			continue
		}
		var r router
		for i := range es {
			s.route(&r, &es[i])
		}
		s.flushRoutes(&r)
	}
}

// Publish sends ev on the bus under subject, for the devices subscribed to it.
func (s *Service) Publish(subject string, ev wire.Event) {
	data, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encode event", "err", err)
		return
	}
	if err := s.bus.Publish(subject, data); err != nil {
		s.log.Warn("publish", "subject", subject, "err", err)
	}
}

func (s *Service) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep deletes expired inbox entries, tells senders which of their
// messages expired undelivered, prunes old message metadata and removes
// media no message refers to any more (sweepMedia). Run calls
// it every SweepInterval.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	for {
		n, notify, err := s.store.Expire(ctx, now, 1000)
		if err != nil {
			return fmt.Errorf("expire entries: %w", err)
		}
		if len(notify) > 0 {
			if err := s.notifyExpired(ctx, notify); err != nil {
				return err
			}
		}
		if n < 1000 {
			break
		}
	}
	if _, err := s.store.PruneMessages(ctx, now.Add(-s.cfg.MetaTTL)); err != nil {
		return fmt.Errorf("prune messages: %w", err)
	}
	// Shared bodies go once every entry that refers to them is gone.
	for after := int64(0); ; {
		last, _, err := s.store.SweepBodies(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("sweep bodies: %w", err)
		}
		if last == 0 {
			break
		}
		after = last
	}
	if err := s.sweepMedia(ctx, now); err != nil {
		return err
	}
	// Yesterday's counters still answer for today's window boundary; older
	// ones are dead.
	if _, err := s.store.PruneQuotas(ctx, now.Add(-2*quotaWindow)); err != nil {
		return fmt.Errorf("prune quotas: %w", err)
	}
	return nil
}

// notifyExpired sends an "expired" receipt to the sender's devices for each
// envelope that expired before its device fetched it.
func (s *Service) notifyExpired(ctx context.Context, expired []Entry) error {
	type key struct {
		chat, sender, device int64
	}
	groups := map[key][]string{}
	var order []key
	for _, e := range expired {
		if e.Type != EntryMessage || e.SenderAccount == 0 {
			continue
		}
		k := key{e.ChatID, e.SenderAccount, e.DeviceID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e.MessageID)
	}
	var appends []*Append
	for _, k := range order {
		body, _ := json.Marshal(wire.ReceiptBody{Status: "expired", DeviceID: k.device, MessageIDs: groups[k]})
		a, err := s.toAccount(ctx, k.chat, k.sender, 0, EntryReceipt, body)
		if err != nil {
			return err
		}
		appends = append(appends, a)
	}
	return s.commit(ctx, appends...)
}

// toAccount builds an unsequenced append of one entry for each device of
// accountID, except skipDevice.
func (s *Service) toAccount(ctx context.Context, chatID, accountID, skipDevice int64, typ EntryType, body []byte) (*Append, error) {
	devs, err := s.reads.devicesOf(ctx, []int64{accountID})
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return s.entriesFor(devs, chatID, skipDevice, typ, body), nil
}

// entriesFor builds an unsequenced append of one entry for each of devs,
// except skipDevice.
func (s *Service) entriesFor(devs []Device, chatID, skipDevice int64, typ EntryType, body []byte) *Append {
	now := s.now()
	a := &Append{ChatID: chatID}
	for _, d := range devs {
		if d.ID == skipDevice {
			continue
		}
		a.Entries = append(a.Entries, Entry{
			DeviceID: d.ID, Type: typ, ChatID: chatID, Body: body,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.Retention),
		})
	}
	return a
}

// commitError is what the callers of a failed group commit get: the
// store's EUnavailable (the database cannot be reached or is full; retry
// with the same ids, which is safe since sends and acks are idempotent),
// else an internal error.
func commitError(err error) error {
	if parley.ErrorCode(err) == parley.EUnavailable {
		return err
	}
	return &parley.Error{Code: parley.EInternal, Message: "internal error", Err: err}
}
