package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

func TestAdminCommands(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.AdminToken = "adm" }))
	getenv := func(k string) string {
		return map[string]string{"PARLEY_ADMIN_URL": srv.AdminURL, "PARLEY_ADMIN_TOKEN": "adm"}[k]
	}
	admin := func(args ...string) map[string]any {
		t.Helper()
		var out, errOut strings.Builder
		if err := run(context.Background(), append([]string{"admin"}, args...), getenv, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("parley admin %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		var v map[string]any
		_ = json.Unmarshal([]byte(out.String()), &v)
		return v
	}
	b := admin("business", "create", "--name", "Acme", "--category", "RETAIL")
	if b["name"] != "Acme" || b["app_secret"] == "" || b["verified"] != false {
		t.Fatalf("business create: %v", b)
	}
	id := jsonID(b["id"])
	if v := admin("business", "verify", id); v["verified"] != true {
		t.Errorf("business verify: %v", v)
	}
	n := admin("number", "add", id, "--phone", "+14155550100", "--name", "Acme Support")
	if n["phone"] != "+14155550100" || n["tier_limit"] != float64(1000) {
		t.Errorf("number add: %v", n)
	}
	if v := admin("number", "set", jsonID(n["id"]), "--throughput", "250"); v["throughput"] != float64(250) {
		t.Errorf("number set: %v", v)
	}
	tok := admin("token", "create", id, "--name", "ci", "--ttl", "24h")
	if s, _ := tok["token"].(string); !strings.HasPrefix(s, "EAAP") || tok["expires_at"] == nil {
		t.Errorf("token create: %v", tok)
	}
	admin("token", "revoke", id, jsonID(tok["id"]))
	if l := admin("token", "list", id); !strings.Contains(jsonString(l), "revoked_at") {
		t.Errorf("token list after revoke: %v", l)
	}
	if l := admin("business", "list"); len(l["businesses"].([]any)) != 1 {
		t.Errorf("business list: %v", l)
	}
	admin("template", "queue")
	admin("usage", id)
	admin("webhooks", id)

	// A wrong token is refused.
	var out strings.Builder
	err := run(context.Background(), []string{"admin", "--token", "nope", "business", "list"}, getenv, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "unauthenticated") {
		t.Errorf("wrong token: got %v, want unauthenticated", err)
	}
}

func jsonID(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
