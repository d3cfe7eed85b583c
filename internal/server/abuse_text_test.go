package server_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/servertest"
)

// TestTextHygiene: a display name, a group subject and a channel name with
// NUL, a right-to-left override (display-name spoofing), an isolate or a
// control character are refused with invalid_argument naming the field;
// invalid UTF-8 never reaches the store (the JSON decoder turns it into
// U+FFFD); and ordinary names in any script are accepted.
func TestTextHygiene(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	a := login(t, srv, "+14155550181")
	routes := []struct {
		field, method, path, body string
	}{
		{"display_name", "PATCH", "/v1/me", `{"display_name":%s}`},
		{"subject", "POST", "/v1/chats/groups", `{"subject":%s,"members":[]}`},
		{"name", "POST", "/v1/channels", `{"name":%s,"handle":"hygiene"}`},
	}
	bad := map[string]string{
		"NUL":                    `"Ali\u0000ce"`,
		"right-to-left override": `"Alice\u202egnp.exe"`,
		"isolate":                `"a\u2066b\u2069"`,
		"escape":                 `"\u001b[31mAdmin"`,
		"newline":                `"Support\nTeam"`,
	}
	for _, r := range routes {
		for name, v := range bad {
			t.Run(r.field+"/"+name, func(t *testing.T) {
				code, _, body := call(t, srv, r.method, r.path, a.Token, "application/json", fmt.Appendf(nil, r.body, v))
				var e wireError
				if code != 400 || json.Unmarshal(body, &e) != nil || e.Error.Code != "invalid_argument" || e.Error.Details["field"] != r.field {
					t.Fatalf("%s %s with %s: got %d %s, want 400 invalid_argument on %s", r.method, r.path, v, code, body, r.field)
				}
			})
		}
		t.Run(r.field+"/invalid UTF-8", func(t *testing.T) {
			code, _, body := call(t, srv, r.method, r.path, a.Token, "application/json", fmt.Appendf(nil, r.body, "\"Al\xffice\""))
			if code >= 300 {
				return // refused: fine
			}
			if !utf8.Valid(body) {
				t.Fatalf("%s %s stored invalid UTF-8: %q", r.method, r.path, body)
			}
		})
	}
	// A device name is shown to the account's other devices: the same check.
	t.Run("device_name/right-to-left override", func(t *testing.T) {
		phone := "+14155550182"
		if code, _, body := call(t, srv, "POST", "/v1/auth/code", "", "application/json", []byte(`{"phone":"`+phone+`"}`)); code != 202 {
			t.Fatalf("request code: got %d %s, want 202", code, body)
		}
		req := fmt.Appendf(nil, `{"phone":%q,"code":%q,"device_name":"Pixel\u202e"}`, phone, srv.Code(phone))
		code, _, body := call(t, srv, "POST", "/v1/auth/verify", "", "application/json", req)
		var e wireError
		if code != 400 || json.Unmarshal(body, &e) != nil || e.Error.Details["field"] != "device_name" {
			t.Fatalf("verify with an override in the device name: got %d %s, want 400 invalid_argument on device_name", code, body)
		}
	})
	// Well-behaved names pass, right-to-left marks and emoji included.
	for _, r := range routes {
		v := `"שלום\u200f 👩‍👩‍👧 Zoë"`
		if r.field == "name" {
			r.body = `{"name":%s,"handle":"hygiene_ok"}`
		}
		if code, _, body := call(t, srv, r.method, r.path, a.Token, "application/json", fmt.Appendf(nil, r.body, v)); code >= 300 {
			t.Errorf("%s %s with %s: got %d %s, want success", r.method, r.path, v, code, body)
		}
	}
}
