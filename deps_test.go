package parley

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/parleyhq/parley"

// allowedImports is the import rule of the domain packages (docs/
// ARCHITECTURE.md): each may import only the packages listed for it, of
// this module. "." is the kernel. Adapters (internal/...) are not
// domain packages and no domain package imports them. wire, the JSON
// shapes of the API, imports only the kernel; client, the public Go
// client, compiles no domain package: only the kernel (for the error
// codes), wire and e2ee. e2ee, the end-to-end encryption of a device,
// imports only the kernel and wire (and goolm, outside the module), so
// that it builds for WebAssembly. (Tests may import anything: only
// non-test files are checked.)
var allowedImports = map[string][]string{
	".":       {},
	"wire":    {"."},
	"money":   {"."},
	"billing": {".", "money"},
	"chat":    {".", "money", "wire"},
	// chat/push wakes devices of the chat core: it imports chat only.
	"chat/push": {".", "chat", "wire"},
	"channel":   {".", "money", "chat", "wire"},
	"revenue":   {".", "money", "chat", "channel", "wire"},
	// business holds its numbers' cloud devices, whose end-to-end keys
	// the server keeps as the business's host: it uses e2ee as an app does.
	"business": {".", "money", "chat", "billing", "wire", "e2ee"},
	"e2ee":     {".", "wire"},
	"client":   {".", "wire", "e2ee"},
	// ads sees no message, contact or group: it imports neither chat nor
	// the contexts built on it (TestAdsSeesNoPersonalData).
	"ads":         {".", "money", "wire", "ads/dpnoise"},
	"ads/dpnoise": {},
	// The demo business runs as a business would, beside the server: it
	// may use the wire shapes and the Flow endpoint's encryption, which a
	// business writes from Meta's documentation, and nothing else of
	// Parley's (docs/DEMO-BUSLINE.md).
	"internal/demo/busline": {"wire", "internal/flowcrypto"},
	"internal/flowcrypto":   {},
}

// TestImportRule fails on any import of a domain package that runs
// against the rule: a back edge between contexts, or a domain package
// importing an adapter.
func TestImportRule(t *testing.T) {
	graph := map[string][]string{}
	for pkg := range allowedImports {
		imports, err := moduleImports(pkg)
		if err != nil {
			t.Fatal(err)
		}
		graph[pkg] = imports
	}
	for _, v := range importViolations(graph, allowedImports) {
		t.Error(v)
	}
}

// TestImportRuleCatchesBackEdge shows that the check can fail: chat
// importing channel, money importing an adapter, wire importing a domain
// package and client importing one are reported.
func TestImportRuleCatchesBackEdge(t *testing.T) {
	graph := map[string][]string{
		"chat":    {".", "channel"},
		"channel": {".", "chat"},
		"money":   {".", "internal/sqlite"},
		"wire":    {".", "money"},
		"client":  {".", "wire", "chat"},
	}
	got := importViolations(graph, allowedImports)
	want := []string{"chat imports channel, which the import rule does not allow",
		"client imports chat, which the import rule does not allow",
		"money imports internal/sqlite, which the import rule does not allow",
		"wire imports money, which the import rule does not allow"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// personalContexts are the packages that hold messages, contacts,
// groups or what people follow: no import path from ads may reach them.
var personalContexts = []string{"chat", "channel", "business", "revenue"}

// TestAdsSeesNoPersonalData walks everything ads imports of the module,
// transitively, and fails if a package that holds messages, contacts or
// groups is among it (docs/ADS.md, "Privacy").
func TestAdsSeesNoPersonalData(t *testing.T) {
	reach, err := closure("ads", moduleImports)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range personalContexts {
		if slices.Contains(reach, p) {
			t.Errorf("ads reaches %s", p)
		}
	}
	// The walk is transitive: a path through another package is found.
	fake := func(p string) ([]string, error) {
		return map[string][]string{"ads": {"money"}, "money": {"wire"}, "wire": {"chat"}}[p], nil
	}
	if got, _ := closure("ads", fake); !slices.Contains(got, "chat") {
		t.Fatalf("the walk missed ads → money → wire → chat: %v", got)
	}
}

// closure returns the module packages that pkg imports, transitively.
func closure(pkg string, imports func(string) ([]string, error)) ([]string, error) {
	seen := map[string]bool{pkg: true}
	todo, out := []string{pkg}, []string{}
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		is, err := imports(p)
		if err != nil {
			return nil, err
		}
		for _, i := range is {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
				todo = append(todo, i)
			}
		}
	}
	return out, nil
}

func importViolations(graph, allowed map[string][]string) []string {
	var out []string
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		for _, imp := range graph[p] {
			if imp != p && !slices.Contains(allowed[p], imp) {
				out = append(out, p+" imports "+imp+", which the import rule does not allow")
			}
		}
	}
	return out
}

// moduleImports returns the module packages that dir's non-test files
// import, relative to the module root ("." for the kernel).
func moduleImports(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, is := range af.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			rel, ok := strings.CutPrefix(path, module)
			if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
				continue
			}
			rel = strings.TrimPrefix(rel, "/")
			if rel == "" {
				rel = "."
			}
			if !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
