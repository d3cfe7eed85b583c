// Package web serves Parley's browser clients, embedded in the binary: the
// people's app at /, the business console at /business/ and the operator
// console at /admin/ (on the operator listener). They are plain
// JavaScript modules with no build step
// (static/app, static/business, static/admin, and static/shared for what
// they have in common), driven by the public API only.
//
// Every asset is served under /static/<version>/, where version is a hash
// of all embedded files: relative module imports keep the version, so one
// change to any file busts the whole tree, and assets can be cached for a
// year. The index pages are not cached. Every response carries a strict
// Content-Security-Policy: no inline script or style, no eval (only
// WebAssembly compilation), nothing from another origin, and connections only to this origin (HTTP and WebSocket).
//
// The package imports nothing of Parley's; internal/server mounts it.
package web

//go:generate go run ./wasmgen

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed static
var embedded embed.FS

// staticToken is replaced in index pages and the service worker by the
// versioned asset prefix.
const staticToken = "{{static}}"

// precacheToken is replaced in the service worker by the JSON list of the
// files it keeps for offline use (paths under the prefix).
const precacheToken = "/*{{precache}}*/[]"

// asset is one file ready to serve.
type asset struct {
	body        []byte
	gzipped     []byte // nil when not worth compressing
	contentType string
	etag        string
}

// Handler serves the embedded web clients.
type Handler struct {
	version string
	prefix  string            // "/static/<version>/"
	assets  map[string]*asset // by path under static/, e.g. "app/main.js"
	pages   map[string]*asset // index pages by client: app, business, admin
	worker  *asset            // app/sw.js with this release's prefix and file list
}

// New returns the embedded files prepared to serve (hashes, gzip, index
// pages). They are prepared once per process: the files are compiled in
// and the Handler is read-only, so every server of a process (tests start
// hundreds) shares it instead of compressing the clients again.
func New() (*Handler, error) { return prepared() }

var prepared = sync.OnceValues(func() (*Handler, error) { return newHandler(embedded) })

func newHandler(fsys fs.FS) (*Handler, error) {
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, fmt.Errorf("open static: %w", err)
	}
	files := map[string][]byte{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		files[p] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk static: %w", err)
	}
	// The app's PNG icons are drawn, not stored (icon.go).
	pngs, err := icons()
	if err != nil {
		return nil, err
	}
	for p, b := range pngs {
		files[p] = b
	}
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, p := range names {
		fmt.Fprintf(sum, "%s\x00%d\x00", p, len(files[p]))
		sum.Write(files[p])
	}
	h := &Handler{version: hex.EncodeToString(sum.Sum(nil))[:12], assets: map[string]*asset{}, pages: map[string]*asset{}}
	h.prefix = "/static/" + h.version + "/"
	for _, p := range names {
		if name, ok := strings.CutSuffix(p, ".gz"); ok {
			// Committed already compressed (the WebAssembly module, too
			// big to compress at every start): served as name.
			a, err := precompressed(name, files[p])
			if err != nil {
				return nil, err
			}
			h.assets[name] = a
			continue
		}
		a, err := newAsset(p, files[p])
		if err != nil {
			return nil, err
		}
		h.assets[p] = a
	}
	for _, client := range []string{"app", "business", "admin"} {
		b, ok := files[client+"/index.html"]
		if !ok {
			return nil, fmt.Errorf("static/%s/index.html is missing", client)
		}
		page := bytes.ReplaceAll(b, []byte(staticToken), []byte(strings.TrimSuffix(h.prefix, "/")))
		a, err := newAsset(client+"/index.html", page)
		if err != nil {
			return nil, err
		}
		h.pages[client] = a
	}
	// The service worker keeps the people's app for offline use: the page
	// at / and every file of app/ and shared/ (but itself and the raw
	// index page, which has no prefix in it).
	var keep []string
	for _, p := range names {
		if (strings.HasPrefix(p, "app/") || strings.HasPrefix(p, "shared/")) && p != "app/sw.js" && p != "app/index.html" {
			keep = append(keep, p)
		}
	}
	list, err := json.Marshal(keep)
	if err != nil {
		return nil, fmt.Errorf("precache list: %w", err)
	}
	sw, ok := files["app/sw.js"]
	if !ok || !bytes.Contains(sw, []byte(precacheToken)) {
		return nil, fmt.Errorf("static/app/sw.js is missing or has no %s", precacheToken)
	}
	sw = bytes.ReplaceAll(sw, []byte(staticToken), []byte(strings.TrimSuffix(h.prefix, "/")))
	sw = bytes.ReplaceAll(sw, []byte(precacheToken), list)
	if h.worker, err = newAsset("app/sw.js", sw); err != nil {
		return nil, err
	}
	return h, nil
}

