package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// webhookListen runs `parley webhook-listen`: a webhook endpoint for
// trying the Cloud API on one machine. It answers the verification
// handshake (GET with hub.challenge) and prints each delivery's JSON on a
// line, until ctx ends.
func webhookListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("webhook-listen", "", stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "webhook endpoint: http://%s/ (start the server with --webhook-allow 127.0.0.0/8)\n", ln.Addr())
	var mu sync.Mutex
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		mu.Lock()
		fmt.Fprintf(stdout, "%s\n", b)
		mu.Unlock()
	})}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
