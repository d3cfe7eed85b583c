package business

import (
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/chat"
)

// The rules of business messaging, as pure functions: no store, no clock,
// no lock. A service method reads what a rule needs, calls it and writes
// what it decides; each rule has its table in rules_test.go. The template
// rules are in template.go (validate, render, reviewTemplate, promotional,
// templateSendable, nextPause), pricing in ledger.go (pricingOf). The
// table of docs/BUSINESS.md § Rules lists them with their Meta codes.

// checkNumberActive refuses every send from a number that quality paused
// (368).
func checkNumberActive(n BusinessNumber) error {
	if n.Status == NumberPaused {
		return cloudErrDetails(MetaPolicyBlock, "Temporarily blocked for policies violations",
			"This phone number is paused because of its quality rating")
	}
	if n.Status == NumberDisconnected {
		return cloudErrDetails(MetaNotRegistered, "Account not registered", "This phone number is deregistered; register it to send")
	}
	return nil
}

// recipientPhone reads the Cloud API's "to" (digits, with or without +,
// spaces or dashes) as an E.164 number; CloudError 100 if it is not one.
func recipientPhone(to string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, to)
	if digits == "" {
		return "", cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("to: %q is not a phone number", to))
	}
	phone, err := chat.NormalizePhone("+" + digits)
	if err != nil {
		// Meta accepts a number that merely looks wrong and fails it in a
		// status: "+" and the digits, with 131026.
		return "+" + digits, cloudErrDetails(MetaUndeliverable, "Message undeliverable", fmt.Sprintf("to: %q is not a valid phone number", to))
	}
	return phone, nil
}

// serviceWindow is the customer service window: open at `at` if the
// customer wrote less than length before; until is when it closes (zero
// if the customer never wrote).
func serviceWindow(c Conversation, at time.Time, length time.Duration) (open bool, until time.Time) {
	if c.LastInboundAt.IsZero() {
		return false, time.Time{}
	}
	return at.Sub(c.LastInboundAt) < length, c.LastInboundAt.Add(length)
}

