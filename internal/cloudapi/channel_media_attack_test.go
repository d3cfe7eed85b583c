package cloudapi_test

import (
	"errors"
	"io"
	"testing"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// TestChannelMediaBusinessAttachment is issue 13's defect 1 against a
// business: an attacker who learns a business attachment's id cannot
// make the business number an admin of its own channel (a business number
// has no app to accept with) nor fetch the attachment through the channel.
func TestChannelMediaBusinessAttachment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := e.uploadPNG()
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "a photo please"})
	e.hooks.message(in)
	wamid := e.send(map[string]any{"type": "image", "image": map[string]any{"id": img}})
	e.receive(e.cust, wamid)

	mallory, _ := e.login("+14155550119", "Mallory")
	ch, err := mallory.CreateChannel(e.ctx, wire.ChannelInput{Handle: "trap", Name: "Trap", Category: "news"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mallory.InviteChannelAdmin(e.ctx, ch.ID, e.num.AccountID)
	wantClientCode(t, err, "invalid_argument")
	if as, err := mallory.ChannelAdmins(e.ctx, ch.ID); err != nil || len(as) != 1 {
		t.Fatalf("admins: got %+v, %v; want the owner only", as, err)
	}
	for _, who := range []*client.Client{mallory, e.cust} {
		d, err := who.ChannelMedia(e.ctx, ch.ID, img)
		if err == nil {
			b, _ := io.ReadAll(d.Body)
			d.Body.Close()
			t.Fatalf("business attachment through a channel: got %d bytes, want not_found", len(b))
		}
		wantClientCode(t, err, "not_found")
	}
}

func wantClientCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}
