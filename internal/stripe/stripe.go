// Package stripe is the Stripe adapter of parley.PaymentProvider: it takes
// payments as PaymentIntents (created and confirmed in one call) and gives
// refunds, through stripe-go. Every call carries the charge's idempotency
// key as Stripe's Idempotency-Key, so a retried charge is charged once.
// It imports only the root package and stripe-go.
package stripe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
)

// Options configure the adapter.
type Options struct {
	Key string // secret API key (sk_...); required
	// URL is the API's base URL; default Stripe's. Tests point it at
	// stripefake.
	URL string
	// Retries is how many times a request that failed on the network or
	// with a 5xx is retried (with the same idempotency key); default 2,
	// negative for none.
	Retries    int
	HTTPClient *http.Client // default: a client with a 30 s timeout
}

// Payments is a parley.PaymentProvider and parley.PaymentRefunder on
// Stripe. It is safe for concurrent use.
type Payments struct {
	c *stripeapi.Client
}

// New returns the adapter. It returns an error without a key.
func New(o Options) (*Payments, error) {
	if o.Key == "" {
		return nil, errors.New("stripe: an API key is required")
	}
	retries := int64(2)
	if o.Retries < 0 {
		retries = 0
	} else if o.Retries > 0 {
		retries = int64(o.Retries)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := &stripeapi.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: stripeapi.Int64(retries),
		LeveledLogger:     &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
	}
	if o.URL != "" {
		cfg.URL = stripeapi.String(strings.TrimRight(o.URL, "/"))
	}
	return &Payments{c: stripeapi.NewClient(o.Key, stripeapi.WithBackends(stripeapi.NewBackendsWithConfig(cfg)))}, nil
}

// Charge creates and confirms a PaymentIntent for c.Amount on the payment
// method c.Method (a pm_... id), idempotent by c.Key and c.Method, and
// returns the PaymentIntent's id. A card error, or an intent that did not
// succeed (it needs the customer's action), is EPaymentDeclined; a
// malformed charge is EInvalid; anything else is EUnavailable.
func (p *Payments) Charge(ctx context.Context, c money.PaymentCharge) (string, error) {
	if c.Amount.Minor <= 0 || len(c.Amount.Currency) != 3 {
		return "", parley.Errorf(parley.EInvalid, "a charge needs a positive amount and a currency")
	}
	if c.Method == "" {
		return "", &parley.Error{Code: parley.EInvalid, Message: "a payment method is required", Details: map[string]any{"field": "method"}}
	}
	params := &stripeapi.PaymentIntentCreateParams{
		Amount:        stripeapi.Int64(c.Amount.Minor),
		Currency:      stripeapi.String(strings.ToLower(c.Amount.Currency)),
		PaymentMethod: stripeapi.String(c.Method),
		Confirm:       stripeapi.Bool(true),
		Description:   stripeapi.String(c.Description),
		AutomaticPaymentMethods: &stripeapi.PaymentIntentCreateAutomaticPaymentMethodsParams{
			Enabled:        stripeapi.Bool(true),
			AllowRedirects: stripeapi.String("never"),
		},
	}
	params.AddMetadata("parley_account_id", strconv.FormatInt(c.AccountID, 10))
	params.AddMetadata("parley_key", c.Key)
	params.SetIdempotencyKey(idempotencyKey(c.Key, c.Method))
	pi, err := p.c.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return "", providerError(err)
	}
	switch pi.Status {
	case stripeapi.PaymentIntentStatusSucceeded, stripeapi.PaymentIntentStatusProcessing:
		return pi.ID, nil
	}
	return "", &parley.Error{Code: parley.EPaymentDeclined, Message: "the payment needs the payer's action and was not taken",
		Details: map[string]any{"status": string(pi.Status)}}
}

// idempotencyKey is the Idempotency-Key of a charge: its key and a digest
// of its payment method. Stripe replays a declined answer for a key, and
// refuses a key reused with other parameters, so a payer whose card was
// declined could never pay that charge with another card under the bare
// key. A retry with the same method (a lost answer, a double click) still
// charges once; a charge that succeeded is never asked again by callers,
// which store it before answering.
func idempotencyKey(key, method string) string {
	h := sha256.Sum256([]byte(method))
	return key + ":" + hex.EncodeToString(h[:6])
}

// Refund refunds amount of the payment ref (a PaymentIntent id returned
// by Charge), once per key, and returns the refund's id. Errors as Charge.
func (p *Payments) Refund(ctx context.Context, key, ref string, amount money.Money) (string, error) {
	if amount.Minor <= 0 || ref == "" {
		return "", parley.Errorf(parley.EInvalid, "a refund needs a payment and a positive amount")
	}
	params := &stripeapi.RefundCreateParams{PaymentIntent: stripeapi.String(ref), Amount: stripeapi.Int64(amount.Minor)}
	params.AddMetadata("parley_key", key)
	params.SetIdempotencyKey(key)
	r, err := p.c.V1Refunds.Create(ctx, params)
	if err != nil {
		return "", providerError(err)
	}
	return r.ID, nil
}

// providerError maps a stripe-go error to a parley error code.
func providerError(err error) error {
	var se *stripeapi.Error
	if !errors.As(err, &se) {
		return &parley.Error{Code: parley.EUnavailable, Message: "the payment provider could not be reached; try again", Err: err}
	}
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		return &parley.Error{Code: parley.EUnavailable, Message: "the payment provider refused the server's credentials", Err: err}
	case se.Type == stripeapi.ErrorTypeIdempotency:
		return &parley.Error{Code: parley.EConflict, Message: "this payment was already made with other details", Err: err}
	case se.Type == stripeapi.ErrorTypeCard:
		d := map[string]any{"provider_code": string(se.Code)}
		if se.DeclineCode != "" {
			d["decline_code"] = string(se.DeclineCode)
		}
		return &parley.Error{Code: parley.EPaymentDeclined, Message: "the payment was declined", Details: d, Err: err}
	case se.Type == stripeapi.ErrorTypeInvalidRequest && se.HTTPStatusCode < 500:
		return &parley.Error{Code: parley.EInvalid, Message: "the payment provider refused the request",
			Details: map[string]any{"provider_code": string(se.Code), "param": se.Param}, Err: err}
	}
	return &parley.Error{Code: parley.EUnavailable, Message: fmt.Sprintf("the payment provider failed (%s); try again", se.Type), Err: err}
}
