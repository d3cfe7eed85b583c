package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSignature(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account"}`)
	// echo -n '{"object":"whatsapp_business_account"}' | openssl dgst -sha256 -hmac secret
	sig := Sign("secret", body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("Sign: got %q", sig)
	}
	if !ValidSignature("secret", body, sig) {
		t.Error("a signature does not validate")
	}
	if ValidSignature("other", body, sig) || ValidSignature("secret", append(body, ' '), sig) {
		t.Error("a signature validates with another secret or body")
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	d := New(nil, Options{BaseBackoff: time.Second, MaxBackoff: time.Minute})
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute, 100: time.Minute} {
		for range 50 {
			got := d.backoff(attempts)
			if got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempts, got, want/2, want)
			}
		}
	}
}

func TestVerify(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != "tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte(q.Get("hub.challenge")))
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := Verify(ctx, srv.Client(), srv.URL+"/hook?x=1", "tok", "c123"); err != nil {
		t.Errorf("good token: %v", err)
	}
	if err := Verify(ctx, srv.Client(), srv.URL, "wrong", "c123"); err == nil {
		t.Error("wrong token verified")
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer echo.Close()
	if err := Verify(ctx, echo.Client(), echo.URL, "tok", "c123"); err == nil {
		t.Error("an endpoint that does not echo the challenge verified")
	}
}
