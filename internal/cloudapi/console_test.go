package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/wire"
)

// TestBusinessConsoleAPI covers the Cloud API additions the business
// console uses: debug_token (which business a token opens) and the
// channels a business number owns.
func TestBusinessConsoleAPI(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); testBusinessConsoleAPI(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); testBusinessConsoleAPI(t, newEnv(t, withPostgres(t))) })
}

func testBusinessConsoleAPI(t *testing.T, e *env) {
	decodeOK := func(what string, code int, b []byte, v any) {
		t.Helper()
		if code != 200 {
			t.Fatalf("%s: status %d: %s", what, code, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", what, err, b)
		}
	}
	wantMeta := func(what string, code int, b []byte, wantStatus, wantCode int) {
		t.Helper()
		var me metaError
		_ = json.Unmarshal(b, &me)
		if code != wantStatus || me.Error.Code != wantCode {
			t.Errorf("%s: got %d code %d, want %d code %d: %s", what, code, me.Error.Code, wantStatus, wantCode, b)
		}
	}

	// debug_token names the business account behind the token.
	var dbg struct {
		Data struct {
			IsValid        bool  `json:"is_valid"`
			ExpiresAt      int64 `json:"expires_at"`
			GranularScopes []struct {
				Scope     string   `json:"scope"`
				TargetIDs []string `json:"target_ids"`
			} `json:"granular_scopes"`
		} `json:"data"`
	}
	code, b := e.cloud("GET", "/debug_token", nil)
	decodeOK("debug_token", code, b, &dbg)
	if !dbg.Data.IsValid || len(dbg.Data.GranularScopes) != 2 || dbg.Data.GranularScopes[0].TargetIDs[0] != fmt.Sprint(e.biz.ID) {
		t.Errorf("debug_token: got %s, want valid with target %d", b, e.biz.ID)
	}
	code, b = e.cloud("GET", "/debug_token?input_token=nonsense", nil)
	decodeOK("debug_token of a bad token", code, b, &dbg)
	if dbg.Data.IsValid {
		t.Errorf("debug_token of a bad token: got %s, want is_valid false", b)
	}
	code, b = e.do("GET", "/v23.0/debug_token", "", nil)
	wantMeta("debug_token without a token", code, b, 401, business.MetaAccessToken)

	// The business and its number share id 1: fields= picks the business.
	if e.biz.ID == e.num.ID {
		code, b = e.cloud("GET", fmt.Sprintf("/%d?fields=id,name", e.biz.ID), nil)
		if code != 200 || !strings.Contains(string(b), `"name":"Acme Shoes"`) {
			t.Errorf("business by id with fields=name: %d %s", code, b)
		}
		code, b = e.cloud("GET", fmt.Sprintf("/%d", e.num.ID), nil)
		if code != 200 || !strings.Contains(string(b), `"verified_name"`) {
			t.Errorf("number by id: %d %s", code, b)
		}
	}

	// A number's channels: none, then one created by the console.
	var list struct {
		Data []wire.ChannelView `json:"data"`
	}
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels", e.num.ID), nil)
	decodeOK("list channels", code, b, &list)
	if len(list.Data) != 0 {
		t.Fatalf("a new number owns channels: %s", b)
	}
	var ch wire.ChannelView
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels", e.num.ID), map[string]any{"handle": "acme_news", "name": "Acme news", "category": "business"})
	decodeOK("create channel", code, b, &ch)
	if ch.Handle != "acme_news" || ch.Role != channel.ChannelOwner {
		t.Errorf("created channel: %s", b)
	}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels", e.num.ID), map[string]any{"handle": "Bad Handle!", "name": "x", "category": "business"})
	wantMeta("create with a bad handle", code, b, 400, business.MetaInvalidParameter)
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels", e.num.ID), nil)
	decodeOK("list channels", code, b, &list)
	if len(list.Data) != 1 || list.Data[0].ID != ch.ID {
		t.Errorf("list after create: %s", b)
	}

	// A customer follows; the business posts and reads its insights.
	if _, err := e.cust.Follow(e.ctx, ch.ID); err != nil {
		t.Fatalf("follow: %v", err)
	}
	var post wire.PostView
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels/%d/posts", e.num.ID, ch.ID), map[string]any{"kind": "text", "text": "New shoes in store"})
	decodeOK("post", code, b, &post)
	if post.Seq != 1 || post.Text != "New shoes in store" {
		t.Errorf("post: %s", b)
	}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels/%d/posts", e.num.ID, ch.ID), map[string]any{"kind": "text", "text": "  "})
	wantMeta("empty post", code, b, 400, business.MetaInvalidParameter)
	var page wire.TimelinePage
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels/%d/posts?limit=10", e.num.ID, ch.ID), nil)
	decodeOK("timeline", code, b, &page)
	if len(page.Posts) != 1 || page.Posts[0].Seq != 1 {
		t.Errorf("timeline: %s", b)
	}
	var ins wire.Insights
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels/%d/insights?days=7", e.num.ID, ch.ID), nil)
	decodeOK("insights", code, b, &ins)
	if ins.Followers != 1 || len(ins.Posts) != 1 {
		t.Errorf("insights: got %s, want 1 follower and 1 post", b)
	}
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels/%d/insights?days=-1", e.num.ID, ch.ID), nil)
	wantMeta("negative days", code, b, 400, business.MetaInvalidParameter)

	// Someone else's number, or a channel the number does not run.
	code, b = e.cloud("GET", fmt.Sprintf("/%d/channels", e.num.ID+1000), nil)
	wantMeta("another's number", code, b, 400, business.MetaInvalidParameter)
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels/%d/posts", e.num.ID, ch.ID+1000), map[string]any{"kind": "text", "text": "x"})
	wantMeta("another channel", code, b, 400, business.MetaInvalidParameter)

	// A suspended channel cannot post: Meta's policy block.
	e.adminDo("PUT", fmt.Sprintf("/admin/v1/channels/%d/suspension", ch.ID), map[string]any{"reason": "spam"}, nil)
	code, b = e.cloud("POST", fmt.Sprintf("/%d/channels/%d/posts", e.num.ID, ch.ID), map[string]any{"kind": "text", "text": "more"})
	wantMeta("suspended channel", code, b, 400, business.MetaPolicyBlock)
}
