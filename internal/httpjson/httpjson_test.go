package httpjson_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/httpjson"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		code       parley.Code
		message    string
	}{
		{"ok", `{"a":1}`, "", ""},
		{"empty", ``, parley.EMalformed, "the body is empty; send a JSON object"},
		{"syntax", `{"a" 1}`, parley.EMalformed, "the body is not valid JSON"},
		{"type", `{"a":"x"}`, parley.EMalformed, `field "a" must be an integer`},
		{"truncated", `{"a":1`, parley.EMalformed, "the body ends early"},
		{"unknown field", `{"b":1}`, parley.EMalformed, `the body is malformed: json: unknown field "b"`},
		{"trailing", `{"a":1} {}`, parley.EMalformed, "the body must hold exactly one JSON value"},
		{"too large", `{"a":` + strings.Repeat("1", 64) + `}`, parley.ETooLarge, "the body is larger than 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				A int `json:"a"`
			}
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			err := httpjson.Decode(httptest.NewRecorder(), r, 32, &v)
			if got := parley.ErrorCode(err); err != nil && got != tt.code || err == nil && tt.code != "" {
				t.Fatalf("got %v (%s), want %s", err, got, tt.code)
			}
			if err != nil && parley.ErrorMessage(err) != tt.message {
				t.Errorf("got message %q, want %q", parley.ErrorMessage(err), tt.message)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	httpjson.WriteError(nil, w, httptest.NewRequest("GET", "/x", nil), parley.Errorf(parley.ENotFound, "no such thing"))
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/json" ||
		w.Body.String() != `{"error":{"code":"not_found","message":"no such thing"}}`+"\n" {
		t.Errorf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}

func TestHasBody(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{"", false}, {"  \n", false}, {"null", false}, {"{ }", false},
		{`{"a":1}`, true}, {"a=1", true}, {strings.Repeat(" ", 40) + "{}", true},
	} {
		r := httptest.NewRequest("GET", "/", strings.NewReader(tt.body))
		if got := httpjson.HasBody(r); got != tt.want {
			t.Errorf("HasBody(%q): got %v, want %v", tt.body, got, tt.want)
		}
		if b, _ := io.ReadAll(r.Body); string(b) != tt.body {
			t.Errorf("HasBody(%q) left the body %q", tt.body, b)
		}
		chunked := httptest.NewRequest("GET", "/", io.NopCloser(strings.NewReader(tt.body)))
		chunked.ContentLength = -1
		if got := httpjson.HasBody(chunked); got != tt.want {
			t.Errorf("HasBody(%q, chunked): got %v, want %v", tt.body, got, tt.want)
		}
	}
}
