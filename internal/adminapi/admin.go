package adminapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// The business side of the admin API (docs/BUSINESS.md): business
// accounts, numbers, system tokens, webhooks, the template review queue,
// the usage ledger and the webhook delivery log.

// Business is the admin view of a business (the app secret included: the
// operator hands it to the business).
type Business struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Category     string    `json:"category,omitempty"`
	Description  string    `json:"description,omitempty"`
	Address      string    `json:"address,omitempty"`
	Website      string    `json:"website,omitempty"`
	Verified     bool      `json:"verified"`
	AppSecret    string    `json:"app_secret"`
	CallbackURL  string    `json:"callback_url,omitempty"`
	PricingModel string    `json:"pricing_model"`
	CreatedAt    time.Time `json:"created_at"`
}

func businessJSON(b business.Business) Business {
	return Business{ID: b.ID, Name: b.Name, Category: b.Category, Description: b.Description, Address: b.Address,
		Website: b.Website, Verified: b.Verified, AppSecret: b.AppSecret, CallbackURL: b.CallbackURL,
		PricingModel: b.PricingModel, CreatedAt: b.CreatedAt}
}

// Number is the admin view of a business number.
type Number struct {
	ID          int64  `json:"id"`
	BusinessID  int64  `json:"business_id"`
	AccountID   int64  `json:"account_id"`
	Phone       string `json:"phone"`
	DisplayName string `json:"display_name"`
	Throughput  int    `json:"throughput"`
	TierLimit   int    `json:"tier_limit"`
	Quality     string `json:"quality"`
	Status      string `json:"status"`
}

func numberJSON(n business.BusinessNumber) Number {
	return Number{ID: n.ID, BusinessID: n.BusinessID, AccountID: n.AccountID, Phone: n.Phone, DisplayName: n.DisplayName,
		Throughput: n.Throughput, TierLimit: n.TierLimit, Quality: n.Quality, Status: n.Status}
}

func createBusiness(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in business.BusinessProfile
		if err := decode(w, r, &in); err != nil {
			return err
		}
		biz, err := b.CreateBusiness(r.Context(), in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, businessJSON(biz))
		return nil
	}
}

func listBusinesses(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		bs, err := b.ListBusinesses(r.Context())
		if err != nil {
			return err
		}
		out := []Business{}
		for _, x := range bs {
			out = append(out, businessJSON(x))
		}
		writeJSON(w, http.StatusOK, map[string]any{"businesses": out})
		return nil
	}
}

func getBusiness(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		biz, err := b.GetBusiness(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, businessJSON(biz))
		return nil
	}
}

func updateBusiness(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in business.BusinessProfile
		if err := decode(w, r, &in); err != nil {
			return err
		}
		biz, err := b.UpdateBusiness(r.Context(), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, businessJSON(biz))
		return nil
	}
}

func rotateSecret(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		biz, err := b.RotateAppSecret(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, businessJSON(biz))
		return nil
	}
}

func setWebhook(b *business.Service, verify func(ctx context.Context, url, token, challenge string) error) handlerFunc {
	type req struct {
		CallbackURL string `json:"callback_url"`
		VerifyToken string `json:"verify_token"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		biz, err := b.SetWebhook(r.Context(), id, in.CallbackURL, in.VerifyToken, verify)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, businessJSON(biz))
		return nil
	}
}

func addNumber(b *business.Service) handlerFunc {
	type req struct {
		Phone       string `json:"phone"`
		DisplayName string `json:"display_name"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		n, err := b.AddNumber(r.Context(), id, in.Phone, in.DisplayName)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, numberJSON(n))
		return nil
	}
}

func listNumbers(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ns, err := b.Numbers(r.Context(), id)
		if err != nil {
			return err
		}
		out := []Number{}
		for _, n := range ns {
			out = append(out, numberJSON(n))
		}
		writeJSON(w, http.StatusOK, map[string]any{"numbers": out})
		return nil
	}
}

func updateNumber(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in business.NumberSettings
		if err := decode(w, r, &in); err != nil {
			return err
		}
		n, err := b.UpdateNumber(r.Context(), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, numberJSON(n))
		return nil
	}
}

