package cloudapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	wabusiness "github.com/piusalfred/whatsapp/business"
	waconfig "github.com/piusalfred/whatsapp/config"
	whttp "github.com/piusalfred/whatsapp/pkg/http"
	waqr "github.com/piusalfred/whatsapp/qrcode"
	wauser "github.com/piusalfred/whatsapp/user"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// libConfig is the published client library's configuration pointed at
// this server by its base URL alone.
func (e *env) libConfig() waconfig.Reader {
	return waconfig.ReaderFunc(func(context.Context) (*waconfig.Config, error) {
		return &waconfig.Config{BaseURL: e.srv.URL, APIVersion: "v24.0", AccessToken: e.token,
			PhoneNumberID: fmt.Sprint(e.num.ID), BusinessAccountID: fmt.Sprint(e.biz.ID)}, nil
	})
}

func TestBlockUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sender := whttp.NewSender[wauser.BlockBaseRequest]()
	sender.SetHTTPClient(http.DefaultClient)
	lib := wauser.NewBlockClient(e.libConfig(), sender)

	// A customer who has not written in 24 hours cannot be blocked
	// (131047), and a number on no account fails the same way.
	status, b := e.cloud("POST", fmt.Sprintf("/%d/block_users", e.num.ID), map[string]any{"messaging_product": "whatsapp",
		"block_users": []any{map[string]any{"user": e.custPh}, map[string]any{"user": "+14155550199"}}})
	var mixed struct {
		BlockUsers struct {
			AddedUsers  []map[string]any `json:"added_users"`
			FailedUsers []struct {
				Input  string `json:"input"`
				Errors []struct {
					Code int `json:"code"`
				} `json:"errors"`
			} `json:"failed_users"`
		} `json:"block_users"`
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &mixed); err != nil || status != 400 || mixed.Error.Code != business.MetaBlockFailed ||
		len(mixed.BlockUsers.FailedUsers) != 2 || mixed.BlockUsers.FailedUsers[0].Errors[0].Code != business.MetaReengagement ||
		mixed.BlockUsers.FailedUsers[1].Errors[0].Code != business.MetaReengagement {
		t.Fatalf("block before the customer wrote: got %d %s", status, b)
	}

	// The customer writes; the business blocks them through the library.
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "you are rubbish"}))
	resp, err := lib.Block(e.ctx, []string{e.custPh})
	if err != nil || resp.BlockUsers == nil || len(resp.BlockUsers.AddedUsers) != 1 || resp.BlockUsers.AddedUsers[0].WaID != "14155550111" ||
		resp.BlockUsers.AddedUsers[0].Input != e.custPh {
		t.Fatalf("block through the library: %+v, %v", resp, err)
	}
	list, err := lib.ListBlocked(e.ctx, nil)
	if err != nil || len(list.Data) != 1 || len(list.Data[0].BlockUsers) != 1 || list.Data[0].BlockUsers[0].WaID != "14155550111" {
		t.Fatalf("list blocked through the library: %+v, %v", list, err)
	}
	// The same call without a version in the path, as Graph accepts it.
	status, b = e.do("GET", fmt.Sprintf("/%d/block_users", e.num.ID), e.token, nil)
	if status != 200 || !json.Valid(b) {
		t.Errorf("unversioned GET block_users: %d %s", status, b)
	}

	// Blocked: the business's sends fail, the customer's cannot be sent.
	e.sendErr(map[string]any{"type": "text", "text": map[string]any{"body": "hello?"}}, 400, business.MetaUndeliverable)
	if _, err := e.cust.SendBody(e.ctx, e.chatID, client.NewMessageID(), chat.KindMessage, "", client.Body{Text: "let me in"}); !isClientCode(err, parley.EBlocked) {
		t.Errorf("blocked customer's send: got %v, want %s", err, parley.EBlocked)
	}

	// Unblocking takes a body on DELETE, as Meta's does.
	status, b = e.cloud("DELETE", fmt.Sprintf("/%d/block_users", e.num.ID), map[string]any{"messaging_product": "whatsapp",
		"block_users": []any{map[string]any{"user": "14155550111"}}})
	var removed struct {
		BlockUsers struct {
			RemovedUsers []struct {
				Input string `json:"input"`
				WaID  string `json:"wa_id"`
			} `json:"removed_users"`
		} `json:"block_users"`
	}
	if err := json.Unmarshal(b, &removed); err != nil || status != 200 || len(removed.BlockUsers.RemovedUsers) != 1 ||
		removed.BlockUsers.RemovedUsers[0].WaID != "14155550111" {
		t.Fatalf("unblock: %d %s", status, b)
	}
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "welcome back"}})
	if list, err := lib.ListBlocked(e.ctx, nil); err != nil || len(list.Data) != 1 || len(list.Data[0].BlockUsers) != 0 {
		t.Errorf("list after unblock: %+v, %v", list, err)
	}
	// Another business's number is not the caller's.
	status, _ = e.do("GET", fmt.Sprintf("/v23.0/%d/block_users", e.num.ID), e.otherBusinessToken(), nil)
	if status != 400 {
		t.Errorf("another business's token: got %d, want 400", status)
	}
}

