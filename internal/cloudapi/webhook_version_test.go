package cloudapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// TestWebhookVersion: the version of the subscription shapes the
// webhooks as Meta's app setting does. Before a Cloud API subscription
// (the newest shape) and at v24.0, a per-message-priced status has no
// conversation object; at v23.0 sent and delivered carry it, its origin
// the category. Once subscribed, inbound media carry the url the business
// downloads them from, at the address and version it subscribed with.
func TestWebhookVersion(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testWebhookVersion(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testWebhookVersion(t, newEnv(t, withPostgres(t))) })
}

func testWebhookVersion(t *testing.T, e *env) {
	subscribe := func(version string) {
		t.Helper()
		status, b := e.do("POST", fmt.Sprintf("/%s/%d/subscribed_apps", version, e.biz.ID), e.token,
			map[string]any{"override_callback_uri": e.hooks.srv.URL, "verify_token": e.hooks.verifyToken})
		if status != http.StatusOK {
			t.Fatalf("subscribe at %s: status %d: %s", version, status, b)
		}
	}
	image := func() wire.InboundMedia {
		t.Helper()
		cm, err := e.cust.UploadMedia(e.ctx, e.chatID, "image/png", bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		m := e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{MediaID: cm.ID, MediaType: "image/png", Text: "größe 42?"}))
		if m.Image == nil {
			t.Fatalf("image webhook: got %+v", m)
		}
		return *m.Image
	}
	reply := func(want bool) {
		t.Helper()
		wamid := e.send(map[string]any{"type": "text", "text": map[string]any{"body": "Ja, gern 👍"}})
		e.receive(e.cust, wamid)
		for _, s := range []string{"sent", "delivered"} {
			st := e.hooks.status(wamid, s)
			if st.Pricing == nil || st.Pricing.PricingModel != "PMP" {
				t.Fatalf("%s status: pricing %+v, want PMP", s, st.Pricing)
			}
			switch c := st.Conversation; {
			case !want && c != nil:
				t.Errorf("%s status: conversation %+v, want none", s, c)
			case want && (c == nil || c.ID == "" || c.Origin.Type != st.Pricing.Category):
				t.Errorf("%s status: conversation %+v, want one with origin %q", s, c, st.Pricing.Category)
			}
		}
	}

	if m := image(); m.URL != "" {
		t.Errorf("media url before a Cloud API subscription: got %q, want none", m.URL)
	}
	reply(false)

	subscribe("v23.0")
	m := image()
	if want := fmt.Sprintf("%s/v23.0/%s/content", e.srv.URL, m.ID); m.URL != want {
		t.Fatalf("media url: got %q, want %q", m.URL, want)
	}
	req, _ := http.NewRequestWithContext(e.ctx, "GET", m.URL, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Errorf("download from the webhook's url: status %d, %d bytes; want 200 and the customer's %d", resp.StatusCode, len(got), len(pngBytes))
	}
	reply(true)

	subscribe("v24.0")
	reply(false)
	if m := image(); m.URL == "" || !bytes.Contains([]byte(m.URL), []byte("/v24.0/")) {
		t.Errorf("media url at v24.0: got %q", m.URL)
	}
}
