package parley

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestAPIDocListsEveryCode keeps docs/API.md's error table and Codes in
// step: the same codes, each with the same HTTP status.
func TestAPIDocListsEveryCode(t *testing.T) {
	doc, err := os.ReadFile("docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([0-9]{3}) \\|")
	documented := map[Code]int{}
	for _, m := range row.FindAllSubmatch(doc, -1) {
		status, _ := strconv.Atoi(string(m[2]))
		documented[Code(m[1])] = status
	}
	seen := map[Code]bool{}
	for _, c := range Codes {
		if seen[c.Code] {
			t.Errorf("code %q is in Codes twice", c.Code)
		}
		seen[c.Code] = true
		got, ok := documented[c.Code]
		switch {
		case !ok:
			t.Errorf("code %q is not in docs/API.md's error table", c.Code)
		case got != c.Status:
			t.Errorf("docs/API.md gives %q status %d, want %d", c.Code, got, c.Status)
		}
	}
	for c := range documented {
		if !seen[c] {
			t.Errorf("docs/API.md lists %q, which is not in Codes", c)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	for _, c := range Codes {
		if got := c.Code.HTTPStatus(); got != c.Status || got < 400 || got > 599 {
			t.Errorf("%q.HTTPStatus() = %d, want %d (4xx or 5xx)", c.Code, got, c.Status)
		}
	}
	if got := Code("no_such_code").HTTPStatus(); got != 500 {
		t.Errorf("unknown code: got %d, want 500", got)
	}
}
