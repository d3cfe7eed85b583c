package chat

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// NormalizePhone parses an international phone number and returns it in
// E.164 form. It returns EInvalid if the number is not a valid number.
func NormalizePhone(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 32 {
		return "", &parley.Error{Code: parley.EInvalid, Message: "phone must be an international number such as +14155550123", Details: map[string]any{"field": "phone"}}
	}
	if !strings.HasPrefix(raw, "+") {
		return "", &parley.Error{Code: parley.EInvalid, Message: "phone must start with + and a country code", Details: map[string]any{"field": "phone"}}
	}
	num, err := phonenumbers.Parse(raw, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("%q is not a valid phone number", raw), Details: map[string]any{"field": "phone"}}
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// E.164 allows at most 15 digits; the metadata accepts some longer
	// national numbers (+49 with 14 digits after it, found by
	// FuzzNormalizePhone), which no SMS gateway would take.
	if len(e164) > 1+15 {
		return "", &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("%q has more than the 15 digits of an international number", raw), Details: map[string]any{"field": "phone"}}
	}
	return e164, nil
}

func (s *Service) codeHash(phone, code string) []byte {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(phone))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// TokenHash is how device tokens are stored: a SHA-256 of the token. Tokens
// carry 256 random bits, so a fast hash is enough.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RequestCode sends a one-time code to phone for requester (the client
// address that asks; docs/SECURITY.md). Each requester has its own code
// for a number, and a new code replaces that requester's old one and its
// attempts. It returns EInvalid for a bad number and ERateLimited, with
// retry_after_seconds, when this requester asked for a code for this
// number too recently (the gap doubles with each code of the day), has
// had CodeSendsPerRequester codes for it today, or when the day's budget
// of codes to the number's country calling code is spent.
func (s *Service) RequestCode(ctx context.Context, phone, requester string) error {
	phone, err := NormalizePhone(phone)
	if err != nil {
		return err
	}
	now := s.now()
	sent := 0
	if s.cfg.CodeSendsPerRequester >= 0 {
		if sent, err = s.quotas.used(ctx, quotaCodesSent(phone, requester)); err != nil {
			return err
		}
	}
	if old, err := s.store.GetOTP(ctx, phone, requester); err == nil {
		if wait := old.CreatedAt.Add(resendGap(s.cfg.CodeResend, sent)).Sub(now); wait > 0 {
			return RateLimited("a code was sent recently; wait before asking again", wait)
		}
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return fmt.Errorf("get otp: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return fmt.Errorf("generate code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	otp := OTP{Phone: phone, Requester: requester, CodeHash: s.codeHash(phone, code), CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL)}
	// The code and its counters are one commit: a login is rare but a mass
	// sign-up is not, and on SQLite every commit waits for the one writer.
	takes := live(
		QuotaTake{quotaCodesSent(phone, requester), 1, s.cfg.CodeSendsPerRequester, "too many codes for this number today; try again tomorrow"},
		QuotaTake{quotaPrefix(CallingCode(phone)), 1, s.cfg.CodeBudgetPerPrefix, "codes to this country are paused for today; try again later"},
	)
	refused, err := s.store.PutOTPCounted(ctx, otp, s.quotas.window(), takes)
	if err != nil {
		return fmt.Errorf("put otp: %w", err)
	}
	if refused >= 0 {
		return s.quotas.refusal(takes[refused])
	}
	if err := s.codes.SendCode(ctx, phone, code); err != nil {
		return &parley.Error{Code: parley.EUnavailable, Message: "could not deliver the code; try again", Err: err}
	}
	return nil
}

// Session is the result of a successful verification: the account, the
// newly linked device, and its bearer token (shown once, never stored).
type Session struct {
	Account    Account
	Device     Device
	Token      string
	NewAccount bool
}

// VerifyCode checks the code that requester asked for phone and links a
// new device, creating the account on first use. Errors: EInvalid (bad
// number or device fields), ECodeExpired (no live code for this
// requester), ECodeInvalid (wrong code), ERateLimited (too many wrong
// codes, or the day's attempts on this number, by this requester or by
// everyone, are spent), ELimit (too many devices).
func (s *Service) VerifyCode(ctx context.Context, phone, requester, code, deviceName string, publicKey []byte) (Session, error) {
	phone, err := NormalizePhone(phone)
	if err != nil {
		return Session{}, err
	}
	if deviceName == "" {
		deviceName = "device"
	}
	if utf8.RuneCountInString(deviceName) > 64 {
		return Session{}, &parley.Error{Code: parley.EInvalid, Message: "device name is longer than 64 characters", Details: map[string]any{"field": "device_name"}}
	}
	if err := parley.CheckText("device_name", deviceName, parley.Line); err != nil {
		return Session{}, err // a device name is shown to the account's other devices
	}
	if len(publicKey) > 1024 {
		return Session{}, &parley.Error{Code: parley.EInvalid, Message: "public key is longer than 1024 bytes", Details: map[string]any{"field": "public_key"}}
	}
	now := s.now()
	if err := s.checkCode(ctx, phone, requester, code, now); err != nil {
		return Session{}, err
	}

	sess := Session{}
	acct, err := s.store.GetAccountByPhone(ctx, phone)
	switch {
	case parley.ErrorCode(err) == parley.ENotFound:
		release, err := s.admission.Admit(ctx) // the licence's seats
		if err != nil {
			return Session{}, err
		}
		acct = Account{Phone: phone, LastSeenVisibility: VisibleEveryone, AvatarVisibility: VisibleEveryone, ReadReceipts: true, CreatedAt: now}
		err = s.store.CreateAccount(ctx, &acct)
		release()
		if parley.ErrorCode(err) == parley.EConflict {
			if acct, err = s.store.GetAccountByPhone(ctx, phone); err != nil {
				return Session{}, fmt.Errorf("get account: %w", err)
			}
		} else if err != nil {
			return Session{}, fmt.Errorf("create account: %w", err)
		} else {
			sess.NewAccount = true
		}
	case err != nil:
		return Session{}, fmt.Errorf("get account: %w", err)
	}
	// A business number's only device is its server-held cloud device.
	if err := s.linkCheck.MayLink(ctx, acct.ID); err != nil {
		return Session{}, err
	}
	others, err := s.store.ListDevices(ctx, acct.ID)
	if err != nil {
		return Session{}, fmt.Errorf("list devices: %w", err)
	}

	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return Session{}, fmt.Errorf("generate token: %w", err)
	}
	token := "pt_" + base64.RawURLEncoding.EncodeToString(tok)
	dev := Device{AccountID: acct.ID, Name: deviceName, PublicKey: publicKey, CreatedAt: now, LastActiveAt: now}
	pk, err := s.entitlements.Limits(ctx, acct.ID) // premium members link more devices
	if err != nil {
		return Session{}, err
	}
	err = s.store.CreateDevice(ctx, &dev, TokenHash(token), pk.MaxDevices)
	s.DevicesChanged(acct.ID) // the new device must get the next message
	if err != nil {
		if parley.ErrorCode(err) == parley.ELimit {
			if pl, ok := s.entitlements.PremiumLimits(); ok && pl.MaxDevices > pk.MaxDevices {
				prem := pl.MaxDevices
				return Session{}, &parley.Error{Code: parley.EPremiumRequired, Message: fmt.Sprintf("an account may link at most %d devices; unlink one first, or become a premium member to link up to %d", pk.MaxDevices, prem),
					Details: map[string]any{"limit": pk.MaxDevices, "premium_limit": prem}}
			}
			return Session{}, &parley.Error{Code: parley.ELimit, Message: fmt.Sprintf("an account may link at most %d devices; unlink one first", pk.MaxDevices), Details: map[string]any{"limit": pk.MaxDevices}}
		}
		return Session{}, fmt.Errorf("create device: %w", err)
	}
	// Tell the other devices, so that one of them sends recent history.
	if len(others) > 0 {
		body, _ := json.Marshal(wire.ChatEventBody{Event: "device_linked", DeviceID: dev.ID, DeviceName: dev.Name})
		a, err := s.toAccount(ctx, 0, acct.ID, dev.ID, EntryEvent, body)
		if err != nil {
			return Session{}, err
		}
		if err := s.commit(ctx, a); err != nil {
			return Session{}, err
		}
	}
	return Session{Account: acct, Device: dev, Token: token, NewAccount: sess.NewAccount}, nil
}

