package server_test

// Bodies are never silently ignored (issue 13, defect 9): every route of
// the three route tables is sent a JSON body that holds no parameter of
// any endpoint, once as text/plain and once with no Content-Type, and
// must refuse it. A 2xx would mean the route did its work while the body,
// which the client believes means something, was dropped. The tables are
// read from source, as in TestAuthorizationMatrix, so a new route is
// covered without anyone adding it.

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// rawBodyRoutes read the body as bytes (media, avatars, history bundles):
// they read what they are given, so a 2xx there is no ignored body.
var rawBodyRoutes = map[string]bool{
	"PUT /v1/me/avatar":             true,
	"POST /v1/chats/{id}/media":     true,
	"POST /v1/channels/{id}/media":  true,
	"POST /v1/devices/{id}/history": true,
	"PUT /v1/me/key-backup":         true,
	"POST /{version}/{id}/media":    true,
}

func TestBodiesAreReadOrRefused(t *testing.T) {
	t.Parallel()
	const adminToken = "body-admin-token"
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
		servertest.WithOptions(func(o *server.Options) { o.AdminToken = adminToken }))
	alice := login(t, srv, "+14155550102")
	var biz struct{ ID int64 }
	status, _, body := call(t, srv, "POST", "/admin/v1/businesses", adminToken, "application/json", []byte(`{"name":"Acme"}`))
	if status != 201 || json.Unmarshal(body, &biz) != nil {
		t.Fatalf("create business: %d %s", status, body)
	}
	var tok struct{ Token string }
	status, _, body = call(t, srv, "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), adminToken, "application/json", []byte(`{"name":"body"}`))
	if status != 201 || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("create token: %d %s", status, body)
	}
	tokens := map[string]string{"device": alice.Token, "admin": adminToken, "business": tok.Token}
	// The business's own id where a route takes one, so that routes such as
	// PATCH /{version}/{id}/billing get as far as their body.
	ownID := regexp.MustCompile(`\{id\}`)
	probe := []byte(`{"parley_body_probe":1}`)

	for _, table := range routeTables {
		src, err := os.ReadFile(table.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
			route := m[1]
			method, pattern, _ := strings.Cut(route, " ")
			if table.credential != "device" {
				pattern = ownID.ReplaceAllString(pattern, fmt.Sprint(biz.ID))
			}
			path := samplePath(pattern)
			t.Run(route, func(t *testing.T) {
				for _, ctype := range []string{"text/plain", ""} {
					status, _, body := call(t, srv, method, path, tokens[table.credential], ctype, probe)
					if status == 401 {
						t.Errorf("%s %s (%q): got 401 %s, want the route's credential let through", method, path, ctype, body)
					}
					if status < 300 && !rawBodyRoutes[route] {
						t.Errorf("%s %s with a body of no parameter (%q): got %d %s, want it refused", method, path, ctype, status, body)
					}
				}
			})
		}
	}
}
