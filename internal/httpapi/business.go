package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// The customers' side of business messaging (docs/BUSINESS.md): a
// business's public profile with its verified badge, blocking, reporting
// and marketing opt-out of a business number, and the public click-to-chat
// links (GET /c/{code}).

func accountID(r *http.Request) (int64, error) { return pathID(r, "account") }

func businessProfile(b *business.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := accountID(r)
		if err != nil {
			return err
		}
		pb, err := b.BusinessOf(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, pb)
		return nil
	}
}

func blockBusiness(b *business.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := accountID(r)
		if err != nil {
			return err
		}
		if err := b.BlockBusiness(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func reportBusiness(b *business.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := accountID(r)
		if err != nil {
			return err
		}
		if err := b.ReportBusiness(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func marketingOptOut(b *business.Service) authedFunc {
	type req struct {
		OptOut bool `json:"opt_out"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := accountID(r)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 4096, &in); err != nil {
			return err
		}
		if err := b.SetMarketingOptOut(r.Context(), p, id, in.OptOut); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// ChatLink is where a click-to-chat link leads: the number to open a chat
// with, the draft, and the click id the first message carries back in
// Content.Referral.CtwaClid. GET /c/{code} with Accept: application/json
// answers it; a browser gets a landing page with the app deep link.
type ChatLink struct {
	Phone    string `json:"phone"`
	Business string `json:"business"`
	Text     string `json:"text,omitempty"`
	ClickID  string `json:"ctwa_clid"`
	DeepLink string `json:"deep_link"`
}

func openLink(biz *business.Service, scheme string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		l, c, n, err := biz.Links().Open(r.Context(), r.PathValue("code"))
		if err != nil {
			return err
		}
		q := url.Values{"phone": {n.Phone}, "ctwa_clid": {c.ID}}
		if l.Prefill != "" {
			q.Set("text", l.Prefill)
		}
		out := ChatLink{Phone: n.Phone, Business: n.DisplayName, Text: l.Prefill, ClickID: c.ID,
			DeepLink: scheme + "://chat?" + q.Encode()}
		w.Header().Set("Cache-Control", "no-store")
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			writeJSON(w, http.StatusOK, out)
			return nil
		}
		writeLanding(w, r, biz, l, n, out)
		return nil
	}
}
