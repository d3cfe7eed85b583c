package server_test

// The authorization matrix: every route of the three route tables
// (internal/httpapi, internal/adminapi and internal/cloudapi, each in its
// routes.go), called with each kind of credential. A route opens only to
// its own credential: /v1 to a device token, /admin/v1 to the admin token,
// the Cloud API to a business's system token; the public routes below to
// anyone. The tables are read from source, so a new route is in the
// matrix without anyone adding it, and a public one must be listed here.

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// publicRoutes need no credential.
var publicRoutes = []string{
	"GET /healthz", "GET /readyz",
	"POST /v1/auth/code", "POST /v1/auth/verify",
	"GET /v1/transparency", "GET /transparency",
	"GET /c/{code}",
	"GET /v1/ads/library", "GET /ads/library",
	"POST /v1/payments/stripe/events", // Stripe's callback: its signature is the credential
}

// routeTables are the three surfaces' tables and who may call their routes.
var routeTables = []struct {
	file, credential string
}{
	{"../httpapi/routes.go", "device"},
	{"../adminapi/routes.go", "admin"},
	{"../cloudapi/routes.go", "business"},
}

var routePattern = regexp.MustCompile(`"((?:GET|POST|PUT|PATCH|DELETE) /[^"]*)"`)

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	const adminToken = "authz-admin-token"
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
		servertest.WithOptions(func(o *server.Options) { o.AdminToken = adminToken }))
	alice := login(t, srv, "+14155550101")

	// A business with a system token, through the admin API.
	var biz struct{ ID int64 }
	status, _, body := call(t, srv, "POST", "/admin/v1/businesses", adminToken, "application/json", []byte(`{"name":"Acme"}`))
	if status != 201 || json.Unmarshal(body, &biz) != nil {
		t.Fatalf("create business: %d %s", status, body)
	}
	var tok struct{ Token string }
	status, _, body = call(t, srv, "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), adminToken, "application/json", []byte(`{"name":"authz"}`))
	if status != 201 || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("create token: %d %s", status, body)
	}
	credentials := map[string]string{"none": "", "device": alice.Token, "admin": adminToken, "business": tok.Token}

	seen := map[string]bool{}
	for _, table := range routeTables {
		src, err := os.ReadFile(table.file)
		if err != nil {
			t.Fatal(err)
		}
		routes := routePattern.FindAllStringSubmatch(string(src), -1)
		if len(routes) == 0 {
			t.Fatalf("%s: no routes found", table.file)
		}
		for _, m := range routes {
			route := m[1]
			if seen[route] {
				t.Errorf("%s: %s is in more than one table", table.file, route)
			}
			seen[route] = true
			method, pattern, _ := strings.Cut(route, " ")
			path := samplePath(pattern)
			public := slices.Contains(publicRoutes, route)
			t.Run(route, func(t *testing.T) {
				for cred, token := range credentials {
					status, _, body := call(t, srv, method, path, token, "application/json", nil)
					open := public || cred == table.credential
					if open && status == 401 {
						t.Errorf("%s %s with the %s credential: got 401 %s, want it let through", method, path, cred, body)
					}
					if !open && status != 401 {
						t.Errorf("%s %s with the %s credential: got %d %s, want 401", method, path, cred, status, body)
					}
				}
			})
		}
	}
	for _, route := range publicRoutes {
		if !seen[route] {
			t.Errorf("public route %s is in no route table", route)
		}
	}

	// Paths in no table: the admin API's catch-all asks for the token
	// first, as its routes do.
	for _, tt := range []struct {
		path, token string
		status      int
	}{
		{"/admin/v1/nope", "", 401},
		{"/admin/v1/nope", alice.Token, 401},
		{"/admin/v1/nope", adminToken, 404},
		{"/v1/nope", "", 404},
	} {
		if status, _, body := call(t, srv, "GET", tt.path, tt.token, "", nil); status != tt.status {
			t.Errorf("GET %s: got %d %s, want %d", tt.path, status, body, tt.status)
		}
	}
}

// samplePath fills a route's wildcards: a Graph API version, a month, and
// ids that name nothing.
func samplePath(pattern string) string {
	return regexp.MustCompile(`\{[^}]*\}`).ReplaceAllStringFunc(pattern, func(w string) string {
		switch w {
		case "{version}":
			return "v23.0"
		case "{month}":
			return "2024-01"
		case "{code}", "{name}":
			return "nope"
		}
		return "999999"
	})
}
