package business

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
)

// Conversation is what the server keeps about a business number and one
// customer: when the customer last wrote (the service window), the free
// entry point, marketing opt-out, and (conversation-based pricing) when
// each category's 24 h conversation ends.
type Conversation struct {
	NumberID      int64
	CustomerID    int64
	ChatID        int64
	LastInboundAt time.Time // zero: the customer never wrote
	// EntryPointAt is when a chat opened from a click-to-chat link began;
	// EntryPointUntil is when its free window ends (set when the business
	// replied within BusinessConfig.EntryPointReply).
	EntryPointAt    time.Time
	EntryPointUntil time.Time
	EntryPointLink  int64
	Replied         bool // the business replied since the entry point
	MarketingOptOut bool
	// ConversationUntil maps a pricing category to the end of its open
	// conversation (CBP).
	ConversationUntil map[string]time.Time
}

// BusinessMessage records a message between a business number and a
// customer, inbound or outbound: for mark-as-read, statuses, pricing and
// caps. ID is the message id (a wamid for outbound).
type BusinessMessage struct {
	NumberID           int64
	ID                 string
	Outbound           bool
	ChatID             int64
	CustomerID         int64
	CustomerPhone      string
	Category           string // outbound: marketing | utility | authentication | service
	PricingType        string // Meta's pricing type, as billing decided it (ledger.go, decidePricing)
	Billable           bool   // as billing decided it
	InWindow           bool   // sent inside the customer service window: what the card decides from
	ConversationOpened bool   // CBP: this message opened a conversation of its category
	CallbackData       string // biz_opaque_callback_data
	CreatedAt          time.Time
	TemplateID         int64 // outbound templates: the template sent
}

// takeToken applies the per-number throughput limit (130429). The buckets
// are in memory, each at the number's rate divided by the live nodes (see
// business_cluster.go and throughputRate).
func (b *Service) takeToken(n BusinessNumber) error {
	limit := n.Throughput
	if limit == 0 {
		limit = b.cfg.Throughput
	}
	rate := throughputRate(limit, b.peers.nodes())
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.buckets[n.ID]
	if bk == nil || bk.rate != rate {
		bk = newBucket(rate, now)
		b.buckets[n.ID] = bk
	}
	if !bk.take(now) {
		return cloudErrDetails(MetaThroughput, "Rate limit hit",
			fmt.Sprintf("Message failed to send because there were too many messages sent from this phone number in a short period of time (limit %d/s)", limit))
	}
	return nil
}

// setPortfolioTier writes limit on every number of the business.
func (b *Service) setPortfolioTier(ctx context.Context, ns []BusinessNumber, limit int) error {
	for _, n := range ns {
		if n.TierLimit == limit {
			continue
		}
		n.TierLimit = limit
		if err := b.st.UpdateNumber(ctx, n); err != nil {
			return fmt.Errorf("update number: %w", err)
		}
	}
	return nil
}

// checkTier applies the portfolio's messaging limit (checkMessagingLimit,
// 131048) to a business-initiated message to customerID.
func (b *Service) checkTier(ctx context.Context, n BusinessNumber, customerID int64, at time.Time) error {
	ns, err := b.st.ListNumbers(ctx, n.BusinessID)
	if err != nil {
		return fmt.Errorf("list numbers: %w", err)
	}
	limit := portfolioTier(ns)
	if limit == 0 {
		return nil // unlimited: nothing to count
	}
	already, total, err := b.st.ReachedByBusiness(ctx, n.BusinessID, customerID, at.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("reached: %w", err)
	}
	return checkMessagingLimit(limit, already, total)
}

// upgradeTier raises the portfolio's messaging limit one step
// (tierUpgradeable, tierAfterReach) after a business-initiated message.
func (b *Service) upgradeTier(ctx context.Context, n BusinessNumber, at time.Time) error {
	ns, err := b.st.ListNumbers(ctx, n.BusinessID)
	if err != nil {
		return fmt.Errorf("list numbers: %w", err)
	}
	limit, ok := tierUpgradeable(ns)
	if !ok {
		return nil
	}
	_, total, err := b.st.ReachedByBusiness(ctx, n.BusinessID, 0, at.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("reached: %w", err)
	}
	if next, ok := tierAfterReach(limit, total); ok {
		return b.setPortfolioTier(ctx, ns, next)
	}
	return nil
}

