package server_test

// Every error the API gives, whatever the client sends, is the documented
// JSON shape {"error":{"code","message","details"?}} with the status of
// its code, and never a 500.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/servertest"
)

// person is one logged-in device.
type person struct {
	client.Session
	c *client.Client
}

func login(t *testing.T, srv *servertest.Server, phone string) person {
	t.Helper()
	ctx := context.Background()
	c := client.New(srv.URL)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatalf("request code for %s: %v", phone, err)
	}
	s, err := c.Verify(ctx, phone, srv.Code(phone), "phone", nil)
	if err != nil {
		t.Fatalf("verify %s: %v", phone, err)
	}
	return person{Session: s, c: c}
}

// wireError is the one error shape, decoded strictly.
type wireError struct {
	Error struct {
		Code    parley.Code    `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// call makes a raw request and returns the status and body.
func call(t *testing.T, srv *servertest.Server, method, path, token, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoint(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// decodeError checks that a response is the documented error shape with
// the status of its code, and returns it.
func decodeError(t *testing.T, status int, h http.Header, body []byte) wireError {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
	var we wireError
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&we); err != nil {
		t.Fatalf("status %d body %q is not the error shape: %v", status, body, err)
	}
	if we.Error.Code == "" || we.Error.Message == "" {
		t.Errorf("got error %+v, want a code and a message", we.Error)
	}
	if want := httpapi.StatusOf(we.Error.Code); status != want {
		t.Errorf("got status %d for code %s, want %d", status, we.Error.Code, want)
	}
	return we
}

func TestErrorShape(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}))
	alice := login(t, srv, "+14155550101")
	bob := login(t, srv, "+14155550102")
	carol := login(t, srv, "+14155550103")
	ctx := context.Background()
	chat, err := alice.c.OpenDirect(ctx, bob.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("a", 70<<10)
	sendBody := func(body string) string {
		return fmt.Sprintf(`{"message_id":"m1","envelopes":[{"device_id":%d,"body":%q}]}`, bob.DeviceID, body)
	}
	chatPath := func(format string) string { return fmt.Sprintf(format, chat.ID) }

	tests := []struct {
		name         string
		method, path string
		token        string
		body         string
		status       int
		code         parley.Code
		details      map[string]any // checked when set
	}{
		// Bodies that are not what the endpoint takes.
		{"not JSON", "POST", "/v1/auth/code", "", `{"phone":`, 400, parley.EMalformed, nil},
		{"syntax error", "POST", "/v1/auth/code", "", `{"phone" "+14155550101"}`, 400, parley.EMalformed, nil},
		{"empty body", "POST", "/v1/auth/code", "", ``, 400, parley.EMalformed, nil},
		{"unknown field", "POST", "/v1/auth/code", "", `{"phone":"+14155550101","pin":"1234"}`, 400, parley.EMalformed, nil},
		{"wrong type", "POST", "/v1/auth/code", "", `{"phone":14155550101}`, 400, parley.EMalformed, map[string]any{"field": "phone"}},
		{"array", "POST", "/v1/auth/code", "", `[]`, 400, parley.EMalformed, nil},
		{"trailing data", "POST", "/v1/auth/code", "", `{"phone":"+14155550101"} {}`, 400, parley.EMalformed, nil},
		{"not UTF-8", "POST", "/v1/auth/code", "", "\xff\xfe{}", 400, parley.EMalformed, nil},
		{"null", "POST", "/v1/auth/code", "", `null`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"number out of range", "POST", "/v1/chats/direct", alice.Token, `{"account_id":1e30}`, 400, parley.EMalformed, map[string]any{"field": "account_id"}},
		{"id as a string", "POST", "/v1/chats/direct", alice.Token, `{"account_id":"2"}`, 400, parley.EMalformed, map[string]any{"field": "account_id"}},
		{"not base64", "POST", chatPath("/v1/chats/%d/messages"), alice.Token, sendBody("not base64!"), 400, parley.EMalformed, nil},

		// Bodies over the limit.
		{"oversized code request", "POST", "/v1/auth/code", "", `{"phone":"` + big + `"}`, 413, parley.ETooLarge, map[string]any{"limit": float64(64 << 10)}},
		{"oversized profile", "PATCH", "/v1/me", alice.Token, `{"about":"` + big + `"}`, 413, parley.ETooLarge, map[string]any{"limit": float64(64 << 10)}},
		{"oversized lookup", "POST", "/v1/contacts/lookup", alice.Token, `{"phones":["` + big + `"]}`, 413, parley.ETooLarge, nil},
		{"oversized read", "POST", chatPath("/v1/chats/%d/read"), alice.Token, `{"message_ids":["` + big + `"]}`, 413, parley.ETooLarge, nil},
		{"oversized envelope", "POST", chatPath("/v1/chats/%d/messages"), alice.Token,
			sendBody(base64.StdEncoding.EncodeToString(make([]byte, 64<<10+1))), 413, parley.ETooLarge, map[string]any{"device_id": float64(bob.DeviceID), "limit": float64(64 << 10)}},

		// Phone numbers.
		{"digits only", "POST", "/v1/auth/code", "", `{"phone":"14155550101"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"too short", "POST", "/v1/auth/code", "", `{"phone":"+1"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"one digit short", "POST", "/v1/auth/code", "", `{"phone":"+1415555010"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"no such country", "POST", "/v1/auth/code", "", `{"phone":"+99912345678"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"plus alone", "POST", "/v1/auth/code", "", `{"phone":"+"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"too long", "POST", "/v1/auth/code", "", `{"phone":"+1` + strings.Repeat("4", 40) + `"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"blank", "POST", "/v1/auth/code", "", `{"phone":"  "}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"bad phone on verify", "POST", "/v1/auth/verify", "", `{"phone":"12345","code":"000000"}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},
		{"bad phone in lookup", "POST", "/v1/contacts/lookup", alice.Token, `{"phones":["+14155550101","555-0101"]}`, 400, parley.EInvalid, map[string]any{"field": "phone"}},

		// Tokens.
		{"no token", "GET", "/v1/me", "", ``, 401, parley.EUnauthenticated, nil},
		{"unknown token", "GET", "/v1/me", "pt_AAAA", ``, 401, parley.EUnauthenticated, nil},
		{"not a parley token", "GET", "/v1/me", "secret", ``, 401, parley.EUnauthenticated, nil},
		{"websocket without token", "GET", "/v1/ws", "", ``, 401, parley.EUnauthenticated, nil},

		// Chats that do not exist or are someone else's.
		{"unknown chat", "GET", "/v1/chats/999999", alice.Token, ``, 404, parley.ENotFound, map[string]any{"chat_id": float64(999999)}},
		{"send to an unknown chat", "POST", "/v1/chats/999999/messages", alice.Token, sendBody("eA=="), 404, parley.ENotFound, nil},
		{"devices of an unknown chat", "GET", "/v1/chats/999999/devices", alice.Token, ``, 404, parley.ENotFound, nil},
		{"chat id not a number", "GET", "/v1/chats/abc", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "id"}},
		{"chat id zero", "GET", "/v1/chats/0", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "id"}},
		{"chat id negative", "GET", "/v1/chats/-1", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "id"}},
		{"chat id too big", "GET", "/v1/chats/99999999999999999999", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "id"}},
		{"someone else's chat", "GET", chatPath("/v1/chats/%d"), carol.Token, ``, 403, parley.EForbidden, map[string]any{"chat_id": float64(chat.ID)}},
		{"send to someone else's chat", "POST", chatPath("/v1/chats/%d/messages"), carol.Token, sendBody("eA=="), 403, parley.EForbidden, nil},
		{"devices of someone else's chat", "GET", chatPath("/v1/chats/%d/devices"), carol.Token, ``, 403, parley.EForbidden, nil},
		{"read in someone else's chat", "POST", chatPath("/v1/chats/%d/read"), carol.Token, `{"message_ids":["m1"]}`, 403, parley.EForbidden, nil},
		{"typing in someone else's chat", "POST", chatPath("/v1/chats/%d/typing"), carol.Token, `{"state":"composing"}`, 403, parley.EForbidden, nil},
		{"timer of someone else's chat", "PUT", chatPath("/v1/chats/%d/disappearing"), carol.Token, `{"seconds":86400}`, 403, parley.EForbidden, nil},
		{"leave a 1:1 chat", "DELETE", fmt.Sprintf("/v1/chats/%d/members/%d", chat.ID, alice.AccountID), alice.Token, ``, 400, parley.EInvalid, nil},
		{"rename a 1:1 chat", "PATCH", chatPath("/v1/chats/%d"), alice.Token, `{"subject":"x"}`, 400, parley.EInvalid, nil},

		// Other fields and resources.
		{"unknown endpoint", "GET", "/v1/nope", alice.Token, ``, 404, parley.ENotFound, nil},
		{"wrong method", "POST", "/v1/me", alice.Token, `{}`, 404, parley.ENotFound, nil},
		{"unknown account", "GET", "/v1/accounts/999999", alice.Token, ``, 404, parley.ENotFound, nil},
		{"unknown media", "GET", "/v1/media/0123456789abcdef0123456789abcdef", alice.Token, ``, 404, parley.ENotFound, nil},
		{"someone else's device", "DELETE", fmt.Sprintf("/v1/devices/%d", bob.DeviceID), alice.Token, ``, 404, parley.ENotFound, nil},
		{"history to someone else's device", "POST", fmt.Sprintf("/v1/devices/%d/history", bob.DeviceID), alice.Token, `bundle`, 404, parley.ENotFound, nil},
		{"bad visibility", "PUT", "/v1/me/privacy", alice.Token, `{"last_seen":"friends"}`, 400, parley.EInvalid, map[string]any{"field": "last_seen"}},
		{"long name", "PATCH", "/v1/me", alice.Token, `{"display_name":"` + strings.Repeat("x", 65) + `"}`, 400, parley.EInvalid, map[string]any{"field": "display_name"}},
		{"no subject", "POST", "/v1/chats/groups", alice.Token, `{"subject":"","members":[]}`, 400, parley.EInvalid, map[string]any{"field": "subject"}},
		{"no peer", "POST", "/v1/chats/direct", alice.Token, `{}`, 400, parley.EInvalid, map[string]any{"field": "account_id"}},
		{"inbox limit zero", "GET", "/v1/inbox?limit=0", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "limit"}},
		{"inbox limit too big", "GET", "/v1/inbox?limit=5000", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "limit"}},
		{"inbox limit not a number", "GET", "/v1/inbox?limit=ten", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "limit"}},
		{"inbox after negative", "GET", "/v1/inbox?after=-1", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "after"}},
		{"websocket after negative", "GET", "/v1/ws?after=-1", alice.Token, ``, 400, parley.EInvalid, map[string]any{"field": "after"}},
		{"websocket without an upgrade", "GET", "/v1/ws", alice.Token, ``, 400, parley.EInvalid, nil},
		{"too many acks", "POST", "/v1/inbox/ack", alice.Token, `{"ids":[` + strings.Repeat("1,", 1000) + `1]}`, 400, parley.EInvalid, map[string]any{"field": "ids"}},
		{"bad message id", "POST", chatPath("/v1/chats/%d/messages"), alice.Token, `{"message_id":"a b","envelopes":[]}`, 400, parley.EInvalid, map[string]any{"field": "message_id"}},
		{"envelopes for the wrong devices", "POST", chatPath("/v1/chats/%d/messages"), alice.Token, `{"message_id":"m2","envelopes":[{"device_id":999999,"body":"eA=="}]}`, 409, parley.EDevicesChanged,
			map[string]any{"missing": []any{float64(bob.DeviceID)}, "extra": []any{float64(999999)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := call(t, srv, tt.method, tt.path, tt.token, "application/json", []byte(tt.body))
			if status != tt.status {
				t.Errorf("got status %d (%s), want %d", status, body, tt.status)
			}
			we := decodeError(t, status, h, body)
			if we.Error.Code != tt.code {
				t.Errorf("got code %q (%s), want %q", we.Error.Code, we.Error.Message, tt.code)
			}
			if tt.details != nil {
				if diff := cmp.Diff(tt.details, we.Error.Details); diff != "" {
					t.Errorf("details (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestNeverInternal sends every endpoint a spread of bad bodies and ids:
// whatever the answer, it is never a 500 and every error has the shape.
func TestNeverInternal(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}))
	alice := login(t, srv, "+14155550101")
	bob := login(t, srv, "+14155550102")
	ctx := context.Background()
	chat, err := alice.c.OpenDirect(ctx, bob.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	g, err := alice.c.CreateGroup(ctx, "Group", bob.AccountID)
	if err != nil {
		t.Fatal(err)
	}

	// Every route of internal/httpapi/routes.go but the WebSocket and
	// those that end the session (unlinking a device).
	routes := []string{
		"POST /v1/auth/code", "POST /v1/auth/verify",
		"GET /v1/me", "PATCH /v1/me", "PUT /v1/me/privacy", "PUT /v1/me/avatar",
		"GET /v1/accounts/{id}", "GET /v1/accounts/{id}/avatar", "POST /v1/contacts/lookup",
		"GET /v1/blocks", "PUT /v1/blocks/{id}", "DELETE /v1/blocks/{id}",
		"GET /v1/devices", "POST /v1/devices/{id}/history",
		"PUT /v1/me/key-backup", "GET /v1/me/key-backup", "DELETE /v1/me/key-backup",
		"GET /v1/chats", "POST /v1/chats/direct", "POST /v1/chats/groups",
		"GET /v1/chats/{id}", "PATCH /v1/chats/{id}", "PUT /v1/chats/{id}/disappearing",
		"POST /v1/chats/{id}/members", "PUT /v1/chats/{id}/members/{id}/role",
		"GET /v1/chats/{id}/devices", "POST /v1/chats/{id}/messages", "POST /v1/chats/{id}/read",
		"POST /v1/chats/{id}/typing", "POST /v1/chats/{id}/media",
		"GET /v1/media/{id}", "POST /v1/media/{id}/share",
		"GET /v1/inbox", "POST /v1/inbox/ack",
		"DELETE /v1/chats/{id}/members/{id}",
	}
	ids := []string{fmt.Sprint(chat.ID), fmt.Sprint(g.ID), fmt.Sprint(bob.AccountID), "0", "x", "9223372036854775807"}
	bodies := []string{"", "{", "[]", "null", `{"x":1}`, "\xff\x00", `{"subject":null,"members":null}`,
		`{"message_id":"m","envelopes":null}`, `{"ids":[-1,0]}`, `{"accounts":[0,-1]}`, `{"role":"owner"}`,
		`{"seconds":1e20}`, `{"message_ids":[""],"state":""}`, `{"chat_id":-1,"account_id":-1}`}
	for _, r := range routes {
		method, pattern, _ := strings.Cut(r, " ")
		t.Run(r, func(t *testing.T) {
			for _, id := range ids {
				path := strings.ReplaceAll(pattern, "{id}", id)
				for _, body := range bodies {
					status, h, b := call(t, srv, method, path, alice.Token, "application/json", []byte(body))
					if status >= 500 {
						t.Fatalf("%s %s with %q: got %d %s", method, path, body, status, b)
					}
					if status >= 400 {
						decodeError(t, status, h, b)
					}
				}
			}
		})
	}
}
