package business

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/wire"
)

func TestTemplateValidate(t *testing.T) {
	body := func(text string) []TemplateComponent { return []TemplateComponent{{Type: "BODY", Text: text}} }
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name string
		t    Template
		want int // 0: valid; else the CloudError code
	}{
		{"positional", Template{Name: "order_7", Language: "en", Category: CategoryUtility, Components: body("Order {{1}}")}, 0},
		{"named", Template{Name: "order", Language: "en", Category: CategoryMarketing, ParameterFormat: "named", Components: body("Hi {{first_name}}")}, 0},
		{"lower-case component type", Template{Name: "order", Language: "en", Category: CategoryUtility, Components: []TemplateComponent{{Type: "body", Text: "x"}}}, 0},
		{"name with a space", Template{Name: "Bad Name", Language: "en", Category: CategoryUtility, Components: body("x")}, MetaInvalidParameter},
		{"name with upper case", Template{Name: "Order", Language: "en", Category: CategoryUtility, Components: body("x")}, MetaInvalidParameter},
		{"unknown category", Template{Name: "o", Language: "en", Category: "SERVICE", Components: body("x")}, MetaInvalidParameter},
		{"no language", Template{Name: "o", Category: CategoryUtility, Components: body("x")}, MetaInvalidParameter},
		{"unknown parameter format", Template{Name: "o", Language: "en", Category: CategoryUtility, ParameterFormat: "mixed", Components: body("x")}, MetaInvalidParameter},
		{"no body", Template{Name: "o", Language: "en", Category: CategoryUtility, Components: []TemplateComponent{{Type: "HEADER", Text: "x"}}}, MetaInvalidParameter},
		{"blank body", Template{Name: "o", Language: "en", Category: CategoryUtility, Components: body("  ")}, MetaInvalidParameter},
		{"body over 1024", Template{Name: "o", Language: "en", Category: CategoryUtility, Components: body(string(long))}, MetaInvalidParameter},
		{"unknown component", Template{Name: "o", Language: "en", Category: CategoryUtility, Components: append(body("x"), TemplateComponent{Type: "SIDEBAR"})}, MetaInvalidParameter},
		{"footer with a parameter", Template{Name: "o", Language: "en", Category: CategoryUtility, Components: append(body("x"), TemplateComponent{Type: "FOOTER", Text: "{{1}}"})}, MetaInvalidParameter},
		{"positional in a named template", Template{Name: "m", Language: "en", Category: CategoryUtility, ParameterFormat: "named", Components: body("{{1}}")}, MetaInvalidParameter},
		{"named in a positional template", Template{Name: "m", Language: "en", Category: CategoryUtility, Components: body("{{name}}")}, MetaInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.t.validate(), tt.want)
		})
	}
}

func TestTemplateRender(t *testing.T) {
	positional := Template{Name: "order", Language: "en", Category: CategoryUtility, ParameterFormat: "positional", Components: []TemplateComponent{
		{Type: "HEADER", Format: "TEXT", Text: "Hi {{1}}"},
		{Type: "BODY", Text: "Order {{1}} ships on {{2}}"},
		{Type: "FOOTER", Text: "Thanks"},
	}}
	named := Template{Name: "hello", Language: "en", Category: CategoryMarketing, ParameterFormat: "named", Components: []TemplateComponent{
		{Type: "BODY", Text: "Hi {{first_name}}, {{code}} is yours"},
	}}
	image := Template{Name: "promo", Language: "en", Category: CategoryMarketing, ParameterFormat: "positional", Components: []TemplateComponent{
		{Type: "HEADER", Format: "IMAGE"},
		{Type: "BODY", Text: "New in"},
	}}
	header := func(ps ...TemplateParam) TemplateSendComponent {
		return TemplateSendComponent{Type: "header", Params: ps}
	}
	bodyOf := func(ps ...TemplateParam) TemplateSendComponent {
		return TemplateSendComponent{Type: "body", Params: ps}
	}
	text := func(s string) TemplateParam { return TemplateParam{Text: s} }
	tests := []struct {
		name     string
		t        Template
		comps    []TemplateSendComponent
		wantCode int
		wantBody string
	}{
		{"positional", positional, []TemplateSendComponent{header(text("Ann")), bodyOf(text("#7"), text("Monday"))}, 0, "Order #7 ships on Monday"},
		{"too few body parameters", positional, []TemplateSendComponent{header(text("Ann")), bodyOf(text("#7"))}, MetaTemplateParams, ""},
		{"too many body parameters", positional, []TemplateSendComponent{header(text("Ann")), bodyOf(text("#7"), text("Monday"), text("x"))}, MetaTemplateParams, ""},
		{"header parameter missing", positional, []TemplateSendComponent{bodyOf(text("#7"), text("Monday"))}, MetaTemplateParams, ""},
		{"named, any order", named, []TemplateSendComponent{bodyOf(TemplateParam{Name: "code", Text: "X1"}, TemplateParam{Name: "first_name", Text: "Ann"})}, 0, "Hi Ann, X1 is yours"},
		{"named, a name missing", named, []TemplateSendComponent{bodyOf(TemplateParam{Name: "code", Text: "X1"}, TemplateParam{Name: "last_name", Text: "Lee"})}, MetaTemplateParams, ""},
		{"image header with an id", image, []TemplateSendComponent{header(TemplateParam{Media: &wire.TemplateMedia{Kind: "image", MediaRef: wire.MediaRef{ID: "m1"}}})}, 0, "New in"},
		{"image header with a link", image, []TemplateSendComponent{header(TemplateParam{Media: &wire.TemplateMedia{Kind: "image", MediaRef: wire.MediaRef{Link: "https://x.example/a.png"}}})}, 0, "New in"},
		{"image header without its parameter", image, nil, MetaTemplateParams, ""},
		{"image header given a video", image, []TemplateSendComponent{header(TemplateParam{Media: &wire.TemplateMedia{Kind: "video", MediaRef: wire.MediaRef{ID: "m1"}}})}, MetaTemplateParams, ""},
		{"image header with neither id nor link", image, []TemplateSendComponent{header(TemplateParam{Media: &wire.TemplateMedia{Kind: "image"}})}, MetaTemplateParams, ""},
		{"image header given text", image, []TemplateSendComponent{header(text("x"))}, MetaTemplateParams, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.t.render(tt.comps)
			wantCode(t, err, tt.wantCode)
			if err == nil && r.Body != tt.wantBody {
				t.Errorf("body: got %q, want %q", r.Body, tt.wantBody)
			}
		})
	}
}

