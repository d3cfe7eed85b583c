package cloudapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/client"
)

// TestContacts: a customer shares a contact card with the business (a
// contacts webhook), and the business sends one back.
func TestContacts(t *testing.T) {
	e := newEnv(t)
	card := parley.ContactCard{
		Name:   parley.ContactName{FormattedName: "Dana Reyes", FirstName: "Dana", LastName: "Reyes"},
		Phones: []parley.ContactPhone{{Phone: "+1 415 555 0199", Type: "CELL", WaID: "14155550199"}},
		Emails: []parley.ContactEmail{{Email: "dana@example.com", Type: "WORK"}},
		Org:    &parley.ContactOrg{Company: "Acme", Title: "Buyer"},
	}
	in := e.customerSends(e.cust, e.chatID, parley.KindMessage, "", client.Body{Text: "Dana Reyes", Contacts: []parley.ContactCard{card}})
	m := e.hooks.message(in)
	if m.Type != "contacts" || !cmp.Equal(m.Contacts, []parley.ContactCard{card}) {
		t.Errorf("inbound contacts: got type %q %+v", m.Type, m.Contacts)
	}
	e.sendErr(map[string]any{"type": "contacts"}, 400, parley.MetaInvalidParameter)
	e.sendErr(map[string]any{"type": "contacts", "contacts": []any{map[string]any{"name": map[string]any{"first_name": "x"}}}}, 400, parley.MetaInvalidParameter)
	wamid := e.send(map[string]any{"type": "contacts", "contacts": []any{map[string]any{
		"name":   map[string]any{"formatted_name": "Acme Support", "first_name": "Acme"},
		"phones": []any{map[string]any{"phone": "+1 415 555 0100", "type": "WORK", "wa_id": "14155550100"}},
		"urls":   []any{map[string]any{"url": "https://acme.example", "type": "WORK"}},
	}}})
	got := e.receive(e.cust, wamid)
	if len(got.Contacts) != 1 || got.Contacts[0].Name.FormattedName != "Acme Support" || got.Contacts[0].Phones[0].WaID != "14155550100" ||
		got.Contacts[0].URLs[0].URL != "https://acme.example" || got.Text != "Acme Support" {
		t.Errorf("customer got %+v", got)
	}
}
