package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/servertest"
)

// get fetches path from the server without following redirects and
// without the transport's transparent gzip.
func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

var scriptSrc = regexp.MustCompile(`<script type="module" src="(/static/[0-9a-f]{12}/app/main\.js)"></script>`)

func TestServesClients(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)

	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("GET /: content type %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("GET /: cache-control %q, want no-cache", got)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
		"connect-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// The policy names no host: a forged Host header cannot add a source
	// (issue 13, defect 7).
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "evil.example"
	forged, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	forged.Body.Close()
	if got := forged.Header.Get("Content-Security-Policy"); got != csp || strings.Contains(got, "evil") {
		t.Errorf("CSP with Host evil.example: got %q, want %q", got, csp)
	}
	// 'wasm-unsafe-eval' (WebAssembly compilation, for the end-to-end
	// module) is the one exception; eval itself stays refused.
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "unsafe-hashes") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
	if bytes.Contains(body, []byte("{{static}}")) {
		t.Errorf("index still has the {{static}} token")
	}
	m := scriptSrc.FindSubmatch(body)
	if m == nil {
		t.Fatalf("index has no versioned module script:\n%s", body)
	}
	asset := string(m[1])

	// The asset: right type, gzip when asked, cached for a year, 304 on a match.
	resp, zipped := get(t, srv.URL+asset, "Accept-Encoding", "gzip, br")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", asset, resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("asset content type %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset cache-control %q", got)
	}
	_, plain := get(t, srv.URL+asset)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, plain) {
			t.Errorf("gzipped asset differs from the plain one")
		}
	} else if len(plain) > 256 {
		t.Errorf("asset of %d bytes not gzipped", len(plain))
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, srv.URL+asset, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", resp.StatusCode)
	}
	// An unknown version still serves the file, uncached; an unknown file is 404.
	stale := regexp.MustCompile(`/static/[0-9a-f]{12}/`).ReplaceAllString(asset, "/static/000000000000/")
	if resp, _ := get(t, srv.URL+stale); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: status %d cache %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, srv.URL+"/static/x/app/nope.js"); resp.StatusCode != 404 {
		t.Errorf("missing asset: status %d", resp.StatusCode)
	}

	// The service worker carries this release's prefix and the app's file
	// list (the app shell it keeps for offline use).
	prefix := asset[:len("/static/")+13]
	_, sw := get(t, srv.URL+"/sw.js")
	for _, want := range []string{"const STATIC = '" + strings.TrimSuffix(prefix, "/") + "'", `"app/main.js"`, `"app/manifest.json"`,
		`"app/icon-512.png"`, `"shared/base.css"`} {
		if !bytes.Contains(sw, []byte(want)) {
			t.Errorf("/sw.js lacks %s", want)
		}
	}
	if bytes.Contains(sw, []byte("{{")) {
		t.Errorf("/sw.js still has a token")
	}
	for _, p := range []string{"app/icon-192.png", "app/icon-512.png", "app/icon-maskable-512.png"} {
		resp, b := get(t, srv.URL+prefix+p)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("GET %s: status %d, type %q, %d bytes", p, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
	}

	for _, tc := range []struct {
		path, wantType string
		wantStatus     int
		wantLocation   string
	}{
		{"/business/", "text/html; charset=utf-8", 200, ""},
		{"/business", "", 301, "/business/"},
		{"/favicon.ico", "image/svg+xml", 200, ""},
		{"/sw.js", "text/javascript", 200, ""},
		// The API keeps its routes.
		{"/healthz", "application/json", 200, ""},
		{"/v1/chats", "application/json", 401, ""},
		{"/v1/nothing", "application/json", 404, ""},
		// The operator console and API are on the operator listener.
		{"/admin/", "text/html; charset=utf-8", 200, ""},
		{"/admin", "", 301, "/admin/"},
		{"/admin/v1/businesses", "application/json", 401, ""},
	} {
		resp, _ := get(t, srv.Endpoint(tc.path))
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("GET %s: status %d, want %d", tc.path, resp.StatusCode, tc.wantStatus)
		}
		if tc.wantType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) {
			t.Errorf("GET %s: content type %q, want %q", tc.path, resp.Header.Get("Content-Type"), tc.wantType)
		}
		if tc.wantLocation != "" && resp.Header.Get("Location") != tc.wantLocation {
			t.Errorf("GET %s: location %q", tc.path, resp.Header.Get("Location"))
		}
	}
}
