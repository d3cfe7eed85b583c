package cloudapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/business"
)

// conversational_automation of a number (business/automation.go).

// automationJSON is a number's conversational automation in Meta's shape.
func automationJSON(a business.Automation) map[string]any {
	prompts := a.Prompts
	if prompts == nil {
		prompts = []string{}
	}
	commands := a.Commands
	if commands == nil {
		commands = []business.AutomationCommand{}
	}
	return map[string]any{"enable_welcome_message": a.EnableWelcomeMessage, "prompts": prompts, "commands": commands}
}

// updateAutomation answers POST /{phone-number-id}/conversational_automation.
// Its parameters come in the body or, as Meta's examples send them, in
// the query string (prompts and commands as JSON arrays there). A field
// given replaces the number's; one left out stays.
func updateAutomation(b *business.Service) bizFunc {
	type req struct {
		EnableWelcomeMessage *flexBool                     `json:"enable_welcome_message"`
		Prompts              *[]string                     `json:"prompts"`
		Commands             *[]business.AutomationCommand `json:"commands"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		q := r.URL.Query()
		var u business.AutomationUpdate
		switch {
		case in.EnableWelcomeMessage != nil:
			v := bool(*in.EnableWelcomeMessage)
			u.EnableWelcomeMessage = &v
		case q.Has("enable_welcome_message"):
			v, err := strconv.ParseBool(q.Get("enable_welcome_message"))
			if err != nil {
				return invalid("enable_welcome_message must be true or false")
			}
			u.EnableWelcomeMessage = &v
		}
		u.Prompts = in.Prompts
		if u.Prompts == nil && q.Has("prompts") {
			var ps []string
			if json.Unmarshal([]byte(q.Get("prompts")), &ps) != nil {
				return invalid("Param prompts must be an array of strings")
			}
			u.Prompts = &ps
		}
		u.Commands = in.Commands
		if u.Commands == nil && q.Has("commands") {
			var cs []business.AutomationCommand
			if json.Unmarshal([]byte(q.Get("commands")), &cs) != nil {
				return invalid("Param commands must be an array of objects with command_name and command_description")
			}
			u.Commands = &cs
		}
		if u.EnableWelcomeMessage == nil && u.Prompts == nil && u.Commands == nil {
			return invalid("give enable_welcome_message, prompts or commands")
		}
		if _, err := b.UpdateAutomation(r.Context(), n, u); err != nil {
			return err
		}
		success(w)
		return nil
	}
}
