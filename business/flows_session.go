package business

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// A person drives a Flow they received (docs/FLOWS.md, "People"): each
// step goes through Parley to the business's endpoint (Exchange), and
// the finished Flow comes back to the business as an nfm_reply
// (Complete, then the person's client sends the reply).

// FlowSession is a Flow message sent to a person: the Flow, the flow
// token the business gave it, and who may drive it. CompletedAt is zero
// until the person finishes it.
type FlowSession struct {
	Wamid       string
	FlowID      int64
	NumberID    int64
	ChatID      int64
	CustomerID  int64
	Token       string
	CreatedAt   time.Time
	CompletedAt time.Time
}

// FlowCall is one request to a business's Flow endpoint; Key returns
// the number's public key (refresh: read it again, after the endpoint
// answered 421).
type FlowCall struct {
	FlowID    int64
	URL       string
	AppSecret string
	Key       func(ctx context.Context, refresh bool) (*rsa.PublicKey, error)
	Payload   []byte
}

// FlowCaller sends a FlowCall and returns the decrypted answer
// (internal/flowendpoint, wired by the server). It answers the endpoint's
// 427 with ErrFlowTokenInvalid and its other failures (421 twice, 432,
// another status, no answer) with ErrFlowEndpoint.
type FlowCaller func(ctx context.Context, c FlowCall) ([]byte, error)

// The failures a FlowCaller reports.
var (
	ErrFlowTokenInvalid = errors.New("the business's endpoint says the flow token is no longer valid (427)")
	ErrFlowEndpoint     = errors.New("the business's Flow endpoint did not answer")
)

// FlowDataAPIVersion is the version of the endpoint protocol Parley
// speaks.
const FlowDataAPIVersion = "3.0"

// recordSession keeps a sent Flow message's session; a failure is
// logged, not returned: the message is already on its way.
func (b *Service) recordSession(ctx context.Context, n BusinessNumber, chatID, customerID int64, wamid string, c wire.Content) {
	flowID, token := sentFlow(c)
	id, err := strconv.ParseInt(flowID, 10, 64)
	if err != nil {
		return
	}
	s := FlowSession{Wamid: wamid, FlowID: id, NumberID: n.ID, ChatID: chatID, CustomerID: customerID,
		Token: token, CreatedAt: b.now()}
	if err := b.st.CreateFlowSession(ctx, s); err != nil {
		b.log.Warn("record flow session", "wamid", wamid, "err", err)
	}
}

// sentFlow returns the Flow a message opens and its flow token: an
// interactive flow message's, or a template's FLOW button's (a template
// has at most one). "" when it opens none.
func sentFlow(c wire.Content) (flowID, token string) {
	if in := c.Interactive; in != nil && in.Type == "flow" && in.Action.Parameters != nil {
		return in.Action.Parameters.FlowID, in.Action.Parameters.FlowToken
	}
	if t := c.Template; t != nil {
		for _, btn := range t.Buttons {
			if strings.EqualFold(btn.Type, "FLOW") {
				return btn.FlowID, btn.FlowToken
			}
		}
	}
	return "", ""
}

// session returns the Flow message wamid in chatID if accountID is the
// person it was sent to; ENotFound otherwise (without saying which).
func (fs *Flows) session(ctx context.Context, accountID, chatID int64, wamid string) (FlowSession, error) {
	s, err := fs.st.GetFlowSession(ctx, wamid)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && (s.ChatID != chatID || s.CustomerID != accountID)) {
		return FlowSession{}, &parley.Error{Code: parley.ENotFound, Message: "no such flow message", Details: map[string]any{"message_id": wamid}}
	} else if err != nil {
		return FlowSession{}, fmt.Errorf("get flow session: %w", err)
	}
	return s, nil
}

// PersonFlow is a Flow message as the person it was sent to opens it:
// the Flow's name and JSON (the screens the client renders), whether it
// has an endpoint (a dynamic Flow: each step goes through Exchange), and
// whether it is finished.
type PersonFlow struct {
	FlowID    string          `json:"flow_id"`
	Name      string          `json:"name"`
	FlowJSON  json.RawMessage `json:"flow_json"`
	Endpoint  bool            `json:"endpoint"`
	Completed bool            `json:"completed"`
}

