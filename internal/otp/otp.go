// Package otp owns the delivery of one-time registration codes: it has the
// parley.CodeSender implementations, Log for development and HTTP for an
// SMS gateway.
//
// It imports only the root parley package and the standard library.
package otp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// DefaultTimeout bounds an HTTP send when ctx has no deadline.
const DefaultTimeout = 10 * time.Second

// Log writes each code to the server log instead of sending it, as the
// line msg="one-time code" phone=... code=... at Info level. It is for
// development and tests only: anyone who can read the log can register as
// anyone.
type Log struct {
	Logger *slog.Logger
}

var _ chat.CodeSender = Log{}

// SendCode logs phone and code.
func (l Log) SendCode(ctx context.Context, phone, code string) error {
	if l.Logger == nil {
		return errors.New("otp log sender: no logger")
	}
	l.Logger.InfoContext(ctx, "one-time code", "phone", phone, "code", code)
	return nil
}

// HTTP sends each code through an SMS gateway: it POSTs the JSON object
// {"to": phone, "message": "Your Parley code is 123456", "code": "123456"}
// to URL and expects a 2xx answer.
type HTTP struct {
	// URL is the gateway's endpoint.
	URL string
	// Client makes the request; nil means http.DefaultClient.
	Client *http.Client
	// Token, if set, is sent as "Authorization: Bearer <Token>".
	Token string
}

var _ chat.CodeSender = HTTP{}

// gatewayRequest is the body the gateway receives.
type gatewayRequest struct {
	To      string `json:"to"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// SendCode posts the code to the gateway. ctx bounds the request; without
// a deadline, DefaultTimeout does. A failed request or a non-2xx answer is
// an EUnavailable error (the user may retry) whose cause, for the log,
// includes the status and the start of the answer.
func (h HTTP) SendCode(ctx context.Context, phone, code string) error {
	if err := h.send(ctx, phone, code); err != nil {
		return &parley.Error{Code: parley.EUnavailable, Message: "could not send the code; try again later", Err: err}
	}
	return nil
}

func (h HTTP) send(ctx context.Context, phone, code string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	body, err := json.Marshal(gatewayRequest{
		To:      phone,
		Message: "Your Parley code is " + code,
		Code:    code,
	})
	if err != nil {
		return fmt.Errorf("encode sms request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms gateway request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "parley")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	// Read a little of the answer: enough for an error message, and
	// draining it lets the connection be reused.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms gateway: status %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}