// TestGraphIDsUniqueAcrossKinds: the business account, its number and a
// template each resolve as themselves through GET /{id}.
func TestGraphIDsUniqueAcrossKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tid, _ := e.createTemplate(map[string]any{"name": "ids_check", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Your code is ready."}}})
	ids := map[string]bool{fmt.Sprint(e.biz.ID): true, fmt.Sprint(e.num.ID): true, tid: true, e.catalogID(): true}
	if len(ids) != 4 {
		t.Fatalf("ids of different kinds collide: %v", ids)
	}
	get := func(id string, out any) {
		t.Helper()
		status, b := e.cloud("GET", "/"+id, nil)
		if status != 200 {
			t.Fatalf("GET /%s: %d %s", id, status, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	var biz struct{ ID, Name string }
	get(fmt.Sprint(e.biz.ID), &biz)
	if biz.Name != "Acme Shoes" || biz.ID != fmt.Sprint(e.biz.ID) {
		t.Errorf("GET business: %+v", biz)
	}
	var num struct {
		ID                 string `json:"id"`
		DisplayPhoneNumber string `json:"display_phone_number"`
	}
	get(fmt.Sprint(e.num.ID), &num)
	if num.DisplayPhoneNumber != "14155550100" {
		t.Errorf("GET number: %+v", num)
	}
	var tpl map[string]any
	get(tid+"?fields=name,status", &tpl)
	if len(tpl) != 3 || tpl["name"] != "ids_check" || tpl["status"] != "APPROVED" || tpl["id"] != tid {
		t.Errorf("GET template with fields: %v", tpl)
	}
	if n, _ := strconv.ParseInt(tid, 10, 64); business.KindOf(n) != business.KindTemplate {
		t.Errorf("template id %s is not in the template range", tid)
	}
}

func isClientCode(err error, code parley.Code) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Code == string(code)
}

// TestBusinessProfileAllFields: every field of Meta's profile is kept and
// read back through the published library, and fields= selects.
func TestBusinessProfileAllFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sender := &wabusiness.BaseSender{Sender: whttp.NewAnySender()}
	lib, err := wabusiness.NewClient(e.ctx, e.libConfig(), sender)
	if err != nil {
		t.Fatal(err)
	}
	pic := e.uploadPNG()
	ok, err := lib.Update(e.ctx, &wabusiness.UpdateProfileRequest{MessagingProduct: "whatsapp", About: "Zoë's shoes 👟",
		Address: "1 Main St", Description: "Shoes since 1990", Email: "hello@acme.example", Vertical: "APPAREL",
		Websites: []string{"https://acme.example", "https://shop.acme.example"}, ProfilePictureHandle: "4::" + pic})
	if err != nil || !ok {
		t.Fatalf("update through the library: %v, %v", ok, err)
	}
	ps, err := lib.Get(e.ctx, nil)
	if err != nil || len(ps) != 1 {
		t.Fatalf("get through the library: %v, %v", ps, err)
	}
	p := ps[0]
	if p.About != "Zoë's shoes 👟" || p.Email != "hello@acme.example" || p.Vertical != "APPAREL" || len(p.Websites) != 2 ||
		p.Address != "1 Main St" || p.Description != "Shoes since 1990" || p.MessagingProduct != "whatsapp" ||
		!strings.HasSuffix(p.ProfilePictureURL, "/"+pic+"/content") {
		t.Errorf("profile: %+v", p)
	}
	if status, _ := e.do("GET", strings.TrimPrefix(p.ProfilePictureURL, e.srv.URL), e.token, nil); status != 200 {
		t.Errorf("the profile picture's URL: %d", status)
	}
	status, b := e.cloud("GET", fmt.Sprintf("/%d/whatsapp_business_profile?fields=about,email", e.num.ID), nil)
	var sel struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &sel); err != nil || status != 200 || len(sel.Data) != 1 || len(sel.Data[0]) != 3 ||
		sel.Data[0]["about"] != "Zoë's shoes 👟" || sel.Data[0]["email"] != "hello@acme.example" {
		t.Errorf("fields=about,email: %d %s", status, b)
	}
	// The customers' view shows the business account's part of it.
	if prof, err := e.cust.Business(e.ctx, e.num.AccountID); err != nil || prof.Description != "Shoes since 1990" {
		t.Errorf("the customer's view: %+v, %v", prof, err)
	}
	for name, body := range map[string]map[string]any{
		"bad email":     {"email": "not an email"},
		"bad vertical":  {"vertical": "SHOES"},
		"3 websites":    {"websites": []string{"https://a.example", "https://b.example", "https://c.example"}},
		"empty about":   {"about": ""},
		"long about":    {"about": strings.Repeat("a", 140)},
		"not a picture": {"profile_picture_handle": "4::123"},
	} {
		body["messaging_product"] = "whatsapp"
		e.cloudErr("POST", fmt.Sprintf("/%d/whatsapp_business_profile", e.num.ID), body, 400, 100, 0)
		_ = name
	}
}

// TestTemplatesByID: read, edit and delete one template by its id.
func TestTemplatesByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tid, _ := e.createTemplate(map[string]any{"name": "order_ready", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Your order {{1}} is ready."}}})
	e.createTemplate(map[string]any{"name": "order_ready", "category": "UTILITY", "language": "de",
		"components": []any{map[string]any{"type": "BODY", "text": "Ihre Bestellung {{1}} ist da."}}})
	// Edit: new components, reviewed again.
	status, b := e.cloud("POST", "/"+tid, map[string]any{"components": []any{map[string]any{"type": "BODY", "text": "Order {{1}} is ready for pickup."}}})
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("edit: %d %s", status, b)
	}
	e.hooks.wait("the edited template's status", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == tid && v.Event == "APPROVED"
	})
	var got struct {
		Components []struct{ Text string } `json:"components"`
		Status     string                  `json:"status"`
	}
	status, b = e.cloud("GET", "/"+tid+"?fields=components,status", nil)
	if err := json.Unmarshal(b, &got); err != nil || status != 200 || len(got.Components) != 1 ||
		got.Components[0].Text != "Order {{1}} is ready for pickup." || got.Status != "APPROVED" {
		t.Errorf("after the edit: %d %s", status, b)
	}
	// The category of an approved template cannot change.
	e.cloudErr("POST", "/"+tid, map[string]any{"category": "MARKETING"}, 400, 100, 0)
	// fields= on the list.
	status, b = e.cloud("GET", fmt.Sprintf("/%d/message_templates?fields=name,language", e.biz.ID), nil)
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil || status != 200 || len(list.Data) != 2 || len(list.Data[0]) != 3 {
		t.Errorf("list with fields=name,language: %d %s", status, b)
	}
	// Delete one language by id: the other stays.
	status, b = e.cloud("DELETE", fmt.Sprintf("/%d/message_templates?hsm_id=%s&name=order_ready", e.biz.ID, tid), nil)
	if status != 200 {
		t.Fatalf("delete by id: %d %s", status, b)
	}
	if status, _ := e.cloud("GET", "/"+tid, nil); status != 400 {
		t.Errorf("GET a deleted template: %d, want 400", status)
	}
	status, b = e.cloud("GET", fmt.Sprintf("/%d/message_templates", e.biz.ID), nil)
	if status != 200 || !strings.Contains(string(b), `"language":"de"`) || strings.Contains(string(b), `"language":"en_US"`) {
		t.Errorf("after deleting en_US by id: %s", b)
	}
	e.cloudErr("DELETE", fmt.Sprintf("/%d/message_templates?hsm_id=%s", e.biz.ID, tid), nil, 400, 100, 0)
	// Another business cannot read it.
	if status, _ := e.do("GET", "/v23.0/"+tid, e.otherBusinessToken(), nil); status != 400 {
		t.Errorf("another business reads the template: %d", status)
	}
}

