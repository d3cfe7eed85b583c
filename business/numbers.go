package business

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parleyhq/parley"
)

// A number's lifecycle on the Cloud API (docs/CLOUD-API-ENDPOINTS.md,
// "Number lifecycle"): request_code and verify_code prove the number (the
// code goes out through the server's one-time-code sender, as a login's
// does), register and deregister turn the Cloud API on and off for it,
// and the two-step PIN guards registration.

// NumberDisconnected is the status of a deregistered number: it neither
// sends (133010) nor is listed as connected.
const NumberDisconnected = "DISCONNECTED"

// Meta's codes of the number lifecycle.
const (
	MetaNotRegistered = 133010 // the number is not registered
	MetaPINMismatch   = 133005 // two-step verification PIN mismatch
)

// registration is a number's lifecycle document (settingRegister).
type registration struct {
	PINHash    []byte    `json:"pin_hash,omitempty"` // bcrypt
	VerifiedAt time.Time `json:"verified_at,omitzero"`
}

var pinPattern = regexp.MustCompile(`^[0-9]{6}$`)

func checkPIN(pin string) error {
	if !pinPattern.MatchString(pin) {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "pin must be 6 digits")
	}
	return nil
}

// RequestNumberCode sends a verification code to the number by SMS (or
// voice, which Parley's code senders deliver as they deliver every code).
// CloudError 100 for another method; ERateLimited as a login's code.
func (b *Service) RequestNumberCode(ctx context.Context, biz Business, n BusinessNumber, method string) error {
	switch strings.ToUpper(method) {
	case "SMS", "VOICE":
	default:
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "code_method must be SMS or VOICE")
	}
	return b.svc.RequestCode(ctx, n.Phone, numberRequester(biz))
}

func numberRequester(biz Business) string { return fmt.Sprintf("cloudapi:business:%d", biz.ID) }

// VerifyNumberCode checks a code that RequestNumberCode sent. CloudError
// 100 for a wrong or expired code (its details say which).
func (b *Service) VerifyNumberCode(ctx context.Context, biz Business, n BusinessNumber, code string) error {
	err := b.svc.ProveNumber(ctx, n.Phone, numberRequester(biz), code)
	switch parley.ErrorCode(err) {
	case "":
	case parley.ECodeInvalid, parley.ECodeExpired:
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "code: "+parley.ErrorMessage(err))
	default:
		return err
	}
	var reg registration
	if _, err := b.getSetting(ctx, n, settingRegister, &reg); err != nil {
		return err
	}
	reg.VerifiedAt = b.now()
	return b.putSetting(ctx, n, settingRegister, reg)
}

// Register turns the Cloud API on for the number with its two-step PIN:
// the first PIN sets it, later ones must match it (133005). A
// deregistered number is CONNECTED again; a paused or flagged one keeps
// its status.
func (b *Service) Register(ctx context.Context, n BusinessNumber, pin string) error {
	if err := checkPIN(pin); err != nil {
		return err
	}
	var reg registration
	if _, err := b.getSetting(ctx, n, settingRegister, &reg); err != nil {
		return err
	}
	if len(reg.PINHash) > 0 {
		if bcrypt.CompareHashAndPassword(reg.PINHash, []byte(pin)) != nil {
			return cloudErrDetails(MetaPINMismatch, "Two step verification PIN Mismatch", "the PIN does not match the number's two-step verification PIN")
		}
	} else if err := b.setPIN(ctx, n, &reg, pin); err != nil {
		return err
	}
	if n.Status == NumberDisconnected {
		return b.setNumberStatus(ctx, n, NumberConnected)
	}
	return nil
}

// Deregister turns the Cloud API off for the number: its sends fail with
// 133010 until it registers again.
func (b *Service) Deregister(ctx context.Context, n BusinessNumber) error {
	return b.setNumberStatus(ctx, n, NumberDisconnected)
}

// SetPIN sets or changes the number's two-step verification PIN.
func (b *Service) SetPIN(ctx context.Context, n BusinessNumber, pin string) error {
	if err := checkPIN(pin); err != nil {
		return err
	}
	var reg registration
	if _, err := b.getSetting(ctx, n, settingRegister, &reg); err != nil {
		return err
	}
	return b.setPIN(ctx, n, &reg, pin)
}

func (b *Service) setPIN(ctx context.Context, n BusinessNumber, reg *registration, pin string) error {
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash pin: %w", err)
	}
	reg.PINHash = h
	return b.putSetting(ctx, n, settingRegister, reg)
}

func (b *Service) setNumberStatus(ctx context.Context, n BusinessNumber, status string) error {
	n.Status = status
	if err := b.st.UpdateNumber(ctx, n); err != nil {
		return fmt.Errorf("update number: %w", err)
	}
	return nil
}

// NumberSettings keys the Cloud API's phone number settings take; calling
// is out of scope (docs/CLOUD-API-ENDPOINTS.md).
var numberSettingKeys = []string{"storage_configuration", "user_identity_change", "payload_encryption"}

// PhoneSettings returns the number's settings object as last set, with
// Meta's defaults for what was never set.
func (b *Service) PhoneSettings(ctx context.Context, n BusinessNumber) (map[string]json.RawMessage, error) {
	s := map[string]json.RawMessage{
		"storage_configuration": json.RawMessage(`{"status":"default"}`),
		"user_identity_change":  json.RawMessage(`{"enable_identity_key_check":false}`),
	}
	if _, err := b.getSetting(ctx, n, settingPhone, &s); err != nil {
		return nil, err
	}
	return s, nil
}

// UpdatePhoneSettings merges in the settings given; each must be an
// object under a known key. CloudError 100 otherwise, and for calling,
// which Parley does not offer.
func (b *Service) UpdatePhoneSettings(ctx context.Context, n BusinessNumber, in map[string]json.RawMessage) error {
	s, err := b.PhoneSettings(ctx, n)
	if err != nil {
		return err
	}
	set := 0
	for k, v := range in {
		switch {
		case k == "messaging_product":
			continue
		case k == "calling":
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "calling is not available on this server")
		case !slices.Contains(numberSettingKeys, k):
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("unknown setting %q; known: %s", k, strings.Join(numberSettingKeys, ", ")))
		}
		var obj map[string]any
		if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("%s must be an object", k))
		}
		s[k] = v
		set++
	}
	if set == 0 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "give at least one setting: "+strings.Join(numberSettingKeys, ", "))
	}
	return b.putSetting(ctx, n, settingPhone, s)
}
