// Package parley is Parley's domain: the types of accounts, devices, chats
// and message envelopes, the rules that govern them, the interfaces that
// adapters implement (Store, Bus, CodeSender, BlobStore), and the Service
// that applies the rules. It does no I/O of its own; everything that touches
// a disk, a socket or a clock comes in through an interface or Config.
//
// Adapters live in internal/ and are named after what they wrap (sqlite,
// postgres, nats, httpapi, gateway). They import this package; this package
// imports none of them.
package parley

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes are part of the wire
// format: never rename or reuse one. docs/API.md lists every code.
type Code string

// The error codes. Do not rename: clients match on these strings.
const (
	EInvalid          Code = "invalid_argument"       // 400: a field is missing or malformed
	EMalformed        Code = "malformed_request"      // 400: the body is not valid JSON or has unknown fields
	EUnauthenticated  Code = "unauthenticated"        // 401: missing, unknown or revoked token
	ECodeInvalid      Code = "code_invalid"           // 401: the one-time code does not match
	EForbidden        Code = "forbidden"              // 403: authenticated, but not allowed
	EBlocked          Code = "blocked"                // 403: the recipient has blocked the sender
	ENotFound         Code = "not_found"              // 404: no such resource (or not visible to you)
	EConflict         Code = "conflict"               // 409: the request conflicts with current state
	EDevicesChanged   Code = "devices_changed"        // 409: the envelope set does not match the recipients' devices
	EWindowClosed     Code = "window_closed"          // 409: an edit or delete came after its window
	ECodeExpired      Code = "code_expired"           // 410: the one-time code expired or was used up
	ETooLarge         Code = "too_large"              // 413: body, envelope or media over its limit
	EUnsupportedMedia Code = "unsupported_media_type" // 415: media type not allowed or not what it claims
	ELimit            Code = "limit_exceeded"         // 422: a configured limit (devices, group size) is reached
	ERateLimited      Code = "rate_limited"           // 429: too many requests or attempts
	EInternal         Code = "internal"               // 500: a bug or an unexpected failure; details are logged, not shown
	EUnavailable      Code = "unavailable"            // 503: shutting down or a dependency is down; retry
)

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