// Authenticate returns the principal that holds token, or EUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (parley.Principal, error) {
	if !strings.HasPrefix(token, "pt_") {
		return parley.Principal{}, parley.Errorf(parley.EUnauthenticated, "missing or malformed bearer token")
	}
	d, err := s.reads.deviceByToken(ctx, TokenHash(token))
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Principal{}, parley.Errorf(parley.EUnauthenticated, "unknown or revoked token")
	} else if err != nil {
		return parley.Principal{}, fmt.Errorf("device by token: %w", err)
	}
	return parley.Principal{AccountID: d.AccountID, DeviceID: d.ID}, nil
}

// Devices returns the caller's linked devices.
func (s *Service) Devices(ctx context.Context, p parley.Principal) ([]Device, error) {
	return s.store.ListDevices(ctx, p.AccountID)
}

// RevokeDevice unlinks one of the caller's devices (possibly the calling
// one): its token stops working, its inbox is dropped and its socket is
// closed. Returns ENotFound for a device that is not the caller's.
func (s *Service) RevokeDevice(ctx context.Context, p parley.Principal, deviceID int64) error {
	err := s.store.DeleteDevice(ctx, p.AccountID, deviceID)
	s.changed(invalidation{Devices: []int64{deviceID}, Accounts: []int64{p.AccountID}})
	if err != nil {
		if parley.ErrorCode(err) == parley.ENotFound {
			return parley.Errorf(parley.ENotFound, "no such device")
		}
		return fmt.Errorf("delete device: %w", err)
	}
	s.Publish(DeviceSubject(deviceID), wire.Event{Type: wire.EventRevoked, DeviceID: deviceID})
	return nil
}