// TestUnsubscribeApp: DELETE subscribed_apps ends the subscription.
func TestUnsubscribeApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, b := e.cloud("DELETE", fmt.Sprintf("/%d/subscribed_apps", e.biz.ID), nil)
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("unsubscribe: %d %s", status, b)
	}
	status, b = e.cloud("GET", fmt.Sprintf("/%d/subscribed_apps", e.biz.ID), nil)
	if status != 200 || strings.TrimSpace(string(b)) != `{"data":[]}` {
		t.Errorf("after unsubscribing: %d %s", status, b)
	}
	e.cloudErr("DELETE", fmt.Sprintf("/%d/subscribed_apps", e.num.ID), nil, 400, 100, 33)
}

// TestNumberLifecycle: request_code, verify_code, register with the
// two-step PIN, deregister, the PIN by POST /{number}, and settings.
func TestNumberLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := func(edge string) string { return fmt.Sprintf("/%d/%s", e.num.ID, edge) }
	if status, b := e.cloud("POST", path("request_code"), map[string]any{"code_method": "SMS", "language": "en_US"}); status != 200 {
		t.Fatalf("request_code: %d %s", status, b)
	}
	code := e.srv.Code("+14155550100")
	wrong := "111111"
	if code == wrong {
		wrong = "222222"
	}
	e.cloudErr("POST", path("verify_code"), map[string]any{"code": wrong}, 400, 100, 0)
	if status, b := e.cloud("POST", path("verify_code"), map[string]any{"code": code}); status != 200 {
		t.Fatalf("verify_code: %d %s", status, b)
	}
	e.cloudErr("POST", path("request_code"), map[string]any{"code_method": "PIGEON"}, 400, 100, 0)

	if status, b := e.cloud("POST", path("register"), map[string]any{"messaging_product": "whatsapp", "pin": "123456"}); status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	e.cloudErr("POST", path("register"), map[string]any{"messaging_product": "whatsapp", "pin": "654321"}, 400, business.MetaPINMismatch, 0)
	e.cloudErr("POST", path("register"), map[string]any{"messaging_product": "whatsapp", "pin": "12"}, 400, 100, 0)

	// Deregistered, the number cannot send.
	if status, b := e.cloud("POST", path("deregister"), nil); status != 200 {
		t.Fatalf("deregister: %d %s", status, b)
	}
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"}))
	e.sendErr(map[string]any{"type": "text", "text": map[string]any{"body": "still there?"}}, 400, business.MetaNotRegistered)
	_, b := e.cloud("GET", fmt.Sprintf("/%d", e.num.ID), nil)
	if !strings.Contains(string(b), `"status":"DISCONNECTED"`) {
		t.Errorf("a deregistered number: %s", b)
	}
	// The PIN changes through POST /{number}; registering takes the new one.
	if status, b := e.cloud("POST", fmt.Sprintf("/%d", e.num.ID), map[string]any{"pin": "999999"}); status != 200 {
		t.Fatalf("set the PIN: %d %s", status, b)
	}
	e.cloudErr("POST", path("register"), map[string]any{"messaging_product": "whatsapp", "pin": "123456"}, 400, business.MetaPINMismatch, 0)
	if status, b := e.cloud("POST", path("register"), map[string]any{"messaging_product": "whatsapp", "pin": "999999"}); status != 200 {
		t.Fatalf("register again: %d %s", status, b)
	}
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "back again"}})

	// Settings.
	status, b := e.cloud("GET", path("settings"), nil)
	if status != 200 || !strings.Contains(string(b), `"storage_configuration":{"status":"default"}`) {
		t.Errorf("settings: %d %s", status, b)
	}
	if status, b := e.cloud("POST", path("settings"), map[string]any{"user_identity_change": map[string]any{"enable_identity_key_check": true}}); status != 200 {
		t.Fatalf("update settings: %d %s", status, b)
	}
	_, b = e.cloud("GET", path("settings"), nil)
	if !strings.Contains(string(b), `"user_identity_change":{"enable_identity_key_check":true}`) {
		t.Errorf("settings after the update: %s", b)
	}
	e.cloudErr("POST", path("settings"), map[string]any{"calling": map[string]any{"status": "ENABLED"}}, 400, 100, 0)
	e.cloudErr("POST", path("settings"), map[string]any{"user_identity_change": "yes"}, 400, 100, 0)
}

