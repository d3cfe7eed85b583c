package cloudapi_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestStatusDetails: pricing rides on sent and on delivered, not again on
// read (as Meta); the customer's business-scoped user id is on the inbound
// contact and message and on every status of a message to them; errors
// carry an href (TestErrorsReportedInStatuses).
func TestStatusDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"})
	var contactUID, fromUID string
	v := e.hooks.wait("with the customer's message", func(f string, v hookValue) bool {
		return f == "messages" && len(v.Messages) == 1 && v.Messages[0].ID == in
	})
	if len(v.Contacts) == 1 {
		contactUID = v.Contacts[0].UserID
	}
	fromUID = v.Messages[0].FromUserID
	if !strings.HasPrefix(contactUID, "US.") || len(contactUID) < 10 || fromUID != contactUID {
		t.Errorf("business-scoped user id: contacts[].user_id %q, from_user_id %q; want the same US.<digits>", contactUID, fromUID)
	}
	wamid := e.send(map[string]any{"type": "text", "text": map[string]any{"body": "hello"}})
	e.receive(e.cust, wamid)
	if err := e.cust.MarkRead(e.ctx, e.chatID, wamid); err != nil {
		t.Fatalf("customer reads: %v", err)
	}
	for _, s := range []struct {
		status  string
		pricing bool
	}{{"sent", true}, {"delivered", true}, {"read", false}} {
		st := e.hooks.status(wamid, s.status)
		if (st.Pricing != nil) != s.pricing {
			t.Errorf("%s status: pricing %+v, want present %v", s.status, st.Pricing, s.pricing)
		}
		if st.RecipientUserID != contactUID {
			t.Errorf("%s status: recipient_user_id %q, want %q", s.status, st.RecipientUserID, contactUID)
		}
	}
}
