package revenue

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// LicenseFormat names the licence file format; a file of another format
// is refused.
const LicenseFormat = "parley-license-1"

// DefaultLicensePublicKey is the vendor's ed25519 public key (PEM) that
// licences are verified against unless the operator names another. The
// matching signing key is kept offline by the vendor.
const DefaultLicensePublicKey = `-----BEGIN PARLEY LICENSE PUBLIC KEY-----
8wBViqwxSPU5/wBGgXmZ/dETUPR/b5UcKtPiCAYhrGg=
-----END PARLEY LICENSE PUBLIC KEY-----
`

// The PEM block types of licence keys.
const (
	licensePublicKeyPEM  = "PARLEY LICENSE PUBLIC KEY"
	licensePrivateKeyPEM = "PARLEY LICENSE SIGNING KEY"
)

// License is a self-hosted enterprise deployment's licence: who it is
// for, how many people may have accounts, until when, with which
// features. It is the signed payload of a licence file.
type License struct {
	Format    string    `json:"format"` // LicenseFormat
	ID        string    `json:"id"`
	Customer  string    `json:"customer"`
	Seats     int64     `json:"seats"` // accounts of people (business numbers are not counted)
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Features  []string  `json:"features"`
}

// licenseFile is the file: the payload's JSON bytes, base64, and the
// ed25519 signature of exactly those bytes, base64.
type licenseFile struct {
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

func (l License) validate() error {
	switch {
	case l.Format != LicenseFormat:
		return fmt.Errorf("format is %q, want %q", l.Format, LicenseFormat)
	case strings.TrimSpace(l.Customer) == "":
		return errors.New("no customer")
	case l.Seats < 1:
		return errors.New("seats must be at least 1")
	case l.ExpiresAt.IsZero():
		return errors.New("no expiry")
	case !l.IssuedAt.IsZero() && !l.ExpiresAt.After(l.IssuedAt):
		return errors.New("expires before it is issued")
	}
	for _, f := range l.Features {
		if f == "" || strings.ContainsAny(f, " ,\t\n") {
			return fmt.Errorf("bad feature name %q", f)
		}
	}
	return nil
}

// SignLicense fills in the format and returns the licence file of l,
// signed with the vendor's key.
func SignLicense(key ed25519.PrivateKey, l License) ([]byte, error) {
	l.Format = LicenseFormat
	if l.Features == nil {
		l.Features = []string{}
	}
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("licence: %w", err)
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode licence: %w", err)
	}
	f := licenseFile{Payload: base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, payload))}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode licence file: %w", err)
	}
	return append(out, '\n'), nil
}

// VerifyLicense checks a licence file's signature against the vendor's
// public key and returns its licence. It does not check expiry (an
// expired licence still names its seats). Every failure is EInvalid, with
// a message that says what is wrong.
func VerifyLicense(data []byte, pub ed25519.PublicKey) (License, error) {
	bad := func(format string, args ...any) (License, error) {
		return License{}, &parley.Error{Code: parley.EInvalid, Message: "licence refused: " + fmt.Sprintf(format, args...)}
	}
	var f licenseFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return bad("not a licence file (%v)", err)
	}
	payload, err := base64.StdEncoding.DecodeString(f.Payload)
	if err != nil || len(payload) == 0 {
		return bad("the payload is not base64")
	}
	sig, err := base64.StdEncoding.DecodeString(f.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return bad("the signature is missing or malformed")
	}
	if len(pub) != ed25519.PublicKeySize {
		return bad("the vendor public key is malformed")
	}
	if !ed25519.Verify(pub, payload, sig) {
		return bad("bad signature: the file was changed or not signed by this vendor")
	}
	var l License
	dec = json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return bad("the signed payload is malformed (%v)", err)
	}
	if err := l.validate(); err != nil {
		return bad("%v", err)
	}
	return l, nil
}

// Expired reports whether the licence has expired at now.
func (l License) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// HasFeature reports whether the licence grants the feature.
func (l License) HasFeature(f string) bool { return slices.Contains(l.Features, f) }

// NewLicenseKey returns a new vendor key pair as PEM: the signing key
// (keep it secret and offline) and the public key (give it to servers).
func NewLicenseKey() (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	private = pem.EncodeToMemory(&pem.Block{Type: licensePrivateKeyPEM, Bytes: priv.Seed()})
	public = pem.EncodeToMemory(&pem.Block{Type: licensePublicKeyPEM, Bytes: pub})
	return private, public, nil
}

// ParseLicenseSigningKey parses a signing key made by NewLicenseKey.
func ParseLicenseSigningKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != licensePrivateKeyPEM || len(b.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("not a licence signing key (want a PEM block %q)", licensePrivateKeyPEM)
	}
	return ed25519.NewKeyFromSeed(b.Bytes), nil
}

// ParseLicensePublicKey parses a public key made by NewLicenseKey.
func ParseLicensePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != licensePublicKeyPEM || len(b.Bytes) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a licence public key (want a PEM block %q)", licensePublicKeyPEM)
	}
	return ed25519.PublicKey(b.Bytes), nil
}

// LicenseStatus reports the licence (if any) and the seats in use.
func (s *Service) LicenseStatus(ctx context.Context) (wire.LicenseStatus, error) {
	n, err := s.store.CountPeople(ctx)
	if err != nil {
		return wire.LicenseStatus{}, fmt.Errorf("count people: %w", err)
	}
	st := wire.LicenseStatus{SeatsUsed: n}
	if l := s.cfg.License; l != nil {
		exp := l.ExpiresAt
		st.Licensed, st.ID, st.Customer, st.Seats, st.ExpiresAt, st.Features = true, l.ID, l.Customer, l.Seats, &exp, l.Features
		st.Expired = l.Expired(s.now())
		st.OverLimit = n >= l.Seats
	}
	return st, nil
}

// Admit decides whether a new account may be created under
// the licence. It returns a release func to call once the account is
// created (or not): with a licence, admission and creation are one
// critical section on this node, so concurrent sign-ups cannot overshoot
// the seats. Errors: ELicenseExpired, ELicenseSeats.
func (s *Service) Admit(ctx context.Context) (release func(), err error) {
	l := s.cfg.License
	if l == nil {
		return func() {}, nil
	}
	if l.Expired(s.now()) {
		return nil, &parley.Error{Code: parley.ELicenseExpired, Message: "this server's licence has expired; no new accounts can be created. Existing accounts keep working.",
			Details: map[string]any{"expires_at": l.ExpiresAt}}
	}
	s.state.seatMu.Lock()
	n, err := s.store.CountPeople(ctx)
	if err != nil {
		s.state.seatMu.Unlock()
		return nil, fmt.Errorf("count people: %w", err)
	}
	if n >= l.Seats {
		s.state.seatMu.Unlock()
		return nil, &parley.Error{Code: parley.ELicenseSeats, Message: fmt.Sprintf("this server's licence allows %d accounts and all are taken; no new accounts can be created", l.Seats),
			Details: map[string]any{"seats": l.Seats, "seats_used": n}}
	}
	return s.state.seatMu.Unlock, nil
}
