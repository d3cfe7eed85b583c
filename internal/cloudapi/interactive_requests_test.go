package cloudapi_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// TestLocationRequestMessage: a location_request_message is validated as
// Meta does (a body, the action send_location, nothing else), reaches the
// customer whole, and the customer's shared location comes back as a
// location message whose context is the request.
func TestLocationRequestMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "where do you deliver?"}))
	req := func(mut func(in map[string]any)) map[string]any {
		in := map[string]any{"type": "location_request_message", "body": map[string]any{"text": "Where should we pick you up? 📍"},
			"action": map[string]any{"name": "send_location"}}
		if mut != nil {
			mut(in)
		}
		return map[string]any{"type": "interactive", "interactive": in}
	}
	for name, mut := range map[string]func(map[string]any){
		"no body":        func(in map[string]any) { delete(in, "body") },
		"empty body":     func(in map[string]any) { in["body"] = map[string]any{"text": ""} },
		"long body":      func(in map[string]any) { in["body"] = map[string]any{"text": strings.Repeat("a", 1025)} },
		"other action":   func(in map[string]any) { in["action"] = map[string]any{"name": "send_address"} },
		"no action name": func(in map[string]any) { in["action"] = map[string]any{} },
		"header":         func(in map[string]any) { in["header"] = map[string]any{"type": "text", "text": "Pickup"} },
		"footer":         func(in map[string]any) { in["footer"] = map[string]any{"text": "thanks"} },
		"buttons": func(in map[string]any) {
			in["action"] = map[string]any{"name": "send_location", "buttons": []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "a", "title": "A"}}}}
		},
	} {
		t.Run(name, func(t *testing.T) { e.sendErr(req(mut), 400, business.MetaInvalidParameter) })
	}

	wamid := e.send(req(nil))
	got := e.receive(e.cust, wamid)
	if got.Interactive == nil || got.Interactive.Type != "location_request_message" || got.Interactive.Action.Name != "send_location" ||
		got.Text != "Where should we pick you up? 📍" {
		t.Fatalf("customer got %+v", got)
	}
	rid := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{ReplyTo: wamid,
		Location: &wire.Location{Latitude: 19.4326, Longitude: -99.1332, Name: "Zócalo", Address: "Centro, CDMX"}})
	m := e.hooks.message(rid)
	if m.Type != "location" || m.Location == nil || m.Location.Latitude != 19.4326 || m.Location.Longitude != -99.1332 ||
		m.Location.Name != "Zócalo" || m.Context == nil || m.Context.ID != wamid {
		t.Fatalf("shared location webhook: got %+v (context %+v)", m, m.Context)
	}
}

// TestAddressMessage: an address_message is validated as Meta does
// (country IN, the form's fields only, the pin code's length, saved
// addresses with unique ids) and reaches the customer whole; the filled
// form comes back as an nfm_reply named address_message with the values
// in response_json and the request as context.
func TestAddressMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "ship it"}))
	addr := func(params map[string]any) map[string]any {
		p := map[string]any{"country": "IN", "values": map[string]any{"name": "Zoë Ñandú", "phone_number": "+919000000000", "in_pin_code": "400063"},
			"saved_addresses":   []any{map[string]any{"id": "home", "value": map[string]any{"address": "12 MG Road", "city": "Mumbai", "in_pin_code": "400001"}}},
			"validation_errors": map[string]any{"in_pin_code": "We cannot deliver to this pin code"}}
		for k, v := range params {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "address_message",
			"header": map[string]any{"type": "text", "text": "Delivery"}, "body": map[string]any{"text": "Where should we deliver your order?"},
			"footer": map[string]any{"text": "Acme"}, "action": map[string]any{"name": "address_message", "parameters": p}}}
	}
	for name, params := range map[string]map[string]any{
		"no country":         {"country": nil},
		"other country":      {"country": "US"},
		"lower-case":         {"country": "in"},
		"unknown value":      {"values": map[string]any{"zip": "94103"}},
		"long pin code":      {"values": map[string]any{"in_pin_code": "4000631"}},
		"saved without id":   {"saved_addresses": []any{map[string]any{"value": map[string]any{"city": "Pune"}}}},
		"saved no value":     {"saved_addresses": []any{map[string]any{"id": "a"}}},
		"saved twice":        {"saved_addresses": []any{map[string]any{"id": "a", "value": map[string]any{"city": "Pune"}}, map[string]any{"id": "a", "value": map[string]any{"city": "Goa"}}}},
		"saved bad field":    {"saved_addresses": []any{map[string]any{"id": "a", "value": map[string]any{"county": "Pune"}}}},
		"bad error field":    {"validation_errors": map[string]any{"postcode": "wrong"}},
		"flow parameters":    {"flow_id": "123"},
		"value not a string": {"values": map[string]any{"name": 42}},
	} {
		t.Run(name, func(t *testing.T) { e.sendErr(addr(params), 400, business.MetaInvalidParameter) })
	}
	noParams := addr(nil)
	delete(noParams["interactive"].(map[string]any)["action"].(map[string]any), "parameters")
	e.sendErr(noParams, 400, business.MetaInvalidParameter)
	// The minimal message Meta documents: the country alone.
	e.send(addr(map[string]any{"values": nil, "saved_addresses": nil, "validation_errors": nil}))

	wamid := e.send(addr(nil))
	got := e.receive(e.cust, wamid)
	if got.Interactive == nil || got.Interactive.Type != "address_message" || got.Interactive.Action.Parameters == nil {
		t.Fatalf("customer got %+v", got)
	}
	p := got.Interactive.Action.Parameters
	if p.Country != "IN" || p.Values["name"] != "Zoë Ñandú" || len(p.SavedAddresses) != 1 || p.SavedAddresses[0].ID != "home" ||
		p.SavedAddresses[0].Value["city"] != "Mumbai" || p.ValidationErrors["in_pin_code"] == "" {
		t.Errorf("address parameters: customer got %+v", p)
	}
	resp := `{"saved_address_id":"home","values":{"name":"Zoë Ñandú","address":"12 MG Road","city":"Mumbai","in_pin_code":"400001"}}`
	rid := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{ReplyTo: wamid,
		Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "address_message", Body: "12 MG Road, Mumbai", ResponseJSON: resp}})
	m := e.hooks.message(rid)
	if m.Type != "interactive" || m.Interactive == nil || m.Interactive.NfmReply == nil || m.Context == nil || m.Context.ID != wamid {
		t.Fatalf("address reply webhook: got %+v", m)
	}
	if r := *m.Interactive.NfmReply; r != (wire.NfmReply{Name: "address_message", Body: "12 MG Road, Mumbai", ResponseJSON: resp}) {
		t.Errorf("nfm_reply: got %+v", r)
	}
}