// checkMarketing applies the marketing rules to a MARKETING template:
// the customer's opt-out (131050), then the per-recipient cap (131049)
// over the marketing they received in 24 h.
func (b *Service) checkMarketing(ctx context.Context, conv Conversation, customerID int64, at time.Time) error {
	if err := checkMarketingOptOut(conv.MarketingOptOut); err != nil {
		return err
	}
	count, err := b.st.CountMarketing(ctx, customerID, at.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("count marketing: %w", err)
	}
	return checkMarketingCap(count, b.cfg.MarketingCap)
}

// qualitySignal records a customer's block or report and re-rates the
// number by the signals of the last 7 days (qualityRating). A RED
// number's portfolio drops one tier (tierAfterRed).
func (b *Service) qualitySignal(ctx context.Context, n BusinessNumber, customerID int64, kind string) error {
	now := b.now()
	if err := b.st.AddQualitySignal(ctx, n.ID, customerID, kind, now); err != nil {
		return fmt.Errorf("add quality signal: %w", err)
	}
	if err := b.templates.signal(ctx, n, customerID, kind); err != nil {
		return fmt.Errorf("template signal: %w", err)
	}
	count, err := b.st.CountQualitySignals(ctx, n.ID, now.Add(-7*24*time.Hour))
	if err != nil {
		return fmt.Errorf("count quality signals: %w", err)
	}
	q, status := qualityRating(count, b.cfg.QualityYellow, b.cfg.QualityRed)
	if q == n.Quality && status == n.Status {
		return nil
	}
	n.Quality, n.Status = q, status
	if err := b.st.UpdateNumber(ctx, n); err != nil {
		return err
	}
	if q != QualityRed {
		return nil
	}
	// A RED number drops its portfolio's limit one step.
	ns, err := b.st.ListNumbers(ctx, n.BusinessID)
	if err != nil {
		return fmt.Errorf("list numbers: %w", err)
	}
	if next, ok := tierAfterRed(portfolioTier(ns)); ok {
		return b.setPortfolioTier(ctx, ns, next)
	}
	return nil
}

// BlockBusiness is a customer blocking a business number: the core block
// (so nothing more arrives) plus a quality signal against the number.
func (b *Service) BlockBusiness(ctx context.Context, p parley.Principal, accountID int64) error {
	n, err := b.st.NumberByAccount(ctx, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "this account is not a business")
	} else if err != nil {
		return err
	}
	if err := b.svc.Profiles().Block(ctx, p, accountID); err != nil {
		return err
	}
	return b.qualitySignal(ctx, n, p.AccountID, "block")
}

// ReportBusiness is a customer reporting a business number as spam.
func (b *Service) ReportBusiness(ctx context.Context, p parley.Principal, accountID int64) error {
	n, err := b.st.NumberByAccount(ctx, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "this account is not a business")
	} else if err != nil {
		return err
	}
	return b.qualitySignal(ctx, n, p.AccountID, "report")
}

// SetMarketingOptOut records whether the customer accepts marketing
// templates from a business number (131050 while opted out).
func (b *Service) SetMarketingOptOut(ctx context.Context, p parley.Principal, accountID int64, optOut bool) error {
	n, err := b.st.NumberByAccount(ctx, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "this account is not a business")
	} else if err != nil {
		return err
	}
	c, err := b.conversation(ctx, n.ID, p.AccountID)
	if err != nil {
		return err
	}
	c.MarketingOptOut = optOut
	return b.st.PutConversation(ctx, c)
}

func (b *Service) conversation(ctx context.Context, numberID, customerID int64) (Conversation, error) {
	c, err := b.st.GetConversation(ctx, numberID, customerID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Conversation{NumberID: numberID, CustomerID: customerID}, nil
	} else if err != nil {
		return Conversation{}, fmt.Errorf("get conversation: %w", err)
	}
	return c, nil
}
