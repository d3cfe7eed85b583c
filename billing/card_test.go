package billing

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const header = "card t\nversion 1\nregime per_message_2025_07\ncurrency USD\neffective 2026-01-01\n"
const defaults = "price * marketing 0.05\nprice * utility 0.01\nprice * authentication 0.01\n"

func TestBuiltinCardsParse(t *testing.T) {
	cs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 {
		t.Fatalf("got %d built-in cards, want 4", len(cs))
	}
	cat := BuiltinCatalog()
	for _, r := range Regimes {
		if _, err := cat.At(CardFor(r), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Errorf("regime %s: %v", r, err)
		}
	}
	v1, _ := cat.At(CardConversation, time.Date(2024, 10, 31, 23, 0, 0, 0, time.UTC))
	v2, _ := cat.At(CardConversation, time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC))
	if v1.Version != 1 || v2.Version != 2 || v1.Free[Service] != 1000 || v2.Prices["BR"][Service][0].Price != 0 {
		t.Errorf("conversation versions: got v%d (free %d) then v%d", v1.Version, v1.Free[Service], v2.Version)
	}
	c26, _ := cat.At(CardPerMessage26, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	if got := c26.Prices["BR"][Marketing][0].Price; got != 68800 {
		t.Errorf("BR marketing: got %d micros, want 68800", got)
	}
}

func TestParseRejectsWithLine(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		want      string
	}{
		{"negative price", header + defaults + "price BR marketing -0.01\n", 9, "negative price"},
		{"overlapping tiers", header + defaults + "price BR utility 0.01 upto 1000\nprice BR utility 0.008 from 500\n", 10, "overlap"},
		{"unbounded overlaps", header + defaults + "price BR utility 0.01\nprice BR utility 0.008 from 500\n", 10, "overlap"},
		{"gap", header + defaults + "price BR utility 0.01 upto 1000\nprice BR utility 0.008 from 2000\n", 10, "without a price"},
		{"not from zero", header + defaults + "price BR utility 0.01 from 10\n", 9, "start at volume 0"},
		{"bounded last tier", header + defaults + "price BR utility 0.01 upto 10\n", 9, "no upper bound"},
		{"missing default market", header + "price * marketing 0.05\nprice * utility 0.01\nprice BR authentication 0.01\n", 3, "default market * has no authentication"},
		{"seven decimals", header + defaults + "price BR utility 0.0000001\n", 9, "more than 6 decimals"},
		{"bad market", header + defaults + "price Brazil utility 0.01\n", 9, "market"},
		{"bad category", header + defaults + "price BR promo 0.01\n", 9, "unknown category"},
		{"unknown keyword", header + "discount 5\n", 6, "unknown keyword"},
		{"twice", header + "currency EUR\n", 6, "given twice"},
		{"no effective", "card t\nversion 1\nregime conversation\ncurrency USD\n", 4, `no "effective"`},
		{"bad regime", "card t\nregime flat\n", 2, "unknown regime"},
		{"empty", "# nothing\n", 1, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.src)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a LineError", err)
			}
			if le.Line != tc.line || !strings.Contains(le.Msg, tc.want) {
				t.Errorf("got %q, want line %d containing %q", err, tc.line, tc.want)
			}
		})
	}
}

func TestParseTiers(t *testing.T) {
	c, err := Parse(header + defaults + "price BR utility 0.0088 upto 100\nprice BR utility 0.008 from 100 upto 200 # comment\nprice BR utility 0.0079 from 200\nfree marketing 10\n")
	if err != nil {
		t.Fatal(err)
	}
	ts := c.Prices["BR"][Utility]
	if len(ts) != 3 || ts[1].Label() != "100-200" || ts[2].Label() != "200+" || ts[2].Price != 7900 {
		t.Errorf("got tiers %+v", ts)
	}
	if got, want := c.VolumeCost("BR", Utility, 50, 200), int64(50*8800+100*8000+50*7900); got != want {
		t.Errorf("VolumeCost: got %d, want %d", got, want)
	}
	if c.Free[Marketing] != 10 {
		t.Errorf("free: got %v", c.Free)
	}
}

func TestCatalogVersionOrder(t *testing.T) {
	a, _ := Parse(header + defaults)
	b, _ := Parse(strings.Replace(strings.Replace(header, "version 1", "version 2", 1), "2026-01-01", "2025-01-01", 1) + defaults)
	if _, err := NewCatalog(a, b); err == nil {
		t.Fatal("a later version taking effect earlier was accepted")
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"0.0688", 68800}, {"12", 12_000_000}, {"-1.5", -1_500_000}, {".5", 500000}, {"0.000001", 1}} {
		got, err := ParseMicros(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMicros(%q): got %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	if s := FormatMicros(68800); s != "0.0688" {
		t.Errorf("FormatMicros: got %s", s)
	}
	if s := FormatMicros(1_500_000); s != "1.50" {
		t.Errorf("FormatMicros: got %s", s)
	}
	for _, tc := range []struct {
		micros int64
		cur    string
		want   int64
	}{{5000, "USD", 1}, {4999, "USD", 0}, {-5000, "USD", -1}, {1_500_000, "JPY", 2}, {1_499_999, "JPY", 1}, {500, "KWD", 1}} {
		if got := RoundMinor(tc.micros, tc.cur); got != tc.want {
			t.Errorf("RoundMinor(%d, %s): got %d, want %d", tc.micros, tc.cur, got, tc.want)
		}
	}
}