func newAsset(p string, b []byte) (*asset, error) {
	sum := sha256.Sum256(b)
	a := &asset{body: b, contentType: contentType(p), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if compressible(a.contentType) && len(b) > 256 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(b); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", p, err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", p, err)
		}
		if buf.Len() < len(b) {
			a.gzipped = buf.Bytes()
		}
	}
	return a, nil
}

// precompressed is the asset p whose gzip form gz is embedded: it is
// sent as is to clients that take gzip (all browsers), decompressed once
// at start for the others.
func precompressed(p string, gz []byte) (*asset, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", p, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", p, err)
	}
	sum := sha256.Sum256(b)
	return &asset{body: b, gzipped: gz, contentType: contentType(p), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// types lists the content types by extension; anything else is refused
// at startup so that nothing is served with a guessed type.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".wasm":  "application/wasm",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/plain; charset=utf-8",
}

func contentType(p string) string {
	if t, ok := types[path.Ext(p)]; ok {
		return t
	}
	return "application/octet-stream"
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "image/svg+xml"
}

// Version is the hash that versions the asset URLs.
func (h *Handler) Version() string { return h.version }

// Prefix is the versioned asset prefix, "/static/<version>/".
func (h *Handler) Prefix() string { return h.prefix }

// Register adds the public web clients' routes to mux. The patterns are
// more specific than the API's catch-all ("/"), so API routes keep
// working and only these exact paths are the web's:
//
//	GET /                        the people's app
//	GET /business, /business/    the business console
//	GET /sw.js                   the people's app's service worker
//	GET /static/{version}/...    assets
//	GET /favicon.ico
//
// The operator console is not among them: it is served on the operator
// listener only (RegisterConsole).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.page("app"))
	mux.HandleFunc("GET /business/{$}", h.page("business"))
	mux.Handle("GET /business", http.RedirectHandler("/business/", http.StatusMovedPermanently))
	// The service worker has a path of its own: its registration, and the
	// push subscription tied to it, must outlive a release's asset prefix.
	mux.HandleFunc("GET /sw.js", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, h.worker, "no-cache")
	})
	h.registerAssets(mux)
}

// RegisterConsole adds the operator console's routes to mux, the
// operator listener's (internal/server), beside the admin API's
// catch-all ("/admin/"):
//
//	GET /admin, /admin/          the operator console
//	GET /static/{version}/...    assets
//	GET /favicon.ico
func (h *Handler) RegisterConsole(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/{$}", h.page("admin"))
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
	h.registerAssets(mux)
}

func (h *Handler) registerAssets(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{version}/{path...}", h.static)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, h.assets["shared/icon.svg"], "public, max-age=86400")
	})
}

func (h *Handler) page(client string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, h.pages[client], "no-cache")
	}
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	a := h.assets[r.PathValue("path")]
	cache := "public, max-age=31536000, immutable"
	if r.PathValue("version") != h.version {
		// An old or made-up version: serve today's file if there is one,
		// but let nobody keep it.
		cache = "no-cache"
	}
	h.serve(w, r, a, cache)
}

// serve writes a with the security headers, gzip when accepted and a
// conditional 304.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	hd := w.Header()
	SecurityHeaders(hd, r)
	if a == nil {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		hd.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("not found\n"))
		return
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", a.etag)
	body := a.body
	if a.gzipped != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			body = a.gzipped
		}
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// SecurityHeaders sets the Content-Security-Policy and the other headers
// every web response carries. The policy is the same for every request:
// it names no host, so nothing a client sends (the Host header included)
// can add a source to it. connect-src 'self' covers this origin's
// WebSocket (ws: and wss:) in every browser that implements CSP Level 3.
func SecurityHeaders(hd http.Header, r *http.Request) {
	hd.Set("Content-Security-Policy", policy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(self), geolocation=()") // the microphone for voice notes
}

// policy is the Content-Security-Policy of every web response.
// 'wasm-unsafe-eval' lets the page compile WebAssembly (the end-to-end
// encryption module, static/app/e2ee.wasm), and nothing else: eval and
// inline script stay refused.
const policy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' blob: data:; media-src 'self' blob:; font-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
