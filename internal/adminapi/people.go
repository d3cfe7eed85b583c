package adminapi

import (
	"net/http"

	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// The operator's side of the people-side revenue models
// (docs/REVENUE-MODELS.md): the licence and its seats, operating costs and
// channel payouts.

func operatorLicense(svc *revenue.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := svc.LicenseStatus(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}

func addCost(svc *revenue.Service) handlerFunc {
	type req struct {
		Month       string `json:"month"`
		Category    string `json:"category"`
		Description string `json:"description"`
		AmountMinor int64  `json:"amount_minor"`
		Currency    string `json:"currency"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, err := svc.AddOperatingCost(r.Context(), wire.OperatingCost{Month: in.Month, Category: in.Category,
			Description: in.Description, Minor: in.AmountMinor, Currency: in.Currency})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, c)
		return nil
	}
}

func listCosts(svc *revenue.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		cs, err := svc.OperatingCosts(r.Context(), q.Get("from"), q.Get("to"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"costs": cs})
		return nil
	}
}

func recordPayouts(svc *revenue.Service) handlerFunc {
	type req struct {
		Month string `json:"month"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		ps, err := svc.RecordPayouts(r.Context(), in.Month)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"month": in.Month, "payouts": ps})
		return nil
	}
}
