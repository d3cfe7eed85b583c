// Package push wakes a device whose app is closed when a message is queued
// for it: Web Push and UnifiedPush (RFC 8030), encrypted for the device
// (RFC 8291) and signed with the node's VAPID key (RFC 8292) by
// github.com/SherClockHolmes/webpush-go. A push carries no message text,
// only the chat's id and the kind of entry, so that a push service learns
// nothing a message says (docs/NOTIFICATIONS.md, docs/SECURITY.md).
//
// It owns the devices' push subscriptions, the durable push queue (retried
// with backoff, collapsed per device and chat), per-chat mutes and
// do-not-disturb, and the VAPID keys. It imports the kernel, chat and wire.
package push

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley"
)

// Kinds of subscription: the same protocol, another kind of endpoint.
const (
	KindWebPush     = "webpush"     // a browser's push service
	KindUnifiedPush = "unifiedpush" // a UnifiedPush distributor (ntfy, NextPush...)
)

// Subscription is where and how to wake one device.
type Subscription struct {
	DeviceID  int64
	AccountID int64
	Kind      string
	Endpoint  string
	P256dh    string // the device's ECDH public key, base64url (RFC 8291)
	Auth      string // the device's 16-byte authentication secret, base64url
	CreatedAt time.Time
}

// Job is a pending push: a device to wake about a chat.
type Job struct {
	Sub      Subscription
	ChatID   int64
	Kind     string // of the entry: "message" or "reaction"
	Attempts int
	FirstAt  time.Time
	// Muted is set when a mute of the chat or do-not-disturb now holds
	// the push back: it is dropped.
	Muted bool
}

// Always is the mute end that never comes.
var Always = time.Time{}

// Store keeps the push state. Times are kept to the millisecond.
type Store interface {
	// PushVAPID records the key pair if none is recorded yet and returns
	// the one recorded (the pair given, for the first node).
	PushVAPID(ctx context.Context, private, public string) (string, string, error)
	// PutPushSubscription records or replaces a device's subscription.
	// Returns ENotFound if the device does not exist.
	PutPushSubscription(ctx context.Context, s Subscription) error
	// DeletePushSubscription removes a device's subscription and its
	// pending pushes; with an endpoint, only if the subscription is still
	// that one (a push service's 410 must not remove the subscription the
	// device registered since). Returns ENotFound if there is none.
	DeletePushSubscription(ctx context.Context, deviceID int64, endpoint string) error
	// EnqueuePush queues a push for the device about the chat if the
	// device has a subscription of an account other than sender's and no
	// mute of the chat or do-not-disturb is in force at now. A push
	// already pending for the pair stays as it is; otherwise the new one
	// is due at now or window after the pair's last push, whichever is
	// later. It reports whether a push is pending.
	EnqueuePush(ctx context.Context, deviceID, chatID, sender int64, kind string, now time.Time, window time.Duration) (bool, error)
	// ClaimPushes returns up to limit pushes due at now and hides them
	// from other claims until leaseUntil.
	ClaimPushes(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Job, error)
	// FinishPush records a push sent at sentAt (next zero), or an attempt
	// that failed and is retried at next.
	FinishPush(ctx context.Context, deviceID, chatID int64, attempts int, sentAt, next time.Time, lastError string) error
	// DropPush forgets a pending push that will never be sent.
	DropPush(ctx context.Context, deviceID, chatID int64, lastError string) error
	// SetMute mutes a chat (chatID 0: every chat, do-not-disturb) for an
	// account until a time, or always (the zero time).
	SetMute(ctx context.Context, accountID, chatID int64, until time.Time) error
	// DeleteMute unmutes. Returns ENotFound if there was no mute.
	DeleteMute(ctx context.Context, accountID, chatID int64) error
	// Mute returns the end of an account's mute of a chat (chatID 0:
	// do-not-disturb) in force at now, and whether there is one.
	Mute(ctx context.Context, accountID, chatID int64, now time.Time) (time.Time, bool, error)
}

// Limits of a subscription.
const (
	MaxEndpoint = 2048
	maxKey      = 128
)

// ValidateSubscription checks what a device registers: a kind, an https
// endpoint (or http and loopback or private hosts when insecure, for a
// development server or a distributor on the local network), a P-256
// public key and a 16-byte secret, both base64url. It returns the keys in
// their canonical form (unpadded base64url).
func ValidateSubscription(s Subscription, insecure bool) (Subscription, error) {
	switch s.Kind {
	case "":
		s.Kind = KindWebPush
	case KindWebPush, KindUnifiedPush:
	default:
		return s, parley.InvalidField("kind", `must be "webpush" or "unifiedpush"`)
	}
	if err := validateEndpoint(s.Endpoint, insecure); err != nil {
		return s, err
	}
	if len(s.P256dh) > maxKey {
		return s, parley.InvalidField("keys.p256dh", "too long")
	}
	pub, err := decodeB64URL(s.P256dh)
	if err != nil || len(pub) != 65 {
		return s, parley.InvalidField("keys.p256dh", "must be an uncompressed P-256 public key in base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return s, parley.InvalidField("keys.p256dh", "is not a point on P-256")
	}
	if len(s.Auth) > maxKey {
		return s, parley.InvalidField("keys.auth", "too long")
	}
	auth, err := decodeB64URL(s.Auth)
	if err != nil || len(auth) != 16 {
		return s, parley.InvalidField("keys.auth", "must be 16 bytes in base64url")
	}
	s.P256dh = base64.RawURLEncoding.EncodeToString(pub)
	s.Auth = base64.RawURLEncoding.EncodeToString(auth)
	return s, nil
}

func validateEndpoint(raw string, insecure bool) error {
	if raw == "" {
		return parley.InvalidField("endpoint", "is required")
	}
	if len(raw) > MaxEndpoint {
		return parley.InvalidField("endpoint", "too long")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return parley.InvalidField("endpoint", "must be an absolute URL with a host and no credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !insecure {
			return parley.InvalidField("endpoint", "must be https")
		}
	default:
		return parley.InvalidField("endpoint", "must be https")
	}
	host := u.Hostname()
	if insecure {
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return parley.InvalidField("endpoint", "must not be a loopback or private address")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			return parley.InvalidField("endpoint", "must not be a loopback or private address")
		}
	}
	return nil
}

// decodeB64URL decodes base64url with or without padding.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// MuteFor are the mute lengths the apps offer; any time in the future is
// accepted.
var MuteFor = []time.Duration{8 * time.Hour, 7 * 24 * time.Hour}

// ValidateMute checks the end of a mute: the zero time (always) or a time
// after now and at most a year ahead.
func ValidateMute(until, now time.Time) error {
	if until.IsZero() {
		return nil
	}
	if !until.After(now) {
		return parley.InvalidField("until", "must be in the future")
	}
	if until.After(now.Add(366 * 24 * time.Hour)) {
		return parley.InvalidField("until", `must be within a year; use "always"`)
	}
	return nil
}

// Backoff is the delay before retry n (1 for the first retry): base
// doubled each time, at most max.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Pushes reports whether an entry of this type and kind wakes a device:
// new messages and reactions do; edits, deletions, receipts, server
// events and history bundles do not.
func Pushes(entryType, kind string) bool {
	return entryType == "message" && (kind == "message" || kind == "reaction")
}
