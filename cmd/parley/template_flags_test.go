package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestTemplateRecategorizeFlag: serve wires --template-recategorize into
// template review, so a UTILITY template with promotional wording is
// approved as MARKETING instead of rejected; parley admin template
// approve --category changes it again.
func TestTemplateRecategorizeFlag(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", seededData(t), "--admin-token", "adm", "--template-recategorize"},
			envFunc(nil), strings.NewReader(""), &syncBuffer{}, &stderr)
	}()
	waitOutput(t, &stderr, `"msg":"parley serving"`)
	var addr, adminAddr string
	for _, line := range strings.Split(stderr.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "parley serving" {
			addr, _ = m["addr"].(string)
			adminAddr, _ = m["admin_addr"].(string)
		}
	}
	call := func(method, path, token string, body, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		host := addr
		if strings.HasPrefix(path, "/admin/") {
			host = adminAddr
		}
		req, _ := http.NewRequest(method, "http://"+host+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: got %d", method, path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	var biz struct{ ID int64 }
	call("POST", "/admin/v1/businesses", "adm", map[string]any{"name": "Acme"}, &biz)
	var tok struct {
		Token string `json:"token"`
	}
	call("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), "adm", map[string]any{"name": "ci"}, &tok)
	var tpl struct{ ID, Status, Category string }
	call("POST", fmt.Sprintf("/v23.0/%d/message_templates", biz.ID), tok.Token, map[string]any{"name": "flash_sale", "category": "UTILITY",
		"language": "en_US", "components": []any{map[string]any{"type": "BODY", "text": "Huge discount today"}}}, &tpl)
	if tpl.Status != "APPROVED" || tpl.Category != "MARKETING" {
		t.Errorf("promotional UTILITY template with --template-recategorize: got %s %s, want APPROVED MARKETING", tpl.Status, tpl.Category)
	}
	// The operator moves it back with parley admin template approve --category.
	getenv := envFunc(map[string]string{"PARLEY_ADMIN_URL": "http://" + adminAddr, "PARLEY_ADMIN_TOKEN": "adm"})
	var out, errOut strings.Builder
	if err := run(ctx, []string{"admin", "template", "approve", tpl.ID, "--category", "UTILITY"}, getenv, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("parley admin template approve --category: %v\n%s", err, errOut.String())
	}
	var list struct {
		Data []struct {
			Category         string
			PreviousCategory string `json:"previous_category"`
		}
	}
	call("GET", fmt.Sprintf("/v23.0/%d/message_templates", biz.ID), tok.Token, nil, &list)
	if len(list.Data) != 1 || list.Data[0].Category != "UTILITY" || list.Data[0].PreviousCategory != "MARKETING" {
		t.Errorf("after the operator's change: got %+v, want UTILITY, previous MARKETING", list.Data)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
