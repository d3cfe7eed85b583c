package chat

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/parleyhq/parley"
)

// Rate is a token bucket: Burst requests at once, then one more every
// Every. A negative Burst lifts the limit. The HTTP layer keeps these per
// node, in memory (internal/httpapi); Config says which requests each one
// limits.
type Rate struct {
	Burst int
	Every time.Duration
}

// Off reports whether the rate lifts its limit.
func (r Rate) Off() bool { return r.Burst < 0 }

// quotaWindow is the window of every daily limit: the UTC day. A fixed
// window lets one burst straddle midnight, so a day's limit can be spent
// twice in 24 hours; docs/SECURITY.md counts with that.
const quotaWindow = 24 * time.Hour

// quotaStore is the part of Store that the daily limits use.
type quotaStore interface {
	TakeQuota(ctx context.Context, name string, window time.Time, n, max int) (int, bool, error)
	QuotaUsed(ctx context.Context, name string, window time.Time) (int, error)
}

// QuotaTake is one count against a daily limit: N more on the counter
// Name, refused when the count would pass Max. A store takes several in
// the commit of the write they guard (a login's code and its counters).
type QuotaTake struct {
	Name   string
	N, Max int
	// Message is the ERateLimited message when this take is refused.
	Message string
}

// quotas applies the daily limits that hold across every node: their
// counters are in the database.
type quotas struct {
	store quotaStore
	now   func() time.Time
}

// take counts n against the daily limit max of name and returns the new
// count, or ERateLimited (with retry_after_seconds: the end of the day)
// with message when the count would pass max. A negative max lifts the
// limit.
func (q quotas) take(ctx context.Context, name string, n, max int, message string) (int, error) {
	if max < 0 {
		return 0, nil
	}
	now := q.now()
	window := now.UTC().Truncate(quotaWindow)
	used, ok, err := q.store.TakeQuota(ctx, name, window, n, max)
	if err != nil {
		return 0, fmt.Errorf("take quota %s: %w", name, err)
	}
	if !ok {
		return 0, RateLimited(message, window.Add(quotaWindow).Sub(now))
	}
	return used, nil
}

// window returns the start of today's window.
func (q quotas) window() time.Time { return q.now().UTC().Truncate(quotaWindow) }

// used returns today's count of name, reading only.
func (q quotas) used(ctx context.Context, name string) (int, error) {
	n, err := q.store.QuotaUsed(ctx, name, q.window())
	if err != nil {
		return 0, fmt.Errorf("quota used %s: %w", name, err)
	}
	return n, nil
}

// live drops the takes whose limit is lifted (a negative Max): they count
// nothing, as take does.
func live(takes ...QuotaTake) []QuotaTake {
	out := takes[:0:0]
	for _, t := range takes {
		if t.Max >= 0 {
			out = append(out, t)
		}
	}
	return out
}

// refusal is the ERateLimited answer for a refused take: the wait is the
// end of the day.
func (q quotas) refusal(t QuotaTake) error {
	now := q.now()
	return RateLimited(t.Message, now.UTC().Truncate(quotaWindow).Add(quotaWindow).Sub(now))
}

// RateLimited returns ERateLimited with message and the wait in whole
// seconds (at least one) as retry_after_seconds, which the HTTP layer also
// sends as Retry-After.
func RateLimited(message string, wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &parley.Error{Code: parley.ERateLimited, Message: message, Details: map[string]any{"retry_after_seconds": secs}}
}

// The names of the daily counters. A requester is a client address
// (docs/SECURITY.md); phones are E.164.
func quotaCodesSent(phone, requester string) string { return "code:" + phone + ":" + requester }
func quotaGuesses(phone, requester string) string   { return "guess:" + phone + ":" + requester }
func quotaGuessesNumber(phone string) string        { return "guess:" + phone }
func quotaPrefix(prefix string) string              { return "prefix:" + prefix }
func quotaLookups(accountID int64) string           { return "lookup:" + strconv.FormatInt(accountID, 10) }

// CallingCode returns the country calling code of an E.164 number ("+44"),
// the unit of the daily budget of outgoing codes.
func CallingCode(phone string) string {
	num, err := phonenumbers.Parse(phone, "")
	if err != nil {
		return "+?"
	}
	return "+" + strconv.Itoa(int(num.GetCountryCode()))
}

// resendGap is how long a requester waits between codes for one number
// after sent codes today: CodeResend, doubling from the second code on,
// at most an hour. Growing back-off keeps re-requests (each a new code
// and new guesses) rare.
func resendGap(base time.Duration, sent int) time.Duration {
	gap := base
	for i := 1; i < sent && gap < time.Hour; i++ {
		gap *= 2
	}
	return min(gap, max(base, time.Hour))
}
