package cloudapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// TestContacts: a customer shares a contact card with the business (a
// contacts webhook), and the business sends one back.
func TestContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	card := wire.ContactCard{
		Name:   wire.ContactName{FormattedName: "Dana Reyes", FirstName: "Dana", LastName: "Reyes"},
		Phones: []wire.ContactPhone{{Phone: "+1 415 555 0199", Type: "CELL", WaID: "14155550199"}},
		Emails: []wire.ContactEmail{{Email: "dana@example.com", Type: "WORK"}},
		Org:    &wire.ContactOrg{Company: "Acme", Title: "Buyer"},
	}
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Dana Reyes", Contacts: []wire.ContactCard{card}})
	m := e.hooks.message(in)
	if m.Type != "contacts" || !cmp.Equal(m.Contacts, []wire.ContactCard{card}) {
		t.Errorf("inbound contacts: got type %q %+v", m.Type, m.Contacts)
	}
	e.sendErr(map[string]any{"type": "contacts"}, 400, business.MetaInvalidParameter)
	e.sendErr(map[string]any{"type": "contacts", "contacts": []any{map[string]any{"name": map[string]any{"first_name": "x"}}}}, 400, business.MetaInvalidParameter)
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
	// The Graph API takes an array parameter sent as JSON text, as some
	// client libraries send contacts.
	wamid = e.send(map[string]any{"type": "contacts", "contacts": `[{"name":{"formatted_name":"Zoë Ng","first_name":"Zoë"},"phones":[{"phone":"+1 415 555 0101"}]}]`})
	if got := e.receive(e.cust, wamid); len(got.Contacts) != 1 || got.Contacts[0].Name.FormattedName != "Zoë Ng" {
		t.Errorf("contacts sent as a JSON string: customer got %+v", got)
	}
}

// TestPrune: after the record and delivery-log lifetimes, a business's
// message records and delivered webhooks are pruned; the rated ledger is not.
func TestPrune(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"})
	e.hooks.message(in)
	wamid := e.send(map[string]any{"type": "text", "text": map[string]any{"body": "hello"}})
	e.receive(e.cust, wamid)
	e.hooks.status(wamid, "delivered")
	biz := e.srv.Server.Businesses()
	if n, err := biz.Prune(e.ctx); err != nil || n != 0 {
		t.Fatalf("prune now: got %d, %v; want nothing", n, err)
	}
	before := len(e.usage())
	e.clock.Advance(40 * 24 * time.Hour)
	n, err := biz.Prune(e.ctx)
	if err != nil || n < 4 {
		t.Fatalf("prune after 40 days: got %d, %v; want the records and delivered webhooks", n, err)
	}
	code, b := e.cloud("GET", fmt.Sprintf("/%d/webhook_deliveries", e.biz.ID), nil)
	if code != 200 || strings.Contains(string(b), `"status":"delivered"`) {
		t.Errorf("delivery log after pruning: %d %s", code, b)
	}
	// Marking a pruned message read is an unknown message now.
	e.sendErr(map[string]any{"status": "read", "message_id": in}, 400, business.MetaInvalidParameter)
	if after := len(e.usage()); after != before {
		t.Errorf("usage ledger: %d entries before pruning, %d after", before, after)
	}
}
