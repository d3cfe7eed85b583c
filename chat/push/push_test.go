package push

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley"
)

// A valid P-256 public key and a 16-byte secret, base64url.
const (
	testP256dh = "BFOxAeV98dB7h0S9F_60DxJNZtvaWRzpJfJFa3FtuyfYFtOoBs7cT3sv7ev9A2H5woNvEAZAKEmBSB6s2JEKPDQ"
	testAuth   = "AAECAwQFBgcICQoLDA0ODw"
)

func TestValidateSubscription(t *testing.T) {
	good := Subscription{Kind: KindWebPush, Endpoint: "https://push.example.com/s/abc", P256dh: testP256dh, Auth: testAuth}
	with := func(fn func(*Subscription)) Subscription { s := good; fn(&s); return s }
	tests := []struct {
		name     string
		sub      Subscription
		insecure bool
		field    string // "" when valid
	}{
		{"web push", good, false, ""},
		{"unifiedpush", with(func(s *Subscription) { s.Kind = KindUnifiedPush }), false, ""},
		{"kind defaults to webpush", with(func(s *Subscription) { s.Kind = "" }), false, ""},
		{"padded keys", with(func(s *Subscription) { s.Auth += "==" }), false, ""},
		{"unknown kind", with(func(s *Subscription) { s.Kind = "fcm" }), false, "kind"},
		{"no endpoint", with(func(s *Subscription) { s.Endpoint = "" }), false, "endpoint"},
		{"http", with(func(s *Subscription) { s.Endpoint = "http://push.example.com/s" }), false, "endpoint"},
		{"http when insecure", with(func(s *Subscription) { s.Endpoint = "http://127.0.0.1:8080/s" }), true, ""},
		{"loopback", with(func(s *Subscription) { s.Endpoint = "https://127.0.0.1/s" }), false, "endpoint"},
		{"localhost", with(func(s *Subscription) { s.Endpoint = "https://localhost/s" }), false, "endpoint"},
		{"private", with(func(s *Subscription) { s.Endpoint = "https://10.1.2.3/s" }), false, "endpoint"},
		{"mapped loopback", with(func(s *Subscription) { s.Endpoint = "https://[::ffff:127.0.0.1]/s" }), false, "endpoint"},
		{"credentials", with(func(s *Subscription) { s.Endpoint = "https://u:p@push.example.com/s" }), false, "endpoint"},
		{"relative", with(func(s *Subscription) { s.Endpoint = "/push" }), false, "endpoint"},
		{"javascript", with(func(s *Subscription) { s.Endpoint = "javascript:alert(1)" }), false, "endpoint"},
		{"too long", with(func(s *Subscription) { s.Endpoint = "https://push.example.com/" + strings.Repeat("a", MaxEndpoint) }), false, "endpoint"},
		{"key not base64url", with(func(s *Subscription) { s.P256dh = "not base64!" }), false, "keys.p256dh"},
		{"key too short", with(func(s *Subscription) { s.P256dh = testAuth }), false, "keys.p256dh"},
		{"key not on the curve", with(func(s *Subscription) { s.P256dh = "BA" + strings.Repeat("A", 85) }), false, "keys.p256dh"},
		{"auth of 15 bytes", with(func(s *Subscription) { s.Auth = "AAECAwQFBgcICQoLDA0O" }), false, "keys.auth"},
		{"auth too long", with(func(s *Subscription) { s.Auth = strings.Repeat("A", 200) }), false, "keys.auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateSubscription(tt.sub, tt.insecure)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if got.Kind == "" || strings.Contains(got.Auth, "=") {
					t.Errorf("got kind %q auth %q, want a kind and unpadded keys", got.Kind, got.Auth)
				}
				return
			}
			var pe *parley.Error
			if !asError(err, &pe) || pe.Code != parley.EInvalid || pe.Details["field"] != tt.field {
				t.Errorf("got %v, want invalid_argument on %s", err, tt.field)
			}
		})
	}
}

func asError(err error, pe **parley.Error) bool {
	e, ok := err.(*parley.Error)
	*pe = e
	return ok
}

func TestValidateMute(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		until time.Time
		ok    bool
	}{
		{Always, true},
		{now.Add(8 * time.Hour), true},
		{now.Add(7 * 24 * time.Hour), true},
		{now, false},
		{now.Add(-time.Hour), false},
		{now.Add(400 * 24 * time.Hour), false},
	} {
		if err := ValidateMute(tt.until, now); (err == nil) != tt.ok {
			t.Errorf("ValidateMute(%v): got %v, want ok %v", tt.until, err, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, Backoff(n, 2*time.Second, 20*time.Second))
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second, 20 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestPushes(t *testing.T) {
	for _, tt := range []struct {
		typ, kind string
		want      bool
	}{
		{"message", "message", true},
		{"message", "reaction", true},
		{"message", "edit", false},
		{"message", "delete", false},
		{"message", "system", false},
		{"receipt", "", false},
		{"event", "", false},
		{"history", "", false},
	} {
		if got := Pushes(tt.typ, tt.kind); got != tt.want {
			t.Errorf("Pushes(%q, %q): got %v, want %v", tt.typ, tt.kind, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for status, want := range map[int]outcome{201: sent, 200: sent, 404: gone, 410: gone, 429: retry, 500: retry, 503: retry,
		401: retry, 400: refused, 413: refused} {
		if got := classify(status); got != want {
			t.Errorf("classify(%d): got %d, want %d", status, got, want)
		}
	}
}

// FuzzValidateSubscription: whatever a device sends, validation returns
// a valid subscription or invalid_argument, and never panics; what it
// accepts it accepts again unchanged.
func FuzzValidateSubscription(f *testing.F) {
	f.Add("webpush", "https://push.example.com/s/abc", testP256dh, testAuth, false)
	f.Add("unifiedpush", "http://192.168.1.2:8080/up?x=1", testP256dh, testAuth+"==", true)
	f.Add("", "https://[::1]/", "BA", "", false)
	f.Add("webpush", "https://%zz/", testP256dh, testAuth, false)
	f.Fuzz(func(t *testing.T, kind, endpoint, p256dh, auth string, insecure bool) {
		got, err := ValidateSubscription(Subscription{Kind: kind, Endpoint: endpoint, P256dh: p256dh, Auth: auth}, insecure)
		if err != nil {
			if parley.ErrorCode(err) != parley.EInvalid {
				t.Fatalf("got %v, want invalid_argument", err)
			}
			return
		}
		again, err := ValidateSubscription(got, insecure)
		if err != nil || again != got {
			t.Fatalf("accepted %+v, then %+v, %v", got, again, err)
		}
	})
}
