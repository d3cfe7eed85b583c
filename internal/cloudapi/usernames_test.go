package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestUsernamesAndRecipient: a person sets a username (validated, unique,
// case folded) on the people API; it rides in the webhook's
// contacts[].profile.username beside the business-scoped user id; the
// business sends to that id with `recipient` instead of `to`, and the
// person receives it. An id the business was never given is accepted and
// failed in a status (131026); something that is not an id is 100.
func TestUsernamesAndRecipient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	setUsername := func(c *client.Client, u string) error {
		_, err := c.UpdateProfile(e.ctx, client.ProfileUpdate{Username: &u})
		return err
	}
	for _, bad := range []string{"zo", "zoe.com", "wwwzoe", "zo..e", "zoë", "1234"} {
		if err := setUsername(e.cust, bad); client.ErrorCode(err) != "invalid_argument" {
			t.Errorf("username %q: got %v, want invalid_argument", bad, err)
		}
	}
	if err := setUsername(e.cust, "Carla.Shoes_7"); err != nil {
		t.Fatal(err)
	}
	me, err := e.cust.Me(e.ctx)
	if err != nil || me.Profile.Username != "carla.shoes_7" {
		t.Fatalf("me: got %+v %v, want username carla.shoes_7", me.Profile, err)
	}
	other, _ := e.login("+14155550122", "Other")
	if err := setUsername(other, "CARLA.shoes_7"); client.ErrorCode(err) != "conflict" {
		t.Errorf("a username taken in another case: got %v, want conflict", err)
	}

	// The webhook names the username, as Meta's contacts[].profile does.
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi, it's me"})
	v := e.hooks.wait("the contact with a username", func(f string, v hookValue) bool { return len(v.Messages) == 1 && v.Messages[0].ID == in })
	if len(v.Contacts) != 1 || v.Contacts[0].Profile.Username != "carla.shoes_7" || v.Contacts[0].Profile.Name != "Carla" || v.Contacts[0].UserID == "" ||
		v.Messages[0].FromUserID != v.Contacts[0].UserID {
		t.Fatalf("contacts: got %+v", v.Contacts)
	}
	uid := v.Contacts[0].UserID

	// Sending to the business-scoped user id, without `to`.
	status, b := e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp", "recipient": uid,
		"type": "text", "text": map[string]any{"body": "Hello Carla, by your id"}})
	var out struct {
		Contacts []map[string]string `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if status != 200 || json.Unmarshal(b, &out) != nil || len(out.Messages) != 1 || len(out.Contacts) != 1 ||
		out.Contacts[0]["input"] != uid || out.Contacts[0]["user_id"] != uid || out.Contacts[0]["wa_id"] != "" {
		t.Fatalf("send to a user id: got %d %s", status, b)
	}
	if got := e.receive(e.cust, out.Messages[0].ID); got.Text != "Hello Carla, by your id" {
		t.Errorf("the customer got %+v", got)
	}
	if st := e.hooks.status(out.Messages[0].ID, "sent"); st.RecipientUserID != uid {
		t.Errorf("sent status: got recipient_user_id %q, want %q", st.RecipientUserID, uid)
	}

	// An id of the right shape that this business was never given: accepted,
	// then failed in a status that names it.
	status, b = e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp", "recipient": "US.123456789",
		"type": "text", "text": map[string]any{"body": "anyone?"}})
	if status != 200 || json.Unmarshal(b, &out) != nil || len(out.Messages) != 1 {
		t.Fatalf("send to an unknown user id: got %d %s", status, b)
	}
	if st := e.failedStatus(out.Messages[0].ID, 131026); st.RecipientUserID != "US.123456789" || st.RecipientID != "" {
		t.Errorf("failed status: got %+v", st)
	}
	// Not a user id, and neither to nor recipient: 100 at once.
	me2 := e.cloudErr("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp", "recipient": "carla.shoes_7",
		"type": "text", "text": map[string]any{"body": "x"}}, 400, 100, 0)
	if me2.Error.ErrorData.Details == "" {
		t.Errorf("malformed recipient: got %+v", me2)
	}
	e.cloudErr("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp",
		"type": "text", "text": map[string]any{"body": "x"}}, 400, 100, 0)
	// Both: `to` wins.
	status, b = e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp", "to": e.custPh, "recipient": "US.1",
		"type": "text", "text": map[string]any{"body": "by number"}})
	if status != 200 || json.Unmarshal(b, &out) != nil || out.Contacts[0]["wa_id"] != "14155550111" {
		t.Errorf("to and recipient: got %d %s, want the number used", status, b)
	}

	// The username can be removed.
	if err := setUsername(e.cust, ""); err != nil {
		t.Fatal(err)
	}
	if me, err := e.cust.Me(e.ctx); err != nil || me.Profile.Username != "" {
		t.Errorf("username removed: got %+v %v", me.Profile, err)
	}
}
