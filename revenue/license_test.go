package revenue

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley"
)

func testLicense() License {
	return License{ID: "lic_1", Customer: "Acme GmbH", Seats: 50,
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Features: []string{"sso", "audit"}}
}

func TestLicenseRoundTrip(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	data, err := SignLicense(priv, testLicense())
	if err != nil {
		t.Fatal(err)
	}
	l, err := VerifyLicense(data, pub)
	if err != nil {
		t.Fatal(err)
	}
	want := testLicense()
	if l.Customer != want.Customer || l.Seats != want.Seats || !l.ExpiresAt.Equal(want.ExpiresAt) || !l.HasFeature("audit") || l.Format != LicenseFormat {
		t.Fatalf("got %+v, want %+v", l, want)
	}
	if l.Expired(want.ExpiresAt.Add(-time.Second)) || !l.Expired(want.ExpiresAt) {
		t.Fatal("expiry: want valid until ExpiresAt, expired from it")
	}
}

// TestLicenseTampered checks that every change to a signed file is
// refused with a message that says what is wrong.
func TestLicenseTampered(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	data, err := SignLicense(priv, testLicense())
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Payload, Signature string }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(f.Payload)
	file := func(payload []byte, sig string) []byte {
		b, _ := json.Marshal(map[string]string{"payload": base64.StdEncoding.EncodeToString(payload), "signature": sig})
		return b
	}
	moreSeats := []byte(strings.Replace(string(payload), `"seats":50`, `"seats":5000`, 1))
	laterExpiry := []byte(strings.Replace(string(payload), `2027-01-01`, `2099-01-01`, 1))
	flipped := append([]byte{}, payload...)
	flipped[len(flipped)/2] ^= 1
	otherSigned, _ := SignLicense(otherPriv, testLicense())
	unsignedExtra := []byte(strings.Replace(string(data), `"signature"`, `"seats": 9999, "signature"`, 1))
	noSeats := testLicense()
	noSeats.Seats = 0
	badSig := ed25519.Sign(priv, []byte(`{"format":"parley-license-1","customer":"x","seats":0,"expires_at":"2027-01-01T00:00:00Z"}`))
	badPayload := file([]byte(`{"format":"parley-license-1","customer":"x","seats":0,"expires_at":"2027-01-01T00:00:00Z"}`), base64.StdEncoding.EncodeToString(badSig))
	tests := []struct {
		name string
		data []byte
		pub  ed25519.PublicKey
		want string
	}{
		{"more seats", file(moreSeats, f.Signature), pub, "bad signature"},
		{"later expiry", file(laterExpiry, f.Signature), pub, "bad signature"},
		{"a flipped bit", file(flipped, f.Signature), pub, "bad signature"},
		{"another vendor", otherSigned, pub, "bad signature"},
		{"the right vendor's key is needed", data, otherPub, "bad signature"},
		{"no signature", file(payload, ""), pub, "signature is missing"},
		{"a field outside the signature", unsignedExtra, pub, "not a licence file"},
		{"not json", []byte("hello"), pub, "not a licence file"},
		{"payload not base64", []byte(`{"payload":"!!","signature":"` + f.Signature + `"}`), pub, "not base64"},
		{"signed but invalid", badPayload, pub, "seats must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyLicense(tt.data, tt.pub)
			if parley.ErrorCode(err) != parley.EInvalid || !strings.Contains(parley.ErrorMessage(err), tt.want) {
				t.Fatalf("got %v, want invalid_argument saying %q", err, tt.want)
			}
		})
	}
	if _, err := SignLicense(priv, noSeats); err == nil {
		t.Fatal("signing a licence with no seats: got nil error")
	}
}

func TestLicenseKeys(t *testing.T) {
	priv, pub, err := NewLicenseKey()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := ParseLicenseSigningKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParseLicensePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := SignLicense(sk, testLicense())
	if _, err := VerifyLicense(data, pk); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLicensePublicKey(priv); err == nil {
		t.Fatal("a signing key parsed as a public key")
	}
	if _, err := ParseLicensePublicKey([]byte(DefaultLicensePublicKey)); err != nil {
		t.Fatalf("the built-in public key: %v", err)
	}
}
