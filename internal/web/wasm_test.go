package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWasmUpToDate rebuilds the end-to-end encryption module as go
// generate does (wasmgen: -trimpath, no VCS stamp, so the build is
// reproducible) and fails if the committed static/app/e2ee.wasm.gz, or
// the wasm_exec.js beside it, is not what this tree builds: run
// go generate ./internal/web. A warm build takes seconds.
func TestWasmUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	out := filepath.Join(t.TempDir(), "e2ee.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "./e2eewasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the module: %v\n%s", err, b)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile("static/app/e2ee.wasm.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Errorf("static/app/e2ee.wasm.gz is stale (%d bytes, this tree builds %d): run go generate ./internal/web", len(committed), len(built))
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("static/app/wasm_exec.js"); !bytes.Equal(got, want) {
		t.Errorf("static/app/wasm_exec.js is not this Go's lib/wasm/wasm_exec.js: run go generate ./internal/web")
	}
}
