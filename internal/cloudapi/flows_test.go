package cloudapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
)

// TestFlowManagement: a business creates Flows on Meta's paths, uploads
// and validates Flow JSON, lists and reads them with fields=, publishes,
// deprecates and deletes them under Meta's lifecycle rules and errors,
// and receives the FLOW_STATUS_CHANGE webhooks.
func TestFlowManagement(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testFlowManagement(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testFlowManagement(t, newEnv(t, withPostgres(t))) })
}

func flowFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../business/testdata/flows/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// uploadFlowJSON posts a Flow JSON asset as Meta's multipart form.
func (e *env) uploadFlowJSON(flowID, doc string) (int, []byte) {
	e.t.Helper()
	var buf strings.Builder
	mw := newMultipart(&buf)
	_ = mw.WriteField("name", "flow.json")
	_ = mw.WriteField("asset_type", "FLOW_JSON")
	fw, _ := mw.CreateFormFile("file", "flow.json")
	_, _ = io.WriteString(fw, doc)
	mw.Close()
	req, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/v23.0/"+flowID+"/assets", strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// createFlow creates a Flow and returns its id.
func (e *env) createFlow(body map[string]any) string {
	e.t.Helper()
	status, b := e.cloud("POST", fmt.Sprintf("/%d/flows", e.biz.ID), body)
	var out struct {
		ID               string                         `json:"id"`
		Success          bool                           `json:"success"`
		ValidationErrors []business.FlowValidationError `json:"validation_errors"`
	}
	strict(e.t, b, &out)
	if status != 200 || out.ID == "" {
		e.t.Fatalf("create flow: %d %s", status, b)
	}
	return out.ID
}

// uploadFlowKey gives the business's number a Flows public key and
// returns the private half.
func (e *env) uploadFlowKey() *rsa.PrivateKey {
	e.t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		e.t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	p := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	status, b := e.cloud("POST", fmt.Sprintf("/%d/whatsapp_business_encryption", e.num.ID), map[string]any{"business_public_key": p})
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		e.t.Fatalf("upload flow key: %d %s", status, b)
	}
	return k
}

type flowOut struct {
	ID               string                         `json:"id"`
	Name             string                         `json:"name"`
	Status           string                         `json:"status"`
	Categories       []string                       `json:"categories"`
	ValidationErrors []business.FlowValidationError `json:"validation_errors"`
	JSONVersion      string                         `json:"json_version"`
	DataAPIVersion   string                         `json:"data_api_version"`
	EndpointURI      string                         `json:"endpoint_uri"`
	UpdatedAt        string                         `json:"updated_at"`
	HealthStatus     *struct {
		CanSendMessage string `json:"can_send_message"`
		Entities       []struct {
			EntityType     string `json:"entity_type"`
			ID             string `json:"id"`
			CanSendMessage string `json:"can_send_message"`
		} `json:"entities"`
	} `json:"health_status"`
	Preview *struct {
		PreviewURL string `json:"preview_url"`
		ExpiresAt  string `json:"expires_at"`
	} `json:"preview"`
}

func (e *env) getFlow(id, fields string) flowOut {
	e.t.Helper()
	path := "/" + id
	if fields != "" {
		path += "?fields=" + fields
	}
	status, b := e.cloud("GET", path, nil)
	var out flowOut
	strict(e.t, b, &out)
	if status != 200 {
		e.t.Fatalf("get flow: %d %s", status, b)
	}
	return out
}

func (e *env) flowStatusHook(id, from, to string) {
	e.t.Helper()
	v := e.hooks.wait("flow "+id+" "+from+"→"+to, func(f string, v hookValue) bool {
		return f == "flows" && v.Event == "FLOW_STATUS_CHANGE" && v.FlowID == id && v.OldStatus == from && v.NewStatus == to
	})
	if !strings.Contains(v.Message, from) || !strings.Contains(v.Message, to) {
		e.t.Errorf("status change message %q", v.Message)
	}
}

