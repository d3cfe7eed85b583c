package billing

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// tinyLedger: business 1 on per-message pricing (no conversation
// events), business 2 on conversation pricing, in November 2026, and one
// entry of October outside the period.
func tinyLedger() []Usage {
	at := nov2026
	return []Usage{
		{Key: "a", BusinessID: 1, Event: TemplateDelivered, Category: Marketing, Country: "BR", PricingType: TypeRegular, At: at},
		{Key: "b", BusinessID: 1, Event: ServiceMessage, Category: Service, Country: "BR", PricingType: TypeFreeCustomerService, At: at},
		{Key: "c", BusinessID: 2, Event: ConversationOpened, Category: Utility, Country: "IN", PricingType: TypeRegular, At: at},
		{Key: "d", BusinessID: 2, Event: TemplateDelivered, Category: Utility, Country: "IN", PricingType: TypeRegular, At: at},
		{Key: "e", BusinessID: 2, Event: TemplateDelivered, Category: Marketing, Country: "DE", PricingType: TypeRegular, At: at.AddDate(0, -1, 0)},
	}
}

func TestBuildReport(t *testing.T) {
	cat := BuiltinCatalog()
	nov := PeriodOf(nov2026)
	rep, err := BuildReport(cat, slices.Values(tinyLedger()), ReportOptions{
		Base: CardPerMessage26, Alt: CardConversation, Others: []string{CardConversation, CardPerMessage25, CardPerMessage26},
		From: nov, To: nov, Synthesize: func(id int64) bool { return id == 1 },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 4 || rep.Businesses != 2 || len(rep.Models) != 3 {
		t.Fatalf("got %d entries, %d businesses, %d models, want 4, 2, 3", rep.Entries, rep.Businesses, len(rep.Models))
	}
	// By hand, from the built-in cards:
	// per-message-2026-10: BR marketing 0.0688 + BR service at utility 0.0088 + IN utility 0.0017.
	// conversation-2024 v2: BR marketing conversation 0.0625 (synthesized) + BR service 0 + IN utility conversation 0.0014.
	// per-message-2025-07: 0.0688 + 0.0017.
	for _, w := range []struct {
		card   string
		total  int64
		change int64
		upper  bool
	}{
		{CardPerMessage26, 79300, 0, false},
		{CardConversation, 63900, -15400, true},
		{CardPerMessage25, 70500, -8800, false},
	} {
		m := rep.Model(w.card)
		if m == nil || m.Total != w.total || m.Change != w.change || m.UpperBound != w.upper {
			t.Errorf("%s: got %+v, want total %d change %d upper bound %v", w.card, m, w.total, w.change, w.upper)
		}
	}
	if m := rep.Model(CardConversation); m.ByCategory[Marketing] != 62500 || m.ByMarket["IN"] != 1400 || m.ByPeriod[nov] != 63900 || m.Synthesized != 1 {
		t.Errorf("conversation breakdown: %+v", m)
	}
	if rep.More != 0 || rep.Less != 2 || len(rep.Losers) != 2 || rep.Losers[0] != (Delta{1, 77600, 62500, -15100}) {
		t.Errorf("changes: more %d less %d losers %+v", rep.More, rep.Less, rep.Losers)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.0793", "0.0639*", "-0.0154", "upper bound", "1 business(es) have no conversation events", "Businesses paying less (top 2 of 2)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var svg bytes.Buffer
	if err := WriteSVG(&svg, rep); err != nil {
		t.Fatal(err)
	}
	checkXML(t, svg.Bytes())
}

func TestBuildReportErrors(t *testing.T) {
	cat := BuiltinCatalog()
	nov := PeriodOf(nov2026)
	us := slices.Values(tinyLedger())
	for _, tc := range []struct {
		name string
		o    ReportOptions
		want string
	}{
		{"to before from", ReportOptions{Base: CardPerMessage26, From: nov, To: nov - 1}, "before it starts"},
		{"unknown card", ReportOptions{Base: CardPerMessage26, Alt: "nope", From: nov, To: nov}, `no rate card "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BuildReport(cat, us, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ModelCard(cat, "flat_rate"); err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Errorf("ModelCard(flat_rate): got %v", err)
	}
	if c, err := ModelCard(cat, "per_message_2025_07"); err != nil || c != CardPerMessage25 {
		t.Errorf("ModelCard(per_message_2025_07) = %q, %v", c, err)
	}
}

func TestBuildReportBackdates(t *testing.T) {
	// Usage of September 2026, before per-message-2026-10 took effect.
	sep := time.Date(2026, 9, 5, 0, 0, 0, 0, time.UTC)
	us := []Usage{{Key: "a", BusinessID: 1, Event: ServiceMessage, Category: Service, Country: "GB", PricingType: TypeFreeCustomerService, At: sep}}
	rep, err := BuildReport(BuiltinCatalog(), slices.Values(us), ReportOptions{Base: CardPerMessage25, Alt: CardPerMessage26, From: PeriodOf(sep), To: PeriodOf(sep)})
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Model(CardPerMessage26); !m.Backdated || m.Total != 24200 {
		t.Errorf("got %+v, want backdated, 24200", m)
	}
	if rep.More != 1 || rep.Gainers[0].Change != 24200 {
		t.Errorf("gainers %+v", rep.Gainers)
	}
}

// checkXML fails unless b is well-formed XML with an svg root.
func checkXML(t testing.TB, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
}
