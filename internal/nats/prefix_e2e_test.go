package nats

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestSubjectPrefix connects three buses to one server: two with the same
// prefix hear each other, under the subjects they used; the third, with
// another prefix, hears nothing of theirs.
func TestSubjectPrefix(t *testing.T) {
	srv := openEmbedded(t, Options{ListenPort: -1})
	url := "nats://" + srv.srv.Addr().(*net.TCPAddr).String()
	open := func(prefix string) *Bus {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		b, err := Open(ctx, Options{URL: url, SubjectPrefix: prefix}, testLogger(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	a1, a2, other := open("a"), open("a"), open("b")
	fromA, _ := subscribe(t, a2, "parley.dev.*")
	fromOther, _ := subscribe(t, other, "parley.dev.*")
	flush(t, a2)
	flush(t, other)

	publish(t, a1, "parley.dev.1", "for a")
	if m := recv(t, fromA); m.subject != "parley.dev.1" || string(m.data) != "for a" {
		t.Fatalf("got %q on %q, want %q on parley.dev.1", m.data, m.subject, "for a")
	}
	publish(t, other, "parley.dev.1", "for b")
	if m := recv(t, fromOther); string(m.data) != "for b" {
		t.Fatalf("got %q, want %q", m.data, "for b")
	}
	select {
	case m := <-fromOther:
		t.Fatalf("prefix b heard %q from prefix a", m.data)
	case m := <-fromA:
		t.Fatalf("prefix a heard %q from prefix b", m.data)
	case <-time.After(100 * time.Millisecond):
	}
}
