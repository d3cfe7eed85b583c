package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/servertest"
	"github.com/rogpeppe/go-internal/testscript"
)

const scriptAdminToken = "script-admin-token"

// scriptCall calls the server with a bearer token and decodes the answer.
func scriptCall(ts *testscript.TestScript, method, path, token string, body, out any) {
	srv := ts.Value("srv").(*servertest.Server)
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.Endpoint(path), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		ts.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			ts.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// scriptBusiness makes a business with one number, PHONE, and a system
// token, kept in $BIZ_NUMBER and $BIZ_TOKEN for bizorder.
func scriptBusiness(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: business PHONE")
	}
	var biz struct{ ID int64 }
	scriptCall(ts, "POST", "/admin/v1/businesses", scriptAdminToken, map[string]any{"name": "Bus Co", "category": "TRAVEL"}, &biz)
	var num struct{ ID int64 }
	scriptCall(ts, "POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz.ID), scriptAdminToken, map[string]any{"phone": args[0], "display_name": "Bus Co"}, &num)
	var tok struct {
		Secret string `json:"token"`
	}
	scriptCall(ts, "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), scriptAdminToken, map[string]any{"name": "script"}, &tok)
	ts.Setenv("BIZ_NUMBER", strconv.FormatInt(num.ID, 10))
	ts.Setenv("BIZ_TOKEN", tok.Secret)
}

// scriptBizOrder sends an order_details message of one item worth V cents.
func scriptBizOrder(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: bizorder TO REFERENCE VALUE")
	}
	v, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		ts.Fatalf("bizorder: %v", err)
	}
	amt := map[string]any{"value": v, "offset": 100}
	msg := map[string]any{"messaging_product": "whatsapp", "to": args[0], "type": "interactive", "interactive": map[string]any{
		"type": "order_details", "body": map[string]any{"text": "Your ticket"}, "action": map[string]any{"name": "review_and_pay",
			"parameters": map[string]any{"reference_id": args[1], "type": "digital-goods", "currency": "USD", "total_amount": amt,
				"payment_settings": []any{map[string]any{"type": "payment_gateway", "payment_gateway": map[string]any{"configuration_name": "main"}}},
				"order": map[string]any{"status": "pending", "items": []any{map[string]any{"retailer_id": "seat", "name": "Seat 12A", "amount": amt, "quantity": 1}},
					"subtotal": amt, "tax": map[string]any{"value": 0, "offset": 100},
					"expiration": map[string]any{"timestamp": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}}}}}}
	// The person's message opens the service window once it has reached
	// the business; until then a free-form send is accepted and then
	// fails (131047), as on Meta: the dry run says when it would not.
	text := map[string]any{"messaging_product": "whatsapp", "to": args[0], "type": "text", "text": map[string]any{"body": "?"}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var quote struct {
			Failure any `json:"failure"`
		}
		scriptCall(ts, "POST", "/v23.0/"+ts.Getenv("BIZ_NUMBER")+"/message_quotes", ts.Getenv("BIZ_TOKEN"), text, &quote)
		if quote.Failure == nil {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("bizorder: the service window did not open: %v", quote.Failure)
		}
	}
	scriptCall(ts, "POST", "/v23.0/"+ts.Getenv("BIZ_NUMBER")+"/messages", ts.Getenv("BIZ_TOKEN"), msg, nil)
}
