package business

import (
	"os"
	"strings"
	"testing"
)

func readFlowFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/flows/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidateFlowJSONValid: the fixtures (a dynamic Flow with a routing
// model and data_api_version 3.0, and a static one) have no errors.
func TestValidateFlowJSONValid(t *testing.T) {
	for _, name := range []string{"booking.json", "static.json"} {
		got := ValidateFlowJSON(readFlowFixture(t, name))
		if len(got.Errors) != 0 {
			t.Errorf("%s: got errors %+v, want none", name, got.Errors)
		}
	}
	got := ValidateFlowJSON(readFlowFixture(t, "booking.json"))
	if got.Version != "7.0" || got.DataAPIVersion != "3.0" {
		t.Errorf("versions: got %q %q, want 7.0 3.0", got.Version, got.DataAPIVersion)
	}
}

// TestValidateFlowJSONErrors: each broken document is reported with
// Meta's error, at the failing path, on the right line.
func TestValidateFlowJSONErrors(t *testing.T) {
	booking := string(readFlowFixture(t, "booking.json"))
	cases := []struct {
		name, doc, wantErr, wantPath string
		wantLine                     int
	}{
		{"syntax", `{"version": "7.0",`, "INVALID_JSON", "", 1},
		{"not an object", `[]`, "INVALID_PROPERTY_VALUE", "", 1},
		{"unknown version", strings.Replace(booking, `"version": "7.0"`, `"version": "1.0"`, 1), "INVALID_PROPERTY_VALUE", "version", 2},
		{"unknown data api", strings.Replace(booking, `"data_api_version": "3.0"`, `"data_api_version": "2.0"`, 1), "INVALID_PROPERTY_VALUE", "data_api_version", 3},
		{"unsupported component", strings.Replace(booking, `"type": "TextHeading"`, `"type": "PhotoPicker"`, 1), "INVALID_PROPERTY_VALUE", "screens[0].layout.children[0].children[0].type", 22},
		{"unknown property", strings.Replace(booking, `"type": "TextHeading", "text"`, `"type": "TextHeading", "txt"`, 1), "INVALID_PROPERTY", "screens[0].layout.children[0].children[0].txt", 22},
		{"missing label", strings.Replace(booking, `"name": "to", "label": "To", `, `"name": "to", `, 1), "MISSING_REQUIRED_PROPERTY", "screens[0].layout.children[0].children[2]", 24},
		{"duplicate screen", strings.Replace(booking, `"id": "DEPARTURES"`, `"id": "SEARCH"`, 1), "DUPLICATE_SCREEN_ID", "screens[1].id", 33},
		{"routing to nowhere", strings.Replace(booking, `"DEPARTURES": ["CONFIRM"]`, `"DEPARTURES": ["PAY"]`, 1), "INVALID_ROUTING_MODEL", "routing_model.DEPARTURES[0]", 6},
		{"terminal without complete", strings.Replace(booking, `{"name": "complete", "payload": {"confirmed": true}}`, `{"name": "navigate", "next": {"type": "screen", "name": "SEARCH"}}`, 1), "MISSING_FOOTER", "screens[2].layout", 55},
		{"undeclared data", strings.Replace(booking, `"text": "${data.summary}"`, `"text": "${data.price}"`, 1), "INVALID_DYNAMIC_REFERENCE", "screens[2].layout.children[0].text", 58},
		{"unknown form field", strings.Replace(booking, `"trip": "${form.trip}"`, `"trip": "${form.seat}"`, 1), "INVALID_DYNAMIC_REFERENCE", "screens[1].layout.children[2].on-click-action.payload.trip", 43},
		{"navigate nowhere", strings.Replace(string(readFlowFixture(t, "static.json")), `{"name": "complete", "payload": {"liked": "${form.liked}", "comment": "${form.comment}"}}`, `{"name": "navigate", "next": {"type": "screen", "name": "GONE"}}`, 1), "INVALID_PROPERTY_VALUE", "screens[0].layout.children[3].on-click-action.next.name", 14},
		{"missing example", strings.Replace(booking, `, "__example__": "Bangalore to Mysore, 08:00"`, ``, 1), "MISSING_REQUIRED_PROPERTY", "screens[2].data.summary", 53},
		{"no routing model", strings.Replace(booking, `"routing_model": {
    "SEARCH": ["DEPARTURES"],
    "DEPARTURES": ["CONFIRM"]
  },`, ``, 1), "MISSING_REQUIRED_PROPERTY", "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ValidateFlowJSON([]byte(c.doc))
			for _, e := range got.Errors {
				path := ""
				if len(e.Pointers) > 0 {
					path = e.Pointers[0].Path
				}
				if e.Error == c.wantErr && path == c.wantPath {
					if e.LineStart != c.wantLine {
						t.Errorf("%s at %s: line %d, want %d", e.Error, path, e.LineStart, c.wantLine)
					}
					if e.ErrorType == "" || e.Message == "" || e.ColumnStart < 1 || e.ColumnEnd < e.ColumnStart && e.LineEnd == e.LineStart {
						t.Errorf("incomplete error %+v", e)
					}
					return
				}
			}
			t.Fatalf("got errors %+v, want %s at %q", got.Errors, c.wantErr, c.wantPath)
		})
	}
}

// FuzzValidateFlowJSON: any input is answered with errors or none, never
// a panic, and an error always names a place in the text.
func FuzzValidateFlowJSON(f *testing.F) {
	f.Add(readFlowFixture(f, "booking.json"))
	f.Add(readFlowFixture(f, "static.json"))
	f.Add([]byte(`{"version":"7.0","screens":[{"id":"A","terminal":true,"layout":{"type":"SingleColumnLayout","children":[{"type":"If","condition":"${form.x}","then":[{"type":"Switch","value":"${data.y}","cases":{"a":[]}}]}]}}]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("{\"version\":\"7.0\"}\n\n  x"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := ValidateFlowJSON(doc)
		if got.Errors == nil {
			t.Fatal("Errors is nil, want a slice")
		}
		lines := strings.Count(string(doc), "\n") + 1
		for _, e := range got.Errors {
			if e.LineStart < 1 || e.LineStart > lines || e.LineEnd < e.LineStart || e.ColumnStart < 1 {
				t.Fatalf("error %+v is outside the %d lines of the text", e, lines)
			}
		}
	})
}
