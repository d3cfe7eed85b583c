package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/wire"
)

// The people-side revenue models (docs/REVENUE-MODELS.md).

// License returns the server's licence and the seats in use (operator).
func (o *Operator) License(ctx context.Context) (wire.LicenseStatus, error) {
	var v wire.LicenseStatus
	err := o.c.do(ctx, "GET", "/admin/v1/people/license", nil, &v)
	return v, err
}

// Premium returns the caller's premium membership, the plans on offer and
// the limits that apply to the caller.
func (c *Client) Premium(ctx context.Context) (wire.PremiumView, error) {
	var v wire.PremiumView
	err := c.do(ctx, http.MethodGet, "/v1/premium", nil, &v)
	return v, err
}

// SubscribePremium becomes a premium member on plan ("month" or "year"),
// paying the first period with method now.
func (c *Client) SubscribePremium(ctx context.Context, plan, method string) (wire.PremiumView, error) {
	var v wire.PremiumView
	err := c.do(ctx, http.MethodPut, "/v1/premium", map[string]string{"plan": plan, "payment_method": method}, &v)
	return v, err
}

// CancelPremium stops the membership at the end of the paid period.
func (c *Client) CancelPremium(ctx context.Context) (wire.PremiumView, error) {
	var v wire.PremiumView
	err := c.do(ctx, http.MethodDelete, "/v1/premium", nil, &v)
	return v, err
}

// PinnedChats returns the caller's pinned chats and pin limit.
func (c *Client) PinnedChats(ctx context.Context) (wire.Pins, error) {
	var v wire.Pins
	err := c.do(ctx, http.MethodGet, "/v1/pins", nil, &v)
	return v, err
}

// PinChat pins a chat and returns the pins.
func (c *Client) PinChat(ctx context.Context, chatID int64) (wire.Pins, error) {
	var v wire.Pins
	err := c.do(ctx, http.MethodPut, pathf("/v1/chats/%d/pin", chatID), nil, &v)
	return v, err
}

// UnpinChat unpins a chat.
func (c *Client) UnpinChat(ctx context.Context, chatID int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/chats/%d/pin", chatID), nil, nil)
}

// Donation is a donation to make.
type Donation struct {
	AmountMinor   int64  `json:"amount_minor"`
	PaymentMethod string `json:"payment_method"`
	Monthly       bool   `json:"monthly,omitempty"` // every month from now
	Key           string `json:"key,omitempty"`     // makes a one-off donation idempotent
}

// Donate makes a one-off or monthly donation.
func (c *Client) Donate(ctx context.Context, d Donation) (wire.DonationView, error) {
	var v wire.DonationView
	err := c.do(ctx, http.MethodPost, "/v1/donations", d, &v)
	return v, err
}

// MonthlyDonation returns the caller's monthly donation.
func (c *Client) MonthlyDonation(ctx context.Context) (wire.DonationView, error) {
	var v wire.DonationView
	err := c.do(ctx, http.MethodGet, "/v1/donations/monthly", nil, &v)
	return v, err
}

// CancelMonthlyDonation stops the monthly donation from renewing.
func (c *Client) CancelMonthlyDonation(ctx context.Context) (wire.DonationView, error) {
	var v wire.DonationView
	err := c.do(ctx, http.MethodDelete, "/v1/donations/monthly", nil, &v)
	return v, err
}

// Statement returns the caller's statement, as a channel owner, for
// month ("YYYY-MM").
func (c *Client) Statement(ctx context.Context, month string) (wire.Statement, error) {
	var v wire.Statement
	err := c.do(ctx, http.MethodGet, "/v1/statements/"+url.PathEscape(month), nil, &v)
	return v, err
}

// Transparency returns the public transparency figures of the months
// from..to ("YYYY-MM"; both empty for the last 12 months). It needs no
// token.
func (c *Client) Transparency(ctx context.Context, from, to string) (wire.Transparency, error) {
	var v wire.Transparency
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	path := "/v1/transparency"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := c.do(ctx, http.MethodGet, path, nil, &v)
	return v, err
}

// AddCost records an operating cost for the transparency page (operator).
func (o *Operator) AddCost(ctx context.Context, cost wire.OperatingCost) (wire.OperatingCost, error) {
	var v wire.OperatingCost
	in := map[string]any{"month": cost.Month, "category": cost.Category, "description": cost.Description, "amount_minor": cost.Minor}
	if cost.Currency != "" {
		in["currency"] = cost.Currency
	}
	err := o.c.do(ctx, http.MethodPost, "/admin/v1/people/costs", in, &v)
	return v, err
}

// Costs lists the operating costs of the months from..to (operator).
func (o *Operator) Costs(ctx context.Context, from, to string) ([]wire.OperatingCost, error) {
	var out struct {
		Costs []wire.OperatingCost `json:"costs"`
	}
	err := o.c.do(ctx, http.MethodGet, "/admin/v1/people/costs?"+url.Values{"from": {from}, "to": {to}}.Encode(), nil, &out)
	return out.Costs, err
}

// RecordPayouts records the channel owners' payouts of an ended month
// and returns them (operator). It is idempotent.
func (o *Operator) RecordPayouts(ctx context.Context, month string) ([]wire.PayoutView, error) {
	var out struct {
		Payouts []wire.PayoutView `json:"payouts"`
	}
	err := o.c.do(ctx, http.MethodPost, "/admin/v1/people/payouts", map[string]string{"month": month}, &out)
	return out.Payouts, err
}
