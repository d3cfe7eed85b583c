package httpjson_test

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/httpjson"
)

// FuzzDecode feeds arbitrary bodies to Decode: it never panics, every
// refusal maps to a 4xx code, and an accepted body decodes to a value
// that fits the target.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","ids":[1,2]}`, `{"name":1}`, `{"x":1}`, `{}{}`, `{`, ``, `null`, `{"ids":[1e400]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v struct {
			Name string  `json:"name"`
			IDs  []int64 `json:"ids"`
		}
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		err := httpjson.Decode(httptest.NewRecorder(), r, 256, &v)
		if err == nil {
			if len(body) > 256 {
				t.Fatalf("accepted a body of %d bytes over a limit of 256", len(body))
			}
			return
		}
		if s := parley.ErrorCode(err).HTTPStatus(); s < 400 || s >= 500 {
			t.Fatalf("Decode(%q): error %v maps to %d, want 4xx", body, err, s)
		}
	})
}

// FuzzQueryInt checks paging and limit parameters: never a panic, never a
// negative value, every refusal invalid_argument.
func FuzzQueryInt(f *testing.F) {
	for _, s := range []string{"10", "-1", "0x10", "9223372036854775808", "", "1e3", " 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/?limit="+url.QueryEscape(s), nil)
		n, err := httpjson.QueryInt(r, "limit", 7)
		if err != nil {
			if c := parley.ErrorCode(err); c != parley.EInvalid {
				t.Fatalf("QueryInt(%q): got code %q, want %q", s, c, parley.EInvalid)
			}
			return
		}
		if n < 0 {
			t.Fatalf("QueryInt(%q) = %d", s, n)
		}
	})
}