// TouchDevice records activity on a device and its account's last seen.
func (s *Service) TouchDevice(ctx context.Context, p parley.Principal) error {
	now := s.now()
	if err := s.store.TouchDevice(ctx, p.DeviceID, now); err != nil {
		return err
	}
	return s.store.TouchLastSeen(ctx, p.AccountID, now)
}

// ProveNumber checks the code that requester asked for phone (RequestCode)
// without linking a device: a business number's registration proves it
// owns its number this way (business.Service.VerifyNumberCode). The
// errors are VerifyCode's: EInvalid, ECodeExpired, ECodeInvalid,
// ERateLimited.
func (s *Service) ProveNumber(ctx context.Context, phone, requester, code string) error {
	phone, err := NormalizePhone(phone)
	if err != nil {
		return err
	}
	return s.checkCode(ctx, phone, requester, code, s.now())
}

// checkCode judges a code under the attempt caps and, when it is right,
// voids every code pending for the number.
func (s *Service) checkCode(ctx context.Context, phone, requester, code string, now time.Time) error {
	otp, err := s.store.GetOTP(ctx, phone, requester)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ECodeExpired, "no code is pending for this number; request a new one")
	} else if err != nil {
		return fmt.Errorf("get otp: %w", err)
	}
	if !now.Before(otp.ExpiresAt) {
		_ = s.store.DeleteOTP(ctx, phone, requester)
		return parley.Errorf(parley.ECodeExpired, "the code has expired; request a new one")
	}
	spent := func() error {
		return RateLimited("too many wrong codes; request a new one", otp.CreatedAt.Add(s.cfg.CodeResend).Sub(now))
	}
	if otp.Attempts >= s.cfg.CodeMaxAttempts {
		return spent()
	}
	// The daily caps bound the chance of guessing a number's code
	// (docs/SECURITY.md); the requester's own cap comes first, so that a
	// stranger spends the shared one only while spending their own. They
	// are taken with the attempt, in one commit, and the attempt is
	// counted before it is judged: concurrent guesses that all read the
	// same count must not all be judged.
	takes := live(
		QuotaTake{quotaGuesses(phone, requester), 1, s.cfg.CodeGuessesPerRequester, "too many codes tried for this number today; try again tomorrow"},
		QuotaTake{quotaGuessesNumber(phone), 1, s.cfg.CodeGuessesPerNumber, "too many codes tried for this number today; try again tomorrow"},
	)
	n, refused, err := s.store.CountOTPAttempt(ctx, phone, requester, s.quotas.window(), takes)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ECodeExpired, "no code is pending for this number; request a new one")
	} else if err != nil {
		return fmt.Errorf("count otp attempt: %w", err)
	}
	if refused >= 0 {
		return s.quotas.refusal(takes[refused])
	}
	if n > s.cfg.CodeMaxAttempts {
		return spent()
	}
	if !hmac.Equal(otp.CodeHash, s.codeHash(phone, code)) {
		left := max(s.cfg.CodeMaxAttempts-n, 0)
		return &parley.Error{Code: parley.ECodeInvalid, Message: "the code is wrong", Details: map[string]any{"attempts_left": left}}
	}
	// The number is proven: every code pending for it, whoever asked, is void.
	if err := s.store.DeleteOTPs(ctx, phone); err != nil {
		return fmt.Errorf("delete otp: %w", err)
	}
	return nil
}