func TestPromotional(t *testing.T) {
	words := []string{"sale", "% off", "Coupon"}
	tests := []struct {
		name string
		t    Template
		want bool
	}{
		{"plain", Template{Components: []TemplateComponent{{Type: "BODY", Text: "Your order shipped"}}}, false},
		{"in the body", Template{Components: []TemplateComponent{{Type: "BODY", Text: "Big SALE today"}}}, true},
		{"a phrase", Template{Components: []TemplateComponent{{Type: "BODY", Text: "20% OFF"}}}, true},
		{"a word of any case", Template{Components: []TemplateComponent{{Type: "BODY", Text: "your coupon"}}}, true},
		{"in a button", Template{Components: []TemplateComponent{{Type: "BODY", Text: "Hi"}, {Type: "BUTTONS", Buttons: []TemplateButton{{Type: "QUICK_REPLY", Text: "Get the sale"}}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := promotional(tt.t, words); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTemplateSendable(t *testing.T) {
	tests := []struct {
		name      string
		t         Template
		wantEnded bool
		wantCode  int
	}{
		{"approved", Template{Status: TemplateApproved}, false, 0},
		{"disabled", Template{Status: TemplateDisabled}, false, MetaTemplateDisabled},
		{"paused", Template{Status: TemplatePaused, PausedUntil: t0.Add(time.Hour)}, false, MetaTemplatePaused},
		{"pause over", Template{Status: TemplatePaused, PausedUntil: t0}, true, 0},
		// pending and rejected pass here and are refused as missing (132001) by the service
		{"pending", Template{Status: TemplatePending}, false, 0},
		{"rejected", Template{Status: TemplateRejected}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ended, err := templateSendable(tt.t, t0)
			wantCode(t, err, tt.wantCode)
			if ended != tt.wantEnded {
				t.Errorf("pause ended: got %v, want %v", ended, tt.wantEnded)
			}
		})
	}
}

func TestNextPause(t *testing.T) {
	const step = 3 * time.Hour
	tests := []struct {
		name       string
		status     TemplateStatus
		pauses     int
		want       TemplateStatus
		wantPauses int
		wantPause  time.Duration
	}{
		{"first pause: 3 h", TemplatePaused, 0, TemplatePaused, 1, 3 * time.Hour},
		{"second pause: 6 h", TemplatePaused, 1, TemplatePaused, 2, 6 * time.Hour},
		{"third pause disables", TemplatePaused, 2, TemplateDisabled, 3, 0},
		{"unpause keeps the count", TemplateApproved, 2, TemplateApproved, 2, 0},
		{"the operator disables", TemplateDisabled, 1, TemplateDisabled, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, pauses, pause := nextPause(tt.status, tt.pauses, step)
			if st != tt.want || pauses != tt.wantPauses || pause != tt.wantPause {
				t.Errorf("got %s %d %v, want %s %d %v", st, pauses, pause, tt.want, tt.wantPauses, tt.wantPause)
			}
		})
	}
}
