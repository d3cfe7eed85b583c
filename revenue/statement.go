package revenue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// channelStatement builds a channel's statement from its ledger entries
// of one month: each subscription_charge is a line, with the
// operator_share entry of the same charge (keys "<charge>:charge" and
// "<charge>:share"). Other kinds are ignored.
func channelStatement(channelID int64, currency string, es []money.LedgerEntry) wire.ChannelStatement {
	cs := wire.ChannelStatement{ChannelID: channelID, Gross: wire.Money{Minor: 0, Currency: currency}, OperatorShare: wire.Money{Minor: 0, Currency: currency}, Net: wire.Money{Minor: 0, Currency: currency}, Lines: []wire.StatementLine{}}
	shares := map[string]int64{}
	for _, e := range es {
		if e.Kind == "operator_share" {
			shares[strings.TrimSuffix(e.Key, ":share")] += e.Minor
		}
	}
	for _, e := range es {
		if e.Kind == "ad_owner_share" { // the owner's share of the ads shown in the channel (docs/ADS.md)
			cs.Lines = append(cs.Lines, wire.StatementLine{At: e.At, Ref: e.Ref, Gross: e.Minor, Net: e.Minor})
			cs.Gross.Minor += e.Minor
			cs.Net.Minor += e.Minor
			continue
		}
		if e.Kind != "subscription_charge" {
			continue
		}
		share := shares[strings.TrimSuffix(e.Key, ":charge")]
		l := wire.StatementLine{At: e.At, Ref: e.Ref, Gross: e.Minor, OperatorShare: share, Net: e.Minor - share}
		cs.Lines = append(cs.Lines, l)
		cs.Gross.Minor += l.Gross
		cs.OperatorShare.Minor += l.OperatorShare
		cs.Net.Minor += l.Net
	}
	return cs
}

// payoutKey is the ledger key of a channel's payout for a month: one
// payout per channel and month.
func payoutKey(channelID int64, month string) string {
	return "owner_payout:" + strconv.FormatInt(channelID, 10) + ":" + month
}

// monthStatement returns channel c's statement for the month [start, end).
func (s *Service) monthStatement(ctx context.Context, c channel.Channel, month string, start, end time.Time) (wire.ChannelStatement, error) {
	es, err := s.store.LedgerRange(ctx, c.ID, "", start, end)
	if err != nil {
		return wire.ChannelStatement{}, fmt.Errorf("ledger range: %w", err)
	}
	cs := channelStatement(c.ID, s.channelCurrency, es)
	cs.Handle = c.Handle
	// A payout is written after its month, so look from the month's end on.
	if now := s.now(); !now.Before(end) {
		ps, err := s.store.LedgerRange(ctx, c.ID, "owner_payout", end, now.Add(time.Nanosecond))
		if err != nil {
			return wire.ChannelStatement{}, fmt.Errorf("ledger range: %w", err)
		}
		for _, e := range ps {
			if e.Key == payoutKey(c.ID, month) {
				cs.Payout = &wire.PayoutView{ChannelID: c.ID, Month: month, Amount: wire.Money{Minor: e.Minor, Currency: e.Currency}, Key: e.Key, At: e.At}
			}
		}
	}
	return cs, nil
}

// OwnerStatement returns the caller's statement for month ("YYYY-MM"):
// every channel they own, whether it earned anything or not. Errors:
// EInvalid for the month.
func (s *Service) OwnerStatement(ctx context.Context, p parley.Principal, month string) (wire.Statement, error) {
	start, end, err := ParseMonth("month", month)
	if err != nil {
		return wire.Statement{}, err
	}
	cs, err := s.store.AdminChannels(ctx, p.AccountID)
	if err != nil {
		return wire.Statement{}, fmt.Errorf("admin channels: %w", err)
	}
	cur := s.channelCurrency
	st := wire.Statement{Month: month, Closed: !s.now().Before(end), Gross: wire.Money{Minor: 0, Currency: cur}, OperatorShare: wire.Money{Minor: 0, Currency: cur}, Net: wire.Money{Minor: 0, Currency: cur},
		Channels: []wire.ChannelStatement{}}
	for _, c := range cs {
		if c.OwnerID != p.AccountID {
			continue
		}
		ch, err := s.monthStatement(ctx, c, month, start, end)
		if err != nil {
			return wire.Statement{}, err
		}
		st.Gross.Minor += ch.Gross.Minor
		st.OperatorShare.Minor += ch.OperatorShare.Minor
		st.Net.Minor += ch.Net.Minor
		st.Channels = append(st.Channels, ch)
	}
	return st, nil
}

// RecordPayouts writes the payout of every channel that earned
// subscription revenue in month ("YYYY-MM") to the money ledger (kind
// owner_payout, the net of the month, once per channel and month) and
// returns the month's payouts. Errors: EInvalid for the month, or for a
// month that has not ended.
func (s *Service) RecordPayouts(ctx context.Context, month string) ([]wire.PayoutView, error) {
	start, end, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Before(end) {
		return nil, &parley.Error{Code: parley.EInvalid, Message: "payouts are made for months that have ended; " + month + " ends at " + end.Format(time.RFC3339),
			Details: map[string]any{"field": "month", "ends_at": end}}
	}
	charges, err := s.store.LedgerRange(ctx, 0, "subscription_charge", start, end)
	if err != nil {
		return nil, fmt.Errorf("ledger range: %w", err)
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, e := range charges {
		if !seen[e.ChannelID] {
			seen[e.ChannelID] = true
			ids = append(ids, e.ChannelID)
		}
	}
	out := []wire.PayoutView{}
	for _, id := range ids {
		c, err := channel.LoadChannel(ctx, s.store, id)
		if err != nil {
			return nil, err
		}
		cs, err := s.monthStatement(ctx, c, month, start, end)
		if err != nil {
			return nil, err
		}
		if cs.Payout == nil {
			e := &money.LedgerEntry{Key: payoutKey(id, month), ChannelID: id, Kind: "owner_payout", Minor: cs.Net.Minor, Currency: cs.Net.Currency,
				Ref: "owner:" + strconv.FormatInt(c.OwnerID, 10) + " month:" + month, At: now}
			if _, err := s.store.AppendLedger(ctx, []*money.LedgerEntry{e}); err != nil {
				return nil, fmt.Errorf("append ledger: %w", err)
			}
			if cs, err = s.monthStatement(ctx, c, month, start, end); err != nil {
				return nil, err
			}
		}
		if cs.Payout != nil {
			out = append(out, *cs.Payout)
		}
	}
	return out, nil
}

// Sweep renews premium memberships and monthly donations and
// records the payouts of the month that ended last. SweepChannels calls
// it.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	if err := s.renewRecurring(ctx, now); err != nil {
		return err
	}
	cur, _ := monthOf(now)
	last := cur.AddDate(0, -1, 0).Format("2006-01")
	s.state.payoutMu.Lock()
	defer s.state.payoutMu.Unlock()
	if s.state.payoutMonth == last {
		return nil // once a month per node; the ledger keys make repeats harmless
	}
	if _, err := s.RecordPayouts(ctx, last); err != nil {
		return fmt.Errorf("record payouts: %w", err)
	}
	s.state.payoutMonth = last
	return nil
}