// checkFreeForm refuses a message that is not a template outside the
// service window (131047).
func checkFreeForm(windowOpen bool) error {
	if windowOpen {
		return nil
	}
	return cloudErrDetails(MetaReengagement, "Re-engagement message",
		"Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
}

// freeEntryPoint is the free entry point of a chat opened from a
// click-to-chat link: a message at `at` is in it while it lasts (until),
// or opens it when it is the business's first reply within reply of the
// customer's first message; it then lasts length from that reply.
func freeEntryPoint(c Conversation, at time.Time, reply, length time.Duration) (in, opens bool, until time.Time) {
	if !c.EntryPointUntil.IsZero() {
		return at.Before(c.EntryPointUntil), false, c.EntryPointUntil
	}
	if !c.EntryPointAt.IsZero() && !c.Replied && at.Sub(c.EntryPointAt) < reply {
		return true, true, at.Add(length)
	}
	return false, false, time.Time{}
}

// entryPointStarts reports whether a customer's message at `at` that
// carries a click id starts a new free entry point: when the chat has
// none yet, or the customer never wrote, or their service window had
// closed. Inside an open window a click changes nothing.
func entryPointStarts(c Conversation, at time.Time, window time.Duration) bool {
	return c.EntryPointAt.IsZero() || c.LastInboundAt.IsZero() || at.Sub(c.LastInboundAt) >= window
}

// conversationOpens reports whether a message of category at `at` opens
// a 24 h conversation under conversation-based pricing: when none of its
// category is open (until maps a category to its conversation's end).
func conversationOpens(until map[string]time.Time, category string, at time.Time) bool {
	return !at.Before(until[category])
}

// checkMarketingOptOut refuses a MARKETING template to a customer who
// stopped marketing from the number (131050); utility still passes.
func checkMarketingOptOut(optOut bool) error {
	if optOut {
		return cloudErrDetails(MetaUserStoppedMarketing, "User's number is part of an experiment",
			"The recipient has stopped marketing messages from this business")
	}
	return nil
}

// checkMarketingCap is the per-recipient marketing cap (131049): a
// customer who received sent MARKETING templates, from all businesses,
// in the last 24 h receives no more once sent reaches limit.
func checkMarketingCap(sent, limit int) error {
	if sent >= limit {
		return cloudErrDetails(MetaEcosystemHealth, "This message was not delivered to maintain healthy ecosystem engagement.",
			"The recipient has received the most marketing messages it may receive for now")
	}
	return nil
}

// The messaging limit belongs to the business portfolio (the business
// account), shared by its numbers, as Meta's current rules have it: the
// distinct customers that any of its numbers reached outside the service
// window in a rolling 24 h. It is kept on every number of the portfolio
// (BusinessNumber.TierLimit, all equal; portfolioTier reads it) and moves
// for all of them at once.

// portfolioTier is the portfolio's messaging limit: 0 (unlimited) if any
// number has it, else the highest (numbers written before the limit was
// shared may differ).
func portfolioTier(ns []BusinessNumber) int {
	limit := -1
	for _, n := range ns {
		if n.TierLimit == 0 {
			return 0
		}
		limit = max(limit, n.TierLimit)
	}
	return max(limit, 0)
}

// newNumberTier is the messaging limit a new number starts with: its
// portfolio's (others the portfolio has), else the operator's default,
// at most 250 for a business that is not verified.
func newNumberTier(defaultTier int, verified bool, portfolio []BusinessNumber) int {
	if len(portfolio) > 0 {
		return portfolioTier(portfolio)
	}
	if !verified {
		return min(defaultTier, 250)
	}
	return defaultTier
}

// checkMessagingLimit is the messaging-limit tier (131048) of a
// business-initiated message (outside the service window): limit is the
// portfolio's (0 unlimited), reached the distinct customers its numbers
// reached outside the window in 24 h, and already whether this customer
// is one of them (who costs nothing more).
func checkMessagingLimit(limit int, already bool, reached int) error {
	if limit == 0 || already || reached < limit {
		return nil
	}
	return cloudErrDetails(MetaSpamRateLimit, "Spam rate limit hit",
		fmt.Sprintf("Message failed to send because this business reached its messaging limit of %d unique customers in 24 hours", limit))
}

// tierUpgradeable returns the portfolio's limit if it may step up: it is
// not unlimited and every number's quality is GREEN.
func tierUpgradeable(ns []BusinessNumber) (limit int, ok bool) {
	limit = portfolioTier(ns)
	if limit == 0 {
		return 0, false
	}
	for _, n := range ns {
		if n.Quality != QualityGreen {
			return limit, false
		}
	}
	return limit, true
}

// tierAfterReach is the limit one step up Tiers once the portfolio has
// reached half of limit in 24 h; ok is false when it stays (not half yet,
// already unlimited, or a limit the operator set off the steps).
func tierAfterReach(limit, reached int) (next int, ok bool) {
	if limit == 0 || reached*2 < limit {
		return limit, false
	}
	for i, t := range Tiers[:len(Tiers)-1] {
		if t == limit {
			return Tiers[i+1], true
		}
	}
	return limit, false
}

// tierAfterRed is the limit one step down Tiers, when a number of the
// portfolio turns RED; ok is false at the lowest step or off the steps.
func tierAfterRed(limit int) (next int, ok bool) {
	for i, t := range Tiers {
		if t == limit && i > 0 {
			return Tiers[i-1], true
		}
	}
	return limit, false
}

// qualityRating rates a number by the customer blocks and reports of the
// last 7 days: GREEN and CONNECTED; from yellow signals YELLOW and
// FLAGGED; from red RED and PAUSED (every send refused with 368).
func qualityRating(signals, yellow, red int) (quality, status string) {
	switch {
	case signals >= red:
		return QualityRed, NumberPaused
	case signals >= yellow:
		return QualityYellow, NumberFlagged
	}
	return QualityGreen, NumberConnected
}

// throughputRate is the rate of one node's bucket for a number: its
// limit per second divided by the live nodes, at least 1/s, so that the
// deployment as a whole holds the limit.
func throughputRate(limit, nodes int) float64 {
	return max(float64(limit)/float64(nodes), 1)
}

// bucket is a token bucket: rate tokens per second, burst rate.
type bucket struct {
	tokens float64
	last   time.Time
	rate   float64
}

// newBucket is a full bucket at rate.
func newBucket(rate float64, now time.Time) *bucket {
	return &bucket{tokens: rate, last: now, rate: rate}
}

// take refills the bucket for the time since it was last used and takes
// one token; false if there is none (130429).
func (bk *bucket) take(now time.Time) bool {
	if el := now.Sub(bk.last).Seconds(); el > 0 {
		bk.tokens = min(bk.rate, bk.tokens+el*bk.rate)
		bk.last = now
	}
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}
