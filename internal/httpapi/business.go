// Package bizapi is the customers' side of business messaging on Parley's
// own API: a business's public profile with its verified badge, blocking,
// reporting and marketing opt-out of a business number, and the public
// click-to-chat links (GET /c/{code}). Its routes live in their own table
// because they are mounted beside internal/httpapi, whose conventions
// (bearer device tokens, strict JSON, Parley's error shape) they follow.
// It imports the domain package only.
package bizapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// Options are what the routes need besides the business layer.
type Options struct {
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// AppScheme is the deep-link scheme of Parley's apps; default "parley".
	AppScheme string
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error
type authedFunc func(w http.ResponseWriter, r *http.Request, p parley.Principal) error

// NewHandler returns the routes. Every endpoint is listed here.
func NewHandler(b *business.Service, o Options) http.Handler {
	if o.AppScheme == "" {
		o.AppScheme = "parley"
	}
	mux := http.NewServeMux()
	h := func(pattern string, fn handlerFunc) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				o.WriteError(w, r, err)
			}
		}))
	}
	a := func(pattern string, fn authedFunc) {
		h(pattern, func(w http.ResponseWriter, r *http.Request) error {
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			p, err := b.Service().Authenticate(r.Context(), strings.TrimSpace(tok))
			if err != nil {
				return err
			}
			return fn(w, r, p)
		})
	}
	a("GET /v1/business/{account}", profile(b))
	a("POST /v1/business/{account}/block", block(b))
	a("POST /v1/business/{account}/report", report(b))
	a("PUT /v1/business/{account}/marketing", marketing(b))
	h("GET /c/{code}", openLink(b, o.AppScheme))
	return mux
}

func accountID(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue("account"), 10, 64)
	if err != nil || v <= 0 {
		return 0, &parley.Error{Code: parley.EInvalid, Message: "account must be a positive integer", Details: map[string]any{"field": "account"}}
	}
	return v, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func profile(b *business.Service) authedFunc {
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

func block(b *business.Service) authedFunc {
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

func report(b *business.Service) authedFunc {
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

func marketing(b *business.Service) authedFunc {
	type req struct {
		OptOut bool `json:"opt_out"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := accountID(r)
		if err != nil {
			return err
		}
		var in req
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			if errors.Is(err, io.EOF) {
				return parley.Errorf(parley.EMalformed, "the body is empty; send a JSON object")
			}
			return &parley.Error{Code: parley.EMalformed, Message: "the body is malformed: " + err.Error()}
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

func openLink(b *business.Service, scheme string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		l, c, n, err := b.OpenLink(r.Context(), r.PathValue("code"))
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
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Chat with %[1]s</title>
<h1>Chat with %[1]s on Parley</h1>
<p><a href="%[2]s">Open the chat in the Parley app</a></p>
<p>No app yet? Install Parley, then open this link again.</p>`, html.EscapeString(n.DisplayName), html.EscapeString(out.DeepLink))
		return nil
	}
}
