package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/parleyhq/parley"
)

// clientBodies marks a request body that stops short as the client's
// doing. A client that hangs up or stops sending in the middle of an
// upload makes the body's Read fail (unexpected EOF, a reset, the upload
// deadline); whatever the handler wrapped that failure in, it is then a
// malformed request (400, if anyone is still listening) instead of an
// internal error, and it is logged once at INFO, not at ERROR
// (docs/SECURITY.md, "Operator surface and TLS"; issue 13, defect 10).
func clientBodies(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		b := &clientBody{ReadCloser: r.Body}
		r.Body = b
		h.ServeHTTP(w, r)
		if err := b.failed.Load(); err != nil {
			log.Info("client stopped sending the request body", "method", r.Method, "path", r.URL.Path, "err", *err)
		}
	})
}

type clientBody struct {
	io.ReadCloser
	failed atomic.Pointer[error] // the first read error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return n, err // the server's own limit, answered as too large
	}
	b.failed.CompareAndSwap(nil, &err)
	return n, &parley.Error{Code: parley.EMalformed, Message: "the request body ended early", Err: err}
}
