package business

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// settingWebhooks is the kind of a business's WebhookSettings document
// (BusinessSettingStore).
const settingWebhooks = "webhooks"

// WebhookSettings say how a business's webhooks are shaped beyond what
// every business gets (docs/CLOUD-API-COMPAT.md, "Status details").
// Parley records them when the business subscribes
// (POST /{version}/{waba-id}/subscribed_apps), as Meta takes the version
// of an app's webhooks from the app's settings.
type WebhookSettings struct {
	// Version is the Graph API version of the subscription ("v23.0"); it
	// decides the fields that Meta sends at some versions only. Empty:
	// the newest shape.
	Version string `json:"version,omitempty"`
	// APIBase is the address the business called the Cloud API on
	// ("https://parley.example"); inbound media carry their download url
	// there. Empty: no url.
	APIBase string `json:"api_base,omitempty"`
}

var graphVersion = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)$`)

// ConversationInStatuses reports whether status webhooks at this version
// carry Meta's conversation object under per-message pricing: Meta kept
// it (its origin the message's category) before v24.0 and omits it from
// v24.0 on, except in a free entry point conversation. An empty or
// unreadable version is the newest shape.
func (w WebhookSettings) ConversationInStatuses() bool {
	m := graphVersion.FindStringSubmatch(w.Version)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	return major < 24
}

// SetWebhookSettings records how the business's webhooks are shaped.
// EInvalid for a version that is not a Graph version or a base that is
// not an http(s) origin.
func (b *Service) SetWebhookSettings(ctx context.Context, businessID int64, w WebhookSettings) error {
	if w.Version != "" && !graphVersion.MatchString(w.Version) {
		return parley.Errorf(parley.EInvalid, "version %q is not a Graph API version such as v23.0", w.Version)
	}
	if w.APIBase != "" && !strings.HasPrefix(w.APIBase, "https://") && !strings.HasPrefix(w.APIBase, "http://") {
		return parley.Errorf(parley.EInvalid, "api base %q is not an http(s) origin", w.APIBase)
	}
	w.APIBase = strings.TrimRight(w.APIBase, "/")
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode webhook settings: %w", err)
	}
	if err := b.st.PutBusinessSetting(ctx, businessID, settingWebhooks, body, b.now()); err != nil {
		return fmt.Errorf("put webhook settings: %w", err)
	}
	b.hookSettings.forget(businessID)
	return nil
}

// WebhookSettingsOf returns the business's webhook settings (the zero
// value when it never subscribed through the Cloud API). A node reads
// them at most every webhookSettingsTTL: another node's change shows
// within that time.
func (b *Service) WebhookSettingsOf(ctx context.Context, businessID int64) (WebhookSettings, error) {
	if w, ok := b.hookSettings.get(businessID, b.now()); ok {
		return w, nil
	}
	var w WebhookSettings
	body, err := b.st.GetBusinessSetting(ctx, businessID, settingWebhooks)
	switch {
	case parley.ErrorCode(err) == parley.ENotFound:
	case err != nil:
		return w, fmt.Errorf("get webhook settings: %w", err)
	default:
		if err := json.Unmarshal(body, &w); err != nil {
			return w, fmt.Errorf("decode webhook settings: %w", err)
		}
	}
	b.hookSettings.put(businessID, w, b.now())
	return w, nil
}

// mediaURL is where the business downloads an inbound media with its
// token (GET /{version}/{media-id}/content), or "" without an API base.
func (w WebhookSettings) mediaURL(graphID string) string {
	if w.APIBase == "" || graphID == "" {
		return ""
	}
	v := w.Version
	if v == "" {
		v = "v23.0"
	}
	return w.APIBase + "/" + v + "/" + graphID + "/content"
}

// statusConversation is the conversation object of a status under
// per-message pricing, at the versions that have it (and in a free entry
// point conversation at every version): its id names the number, the
// customer and the category, its origin is the category, or
// referral_conversion in a free entry point.
func statusConversation(w WebhookSettings, n BusinessNumber, m BusinessMessage) *wire.StatusConversation {
	fep := m.PricingType == PricingFreeEntryPoint
	if !fep && !w.ConversationInStatuses() {
		return nil
	}
	c := &wire.StatusConversation{ID: fmt.Sprintf("%d-%d-%s", n.ID, m.CustomerID, m.Category)}
	c.Origin.Type = m.Category
	if fep {
		c.Origin.Type = "referral_conversion"
	}
	return c
}

// webhookSettingsTTL is how long a node keeps a business's webhook
// settings before reading them again.
const webhookSettingsTTL = 5 * time.Second

// hookSettingsCache keeps each business's WebhookSettings for
// webhookSettingsTTL, so that a send does not read them every time. Its
// zero value is ready.
type hookSettingsCache struct {
	mu sync.Mutex
	m  map[int64]cachedHookSettings
}

type cachedHookSettings struct {
	w  WebhookSettings
	at time.Time
}

func (c *hookSettingsCache) get(id int64, now time.Time) (WebhookSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) > webhookSettingsTTL || now.Before(e.at) {
		return WebhookSettings{}, false
	}
	return e.w, true
}

func (c *hookSettingsCache) put(id int64, w WebhookSettings, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[int64]cachedHookSettings{}
	}
	c.m[id] = cachedHookSettings{w: w, at: now}
}

func (c *hookSettingsCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}