func testFlowManagement(t *testing.T, e *env) {
	waba := fmt.Sprintf("/%d/flows", e.biz.ID)
	// Creating: name and categories are required, names are unique.
	e.cloudErr("POST", waba, map[string]any{"categories": []string{"OTHER"}}, 400, 100, 0)
	e.cloudErr("POST", waba, map[string]any{"name": "x", "categories": []string{"GAMES"}}, 400, 100, 0)
	e.cloudErr("POST", waba, map[string]any{"name": "x", "categories": []string{"OTHER"}, "endpoint_uri": "ftp://x"}, 400, 100, 0)
	id := e.createFlow(map[string]any{"name": "Bus booking", "categories": []string{"APPOINTMENT_BOOKING"}})
	if n := e.getFlow(id, ""); n.Status != "DRAFT" || n.Name != "Bus booking" || len(n.ValidationErrors) != 0 || n.HealthStatus != nil {
		t.Fatalf("new flow (default fields): %+v", n)
	}
	me := e.cloudErr("POST", waba, map[string]any{"name": "Bus booking", "categories": []string{"OTHER"}}, 400, 100, 0)
	if me.Error.Message != "Flow name is not unique" {
		t.Errorf("duplicate name: %+v", me)
	}
	// Publishing without Flow JSON is refused.
	e.cloudErr("POST", "/"+id+"/publish", nil, 400, business.MetaFlowNotPublish, 0)

	// An invalid Flow JSON is stored with its errors, by path.
	bad := strings.Replace(flowFixture(t, "booking.json"), `"type": "TextHeading"`, `"type": "PhotoPicker"`, 1)
	status, b := e.uploadFlowJSON(id, bad)
	var up struct {
		Success          bool                           `json:"success"`
		ValidationErrors []business.FlowValidationError `json:"validation_errors"`
	}
	strict(t, b, &up)
	if status != 200 || !up.Success || len(up.ValidationErrors) != 1 || up.ValidationErrors[0].Pointers[0].Path != "screens[0].layout.children[0].children[0].type" ||
		up.ValidationErrors[0].LineStart != 22 {
		t.Fatalf("upload invalid flow json: %d %s", status, b)
	}
	me = e.cloudErr("POST", "/"+id+"/publish", nil, 400, business.MetaFlowNotPublish, 0)
	if me.Error.Message != "Publishing Flow with validation errors" {
		t.Errorf("publish with errors: %+v", me)
	}
	// A valid one, then metadata: a dynamic Flow needs an endpoint and a key.
	if status, b := e.uploadFlowJSON(id, flowFixture(t, "booking.json")); status != 200 || !strings.Contains(string(b), `"validation_errors":[]`) {
		t.Fatalf("upload flow json: %d %s", status, b)
	}
	me = e.cloudErr("POST", "/"+id+"/publish", nil, 400, business.MetaFlowNotPublish, 0)
	if me.Error.Message != "Publishing without specifying endpoint_uri is forbidden" {
		t.Errorf("publish without endpoint: %+v", me)
	}
	if status, b := e.cloud("POST", "/"+id, map[string]any{"endpoint_uri": "https://bus.example/flow", "categories": []string{"APPOINTMENT_BOOKING", "OTHER"}}); status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("update flow: %d %s", status, b)
	}
	me = e.cloudErr("POST", "/"+id+"/publish", nil, 400, business.MetaFlowNotPublish, 0)
	if me.Error.Message != "Missing Flows Signed Public Key" {
		t.Errorf("publish without key: %+v", me)
	}
	e.uploadFlowKey()
	status, b = e.cloud("GET", fmt.Sprintf("/%d/whatsapp_business_encryption", e.num.ID), nil)
	if status != 200 || !strings.Contains(string(b), `"business_public_key_signature_status":"VALID"`) {
		t.Fatalf("get key: %d %s", status, b)
	}
	e.cloudErr("POST", fmt.Sprintf("/%d/whatsapp_business_encryption", e.num.ID), map[string]any{"business_public_key": "not a key"}, 400, 100, 0)

	// Every field, then the download.
	f := e.getFlow(id, "id,name,status,categories,validation_errors,json_version,data_api_version,endpoint_uri,preview,health_status")
	if f.JSONVersion != "7.0" || f.DataAPIVersion != "3.0" || f.EndpointURI != "https://bus.example/flow" || len(f.Categories) != 2 ||
		f.HealthStatus == nil || f.HealthStatus.CanSendMessage != "AVAILABLE" || f.Preview == nil || f.Preview.PreviewURL == "" {
		t.Fatalf("flow with fields: %+v", f)
	}
	status, b = e.cloud("GET", "/"+id+"/assets", nil)
	var assets struct {
		Data []struct {
			Name        string `json:"name"`
			AssetType   string `json:"asset_type"`
			DownloadURL string `json:"download_url"`
		} `json:"data"`
		Paging json.RawMessage `json:"paging"`
	}
	strict(t, b, &assets)
	if status != 200 || len(assets.Data) != 1 || assets.Data[0].AssetType != "FLOW_JSON" || assets.Data[0].Name != "flow.json" {
		t.Fatalf("assets: %d %s", status, b)
	}
	status, b = e.do("GET", strings.TrimPrefix(assets.Data[0].DownloadURL, e.srv.URL), e.token, nil)
	if status != 200 || string(b) != flowFixture(t, "booking.json") {
		t.Fatalf("download: %d %.100s", status, b)
	}

	// Publish: a webhook; then no edits, no delete, no second publish.
	if status, b := e.cloud("POST", "/"+id+"/publish", nil); status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("publish: %d %s", status, b)
	}
	e.flowStatusHook(id, "DRAFT", "PUBLISHED")
	e.cloudErr("POST", "/"+id+"/publish", nil, 400, business.MetaFlowNotPublish, 0)
	e.cloudErr("POST", "/"+id, map[string]any{"name": "Renamed"}, 400, business.MetaFlowNotUpdatable, 0)
	if status, _ := e.uploadFlowJSON(id, flowFixture(t, "booking.json")); status != 400 {
		t.Errorf("upload to a published flow: status %d, want 400", status)
	}
	me = e.cloudErr("DELETE", "/"+id, nil, 400, business.MetaFlowNotDeletable, 0)
	if me.Error.Message != "Can't delete published Flow" {
		t.Errorf("delete published: %+v", me)
	}

	// A clone is a new draft with the JSON; a static Flow published at creation.
	clone := e.createFlow(map[string]any{"name": "Bus booking v2", "categories": []string{"OTHER"}, "clone_flow_id": id})
	if c := e.getFlow(clone, "status,json_version,endpoint_uri"); c.Status != "DRAFT" || c.JSONVersion != "7.0" || c.EndpointURI != "https://bus.example/flow" {
		t.Errorf("clone: %+v", c)
	}
	e.cloudErr("POST", "/"+clone+"/deprecate", nil, 400, business.MetaFlowNotDeprecate, 0)
	static := e.createFlow(map[string]any{"name": "Feedback", "categories": []string{"SURVEY"}, "flow_json": flowFixture(t, "static.json"), "publish": true})
	if s := e.getFlow(static, ""); s.Status != "PUBLISHED" {
		t.Errorf("created with publish: %+v", s)
	}
	e.flowStatusHook(static, "DRAFT", "PUBLISHED")

	// Deprecate once; a deleted draft is gone.
	if status, b := e.cloud("POST", "/"+id+"/deprecate", nil); status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("deprecate: %d %s", status, b)
	}
	e.flowStatusHook(id, "PUBLISHED", "DEPRECATED")
	me = e.cloudErr("POST", "/"+id+"/deprecate", nil, 400, business.MetaFlowNotDeprecate, 0)
	if me.Error.Message != "Flow is already deprecated" {
		t.Errorf("deprecate twice: %+v", me)
	}
	if status, b := e.cloud("DELETE", "/"+clone, nil); status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("delete draft: %d %s", status, b)
	}
	e.cloudErr("GET", "/"+clone, nil, 400, 100, 33)

	// The list pages, and another business sees none of them.
	status, b = e.cloud("GET", waba+"?limit=1", nil)
	var list struct {
		Data   []flowOut `json:"data"`
		Paging struct {
			Cursors struct {
				Before string `json:"before"`
				After  string `json:"after"`
			} `json:"cursors"`
			Next string `json:"next"`
		} `json:"paging"`
	}
	strict(t, b, &list)
	if status != 200 || len(list.Data) != 1 || list.Data[0].ID != id || list.Paging.Next == "" {
		t.Fatalf("list page 1: %d %s", status, b)
	}
	status, b = e.cloud("GET", waba+"?limit=5&after="+list.Paging.Cursors.After, nil)
	list.Data = nil
	strict(t, b, &list)
	if status != 200 || len(list.Data) != 1 || list.Data[0].ID != static || list.Data[0].Status != "PUBLISHED" {
		t.Fatalf("list page 2: %d %s", status, b)
	}
	// A template's FLOW button names a Flow of the business.
	tpl := func(btn map[string]any) map[string]any {
		b := map[string]any{"type": "FLOW", "text": "Give feedback", "flow_action": "navigate", "navigate_screen": "FEEDBACK"}
		for k, v := range btn {
			b[k] = v
		}
		return map[string]any{"name": "feedback_" + strings.ToLower(fmt.Sprint(len(btn))), "category": "UTILITY", "language": "en_US",
			"components": []map[string]any{{"type": "BODY", "text": "How was your trip?"}, {"type": "BUTTONS", "buttons": []map[string]any{b}}}}
	}
	e.cloudErr("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), tpl(map[string]any{"flow_id": "1200000000099999"}), 400, 100, 0)
	e.cloudErr("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), tpl(map[string]any{"flow_name": "Bus booking"}), 400, 100, 0) // deprecated
	e.cloudErr("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), tpl(map[string]any{"flow_name": "Feedback", "navigate_screen": ""}), 400, 100, 0)
	if tid, _ := e.createTemplate(tpl(map[string]any{"flow_name": "Feedback"})); tid == "" {
		t.Fatal("template with a FLOW button: no id")
	}
	other := e.otherBusinessToken()
	if status, _ := e.do("GET", "/v23.0/"+id, other, nil); status != 400 {
		t.Errorf("another business reads the flow: status %d", status)
	}
	if status, _ := e.do("POST", "/v23.0/"+static+"/deprecate", other, nil); status != 400 {
		t.Errorf("another business deprecates the flow: status %d", status)
	}
}
