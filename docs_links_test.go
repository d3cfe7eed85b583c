package parley_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docLink finds the targets of Markdown links, of HTML href and src
// attributes, and mentions of docs/NAME.md in the text.
var docLink = regexp.MustCompile(`\]\(([^)\s]+)\)|(?:href|src)="([^"]+)"|\b(docs/[A-Za-z0-9_.-]+\.md)\b`)

// TestDocLinks: README.md and docs/*.md point only to files the
// repository has.
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "README.md")
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range docLink.FindAllStringSubmatch(string(b), -1) {
			target, base := m[1]+m[2], filepath.Dir(doc)
			if m[3] != "" {
				target, base = m[3], "."
			}
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") ||
				strings.HasPrefix(target, "/") || strings.Contains(target, "{") {
				continue // a URL, an anchor, a server path or a template
			}
			path := filepath.Join(base, strings.SplitN(target, "#", 2)[0])
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which the repository does not have", doc, target)
			}
		}
	}
}