// Token is the admin view of a system token; Secret is set only when it
// is issued.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name,omitempty"`
	Secret    string     `json:"token,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func tokenJSON(t business.BusinessToken, secret string) Token {
	out := Token{ID: t.ID, Name: t.Name, Secret: secret, CreatedAt: t.CreatedAt}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = &t.ExpiresAt
	}
	if !t.RevokedAt.IsZero() {
		out.RevokedAt = &t.RevokedAt
	}
	return out
}

func newToken(b *business.Service) handlerFunc {
	type req struct {
		Name       string `json:"name"`
		TTLSeconds int64  `json:"ttl_seconds"` // 0: the default; -1: never expires
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		t, secret, err := b.NewToken(r.Context(), id, in.Name, time.Duration(in.TTLSeconds)*time.Second)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, tokenJSON(t, secret))
		return nil
	}
}

func listTokens(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ts, err := b.Tokens(r.Context(), id)
		if err != nil {
			return err
		}
		out := []Token{}
		for _, t := range ts {
			out = append(out, tokenJSON(t, ""))
		}
		writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
		return nil
	}
}

func revokeToken(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		tid, err := pathID(r, "token")
		if err != nil {
			return err
		}
		if err := b.RevokeToken(r.Context(), id, tid); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// Template is the admin view of a template in the review queue.
type Template struct {
	ID         int64  `json:"id"`
	BusinessID int64  `json:"business_id"`
	Name       string `json:"name"`
	Language   string `json:"language"`
	Category   string `json:"category"`
	// PreviousCategory is the category before review or an operator
	// changed it; empty when it never changed.
	PreviousCategory string                       `json:"previous_category,omitempty"`
	Status           string                       `json:"status"`
	Reason           string                       `json:"reason,omitempty"`
	Components       []business.TemplateComponent `json:"components"`
}

func reviewQueue(tpl *business.Templates) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		status := business.TemplateStatus(strings.ToUpper(r.URL.Query().Get("status")))
		if status == "" {
			status = business.TemplatePending
		}
		ts, err := tpl.List(r.Context(), 0, status, 0, 1000)
		if err != nil {
			return err
		}
		out := []Template{}
		for _, t := range ts {
			out = append(out, Template{ID: t.ID, BusinessID: t.BusinessID, Name: t.Name, Language: t.Language,
				Category: string(t.Category), PreviousCategory: string(t.PreviousCategory), Status: string(t.Status), Reason: t.Reason,
				Components: t.Components})
		}
		writeJSON(w, http.StatusOK, map[string]any{"templates": out})
		return nil
	}
}

// review records the operator's decision on a template: a status (with a
// reason), a new category, or both. A new category goes first, so the
// business learns it (template_category_update) before the approval.
func review(tpl *business.Templates) handlerFunc {
	type req struct {
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		Category string `json:"category"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if in.Status == "" && in.Category == "" {
			return &parley.Error{Code: parley.EInvalid, Message: "give a status, a category or both", Details: map[string]any{"field": "status"}}
		}
		if in.Category != "" {
			if err := tpl.SetCategory(r.Context(), id, business.TemplateCategory(in.Category)); err != nil {
				return err
			}
		}
		if in.Status != "" {
			if err := tpl.SetStatus(r.Context(), id, business.TemplateStatus(strings.ToUpper(in.Status)), in.Reason); err != nil {
				return err
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// Usage is one ledger entry.
type Usage struct {
	ID          int64     `json:"id"`
	Key         string    `json:"key"`
	NumberID    int64     `json:"number_id"`
	Event       string    `json:"event"`
	Category    string    `json:"category"`
	Country     string    `json:"country"`
	PricingType string    `json:"pricing_type"`
	InWindow    bool      `json:"in_window"` // sent inside the customer service window
	Model       string    `json:"pricing_model"`
	Billable    bool      `json:"billable"`
	MessageID   string    `json:"message_id"`
	At          time.Time `json:"at"`
	AmountMinor int64     `json:"amount_minor,omitempty"` // money events (subscriptions, premium, donations)
	Currency    string    `json:"currency,omitempty"`
	ChannelID   int64     `json:"channel_id,omitempty"`
	Ref         string    `json:"ref,omitempty"`
}

func usage(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var id int64 // 0: the whole ledger, money events included
		if r.PathValue("id") != "" {
			var err error
			if id, err = pathID(r, "id"); err != nil {
				return err
			}
		}
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		us, err := b.Usage(r.Context(), id, after, 10000)
		if err != nil {
			return err
		}
		out := []Usage{}
		for _, u := range us {
			out = append(out, Usage{ID: u.ID, Key: u.Key, NumberID: u.NumberID, Event: string(u.Event), Category: u.Category,
				Country: u.Country, PricingType: u.PricingType, InWindow: u.InWindow, Model: u.Model, Billable: u.Billable, MessageID: u.MessageID, At: u.At,
				AmountMinor: u.AmountMinor, Currency: u.Currency, ChannelID: u.ChannelID, Ref: u.Ref})
		}
		writeJSON(w, http.StatusOK, map[string]any{"usage": out})
		return nil
	}
}

// Webhook is one outbox row in the delivery log.
type Webhook struct {
	ID          int64           `json:"id"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	NextAttempt *time.Time      `json:"next_attempt_at,omitempty"`
	DeliveredAt *time.Time      `json:"delivered_at,omitempty"`
	Payload     json.RawMessage `json:"payload"`
}

func webhooks(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		ws, err := b.WebhookLog(r.Context(), id, before, 100)
		if err != nil {
			return err
		}
		out := []Webhook{}
		for _, h := range ws {
			x := Webhook{ID: h.ID, Status: string(h.Status), Attempts: h.Attempts, LastError: h.LastError, CreatedAt: h.CreatedAt, Payload: h.Payload}
			if h.Status == business.WebhookPending {
				t := h.NextAttemptAt
				x.NextAttempt = &t
			}
			if !h.DeliveredAt.IsZero() {
				t := h.DeliveredAt
				x.DeliveredAt = &t
			}
			out = append(out, x)
		}
		writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
		return nil
	}
}

func replay(b *business.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		wid, err := pathID(r, "webhook")
		if err != nil {
			return err
		}
		if err := b.ReplayWebhook(r.Context(), id, wid); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