// TestCommerceSettings: the cart switch decides whether a customer's
// order reaches the business.
func TestCommerceSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat := e.catalogID()
	e.createProduct(cat, map[string]any{"retailer_id": "sku-1", "name": "Trail shoe", "price": 12999, "currency": "USD"})
	path := fmt.Sprintf("/%d/whatsapp_commerce_settings", e.num.ID)
	status, b := e.cloud("GET", path, nil)
	want := fmt.Sprintf(`{"data":[{"id":"%d","is_cart_enabled":true,"is_catalog_visible":true}]}`, e.num.ID)
	if status != 200 || strings.TrimSpace(string(b)) != want {
		t.Errorf("defaults: %d %s, want %s", status, b, want)
	}
	if status, b := e.cloud("POST", path+"?is_cart_enabled=false&is_catalog_visible=false", nil); status != 200 {
		t.Fatalf("turn the cart off: %d %s", status, b)
	}
	_, b = e.cloud("GET", path, nil)
	if !strings.Contains(string(b), `"is_cart_enabled":false`) || !strings.Contains(string(b), `"is_catalog_visible":false`) {
		t.Errorf("after the update: %s", b)
	}
	order := &wire.Order{CatalogID: cat, ProductItems: []wire.OrderItem{{ProductRetailerID: "sku-1", Quantity: 1}}}
	e.customerSendErr(client.Body{Text: "Order: 1 item", Order: order}, parley.EInvalid)
	if status, b := e.cloud("POST", path, map[string]any{"is_cart_enabled": true}); status != 200 {
		t.Fatalf("turn the cart on: %d %s", status, b)
	}
	m := e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Order: 1 item", Order: order}))
	if m.Type != "order" || m.Order == nil || len(m.Order.ProductItems) != 1 {
		t.Errorf("order with the cart on: %+v", m)
	}
	e.cloudErr("POST", path+"?is_cart_enabled=maybe", nil, 400, 100, 0)
}

