package wire

import (
	"encoding/json"
	"testing"
)

func TestEscapeNonASCII(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`"äöå"`, `"\u00e4\u00f6\u00e5"`},
		{`"Zoë 👋"`, `"Zo\u00eb \ud83d\udc4b"`},
		{`"नमस्ते"`, `"\u0928\u092e\u0938\u094d\u0924\u0947"`},
		{`"مرحبا"`, `"\u0645\u0631\u062d\u0628\u0627"`},
		{"\"del\x7f\"", `"del\u007f"`},
		{"\"bad\xff\"", `"bad\ufffd"`},
	} {
		if got := string(EscapeNonASCII([]byte(c.in))); got != c.want {
			t.Errorf("EscapeNonASCII(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestMarshalWebhookKeepsHTMLAndDecodesBack(t *testing.T) {
	in := map[string]string{"body": "<b>Zoë</b> & 👋", "url": "https://x.example/a?b=1&c=2"}
	b, err := MarshalWebhook(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":"<b>Zo\u00eb</b> & \ud83d\udc4b","url":"https://x.example/a?b=1&c=2"}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	var back map[string]string
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back["body"] != in["body"] {
		t.Fatalf("decoded %q, want %q", back["body"], in["body"])
	}
}

func FuzzEscapeNonASCII(f *testing.F) {
	f.Add("Zoë 👋")
	f.Add("\x7f\xff\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := MarshalWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b {
			if c >= 0x7f {
				t.Fatalf("non-ASCII byte %#x in %q", c, b)
			}
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q does not decode: %v", b, err)
		}
		if want := string([]rune(s)); back != want && !containsInvalid(s) {
			t.Fatalf("decoded %q, want %q", back, want)
		}
	})
}

func containsInvalid(s string) bool {
	for _, r := range s {
		if r == '\ufffd' {
			return true
		}
	}
	return false
}
