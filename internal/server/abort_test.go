package server_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// logBuffer is a log sink safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAbortedUploadNotAnError: a client that hangs up in the middle of an
// upload is the client's doing, not a server failure: it is logged below
// ERROR, and a client that only stops early (half-closes) is answered
// 400 (issue 13, defect 10).
func TestAbortedUploadNotAnError(t *testing.T) {
	logs := &logBuffer{}
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	alice := login(t, srv, "+14155550161")
	for _, path := range []string{"/v1/me/avatar"} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n", path, alice.Token)
		_, _ = c.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 4096)...))
		_ = c.(*net.TCPConn).CloseWrite() // stop sending; still listening
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var resp [512]byte
		n, _ := c.Read(resp[:])
		c.Close()
		if got := string(resp[:n]); !strings.HasPrefix(got, "HTTP/1.1 400") {
			t.Errorf("PUT %s cut short: got %.60q, want 400", path, got)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "client stopped sending") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("an aborted upload is logged at ERROR:\n%s", out)
	}
	if !strings.Contains(out, "client stopped sending") {
		t.Errorf("the aborted upload is not logged at all:\n%s", out)
	}
}
