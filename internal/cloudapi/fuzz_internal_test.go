package cloudapi

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// FuzzSendBody feeds arbitrary message bodies, as JSON and as a form, to
// the lenient decoder and then to the Cloud API message validation
// (sendRequest.outbound): neither panics, and every refusal is a
// CloudError with a code or a coded Parley error.
func FuzzSendBody(f *testing.F) {
	for _, s := range []string{
		`{"messaging_product":"whatsapp","to":"14155550123","type":"text","text":{"body":"hi","preview_url":"true"}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"location","location":{"latitude":"91","longitude":"x"}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"interactive","interactive":{"type":"button","body":{"text":"b"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"t","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]}]}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"image","image":{"id":"m1","caption":"c"}}`,
		`{"to":1}`, `[]`, `{`, ``,
		`{"messaging_product":"whatsapp","to":"1","type":"contacts","contacts":"[{\"name\":{\"formatted_name\":\"Zoë\"}}]"}`,
		`{"messaging_product":"whatsapp","to":"1","type":"template","template":"{\"name\":\"t\",\"language\":{\"code\":\"en\"},\"components\":\"[]\"}"}`,
		`{"messaging_product":"whatsapp","to":"1","type":"text","text":"{\"body\":[1]}"}`,
		`{"messaging_product":"whatsapp","to":"1","type":"interactive","interactive":{"type":"location_request_message","body":{"text":"b"},"action":{"name":"send_location"}}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"interactive","interactive":{"type":"address_message","body":{"text":"b"},"action":{"name":"address_message","parameters":{"country":"IN","values":{"in_pin_code":"400063"},"saved_addresses":[{"id":"a","value":{"city":"Pune"}}],"validation_errors":{"city":"x"}}}}}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`messaging_product=whatsapp&to=1&type=text&text={"body":"hi"}`), true)
	f.Add([]byte(`to=%zz`), true)
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if msg := err.Error() + parley.ErrorMessage(err); goTypeName.MatchString(msg) {
			t.Fatalf("%s: error names a Go type: %v", what, msg)
		}
		var ce *business.CloudError
		if errors.As(err, &ce) {
			if ce.Code == 0 {
				t.Fatalf("%s: CloudError without a code: %v", what, err)
			}
			return
		}
		if parley.ErrorCode(err) == "" || parley.ErrorCode(err) == parley.EInternal {
			t.Fatalf("%s: error %v has no client code", what, err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, form bool) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		if form {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		var req sendRequest
		if err := decode(httptest.NewRecorder(), r, 1<<20, &req); err != nil {
			check(t, "decode", err)
			return
		}
		if _, err := req.outbound(); err != nil {
			check(t, "outbound", err)
		}
	})
}

// goTypeName matches what Go type names look like in an error message.
var goTypeName = regexp.MustCompile(`\b(cloudapi|business|wire|chat|parley|json)\.[A-Z]|\[\][a-z*]|map\[|struct \{|\b(u?int(8|16|32|64)?|float(32|64))\b`)

// FuzzCursor checks the paging cursors: decodeCursor never panics and a
// cursor it reads encodes back to one that reads the same.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"1f", "0", "-1", "7fffffffffffffff", "8000000000000000", "", "zz", "+a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeCursor(s)
		if err != nil {
			return
		}
		if back, err := decodeCursor(encodeCursor(v)); err != nil || back != v {
			t.Fatalf("cursor %q = %d encodes to %q, which reads %d, %v", s, v, encodeCursor(v), back, err)
		}
	})
}
