package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// A person's side of WhatsApp Flows (docs/API.md, "Flows"): the client
// that received a Flow message drives it screen by screen through the
// business's endpoint, then finishes it. Only the person the Flow
// message was sent to may (business.Flows checks it).

// maxFlowStep bounds a step's body: a screen's form data.
const maxFlowStep = 256 << 10

// openFlow answers GET /v1/chats/{chat}/flows/{message}: the Flow of a
// Flow message the caller received, to render.
func openFlow(fs *business.Flows) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		chatID, err := pathID(r, "chat")
		if err != nil {
			return err
		}
		f, err := fs.Open(r.Context(), p.AccountID, chatID, r.PathValue("message"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	}
}

func flowExchange(fs *business.Flows) authedFunc {
	type req struct {
		ChatID    int64           `json:"chat_id"`
		MessageID string          `json:"message_id"`
		Action    string          `json:"action"`
		Screen    string          `json:"screen"`
		Data      json.RawMessage `json:"data"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxFlowStep, &in); err != nil {
			return err
		}
		if in.ChatID <= 0 || in.MessageID == "" {
			return parley.InvalidField("message_id", "chat_id and message_id (the Flow message's id) are required")
		}
		ans, err := fs.Exchange(r.Context(), p.AccountID, business.FlowStep{ChatID: in.ChatID, MessageID: in.MessageID, Action: in.Action,
			Screen: in.Screen, Data: in.Data})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ans)
		return nil
	}
}

func flowComplete(fs *business.Flows) authedFunc {
	type req struct {
		ChatID    int64           `json:"chat_id"`
		MessageID string          `json:"message_id"`
		Response  json.RawMessage `json:"response"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxFlowStep, &in); err != nil {
			return err
		}
		if in.ChatID <= 0 || in.MessageID == "" {
			return parley.InvalidField("message_id", "chat_id and message_id (the Flow message's id) are required")
		}
		resp, err := fs.Complete(r.Context(), p.AccountID, in.ChatID, in.MessageID, in.Response)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"response_json": resp})
		return nil
	}
}
