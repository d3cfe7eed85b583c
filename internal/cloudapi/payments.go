package cloudapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/business"
)

// The Payments API of the Cloud API (business/orders.go, payments.go,
// refunds.go; docs/COMMERCE.md): Meta's payment lookup by payment
// configuration and reference id, the refund of an order's payment, and
// Parley's commerce statement of a business account.

// lookupPayment answers GET /{version}/{phone-number-id}/payments/{config}/{reference}.
func lookupPayment(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		out, err := b.Orders().Lookup(r.Context(), biz, n, r.PathValue("config"), r.PathValue("reference"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// refundPayment answers POST /{version}/{phone-number-id}/payments_refund:
// {reference_id, payment_config_id?, speed?, amount?{value, offset,
// currency}, idempotency_key?}. Without amount, what is left is refunded.
func refundPayment(b *business.Service) bizFunc {
	type req struct {
		ReferenceID     string `json:"reference_id"`
		PaymentConfigID string `json:"payment_config_id"`
		Speed           string `json:"speed"`
		Amount          *struct {
			Value    flexInt `json:"value"`
			Offset   flexInt `json:"offset"`
			Currency string  `json:"currency"`
		} `json:"amount"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if in.ReferenceID == "" {
			return &business.CloudError{Code: business.MetaRequiredParameter, Message: "Required parameter is missing", Details: "reference_id is required"}
		}
		if in.Speed != "" && in.Speed != "normal" {
			return invalid("speed must be normal")
		}
		rr := business.RefundRequest{ReferenceID: in.ReferenceID, Config: in.PaymentConfigID, Key: in.IdempotencyKey}
		if k := r.Header.Get("Idempotency-Key"); rr.Key == "" {
			rr.Key = k
		}
		if a := in.Amount; a != nil {
			if a.Offset != 100 || a.Value <= 0 {
				return &business.CloudError{Code: business.MetaParameterValue, Message: "Parameter value is not valid", Details: "amount: give value > 0 at offset 100"}
			}
			rr.AmountMinor, rr.Currency = int64(a.Value), a.Currency
		}
		ref, err := b.Orders().Refund(r.Context(), biz, n, rr)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "rfnd_" + strconv.FormatInt(ref.ID, 10), "status": ref.Status,
			"amount": map[string]any{"value": ref.AmountMinor, "offset": 100, "currency": ref.Currency}})
		return nil
	}
}

// paymentsStatement answers GET /{version}/{waba-id}/payments_statement?since=&until=
// (UNIX seconds; default the last 30 days), a Parley addition.
func paymentsStatement(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		q := r.URL.Query()
		until := time.Now()
		since := until.Add(-30 * 24 * time.Hour)
		for _, x := range []struct {
			name string
			t    *time.Time
		}{{"since", &since}, {"until", &until}} {
			if v := q.Get(x.name); v != "" {
				sec, err := strconv.ParseInt(v, 10, 64)
				if err != nil || sec < 0 {
					return invalid("%s must be UNIX seconds", x.name)
				}
				*x.t = time.Unix(sec, 0)
			}
		}
		if !since.Before(until) {
			return invalid("since must be before until")
		}
		st, err := b.Orders().Statement(r.Context(), biz, since, until)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}
