package business_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
)

func TestInboundWamidRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		chat int64
		id   string
	}{{1, "a"}, {42, "0e69747f547fdf08"}, {1 << 40, strings.Repeat("z", 64)}, {7, "wamid.0123456789abcdef0123456789abcdef"}} {
		w := business.InboundWamid(tc.chat, tc.id)
		if !strings.HasPrefix(w, "wamid.") || business.IsOutboundWamid(w) {
			t.Errorf("InboundWamid(%d, %q) = %q: want a wamid that is not an outbound one", tc.chat, tc.id, w)
		}
		chat, id, ok := business.ParseInboundWamid(w)
		if !ok || chat != tc.chat || id != tc.id {
			t.Errorf("ParseInboundWamid(%q) = %d, %q, %v; want %d, %q", w, chat, id, ok, tc.chat, tc.id)
		}
	}
	// The same client id in two chats gives two wamids.
	if business.InboundWamid(1, "x") == business.InboundWamid(2, "x") {
		t.Error("the same client id in two chats gives one wamid")
	}
	for _, bad := range []string{"", "wamid.", "wamid.HB", "wamid.0123456789abcdef0123456789abcdef", "wamid.HB!!", "hello"} {
		if _, _, ok := business.ParseInboundWamid(bad); ok {
			t.Errorf("ParseInboundWamid(%q) ok, want not", bad)
		}
	}
}

func TestMediaGraphID(t *testing.T) {
	for _, hex := range []string{"00000000000000000000000000000000", "7cbcfb6c9c45038f193c305cdcefe229", "ffffffffffffffffffffffffffffffff"} {
		g := business.MediaGraphID(hex)
		if len(g) != 40 || strings.Trim(g, "0123456789") != "" {
			t.Errorf("MediaGraphID(%s) = %q, want 40 digits", hex, g)
		}
		if back, ok := business.MediaIDOf(g); !ok || back != hex {
			t.Errorf("MediaIDOf(%q) = %q, %v; want %s", g, back, ok, hex)
		}
		if back, ok := business.MediaIDOf(hex); !ok || back != hex {
			t.Errorf("MediaIDOf(%s) = %q, %v: the hex id is accepted as before", hex, back, ok)
		}
	}
	for _, bad := range []string{"", "1", "100000000000001", strings.Repeat("9", 40), strings.Repeat("1", 39)} {
		if _, ok := business.MediaIDOf(bad); ok {
			t.Errorf("MediaIDOf(%q) ok, want not", bad)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		id   int64
		want business.Kind
	}{{1, business.KindLegacy}, {business.KindRange - 1, business.KindLegacy}, {business.KindRange + 1, business.KindBusiness},
		{2*business.KindRange + 5, business.KindNumber}, {3*business.KindRange + 1, business.KindTemplate},
		{4*business.KindRange + 1, business.KindCatalog}, {9*business.KindRange + 1, business.KindLegacy}, {-3, business.KindLegacy}} {
		if got := business.KindOf(tc.id); got != tc.want {
			t.Errorf("KindOf(%d) = %d, want %d", tc.id, got, tc.want)
		}
	}
}

func FuzzParseIDs(f *testing.F) {
	f.Add(business.InboundWamid(3, "abc"))
	f.Add(business.MediaGraphID("7cbcfb6c9c45038f193c305cdcefe229"))
	f.Add("wamid.HBAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		if chat, id, ok := business.ParseInboundWamid(s); ok && business.InboundWamid(chat, id) != s {
			t.Errorf("ParseInboundWamid(%q) does not round-trip", s)
		}
		if local, ok := business.MediaIDOf(s); ok && business.MediaGraphID(local) != s && local != s {
			t.Errorf("MediaIDOf(%q) = %q does not round-trip", s, local)
		}
	})
}
