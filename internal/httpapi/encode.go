// Package httpapi is Parley's own HTTP API: the route table (routes.go),
// the handlers, and the one table that maps domain error codes to HTTP
// statuses. It imports the domain package and nothing else of Parley's; the
// WebSocket gateway is mounted into it as a plain http.Handler.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// StatusOf returns the HTTP status for an error code, from the one table
// (parley.Codes).
func StatusOf(c parley.Code) int { return c.HTTPStatus() }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// wrap turns a handlerFunc into an http.Handler, writing any error once,
// in the one JSON error shape, and logging internal errors in full.
func wrap(log *slog.Logger, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(log, w, r, err)
		}
	})
}

// ErrorWriter returns a function that writes err in the API's error shape,
// for handlers outside this package (the WebSocket upgrade).
func ErrorWriter(log *slog.Logger) func(w http.ResponseWriter, r *http.Request, err error) {
	return func(w http.ResponseWriter, r *http.Request, err error) { writeError(log, w, r, err) }
}

func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := parley.ErrorCode(err)
	status := StatusOf(code)
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]any{"error": wire.Error{
		Code: code, Message: parley.ErrorMessage(err), Details: parley.ErrorDetails(err),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// decode reads a strict JSON body into v: at most max bytes, no unknown
// fields, exactly one value.
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, max)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return parley.Errorf(parley.EMalformed, "the body must hold exactly one JSON value")
	}
	return nil
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
		return &parley.Error{Code: parley.EMalformed, Message: fmt.Sprintf("field %q must be %s", typ.Field, typ.Type), Details: map[string]any{"field": typ.Field}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return parley.Errorf(parley.EMalformed, "the body ends early")
	}
	// Unknown fields and other decoder complaints.
	return &parley.Error{Code: parley.EMalformed, Message: "the body is malformed: " + err.Error()}
}

// pathID reads a positive integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("%s must be a positive integer", name), Details: map[string]any{"field": name}}
	}
	return v, nil
}

// readBody reads a raw body of at most max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return nil, decodeError(err, max)
	}
	return buf.Bytes(), nil
}
