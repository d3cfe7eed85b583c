package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSignature(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account"}`)
	// Known answers computed outside Go, so that Sign is not checked against itself:
	//   printf '%s' '{"object":"whatsapp_business_account"}' | openssl dgst -sha256 -hmac secret
	//   printf '%s' 'what do ya want for nothing?' | openssl dgst -sha256 -hmac Jefe  (RFC 4231, test case 2)
	for _, v := range []struct{ secret, body, want string }{
		{"secret", string(body), "sha256=03f6dd944ecab4ddac0e3dbc3923b2da4e12b03df679ae23a52efd78ca6056e0"},
		{"Jefe", "what do ya want for nothing?", "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	} {
		if got := Sign(v.secret, []byte(v.body)); got != v.want {
			t.Errorf("Sign(%q, %q): got %s, want %s", v.secret, v.body, got, v.want)
		}
	}
	//   printf '%s' ... | openssl dgst -sha1 -hmac ...  (RFC 2202, test case 2)
	for _, v := range []struct{ secret, body, want string }{
		{"secret", string(body), "sha1=9d68db2491f0d68d081a88cde58d588048f7319a"},
		{"Jefe", "what do ya want for nothing?", "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	} {
		if got := SignSHA1(v.secret, []byte(v.body)); got != v.want {
			t.Errorf("SignSHA1(%q, %q): got %s, want %s", v.secret, v.body, got, v.want)
		}
	}
	sig := Sign("secret", body)
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
