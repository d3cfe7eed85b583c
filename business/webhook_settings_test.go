package business

import "testing"

func TestConversationInStatuses(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    bool
	}{{"", false}, {"v17.0", true}, {"v23.0", true}, {"v24.0", false}, {"v25.0", false}, {"v100.0", false}, {"23.0", false}, {"v23", false}} {
		if got := (WebhookSettings{Version: tt.version}).ConversationInStatuses(); got != tt.want {
			t.Errorf("version %q: got %v, want %v", tt.version, got, tt.want)
		}
	}
}

func TestStatusConversation(t *testing.T) {
	n := BusinessNumber{ID: 7}
	m := BusinessMessage{CustomerID: 9, Category: "utility", PricingType: "regular"}
	if c := statusConversation(WebhookSettings{Version: "v24.0"}, n, m); c != nil {
		t.Errorf("v24.0: got %+v, want none", c)
	}
	if c := statusConversation(WebhookSettings{Version: "v23.0"}, n, m); c == nil || c.ID != "7-9-utility" || c.Origin.Type != "utility" {
		t.Errorf("v23.0: got %+v, want id 7-9-utility, origin utility", c)
	}
	m.PricingType = PricingFreeEntryPoint
	if c := statusConversation(WebhookSettings{Version: "v24.0"}, n, m); c == nil || c.Origin.Type != "referral_conversion" {
		t.Errorf("free entry point at v24.0: got %+v, want origin referral_conversion", c)
	}
}

func TestMediaURL(t *testing.T) {
	if got := (WebhookSettings{}).mediaURL("123"); got != "" {
		t.Errorf("no base: got %q", got)
	}
	if got, want := (WebhookSettings{APIBase: "https://p.example"}).mediaURL("123"), "https://p.example/v23.0/123/content"; got != want {
		t.Errorf("no version: got %q, want %q", got, want)
	}
	if got, want := (WebhookSettings{APIBase: "https://p.example", Version: "v24.0"}).mediaURL("123"), "https://p.example/v24.0/123/content"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
