package push

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// Options configure the push service. Zero fields take the defaults beside them.
type Options struct {
	// Subscriber is the operator's contact that push services may use
	// (the VAPID "sub" claim): an https URL or an e-mail address;
	// default "parley@localhost".
	Subscriber string
	// Insecure accepts http endpoints and loopback or private hosts (a
	// development server, a distributor on the local network, tests).
	Insecure bool
	// TTL is how long a push service keeps a push for an unreachable
	// device; default 24h.
	TTL time.Duration
	// Window is the least time between two pushes to a device about one
	// chat; default 5s.
	Window time.Duration
	// MaxAttempts bounds the attempts of one push; default 8.
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled each time up to
	// MaxBackoff; defaults 2s and 10m.
	BaseBackoff, MaxBackoff time.Duration
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration
	// Poll is how often the queue is read when nothing wakes it; default 1s.
	Poll time.Duration
	// Lease hides a claimed push from other nodes; default 1m.
	Lease time.Duration
	// Batch is how many pushes are claimed and sent at once; default 64.
	Batch int
}

func (o *Options) setDefaults() {
	if o.Subscriber == "" {
		o.Subscriber = "parley@localhost"
	}
	if o.TTL == 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Window == 0 {
		o.Window = 5 * time.Second
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 8
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = 2 * time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Lease == 0 {
		o.Lease = time.Minute
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
}

// Deps are what the push service uses.
type Deps struct {
	Store Store
	// Client posts to push services. The wiring gives it the webhook
	// guard, which refuses private addresses unless allowed.
	Client *http.Client
	// Member returns ENotFound unless the principal is a member of the chat.
	Member func(ctx context.Context, p parley.Principal, chatID int64) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Service registers subscriptions and mutes and delivers the queue.
type Service struct {
	o       Options
	st      Store
	client  *http.Client
	member  func(ctx context.Context, p parley.Principal, chatID int64) error
	log     *slog.Logger
	now     func() time.Time
	private string
	public  string

	offline chan offline
	wake    chan struct{}
	dropped atomic.Int64 // offline entries dropped because the hand-off was full
}

// offline is an entry queued for a device that no node holds.
type offline struct {
	device, chat, sender int64
	kind                 string
}

// New loads the node's VAPID keys, or makes and records them if no node
// has yet.
func New(ctx context.Context, o Options, d Deps) (*Service, error) {
	o.setDefaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Client == nil {
		d.Client = &http.Client{Timeout: o.Timeout}
	}
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return nil, fmt.Errorf("generate vapid keys: %w", err)
	}
	if priv, pub, err = d.Store.PushVAPID(ctx, priv, pub); err != nil {
		return nil, fmt.Errorf("load vapid keys: %w", err)
	}
	return &Service{o: o, st: d.Store, client: d.Client, member: d.Member, log: d.Logger, now: d.Now,
		private: priv, public: pub, offline: make(chan offline, 4096), wake: make(chan struct{}, 1)}, nil
}

// PublicKey is the VAPID public key, unpadded base64url: the
// applicationServerKey a browser subscribes with.
func (s *Service) PublicKey() string { return s.public }

// Insecure reports whether http and private endpoints are accepted.
func (s *Service) Insecure() bool { return s.o.Insecure }

// Subscribe records the calling device's subscription, replacing any.
// Returns EInvalid for a subscription ValidateSubscription refuses.
func (s *Service) Subscribe(ctx context.Context, p parley.Principal, sub Subscription) error {
	sub, err := ValidateSubscription(sub, s.o.Insecure)
	if err != nil {
		return err
	}
	sub.DeviceID, sub.AccountID, sub.CreatedAt = p.DeviceID, p.AccountID, s.now()
	return s.st.PutPushSubscription(ctx, sub)
}

// Unsubscribe removes the calling device's subscription. Returns
// ENotFound if it had none.
func (s *Service) Unsubscribe(ctx context.Context, p parley.Principal) error {
	if err := s.st.DeletePushSubscription(ctx, p.DeviceID, ""); err != nil {
		if parley.ErrorCode(err) == parley.ENotFound {
			return parley.Errorf(parley.ENotFound, "this device has no push subscription")
		}
		return err
	}
	return nil
}

// Mute silences a chat's pushes to the caller's devices until a time or
// always (the zero time). Returns ENotFound for a chat the caller is not
// in, EInvalid for a time ValidateMute refuses.
func (s *Service) Mute(ctx context.Context, p parley.Principal, chatID int64, until time.Time) error {
	if err := s.member(ctx, p, chatID); err != nil {
		return err
	}
	if err := ValidateMute(until, s.now()); err != nil {
		return err
	}
	return s.st.SetMute(ctx, p.AccountID, chatID, until)
}

// Unmute lifts a chat's mute. Returns ENotFound for a chat the caller is
// not in or that is not muted.
func (s *Service) Unmute(ctx context.Context, p parley.Principal, chatID int64) error {
	if err := s.member(ctx, p, chatID); err != nil {
		return err
	}
	return s.unmute(ctx, p.AccountID, chatID, "this chat is not muted")
}

// MuteOf returns the end of the caller's mute of a chat (chatID 0:
// do-not-disturb) and whether one is in force.
func (s *Service) MuteOf(ctx context.Context, p parley.Principal, chatID int64) (time.Time, bool, error) {
	if chatID != 0 {
		if err := s.member(ctx, p, chatID); err != nil {
			return time.Time{}, false, err
		}
	}
	return s.st.Mute(ctx, p.AccountID, chatID, s.now())
}

// DoNotDisturb silences every chat's pushes to the caller's devices until
// a time or always. Returns EInvalid for a time ValidateMute refuses.
func (s *Service) DoNotDisturb(ctx context.Context, p parley.Principal, until time.Time) error {
	if err := ValidateMute(until, s.now()); err != nil {
		return err
	}
	return s.st.SetMute(ctx, p.AccountID, 0, until)
}

// Disturb ends do-not-disturb. Returns ENotFound if it was off.
func (s *Service) Disturb(ctx context.Context, p parley.Principal) error {
	return s.unmute(ctx, p.AccountID, 0, "do-not-disturb is off")
}

func (s *Service) unmute(ctx context.Context, account, chatID int64, msg string) error {
	if err := s.st.DeleteMute(ctx, account, chatID); err != nil {
		if parley.ErrorCode(err) == parley.ENotFound {
			return parley.Errorf(parley.ENotFound, "%s", msg)
		}
		return err
	}
	return nil
}

// Offline is the chat core's hook (chat.Deps.Offline) for an entry queued
// for a device that no node holds. It never blocks: when the hand-off is
// full the entry is dropped (the device still reads it from its inbox).
func (s *Service) Offline(e *chat.Entry) {
	if !Pushes(string(e.Type), string(e.Kind)) {
		return
	}
	select {
	case s.offline <- offline{device: e.DeviceID, chat: e.ChatID, sender: e.SenderAccount, kind: string(e.Kind)}:
	default:
		s.dropped.Add(1)
	}
}

// Run queues the offline entries and delivers the queue until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.enqueue(ctx) }()
	defer wg.Wait()
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		n, err := s.deliverOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("deliver pushes", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-t.C:
		}
	}
}

