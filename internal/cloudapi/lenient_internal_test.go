package cloudapi

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley"
)

// TestStringifiedParameters: array and object parameters sent as JSON
// text, at the top and deeper, decode as if sent as JSON; a string
// parameter that holds JSON text stays a string.
func TestStringifiedParameters(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body string
		form       bool
		check      func(sendRequest) bool
	}{
		{"contacts as a JSON string", `{"messaging_product":"whatsapp","to":"1","type":"contacts","contacts":"[{\"name\":{\"formatted_name\":\"Zoë Ng\",\"first_name\":\"Zoë\"}}]"}`, false,
			func(r sendRequest) bool { return len(r.Contacts) == 1 && r.Contacts[0].Name.FormattedName == "Zoë Ng" }},
		{"template and its components as strings", `{"messaging_product":"whatsapp","to":"1","type":"template","template":"{\"name\":\"t\",\"language\":{\"code\":\"en\"},\"components\":\"[{\\\"type\\\":\\\"body\\\",\\\"parameters\\\":[{\\\"type\\\":\\\"text\\\",\\\"text\\\":\\\"[1]\\\"}]}]\"}"}`, false,
			func(r sendRequest) bool {
				return r.Template != nil && r.Template.Name == "t" && len(r.Template.Components) == 1 &&
					len(r.Template.Components[0].Parameters) == 1 && r.Template.Components[0].Parameters[0].Text == "[1]"
			}},
		{"a text body holding JSON stays text", `{"messaging_product":"whatsapp","to":"1","type":"text","text":{"body":"[1,2]"}}`, false,
			func(r sendRequest) bool { return r.Text != nil && r.Text.Body == "[1,2]" }},
		{"a form with nested strings", `messaging_product=whatsapp&to=1&type=contacts&contacts=` +
			`%5B%7B%22name%22%3A%22%7B%5C%22formatted_name%5C%22%3A%5C%22Ann%5C%22%7D%22%7D%5D`, true,
			func(r sendRequest) bool { return len(r.Contacts) == 1 && r.Contacts[0].Name.FormattedName == "Ann" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			if c.form {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			var req sendRequest
			if err := decode(httptest.NewRecorder(), r, 1<<20, &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !c.check(req) {
				t.Errorf("decoded %+v", req)
			}
		})
	}
}

// TestTypeErrorsNameNoGoType: a parameter of the wrong JSON type is
// refused in JSON's words.
func TestTypeErrorsNameNoGoType(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"messaging_product":"whatsapp","to":"1","type":"contacts","contacts":"not json"}`:    "Param contacts must be an array",
		`{"messaging_product":"whatsapp","to":"1","type":"contacts","contacts":{"a":1}}`:       "Param contacts must be an array",
		`{"messaging_product":"whatsapp","to":"1","type":"text","text":{"body":["x"]}}`:        "Param text.body must be a string",
		`{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":true}}`: "Param template.name must be a string",
	} {
		r := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(body)))
		var req sendRequest
		err := decode(httptest.NewRecorder(), r, 1<<20, &req)
		msg := toCloud(err).Details
		if err == nil || msg != want || goTypeName.MatchString(msg+parley.ErrorMessage(err)) {
			t.Errorf("%s: got %q (%v), want %q", body, msg, err, want)
		}
	}
}
