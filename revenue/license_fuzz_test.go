package revenue

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/parleyhq/parley"
)

// FuzzVerifyLicense feeds arbitrary licence files to VerifyLicense: it
// never panics, refuses with invalid_argument, and whatever it accepts
// verifies again after being signed anew with the same key.
func FuzzVerifyLicense(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := seed.Public().(ed25519.PublicKey)
	good, err := SignLicense(seed, License{ID: "l1", Customer: "Acme", Seats: 10, IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Features: []string{"sso"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"payload":"e30=","signature":""}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := VerifyLicense(data, pub)
		if err != nil {
			if c := parley.ErrorCode(err); c != parley.EInvalid {
				t.Fatalf("got code %q, want %q", c, parley.EInvalid)
			}
			return
		}
		again, err := SignLicense(seed, l)
		if err != nil {
			t.Fatalf("re-sign an accepted licence: %v", err)
		}
		if _, err := VerifyLicense(again, pub); err != nil {
			t.Fatalf("a re-signed accepted licence is refused: %v", err)
		}
	})
}