// TestQRDLs: QR codes through the published library; the deep link opens
// a chat with the prefilled message, and the image is a PNG or an SVG.
func TestQRDLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lib, err := waqr.NewClient(e.ctx, e.libConfig(), &waqr.BaseSender{Sender: whttp.NewAnySender()})
	if err != nil {
		t.Fatal(err)
	}
	created, err := lib.Create(e.ctx, &waqr.CreateRequest{PrefilledMessage: "Où est ma commande ? 📦", ImageFormat: waqr.ImageFormatPNG})
	if err != nil || created.Code == "" || created.PrefilledMessage != "Où est ma commande ? 📦" || created.QRImageURL == "" ||
		!strings.HasPrefix(created.DeepLinkURL, e.srv.URL+"/c/") {
		t.Fatalf("create through the library: %+v, %v", created, err)
	}
	status, png := e.do("GET", strings.TrimPrefix(created.QRImageURL, e.srv.URL), e.token, nil)
	if status != 200 || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("the PNG: %d %.20q", status, png)
	}
	status, svg := e.do("GET", strings.Replace(strings.TrimPrefix(created.QRImageURL, e.srv.URL), "format=PNG", "format=SVG", 1), e.token, nil)
	if status != 200 || !strings.HasPrefix(string(svg), "<svg") {
		t.Errorf("the SVG: %d %.40q", status, svg)
	}
	// The deep link is a click-to-chat link with the prefilled message.
	resp, err := http.Get(created.DeepLinkURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Errorf("the deep link: %d", resp.StatusCode)
	}
	list, err := lib.List(e.ctx)
	if err != nil || len(list.Data) != 1 || list.Data[0].Code != created.Code {
		t.Fatalf("list through the library: %+v, %v", list, err)
	}
	// Update (body or query), then the one code by its path.
	status, b := e.cloud("POST", fmt.Sprintf("/%d/message_qrdls/%s", e.num.ID, created.Code), map[string]any{"prefilled_message": "Where is my order?"})
	if status != 200 || !strings.Contains(string(b), `"prefilled_message":"Where is my order?"`) {
		t.Errorf("update: %d %s", status, b)
	}
	got, err := lib.Get(e.ctx, created.Code)
	if err != nil || got.PrefilledMessage != "Where is my order?" {
		t.Errorf("get through the library: %+v, %v", got, err)
	}
	e.cloudErr("POST", fmt.Sprintf("/%d/message_qrdls", e.num.ID), map[string]any{"prefilled_message": ""}, 400, 100, 0)
	e.cloudErr("POST", fmt.Sprintf("/%d/message_qrdls", e.num.ID), map[string]any{"prefilled_message": "hi", "generate_qr_image": "GIF"}, 400, 100, 0)
	if del, err := lib.Delete(e.ctx, created.Code); err != nil || !del.Success {
		t.Fatalf("delete through the library: %+v, %v", del, err)
	}
	if list, err := lib.List(e.ctx); err != nil || len(list.Data) != 0 {
		t.Errorf("list after delete: %+v, %v", list, err)
	}
	e.cloudErr("DELETE", fmt.Sprintf("/%d/message_qrdls/%s", e.num.ID, created.Code), nil, 400, 100, 33)
}