// Open returns the Flow of the Flow message wamid in chatID for the
// person it was sent to. Errors: ENotFound (no such Flow message of this
// person, or its Flow has no JSON any more).
func (fs *Flows) Open(ctx context.Context, accountID, chatID int64, wamid string) (PersonFlow, error) {
	s, err := fs.session(ctx, accountID, chatID, wamid)
	if err != nil {
		return PersonFlow{}, err
	}
	f, err := fs.st.GetFlow(ctx, s.FlowID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && f.JSON == "") {
		return PersonFlow{}, &parley.Error{Code: parley.ENotFound, Message: "the business deleted this flow", Details: map[string]any{"message_id": wamid}}
	} else if err != nil {
		return PersonFlow{}, fmt.Errorf("get flow: %w", err)
	}
	return PersonFlow{FlowID: strconv.FormatInt(f.ID, 10), Name: f.Name, FlowJSON: json.RawMessage(f.JSON),
		Endpoint: f.EndpointURI != "", Completed: !s.CompletedAt.IsZero()}, nil
}

// FlowStep is what a person's client asks of the business's endpoint:
// Action INIT (open the Flow), data_exchange (a screen's data; an error
// notification when Data has "error") or BACK.
type FlowStep struct {
	ChatID    int64
	MessageID string // the Flow message's wamid
	Action    string
	Screen    string
	Data      json.RawMessage
}

// FlowAnswer is the endpoint's answer: the next screen and its data, or
// the finished Flow (Completed, with the response to send as the
// nfm_reply's response_json).
type FlowAnswer struct {
	Screen       string          `json:"screen,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	Completed    bool            `json:"completed,omitempty"`
	ResponseJSON string          `json:"response_json,omitempty"`
}

// Exchange sends a person's step of a Flow to the business's endpoint
// and returns its answer. Errors: ENotFound (no such Flow message of
// this person), EInvalid (an action, or a Flow without an endpoint),
// EConflict (the Flow is finished, or its flow token is no longer valid:
// the endpoint's 427), EUnavailable (the endpoint failed).
func (fs *Flows) Exchange(ctx context.Context, accountID int64, step FlowStep) (FlowAnswer, error) {
	s, err := fs.session(ctx, accountID, step.ChatID, step.MessageID)
	if err != nil {
		return FlowAnswer{}, err
	}
	if !s.CompletedAt.IsZero() {
		return FlowAnswer{}, parley.Errorf(parley.EConflict, "the flow is already completed")
	}
	switch step.Action {
	case "INIT", "data_exchange", "BACK":
	default:
		return FlowAnswer{}, parley.InvalidField("action", "action must be INIT, data_exchange or BACK")
	}
	if step.Action == "data_exchange" && step.Screen == "" {
		return FlowAnswer{}, parley.InvalidField("screen", "a data_exchange names its screen")
	}
	var data map[string]any
	if len(step.Data) > 0 && string(step.Data) != "null" {
		if err := json.Unmarshal(step.Data, &data); err != nil {
			return FlowAnswer{}, parley.InvalidField("data", "data must be a JSON object")
		}
	}
	f, err := fs.st.GetFlow(ctx, s.FlowID)
	if err != nil {
		return FlowAnswer{}, fmt.Errorf("get flow: %w", err)
	}
	if f.EndpointURI == "" || fs.call == nil {
		return FlowAnswer{}, parley.Errorf(parley.EInvalid, "this Flow has no endpoint: its screens need no exchange")
	}
	biz, err := fs.st.GetBusiness(ctx, f.BusinessID)
	if err != nil {
		return FlowAnswer{}, fmt.Errorf("get business: %w", err)
	}
	req := map[string]any{"version": FlowDataAPIVersion, "action": step.Action, "flow_token": s.Token}
	if step.Screen != "" {
		req["screen"] = step.Screen
	}
	if data != nil {
		req["data"] = data
	}
	payload, _ := json.Marshal(req)
	out, err := fs.call(ctx, FlowCall{FlowID: f.ID, URL: f.EndpointURI, AppSecret: biz.AppSecret, Payload: payload,
		Key: func(ctx context.Context, _ bool) (*rsa.PublicKey, error) {
			k, err := fs.st.FlowKey(ctx, s.NumberID)
			if err != nil {
				return nil, err
			}
			return ParseFlowPublicKey(k)
		}})
	switch {
	case errors.Is(err, ErrFlowTokenInvalid):
		return FlowAnswer{}, &parley.Error{Code: parley.EConflict, Message: "the business closed this flow (its flow token is no longer valid)",
			Details: map[string]any{"endpoint_status": 427}}
	case err != nil:
		return FlowAnswer{}, &parley.Error{Code: parley.EUnavailable, Message: "the business's Flow endpoint did not answer; try again"}
	}
	var ans struct {
		Screen string          `json:"screen"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return FlowAnswer{}, &parley.Error{Code: parley.EUnavailable, Message: "the business's Flow endpoint answered something else than a screen"}
	}
	if ans.Screen == "SUCCESS" {
		var done struct {
			Ext struct {
				Params json.RawMessage `json:"params"`
			} `json:"extension_message_response"`
		}
		_ = json.Unmarshal(ans.Data, &done)
		resp := done.Ext.Params
		if len(resp) == 0 || resp[0] != '{' {
			resp = json.RawMessage(`{"flow_token":` + strconv.Quote(s.Token) + `}`)
		}
		return FlowAnswer{Completed: true, ResponseJSON: string(resp)}, nil
	}
	return FlowAnswer{Screen: ans.Screen, Data: ans.Data}, nil
}

