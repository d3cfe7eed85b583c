package cloudapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/invoicedoc"
)

func quoteMessage(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, req, err := decodeSend(w, r, b, biz)
		if err != nil {
			return err
		}
		m, err := req.message(r.Context(), b, biz)
		if err != nil {
			return err
		}
		d, err := b.QuoteMessage(r.Context(), biz, n, m)
		if err != nil {
			return err
		}
		out := map[string]any{"to": d.To, "allowed": d.Allowed, "amount": billing.FormatMicros(d.Amount), "amount_micros": d.Amount,
			"currency": d.Currency, "category": d.Category, "billable": d.Billable, "pricing_type": d.Type, "reason": d.Reason, "card": d.Card,
			"card_version": d.Version, "tier": d.Tier, "service_window_open": d.ServiceWindowOpen, "service_window_until": d.ServiceWindowUntil,
			"free_entry_point_open": d.FreeEntryPointOpen, "free_entry_point_until": d.FreeEntryPointUntil, "refusal": nil, "failure": nil}
		if d.Refusal != nil {
			out["refusal"] = map[string]any{"code": d.Refusal.Code, "message": d.Refusal.Message, "details": d.Refusal.Details}
		}
		if d.Failure != nil {
			out["failure"] = map[string]any{"code": d.Failure.Code, "message": d.Failure.Message, "details": d.Failure.Details}
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func getBilling(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		v, err := bl.Wallet(r.Context(), biz.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func patchBilling(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var s billing.Settings
		if err := decode(w, r, 1<<16, &s); err != nil {
			return err
		}
		v, err := bl.Configure(r.Context(), biz.ID, s, false)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func topUp(bl *billing.Biller) bizFunc {
	type req struct {
		Amount         int64  `json:"amount_micros"`
		PaymentMethod  string `json:"payment_method"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var q req
		if err := decode(w, r, 1<<16, &q); err != nil {
			return err
		}
		t, err := bl.TopUp(r.Context(), biz.ID, q.Amount, q.PaymentMethod, q.IdempotencyKey)
		if parley.ErrorCode(err) == parley.EPaymentDeclined {
			return &business.CloudError{Code: business.MetaPaymentIssue, Message: "Business eligibility payment issue", Details: parley.ErrorMessage(err)}
		} else if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, t)
		return nil
	}
}

func walletTransactions(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		ts, err := bl.Transactions(r.Context(), biz.ID, before, limit)
		if err != nil {
			return err
		}
		if ts == nil {
			ts = []billing.WalletTx{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": ts})
		return nil
	}
}

// periodParam reads ?period=YYYY-MM, the current month when absent.
func periodParam(r *http.Request, now time.Time) (billing.Period, error) {
	s := r.URL.Query().Get("period")
	if s == "" {
		return billing.PeriodOf(now), nil
	}
	p, err := billing.ParsePeriod(s)
	if err != nil {
		return 0, invalid("period must be YYYY-MM")
	}
	return p, nil
}

func listInvoices(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var p billing.Period
		if r.URL.Query().Get("period") != "" {
			var err error
			if p, err = periodParam(r, time.Time{}); err != nil {
				return err
			}
		}
		invs, err := bl.Invoices(r.Context(), biz.ID, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": invs})
		return nil
	}
}

func getInvoice(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		id, err := pathID(r, "invoice")
		if err != nil {
			return err
		}
		in, err := bl.Invoice(r.Context(), biz.ID, id)
		if err != nil {
			return err
		}
		return writeInvoice(w, r, in, biz.Name)
	}
}

// writeInvoice answers with the invoice as JSON, or as ?format=html or
// ?format=pdf (a download).
func writeInvoice(w http.ResponseWriter, r *http.Request, in billing.Invoice, business string) error {
	f := r.URL.Query().Get("format")
	if f == "" || f == "json" {
		writeJSON(w, http.StatusOK, in)
		return nil
	}
	err := invoicedoc.Serve(w, f, invoicedoc.Doc{Invoice: in, Business: business, Issuer: "Parley"})
	if errors.Is(err, invoicedoc.ErrFormat) {
		return invalid("format must be json, html or pdf")
	}
	return err
}

func listCharges(bl *billing.Biller) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		p, err := periodParam(r, time.Now())
		if err != nil {
			return err
		}
		return writeCharges(w, r, bl, biz.ID, p)
	}
}

// writeCharges answers with the rated ledger of a period: JSON pages
// (?after=, ?limit=) or, with ?format=csv, all of it as CSV.
func writeCharges(w http.ResponseWriter, r *http.Request, bl *billing.Biller, bizID int64, p billing.Period) error {
	ctx := r.Context()
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	switch r.URL.Query().Get("format") {
	case "", "json":
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		cs, err := bl.Charges(ctx, bizID, p, after, limit)
		if err != nil {
			return err
		}
		data := make([]map[string]any, 0, len(cs))
		for _, c := range cs {
			data = append(data, invoicedoc.ChargeJSON(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	case "csv":
		return invoicedoc.ChargesCSV(w, p, func(after int64) ([]billing.StoredCharge, error) {
			return bl.Charges(ctx, bizID, p, after, 5000)
		})
	}
	return invalid("format must be json or csv")
}
