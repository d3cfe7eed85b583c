package adminapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/invoicedoc"
)

// The operator's billing endpoints (docs/BILLING.md): rate cards, wallets,
// invoice runs, credit notes, the revenue dashboard and the what-if
// simulator.

func audit(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := periodQuery(r, "period", true)
		if err != nil {
			return err
		}
		a, err := b.Billing().Audit(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, a)
		return nil
	}
}

func listCards(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cs, err := b.Billing().RateCards(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"cards": cs})
		return nil
	}
}

func getCard(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := strconv.Atoi(r.PathValue("version"))
		if err != nil || v <= 0 {
			return &parley.Error{Code: parley.EInvalid, Message: "version must be a positive integer", Details: map[string]any{"field": "version"}}
		}
		t, err := b.Billing().RateCardText(r.Context(), r.PathValue("name"), v)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err = io.WriteString(w, t)
		return err
	}
}

// addCard takes a card file as the body (text/plain).
func addCard(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return parley.Errorf(parley.ETooLarge, "a rate card is at most 1 MiB")
			}
			return err
		}
		if strings.TrimSpace(string(body)) == "" {
			return parley.Errorf(parley.EMalformed, "the body is empty; send the rate card as text/plain")
		}
		c, err := b.Billing().AddRateCard(r.Context(), string(body))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, c)
		return nil
	}
}

func getWallet(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := b.Billing().Wallet(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func patchWallet(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var s billing.Settings
		if err := decode(w, r, &s); err != nil {
			return err
		}
		v, err := b.Billing().Configure(r.Context(), id, s, true)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func adjust(b *business.Service) handlerFunc {
	type req struct {
		Amount int64  `json:"amount_micros"`
		Note   string `json:"note"`
		Key    string `json:"idempotency_key"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var q req
		if err := decode(w, r, &q); err != nil {
			return err
		}
		t, err := b.Billing().Adjust(r.Context(), id, q.Amount, q.Note, q.Key)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, t)
		return nil
	}
}

func periodQuery(r *http.Request, name string, required bool) (billing.Period, error) {
	s := r.URL.Query().Get(name)
	if s == "" && !required {
		return 0, nil
	}
	p, err := billing.ParsePeriod(s)
	if err != nil {
		return 0, &parley.Error{Code: parley.EInvalid, Message: name + " must be a month, YYYY-MM", Details: map[string]any{"field": name}}
	}
	return p, nil
}

func businessCharges(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p, err := periodQuery(r, "period", true)
		if err != nil {
			return err
		}
		ctx := r.Context()
		if r.URL.Query().Get("format") == "csv" {
			return invoicedoc.ChargesCSV(w, p, func(after int64) ([]billing.StoredCharge, error) {
				return b.Billing().Charges(ctx, id, p, after, 5000)
			})
		}
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		cs, err := b.Billing().Charges(ctx, id, p, after, limit)
		if err != nil {
			return err
		}
		data := make([]map[string]any, 0, len(cs))
		for _, c := range cs {
			data = append(data, invoicedoc.ChargeJSON(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func invoiceRun(b *business.Service) handlerFunc {
	type req struct {
		Period string `json:"period"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var q req
		if err := decode(w, r, &q); err != nil {
			return err
		}
		p, err := billing.ParsePeriod(q.Period)
		if err != nil {
			return &parley.Error{Code: parley.EInvalid, Message: "period must be a month, YYYY-MM", Details: map[string]any{"field": "period"}}
		}
		run, err := b.Billing().RunInvoices(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, run)
		return nil
	}
}

func adminInvoices(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := periodQuery(r, "period", false)
		if err != nil {
			return err
		}
		var biz int64
		if s := r.URL.Query().Get("business_id"); s != "" {
			if biz, err = strconv.ParseInt(s, 10, 64); err != nil || biz <= 0 {
				return &parley.Error{Code: parley.EInvalid, Message: "business_id must be a positive integer", Details: map[string]any{"field": "business_id"}}
			}
		}
		invs, err := b.Billing().Invoices(r.Context(), biz, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": invs})
		return nil
	}
}

func adminInvoice(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		in, err := b.Billing().Invoice(r.Context(), 0, id)
		if err != nil {
			return err
		}
		f := r.URL.Query().Get("format")
		if f == "" || f == "json" {
			writeJSON(w, http.StatusOK, in)
			return nil
		}
		name := ""
		if biz, err := b.GetBusiness(r.Context(), in.BusinessID); err == nil {
			name = biz.Name
		}
		err = invoicedoc.Serve(w, f, invoicedoc.Doc{Invoice: in, Business: name, Issuer: "Parley"})
		if errors.Is(err, invoicedoc.ErrFormat) {
			return &parley.Error{Code: parley.EInvalid, Message: "format must be json, html or pdf", Details: map[string]any{"field": "format"}}
		}
		return err
	}
}

func creditNote(b *business.Service) handlerFunc {
	type req struct {
		Amount int64  `json:"amount_micros"`
		Reason string `json:"reason"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var q req
		if err := decode(w, r, &q); err != nil {
			return err
		}
		n, err := b.Billing().AddCreditNote(r.Context(), id, q.Amount, q.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, n)
		return nil
	}
}

func dashboard(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		from, err := periodQuery(r, "from", true)
		if err != nil {
			return err
		}
		to, err := periodQuery(r, "to", true)
		if err != nil {
			return err
		}
		d, err := b.Billing().Dashboard(r.Context(), from, to)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
}

func simulate(b *business.Service) handlerFunc {
	type req struct {
		From  string `json:"from"`
		To    string `json:"to"`
		Model string `json:"model"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var q req
		if err := decode(w, r, &q); err != nil {
			return err
		}
		from, err := billing.ParsePeriod(q.From)
		if err != nil {
			return &parley.Error{Code: parley.EInvalid, Message: "from must be a month, YYYY-MM", Details: map[string]any{"field": "from"}}
		}
		to, err := billing.ParsePeriod(q.To)
		if err != nil {
			return &parley.Error{Code: parley.EInvalid, Message: "to must be a month, YYYY-MM", Details: map[string]any{"field": "to"}}
		}
		s, err := b.Billing().Simulate(r.Context(), from, to, q.Model)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s)
		return nil
	}
}