// Complete marks a person's Flow message finished and returns the
// response_json of the nfm_reply the person's client sends next: the
// given response (a JSON object) with the flow token. Errors:
// ENotFound, EInvalid (not a JSON object), EConflict (already finished).
func (fs *Flows) Complete(ctx context.Context, accountID, chatID int64, wamid string, response json.RawMessage) (string, error) {
	s, err := fs.session(ctx, accountID, chatID, wamid)
	if err != nil {
		return "", err
	}
	obj := map[string]any{}
	if len(response) > 0 && string(response) != "null" {
		if err := json.Unmarshal(response, &obj); err != nil {
			return "", parley.InvalidField("response", "response must be a JSON object")
		}
	}
	obj["flow_token"] = s.Token
	out, _ := json.Marshal(obj)
	if err := fs.st.CompleteFlowSession(ctx, wamid, fs.now()); parley.ErrorCode(err) == parley.EConflict {
		return "", parley.Errorf(parley.EConflict, "the flow is already completed")
	} else if err != nil {
		return "", fmt.Errorf("complete flow session: %w", err)
	}
	return string(out), nil
}

// FlowHealthAlert is a change of a Flow endpoint's health
// (internal/flowendpoint measures it): Event is ENDPOINT_ERROR_RATE,
// ENDPOINT_LATENCY or ENDPOINT_AVAILABILITY.
type FlowHealthAlert struct {
	FlowID    int64
	Event     string
	Value     float64 // percent, or milliseconds for the latency
	Threshold float64
	Calls     int
	Activated bool
}

// HealthAlert sends Meta's flows health webhook for an alert:
// {event, message, flow_id, alert_state ACTIVATED or DEACTIVATED, the
// measure and its threshold}.
func (fs *Flows) HealthAlert(ctx context.Context, a FlowHealthAlert) error {
	f, err := fs.st.GetFlow(ctx, a.FlowID)
	if err != nil {
		return fmt.Errorf("get flow: %w", err)
	}
	state := "DEACTIVATED"
	if a.Activated {
		state = "ACTIVATED"
	}
	value := map[string]any{"event": a.Event, "flow_id": strconv.FormatInt(f.ID, 10), "alert_state": state,
		"requests_count": a.Calls, "threshold": a.Threshold}
	switch a.Event {
	case "ENDPOINT_ERROR_RATE":
		value["error_rate"] = a.Value
		value["message"] = fmt.Sprintf("Flow %s's endpoint error rate is %.1f%% (threshold %.0f%%)", f.Name, a.Value, a.Threshold)
	case "ENDPOINT_LATENCY":
		value["p90_latency"] = a.Value
		value["message"] = fmt.Sprintf("Flow %s's endpoint p90 latency is %.0f ms (threshold %.0f ms)", f.Name, a.Value, a.Threshold)
	case "ENDPOINT_AVAILABILITY":
		value["availability"] = a.Value
		value["message"] = fmt.Sprintf("Flow %s's endpoint availability is %.1f%% (threshold %.0f%%)", f.Name, a.Value, a.Threshold)
	}
	now := fs.now()
	w := newWebhook(now, f.BusinessID, fmt.Sprintf("flowhealth:%d:%s:%s:%d", f.ID, a.Event, state, now.UnixNano()), fmt.Sprintf("flow:%d", f.ID), "flows", value)
	return fs.enqueue(ctx, w)
}
