// Package httpjson is what Parley's HTTP surfaces share: strict,
// size-limited JSON decoding with every decoder complaint mapped to a
// domain error, JSON writing, path and query integers, bearer tokens,
// and Parley's own error shape {"error":{"code","message","details"?}}
// with the status of its code (parley.Code.HTTPStatus). It imports the
// kernel and the chat core's wire error, nothing else of Parley's.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes err in Parley's error shape with the status of its
// code, logging server errors in full. A rate_limited error's
// retry_after_seconds is also sent as Retry-After.
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := parley.ErrorCode(err)
	status := code.HTTPStatus()
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	details := parley.ErrorDetails(err)
	if secs, ok := details["retry_after_seconds"].(int); ok && code == parley.ERateLimited {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	WriteJSON(w, status, map[string]any{"error": wire.Error{
		Code: code, Message: parley.ErrorMessage(err), Details: details,
	}})
}

// Decode reads a strict JSON body into v: at most max bytes, no unknown
// fields, exactly one value.
func Decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*json.SyntaxError](err); ok && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			return parley.Errorf(parley.EMalformed, "the body is form-encoded; send JSON (Content-Type: application/json)")
		}
		return decodeError(err, max)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return parley.Errorf(parley.EMalformed, "the body must hold exactly one JSON value")
	}
	return nil
}

// HasBody reports whether r carries a body that says something: any body
// but an empty one, white space, `null` and `{}` (what some clients send
// on every request, and which holds no parameter to ignore). A short body
// is read and put back whole.
func HasBody(r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return false
	}
	const short = 16
	if r.ContentLength > short {
		return true
	}
	head, _ := io.ReadAll(io.LimitReader(r.Body, short+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if len(head) > short {
		return true
	}
	switch string(bytes.Join(bytes.Fields(head), nil)) {
	case "", "null", "{}":
		return false
	}
	return true
}

// ErrBodyNotRead is the answer to a body sent to a route that reads none
// (every GET and DELETE, and the few POST and PUT routes whose path says
// everything): refusing it beats doing the request while the body, which
// the client believes means something, is dropped (docs/SECURITY.md,
// "Request bodies").
var ErrBodyNotRead = &parley.Error{Code: parley.EMalformed, Message: "this endpoint takes no body; send its parameters in the path or the query string"}

// NoBody wraps h so that a request with a body is refused with
// ErrBodyNotRead, written by writeErr.
func NoBody(h http.Handler, writeErr func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if HasBody(r) {
			writeErr(w, r, ErrBodyNotRead)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TakesNoBody reports whether a route pattern's method never has a body
// ("GET /v1/me", "DELETE /v1/blocks/{id}").
func TakesNoBody(pattern string) bool {
	method, _, _ := strings.Cut(pattern, " ")
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete
}

// ReadBody reads a raw body of at most max bytes.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return nil, decodeError(err, max)
	}
	return buf.Bytes(), nil
}

func decodeError(err error, max int64) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", max), Details: map[string]any{"limit": max}}
	case errors.Is(err, io.EOF):
		return parley.Errorf(parley.EMalformed, "the body is empty; send a JSON object")
	case errors.As(err, &syn):
		return &parley.Error{Code: parley.EMalformed, Message: "the body is not valid JSON", Details: map[string]any{"offset": syn.Offset}}
	case errors.As(err, &typ):
		return &parley.Error{Code: parley.EMalformed, Message: fmt.Sprintf("field %q must be %s", typ.Field, JSONKind(typ.Type)), Details: map[string]any{"field": typ.Field}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return parley.Errorf(parley.EMalformed, "the body ends early")
	}
	// Unknown fields and other decoder complaints.
	return &parley.Error{Code: parley.EMalformed, Message: "the body is malformed: " + err.Error()}
}

// PathID reads a positive integer path value.
func PathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("%s must be a positive integer", name), Details: map[string]any{"field": name}}
	}
	return v, nil
}

// QueryInt reads a non-negative integer query parameter, def when absent.
func QueryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &parley.Error{Code: parley.EInvalid, Message: name + " must be a non-negative integer", Details: map[string]any{"field": name}}
	}
	return n, nil
}

// BearerToken returns the token of "Authorization: Bearer <token>", or "".
func BearerToken(r *http.Request) string {
	t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(t)
}
