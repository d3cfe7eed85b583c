package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/wire"
)

// FlowStep is one step of a WhatsApp Flow a person received: Action
// INIT (open it), data_exchange (a screen's data, or an error
// notification when Data has "error") or BACK, on the Flow message
// MessageID (its wamid) in chat ChatID.
type FlowStep struct {
	ChatID    int64           `json:"chat_id"`
	MessageID string          `json:"message_id"`
	Action    string          `json:"action"`
	Screen    string          `json:"screen,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// FlowAnswer is the business's answer to a step: the next screen and
// its data, or the finished Flow (Completed, with the response_json to
// send back, which CompleteFlow does).
type FlowAnswer struct {
	Screen       string          `json:"screen,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	Completed    bool            `json:"completed,omitempty"`
	ResponseJSON string          `json:"response_json,omitempty"`
}

// ExchangeFlow sends a step of a Flow to the business's endpoint through
// the server (POST /v1/flows/exchange) and returns its answer.
func (c *Client) ExchangeFlow(ctx context.Context, step FlowStep) (FlowAnswer, error) {
	var out FlowAnswer
	err := c.do(ctx, http.MethodPost, "/v1/flows/exchange", step, &out)
	return out, err
}

// FinishFlow marks the Flow message finished (POST /v1/flows/complete)
// and returns the response_json to send: response (a JSON object) with
// the flow token.
func (c *Client) FinishFlow(ctx context.Context, chatID int64, messageID string, response json.RawMessage) (string, error) {
	var out struct {
		ResponseJSON string `json:"response_json"`
	}
	err := c.do(ctx, http.MethodPost, "/v1/flows/complete", map[string]any{"chat_id": chatID, "message_id": messageID, "response": response}, &out)
	return out.ResponseJSON, err
}

// CompleteFlow finishes a Flow and sends the business its nfm_reply, in
// reply to the Flow message, with body as the reply's text ("Sent" when
// empty). It returns the reply's message id.
func (c *Client) CompleteFlow(ctx context.Context, chatID int64, messageID string, response json.RawMessage, body string) (string, error) {
	resp, err := c.FinishFlow(ctx, chatID, messageID, response)
	if err != nil {
		return "", err
	}
	if body == "" {
		body = "Sent"
	}
	id := NewMessageID()
	_, err = c.SendBody(ctx, chatID, id, wire.KindMessage, "", Body{Text: body, ReplyTo: messageID,
		Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "flow", Body: body, ResponseJSON: resp}})
	return id, err
}

// OpenedFlow is a Flow message's Flow as its recipient opens it: the
// Flow JSON to render, whether it has an endpoint (then each step goes
// through ExchangeFlow), and whether it is finished.
type OpenedFlow struct {
	FlowID    string          `json:"flow_id"`
	Name      string          `json:"name"`
	FlowJSON  json.RawMessage `json:"flow_json"`
	Endpoint  bool            `json:"endpoint"`
	Completed bool            `json:"completed"`
}

// OpenFlow returns the Flow of the Flow message messageID in chatID
// (GET /v1/chats/{chat}/flows/{message}).
func (c *Client) OpenFlow(ctx context.Context, chatID int64, messageID string) (OpenedFlow, error) {
	var out OpenedFlow
	err := c.do(ctx, http.MethodGet, "/v1/chats/"+strconv.FormatInt(chatID, 10)+"/flows/"+url.PathEscape(messageID), nil, &out)
	return out, err
}
