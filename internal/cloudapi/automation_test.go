package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestConversationalAutomation: a number's welcome switch, ice-breakers
// and commands are set (body or query string, as Meta's examples send
// them), validated with Meta's limits and read back with
// fields=conversational_automation; with the welcome on, a customer who
// opens the chat for the first time makes a request_welcome webhook and
// the business may answer it free-form; a second opening makes nothing.
func TestConversationalAutomation(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testConversationalAutomation(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testConversationalAutomation(t, newEnv(t, withPostgres(t))) })
}

func testConversationalAutomation(t *testing.T, e *env) {
	path := fmt.Sprintf("/%d/conversational_automation", e.num.ID)
	read := func() map[string]any {
		t.Helper()
		status, b := e.cloud("GET", fmt.Sprintf("/%d?fields=conversational_automation", e.num.ID), nil)
		var out struct {
			ID string         `json:"id"`
			CA map[string]any `json:"conversational_automation"`
		}
		strict(t, b, &out)
		if status != http.StatusOK || out.ID != fmt.Sprint(e.num.ID) || out.CA == nil {
			t.Fatalf("read automation: status %d: %s", status, b)
		}
		return out.CA
	}
	if ca := read(); ca["enable_welcome_message"] != false || len(ca["prompts"].([]any)) != 0 || len(ca["commands"].([]any)) != 0 {
		t.Errorf("automation of a new number: got %v, want all off and empty", ca)
	}

	status, b := e.cloud("POST", path, map[string]any{"enable_welcome_message": true,
		"prompts":  []string{"¿Tienen talla 42?", "Track my order 📦"},
		"commands": []map[string]string{{"command_name": "tickets", "command_description": "Book flight tickets"}, {"command_name": "hotel", "command_description": "Book hotel"}}})
	if status != http.StatusOK || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("set automation: status %d: %s", status, b)
	}
	ca := read()
	if ca["enable_welcome_message"] != true || fmt.Sprint(ca["prompts"]) != "[¿Tienen talla 42? Track my order 📦]" {
		t.Errorf("read back: got %v", ca)
	}
	if cs, _ := json.Marshal(ca["commands"]); string(cs) != `[{"command_description":"Book flight tickets","command_name":"tickets"},{"command_description":"Book hotel","command_name":"hotel"}]` {
		t.Errorf("commands read back: got %s", cs)
	}
	// The query string, as Meta's examples: prompts alone replace the
	// prompts and leave the rest.
	q := url.Values{"prompts": {`["Book a flight","plan a vacation"]`}}
	if status, b := e.cloud("POST", path+"?"+q.Encode(), nil); status != http.StatusOK {
		t.Fatalf("set prompts in the query string: status %d: %s", status, b)
	}
	if ca := read(); fmt.Sprint(ca["prompts"]) != "[Book a flight plan a vacation]" || ca["enable_welcome_message"] != true || len(ca["commands"].([]any)) != 2 {
		t.Errorf("after the query string: got %v", ca)
	}
	// Other fields of the number still answer, and fields= keeps to what it names.
	if _, b := e.cloud("GET", fmt.Sprintf("/%d?fields=display_phone_number", e.num.ID), nil); strings.Contains(string(b), "conversational_automation") || !strings.Contains(string(b), "display_phone_number") {
		t.Errorf("fields=display_phone_number: got %s", b)
	}

	long := strings.Repeat("x", 81)
	for name, body := range map[string]map[string]any{
		"five prompts":     {"prompts": []string{"a", "b", "c", "d", "e"}},
		"long prompt":      {"prompts": []string{long}},
		"empty prompt":     {"prompts": []string{" "}},
		"slash in name":    {"commands": []map[string]string{{"command_name": "/tickets", "command_description": "x"}}},
		"space in name":    {"commands": []map[string]string{{"command_name": "my tickets", "command_description": "x"}}},
		"long name":        {"commands": []map[string]string{{"command_name": strings.Repeat("c", 33), "command_description": "x"}}},
		"no description":   {"commands": []map[string]string{{"command_name": "x"}}},
		"same name twice":  {"commands": []map[string]string{{"command_name": "a", "command_description": "x"}, {"command_name": "A", "command_description": "y"}}},
		"nothing to set":   {},
		"prompts a number": {"prompts": 3},
	} {
		t.Run(name, func(t *testing.T) { e.cloudErr("POST", path, body, 400, 100, 0) })
	}
	commands := make([]map[string]string, 31)
	for i := range commands {
		commands[i] = map[string]string{"command_name": fmt.Sprintf("c%d", i), "command_description": "x"}
	}
	e.cloudErr("POST", path, map[string]any{"commands": commands}, 400, 100, 0)
	e.cloudErr("POST", fmt.Sprintf("/%d/conversational_automation", e.biz.ID+999999), map[string]any{"enable_welcome_message": true}, 400, 100, 33)

	// A new customer opens the chat: request_welcome, then a free-form welcome.
	newcomer, _ := e.login("+14155550177", "Zoë Ñandú")
	chatID, err := newcomer.OpenDirect(e.ctx, e.num.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	rw := e.customerSends(newcomer, chatID.ID, chat.KindMessage, "", client.Body{RequestWelcome: true})
	v := e.hooks.wait("request_welcome", func(f string, v hookValue) bool {
		return f == "messages" && len(v.Messages) == 1 && v.Messages[0].ID == rw
	})
	m := v.Messages[0]
	if m.Type != "request_welcome" || m.From != "14155550177" || m.Text != nil || len(v.Contacts) != 1 || v.Contacts[0].Profile.Name != "Zoë Ñandú" {
		t.Fatalf("request_welcome webhook: got %+v (contacts %+v)", m, v.Contacts)
	}
	welcome := e.send(map[string]any{"to": "+14155550177", "type": "text", "text": map[string]any{"body": "Willkommen! 👋"}})
	if got := e.receive(newcomer, welcome); got.Text != "Willkommen! 👋" {
		t.Errorf("welcome: customer got %+v", got)
	}
	// Opening again, after the chat has begun, makes nothing; the next
	// message is the next webhook.
	e.customerSends(newcomer, chatID.ID, chat.KindMessage, "", client.Body{RequestWelcome: true})
	next := e.customerSends(newcomer, chatID.ID, chat.KindMessage, "", client.Body{Text: "hola"})
	e.hooks.message(next)
	e.hooks.mu.Lock()
	for _, h := range e.hooks.got {
		if f, v := h.change(); f == "messages" && len(v.Messages) == 1 && v.Messages[0].Type == "request_welcome" && v.Messages[0].ID != rw {
			t.Errorf("a second request_welcome: %+v", v.Messages[0])
		}
	}
	e.hooks.mu.Unlock()

	// With the welcome off, a first opening makes nothing either.
	if status, b := e.cloud("POST", path+"?enable_welcome_message=false", nil); status != http.StatusOK {
		t.Fatalf("welcome off: status %d: %s", status, b)
	}
	other, _ := e.login("+14155550178", "Ana")
	och, err := other.OpenDirect(e.ctx, e.num.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	e.customerSends(other, och.ID, chat.KindMessage, "", client.Body{RequestWelcome: true})
	hi := e.customerSends(other, och.ID, chat.KindMessage, "", client.Body{Text: "hi"})
	e.hooks.message(hi)
	time.Sleep(50 * time.Millisecond)
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	for _, h := range e.hooks.got {
		if f, v := h.change(); f == "messages" && len(v.Messages) == 1 && v.Messages[0].Type == "request_welcome" && v.Messages[0].From == business.WaID("+14155550178") {
			t.Errorf("request_welcome with the welcome off: %+v", v.Messages[0])
		}
	}
}