// enqueue writes the offline entries to the queue.
func (s *Service) enqueue(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-s.offline:
			if n := s.dropped.Swap(0); n > 0 {
				s.log.Warn("push hand-off full: entries not pushed (their devices still read them from the inbox)", "entries", n)
			}
			queued, err := s.st.EnqueuePush(ctx, o.device, o.chat, o.sender, o.kind, s.now(), s.o.Window)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("queue a push", "device", o.device, "err", err)
				}
				continue
			}
			if queued {
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (s *Service) deliverOnce(ctx context.Context) (int, error) {
	now := s.now()
	jobs, err := s.st.ClaimPushes(ctx, now, now.Add(s.o.Lease), s.o.Batch)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); s.deliver(ctx, j) }()
	}
	wg.Wait()
	return len(jobs), nil
}

// Payload is all a push says: which chat woke the device, and why. The
// app reads the message from its inbox and shows its preview itself.
type Payload struct {
	ChatID int64  `json:"chat_id"`
	Kind   string `json:"kind"`
}

// Topic is the Topic header (RFC 8030 5.4) of a chat's pushes: a push
// service keeps only the latest undelivered push of a topic.
func Topic(chatID int64) string { return "chat-" + strconv.FormatInt(chatID, 36) }

// outcome is what a push service's answer means.
type outcome int

const (
	sent    outcome = iota
	retry           // a transient failure: try again later
	gone            // the subscription expired or was removed (404, 410)
	refused         // this push will never be accepted (400, 413...)
)

func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return sent
	case status == http.StatusNotFound || status == http.StatusGone:
		return gone
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500:
		return retry
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return retry // a VAPID key the service does not (yet) accept
	default:
		return refused
	}
}

func (s *Service) deliver(ctx context.Context, j Job) {
	if j.Sub.Endpoint == "" || j.Muted {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.st.DropPush(fctx, j.Sub.DeviceID, j.ChatID, "muted or unsubscribed"); err != nil {
			s.log.Error("drop a push", "device", j.Sub.DeviceID, "err", err)
		}
		return
	}
	body, _ := json.Marshal(Payload{ChatID: j.ChatID, Kind: j.Kind})
	urgency := webpush.UrgencyHigh
	if j.Kind != "message" {
		urgency = webpush.UrgencyNormal
	}
	actx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(actx, body,
		&webpush.Subscription{Endpoint: j.Sub.Endpoint, Keys: webpush.Keys{P256dh: j.Sub.P256dh, Auth: j.Sub.Auth}},
		&webpush.Options{HTTPClient: s.client, Subscriber: s.o.Subscriber, Topic: Topic(j.ChatID), TTL: int(s.o.TTL / time.Second),
			Urgency: urgency, VAPIDPublicKey: s.public, VAPIDPrivateKey: s.private, RecordSize: 1024})
	out, detail := retry, ""
	if err != nil {
		detail = err.Error()
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		out, detail = classify(resp.StatusCode), resp.Status
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer fcancel()
	now := s.now()
	attempts := j.Attempts + 1
	switch {
	case out == sent:
		err = s.st.FinishPush(fctx, j.Sub.DeviceID, j.ChatID, attempts, now, time.Time{}, "")
	case out == gone:
		s.log.Info("push subscription expired; removed", "device", j.Sub.DeviceID, "status", detail)
		err = s.st.DeletePushSubscription(fctx, j.Sub.DeviceID, j.Sub.Endpoint)
		if parley.ErrorCode(err) == parley.ENotFound {
			err = nil
		}
	case out == refused || attempts >= s.o.MaxAttempts || now.Sub(j.FirstAt) > s.o.TTL:
		s.log.Warn("push given up", "device", j.Sub.DeviceID, "attempts", attempts, "last", detail)
		err = s.st.DropPush(fctx, j.Sub.DeviceID, j.ChatID, detail)
	default:
		err = s.st.FinishPush(fctx, j.Sub.DeviceID, j.ChatID, attempts, time.Time{},
			now.Add(Backoff(attempts, s.o.BaseBackoff, s.o.MaxBackoff)), detail)
	}
	if err != nil {
		s.log.Error("record a push attempt", "device", j.Sub.DeviceID, "err", err)
	}
}
