// Package httpapi is Parley's own HTTP API: the one route table of /v1
// (routes.go) and its handlers. Decoding, writing JSON and errors are
// internal/httpjson's; the WebSocket gateway is mounted into it as a plain
// http.Handler.
package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/httpjson"
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
			httpjson.WriteError(log, w, r, err)
		}
	})
}

// ErrorWriter returns a function that writes err in the API's error shape,
// for handlers outside this package (the WebSocket upgrade).
func ErrorWriter(log *slog.Logger) func(w http.ResponseWriter, r *http.Request, err error) {
	return func(w http.ResponseWriter, r *http.Request, err error) { httpjson.WriteError(log, w, r, err) }
}

// The handlers' short names for internal/httpjson.

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.WriteJSON(w, status, v) }

func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	return httpjson.Decode(w, r, max, v)
}

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	return httpjson.ReadBody(w, r, max)
}

func pathID(r *http.Request, name string) (int64, error) { return httpjson.PathID(r, name) }

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	return httpjson.QueryInt(r, name, def)
}
