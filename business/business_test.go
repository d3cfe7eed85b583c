package business

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/billing"
)

func TestUsageForCBPOpensConversations(t *testing.T) {
	biz := Business{ID: 1, PricingModel: "CBP"}
	n := BusinessNumber{ID: 2}
	m := BusinessMessage{ID: "wamid.1", CustomerPhone: "+5511987654321", Category: "marketing", PricingType: PricingRegular, Billable: true, ConversationOpened: true}
	us := usageFor(biz, n, m, Conversation{}, time.Unix(0, 0))
	if len(us) != 2 || us[0].Event != billing.TemplateDelivered || us[0].Country != "BR" || us[1].Event != billing.ConversationOpened || us[1].Key != "conv:wamid.1" {
		t.Errorf("CBP usage: got %+v %+v", us[0], us[1])
	}
	m.ConversationOpened = false
	if us := usageFor(biz, n, m, Conversation{}, time.Unix(0, 0)); len(us) != 1 {
		t.Errorf("CBP usage inside an open conversation: got %d entries, want 1", len(us))
	}
}

func TestTemplateValidateAndRender(t *testing.T) {
	tpl := Template{Name: "order", Language: "en", Category: CategoryUtility, Components: []TemplateComponent{
		{Type: "header", Format: "TEXT", Text: "Hi {{1}}"},
		{Type: "BODY", Text: "Order {{1}} ships on {{2}}; {{1}} again"},
		{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "URL", Text: "Track", URL: "https://x.example/{{1}}"}}},
	}}
	if err := tpl.validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	r, err := tpl.render([]TemplateSendComponent{
		{Type: "header", Params: []TemplateParam{{Text: "Ann"}}},
		{Type: "body", Params: []TemplateParam{{Text: "#7"}, {Text: "Monday"}}},
		{Type: "button", SubType: "url", Index: 0, Params: []TemplateParam{{Text: "7"}}},
	})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if r.Header != "Hi Ann" || r.Body != "Order #7 ships on Monday; #7 again" || r.Buttons[0].URL != "https://x.example/7" {
		t.Errorf("render: got %+v", r)
	}
	_, err = tpl.render([]TemplateSendComponent{{Type: "body", Params: []TemplateParam{{Text: "#7"}}}})
	if ce, ok := AsCloudError(err); !ok || ce.Code != MetaTemplateParams {
		t.Errorf("too few parameters: got %v, want 132000", err)
	}
	bad := Template{Name: "Bad Name", Language: "en", Category: CategoryUtility, Components: []TemplateComponent{{Type: "BODY", Text: "x"}}}
	if err := bad.validate(); err == nil {
		t.Error("a template name with spaces validated")
	}
	mixed := Template{Name: "m", Language: "en", Category: CategoryUtility, ParameterFormat: "named", Components: []TemplateComponent{{Type: "BODY", Text: "{{1}}"}}}
	if err := mixed.validate(); err == nil {
		t.Error("a positional placeholder in a named template validated")
	}
}

func TestTemplateReview(t *testing.T) {
	var cfg Config
	cfg.setDefaults()
	body := func(text string) []TemplateComponent { return []TemplateComponent{{Type: "BODY", Text: text}} }
	yes, no := true, false
	tests := []struct {
		name       string
		cat        TemplateCategory
		text       string
		recat      bool  // the operator's TemplateRecategorize
		allow      *bool // the request's allow_category_change
		want       TemplateStatus
		wantReason string
		wantCat    TemplateCategory
	}{
		{"utility", CategoryUtility, "Your order {{1}} shipped", false, nil, TemplateApproved, "", CategoryUtility},
		{"promotional utility", CategoryUtility, "Get 20% OFF your next order", false, nil, TemplateRejected, "INCORRECT_CATEGORY", CategoryUtility},
		{"marketing", CategoryMarketing, "Get 20% off your next order", false, nil, TemplateApproved, "", CategoryMarketing},
		{"gap in positional parameters", CategoryUtility, "Order {{2}} shipped", false, nil, TemplateRejected, "INVALID_FORMAT", CategoryUtility},
		{"recategorized", CategoryUtility, "Get 20% OFF your next order", true, nil, TemplateApproved, "", CategoryMarketing},
		{"recategorized, allowed", CategoryUtility, "Get 20% OFF your next order", true, &yes, TemplateApproved, "", CategoryMarketing},
		{"change refused by the business", CategoryUtility, "Get 20% OFF your next order", true, &no, TemplateRejected, "INCORRECT_CATEGORY", CategoryUtility},
		{"authentication never becomes marketing", CategoryAuthentication, "{{1}} is your code. Promo inside", true, nil, TemplateRejected, "INCORRECT_CATEGORY", CategoryAuthentication},
		{"recategorized but malformed", CategoryUtility, "A deal on order {{2}}", true, nil, TemplateRejected, "INVALID_FORMAT", CategoryUtility},
		{"clean utility with the policy on", CategoryUtility, "Your order {{1}} shipped", true, nil, TemplateApproved, "", CategoryUtility},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, reason, cat := reviewTemplate(Template{Category: tt.cat, ParameterFormat: "positional", Components: body(tt.text), AllowCategoryChange: tt.allow},
				cfg.TemplatePolicy, tt.recat, cfg.PromotionalWords)
			if st != tt.want || reason != tt.wantReason || cat != tt.wantCat {
				t.Errorf("reviewTemplate(%s %q): got %s %q %s, want %s %q %s", tt.cat, tt.text, st, reason, cat, tt.want, tt.wantReason, tt.wantCat)
			}
		})
	}
	if st, _, _ := reviewTemplate(Template{Category: CategoryUtility, Components: body("fine")}, "manual", false, cfg.PromotionalWords); st != TemplatePending {
		t.Errorf("manual policy: got %s, want PENDING", st)
	}
	if st, _, cat := reviewTemplate(Template{Category: CategoryUtility, Components: body("a coupon")}, "manual", true, cfg.PromotionalWords); st != TemplatePending || cat != CategoryMarketing {
		t.Errorf("manual policy, recategorized: got %s %s, want PENDING MARKETING", st, cat)
	}
	if st, reason, _ := reviewTemplate(Template{Category: CategoryUtility, Components: body("a coupon")}, "manual", false, cfg.PromotionalWords); st != TemplateRejected || reason != "INCORRECT_CATEGORY" {
		t.Errorf("manual policy, promotional utility: got %s %s, want REJECTED INCORRECT_CATEGORY (the rules reject before the queue)", st, reason)
	}
	if !strings.Contains(strings.Join(cfg.PromotionalWords, ","), "discount") {
		t.Error("default promotional words lack discount")
	}
}

func TestTakeToken(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Service{buckets: map[int64]*bucket{}, now: func() time.Time { return now }, peers: newPeers(time.Second)}
	b.cfg.setDefaults()
	n := BusinessNumber{ID: 1, Throughput: 3}
	for i := range 3 {
		if err := b.takeToken(n); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	if ce, ok := AsCloudError(b.takeToken(n)); !ok || ce.Code != MetaThroughput {
		t.Fatal("fourth token in one second: want 130429")
	}
	now = now.Add(400 * time.Millisecond)
	if err := b.takeToken(n); err != nil {
		t.Errorf("after 400ms at 3/s one token is back: %v", err)
	}
}
