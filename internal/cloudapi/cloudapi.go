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
	"reflect"
	"slices"
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

// refuseBody wraps fn so that a request with a body is refused with
// code 100 before anything is done.
func refuseBody(fn bizFunc) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if httpjson.HasBody(r) {
			return invalidBody("this endpoint takes no body; send its parameters in the query string")
		}
		return fn(w, r, biz)
	}
}

func invalidBody(details string) error {
	return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: details}
}

// decode reads a body leniently, as Meta does: JSON or form-encoded
// fields, unknown fields ignored, an empty body an empty object. A body is
// never dropped without a word: a JSON document sent as a form (what
// `curl -d` does) is read as JSON, and a body that holds no parameter
// of the endpoint at all is refused with code 100, because answering 200
// would tell the client its settings were applied (docs/SECURITY.md,
// "Request bodies").
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return invalidBody(fmt.Sprintf("the body is larger than %d bytes", max))
		}
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") && body[0] != '{' {
		return decodeForm(body, v)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return invalidBody("the body is neither a JSON object nor a form")
	}
	if err := knownParams(v, mapKeys(keys)); err != nil {
		return err
	}
	if err := decodeLenient(body, v); err != nil {
		return jsonParamError(err)
	}
	return nil
}

func jsonParamError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalidBody(fmt.Sprintf("Param %s must be %s", te.Field, httpjson.JSONKind(te.Type)))
	}
	return invalidBody("the body is not valid JSON")
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// knownParams refuses a non-empty set of body fields of which none is a
// parameter of v (a pointer to a struct; its JSON names, embedded
// structs included). Other targets are not checked.
func knownParams(v any, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	jsonNames(t.Elem(), names)
	for _, k := range keys {
		if names[k] {
			return nil
		}
	}
	return invalidBody(fmt.Sprintf("the body holds no parameter of this endpoint (got %s); send JSON with Content-Type: application/json, or form fields", strings.Join(keys, ", ")))
}

func jsonNames(t reflect.Type, names map[string]bool) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonNames(ft, names)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
		names[strings.ToLower(name)] = true
	}
}

// decodeForm decodes a form body whose values may themselves be JSON
// (Graph API clients send objects that way).
func decodeForm(body []byte, v any) error {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return invalidBody("the form body is malformed")
	}
	if err := knownParams(v, mapKeys(vals)); err != nil {
		return err
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
	// A form's values are all text; a field that wants a number or a
	// boolean gets the value as a JSON literal instead (low_balance_micros=700).
	for range len(obj) + 1 {
		b, _ := json.Marshal(obj)
		err := decodeLenient(b, v)
		var te *json.UnmarshalTypeError
		if err == nil || !errors.As(err, &te) {
			if err != nil {
				return jsonParamError(err)
			}
			return nil
		}
		vs, ok := vals[te.Field]
		if !ok || !json.Valid([]byte(vs[0])) || string(obj[te.Field]) == vs[0] {
			return jsonParamError(err)
		}
		obj[te.Field] = json.RawMessage(vs[0])
	}
	return invalidBody("the form body is malformed")
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
