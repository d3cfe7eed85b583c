package cloudapi

import (
	"net/http"
	"strings"
)

// withFields keeps the fields that ?fields= names (a comma-separated
// list, as the Graph API takes it), and id, which Graph always answers.
// With no fields= parameter the object is answered whole. A field the
// object does not have is left out, as Graph does.
func withFields(r *http.Request, obj map[string]any) map[string]any {
	fs := requestedFields(r)
	if fs == nil {
		return obj
	}
	out := map[string]any{}
	for _, f := range fs {
		if v, ok := obj[f]; ok {
			out[f] = v
		}
	}
	if v, ok := obj["id"]; ok {
		out["id"] = v
	}
	return out
}

// requestedFields returns the names in ?fields=, or nil when there are
// none. A nested selection (analytics.start(...)) is cut to its name.
func requestedFields(r *http.Request) []string {
	var out []string
	for _, f := range fieldSelections(r.URL.Query().Get("fields")) {
		if i := strings.IndexAny(f, ".{("); i >= 0 {
			f = f[:i]
		}
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// fieldSelections splits a fields= value at its top-level commas: each
// selection whole, with its modifiers and nested fields
// ("analytics.start(1).end(2)"), trimmed; empty ones dropped.
func fieldSelections(raw string) []string {
	var out []string
	depth, start := 0, 0
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for i, c := range raw {
		switch c {
		case '(', '{':
			depth++
		case ')', '}':
			if depth > 0 { // an unbalanced closer does not hide later commas
				depth--
			}
		case ',':
			if depth == 0 {
				add(raw[start:i])
				start = i + 1
			}
		}
	}
	add(raw[start:])
	return out
}
