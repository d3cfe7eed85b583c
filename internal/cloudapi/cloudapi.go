// Package cloudapi is Parley's WhatsApp-Cloud-API-compatible business
// surface: its own route table (routes.go), Meta's error shape, and
// request decoding as lenient as Meta's (unknown, empty and null fields
// are ignored; numbers sent as strings are accepted). Responses carry no
// field beyond Meta's; Parley's additions travel in X-Parley-* headers or
// on Parley-only paths. It imports the domain packages, internal/httpjson
// (for writing JSON) and internal/invoicedoc (invoice documents).
package cloudapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/httpjson"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type bizFunc func(w http.ResponseWriter, r *http.Request, biz business.Business) error

// statusOf maps Meta codes to HTTP statuses, as Meta answers them.
func statusOf(code int) int {
	switch code {
	case business.MetaAccessToken:
		return http.StatusUnauthorized
	case business.MetaThroughput, business.MetaRateLimit, 4:
		return http.StatusTooManyRequests
	case business.MetaGeneric, 1:
		return http.StatusInternalServerError
	case 131016:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// toCloud turns any error into a CloudError: domain errors map to Meta's
// generic codes, internal errors to 131000 with no detail.
func toCloud(err error) *business.CloudError {
	if ce, ok := business.AsCloudError(err); ok {
		return ce
	}
	msg := parley.ErrorMessage(err)
	switch parley.ErrorCode(err) {
	case parley.EInvalid, parley.EMalformed, parley.ETooLarge, parley.EConflict:
		return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: msg}
	case parley.ENotFound, parley.EForbidden:
		return &business.CloudError{Code: 100, Subcode: 33, Message: "Unsupported request", Details: msg}
	case parley.EUnsupportedMedia:
		return &business.CloudError{Code: 131053, Message: "Media upload error", Details: msg}
	case parley.EBlocked:
		return &business.CloudError{Code: business.MetaUserStoppedMarketing, Message: "User has blocked this business", Details: msg}
	case parley.ERateLimited:
		return &business.CloudError{Code: business.MetaRateLimit, Message: "Too many API requests", Details: msg}
	case parley.EUnavailable:
		return &business.CloudError{Code: 131016, Message: "Service unavailable", Details: msg}
	}
	return &business.CloudError{Code: business.MetaGeneric, Message: "Something went wrong"}
}

func traceID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func wrap(log *slog.Logger, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		ce := toCloud(err)
		status := statusOf(ce.Code)
		if status >= 500 {
			log.Error("cloud api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		type errorData struct {
			MessagingProduct string `json:"messaging_product,omitempty"`
			Details          string `json:"details"`
		}
		type metaError struct {
			Message      string     `json:"message"`
			Type         string     `json:"type"`
			Code         int        `json:"code"`
			ErrorSubcode int        `json:"error_subcode,omitempty"`
			ErrorData    *errorData `json:"error_data,omitempty"`
			FbtraceID    string     `json:"fbtrace_id"`
		}
		e := metaError{Message: ce.Message, Type: "OAuthException", Code: ce.Code, ErrorSubcode: ce.Subcode, FbtraceID: traceID()}
		if ce.Details != "" {
			e.ErrorData = &errorData{MessagingProduct: "whatsapp", Details: ce.Details}
		}
		if ce.Code == business.MetaAccessToken {
			w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token"`)
		}
		writeJSON(w, status, map[string]any{"error": e})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.WriteJSON(w, status, v) }

// token reads the access token as Meta does: a Bearer header or the
// access_token parameter.
func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		if t, ok := strings.CutPrefix(h, "OAuth "); ok {
			return strings.TrimSpace(t)
		}
	}
	return r.URL.Query().Get("access_token")
}

func authed(b *business.Service, fn bizFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		biz, err := b.AuthenticateBusiness(r.Context(), token(r))
		if err != nil {
			return err
		}
		return fn(w, r, biz)
	}
}

// decode reads a JSON body leniently, as Meta does: unknown fields are
// ignored, and an empty body is an empty object.
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: fmt.Sprintf("the body is larger than %d bytes", max)}
		}
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return decodeForm(body, v)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: fmt.Sprintf("Param %s must be %s", te.Field, te.Type)}
		}
		return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: "the body is not valid JSON"}
	}
	return nil
}

// decodeForm decodes a form body whose values may themselves be JSON
// (Graph API clients send objects that way).
func decodeForm(body []byte, v any) error {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: "the form body is malformed"}
	}
	obj := map[string]json.RawMessage{}
	for k, vs := range vals {
		s := vs[0]
		if json.Valid([]byte(s)) && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
			obj[k] = json.RawMessage(s)
		} else {
			b, _ := json.Marshal(s)
			obj[k] = b
		}
	}
	b, _ := json.Marshal(obj)
	_ = json.Unmarshal(b, v)
	return nil
}

// flexInt is an integer that may arrive as a JSON string.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt(n)
	return nil
}

// flexFloat is a number that may arrive as a JSON string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexFloat(n)
	return nil
}

// flexBool is a boolean that may arrive as a JSON string.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	*f = flexBool(s == "true" || s == "1")
	return nil
}

// pathID reads a positive integer path value; anything else is Meta's
// "object does not exist".
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, &business.CloudError{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", r.PathValue(name))}
	}
	return v, nil
}

// ownBusiness checks that the path's id is the caller's business account.
func ownBusiness(r *http.Request, biz business.Business) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if id != biz.ID {
		return &business.CloudError{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported request. Object with ID '%d' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", id)}
	}
	return nil
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
