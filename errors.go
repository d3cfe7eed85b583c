// Package parley is the shared kernel of Parley's bounded contexts: the
// authenticated Principal and the error model (every code with its HTTP
// status, as data). It imports nothing of Parley's; every other package may
// import it. The contexts live in their own packages (chat, channel,
// business, billing, revenue, money); docs/ARCHITECTURE.md has the map and
// the import rule, which deps_test.go enforces.
package parley

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes are part of the wire
// format: never rename or reuse one. docs/API.md lists every code (a test
// checks it against Codes).
type Code string

// The error codes. Do not rename: clients match on these strings. Each
// one's HTTP status and meaning are in Codes.
const (
	EInvalid          Code = "invalid_argument"
	EMalformed        Code = "malformed_request"
	EUnauthenticated  Code = "unauthenticated"
	ECodeInvalid      Code = "code_invalid"
	EForbidden        Code = "forbidden"
	EBlocked          Code = "blocked"
	ENotFound         Code = "not_found"
	EConflict         Code = "conflict"
	EDevicesChanged   Code = "devices_changed"
	EWindowClosed     Code = "window_closed"
	ECodeExpired      Code = "code_expired"
	ETooLarge         Code = "too_large"
	EUnsupportedMedia Code = "unsupported_media_type"
	ELimit            Code = "limit_exceeded"
	ERateLimited      Code = "rate_limited"
	EInternal         Code = "internal"
	EUnavailable      Code = "unavailable"

	EChannelSuspended     Code = "channel_suspended"
	ESubscriptionRequired Code = "subscription_required"
	EPaymentDeclined      Code = "payment_declined"
	EOrderExpired         Code = "order_expired"

	ELicenseSeats    Code = "license_seats_exhausted"
	ELicenseExpired  Code = "license_expired"
	EModelDisabled   Code = "revenue_model_disabled"
	EAdsDisabled     Code = "ads_disabled"
	EPremiumRequired Code = "premium_required"
)

// CodeInfo is one row of the error table: a code, the HTTP status it is
// answered with, and what it means.
type CodeInfo struct {
	Code   Code
	Status int
	Doc    string
}

// Codes is every error code of Parley's own API (/v1, /admin/v1 and the
// WebSocket), as data. Append only; never reorder meanings or reuse a code.
// The Cloud API surface answers Meta's numeric codes instead (see
// internal/cloudapi).
var Codes = []CodeInfo{
	{EInvalid, 400, "a field is missing or malformed"},
	{EMalformed, 400, "the body is not valid JSON or has unknown fields"},
	{EUnauthenticated, 401, "missing, unknown or revoked token"},
	{ECodeInvalid, 401, "the one-time code does not match"},
	{EPaymentDeclined, 402, "the payment provider refused the charge"},
	{EForbidden, 403, "authenticated, but not allowed"},
	{EBlocked, 403, "the recipient has blocked the sender"},
	{EChannelSuspended, 403, "the operator suspended the channel"},
	{ESubscriptionRequired, 403, "the post is for paying subscribers"},
	{ELicenseSeats, 403, "a new account would exceed the licence's seats"},
	{ELicenseExpired, 403, "the licence has expired; no new accounts"},
	{EAdsDisabled, 403, "the server runs in nonprofit mode, without ads"},
	{EPremiumRequired, 403, "a free limit is reached that premium membership would lift"},
	{ENotFound, 404, "no such resource (or not visible to you)"},
	{EModelDisabled, 404, "the operator has not turned this revenue model on"},
	{EConflict, 409, "the request conflicts with current state"},
	{EDevicesChanged, 409, "the envelope set does not match the recipients' devices"},
	{EWindowClosed, 409, "an edit or delete came after its window"},
	{ECodeExpired, 410, "the one-time code expired or was used up"},
	{EOrderExpired, 410, "the order's expiration passed: it can no longer be paid"},
	{ETooLarge, 413, "body, envelope or media over its limit"},
	{EUnsupportedMedia, 415, "media type not allowed or not what it claims"},
	{ELimit, 422, "a configured limit (devices, group size) is reached"},
	{ERateLimited, 429, "too many requests or attempts"},
	{EInternal, 500, "a bug or an unexpected failure; details are logged, not shown"},
	{EUnavailable, 503, "shutting down or a dependency is down; retry"},
}

var statusOf = func() map[Code]int {
	m := make(map[Code]int, len(Codes))
	for _, c := range Codes {
		m[c.Code] = c.Status
	}
	return m
}()

// HTTPStatus returns the HTTP status of the code: 500 for an unknown one.
func (c Code) HTTPStatus() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return 500
}

// Error is a domain error: a stable Code, a message fit for the user, and
// optional structured details. Err keeps the underlying cause for logs; it
// is never shown to clients.
type Error struct {
	Code    Code
	Message string
	Details map[string]any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err: the Message of its
// *Error, or "internal error" for anything else so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the Details of err's *Error, or nil.
func ErrorDetails(err error) map[string]any {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// ErrNotFound is returned by stores when a row does not exist. Services turn
// it into a user-facing ENotFound with a specific message.
var ErrNotFound = &Error{Code: ENotFound, Message: "not found"}

// InvalidField is the EInvalid error about one field, named in the
// details: the shape every validation error of the API has.
func InvalidField(field, msg string) error {
	return &Error{Code: EInvalid, Message: msg, Details: map[string]any{"field": field}}
}
