package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
)

// TestResumableUpload: Meta's resumable upload, as client libraries call
// it (OAuth authorization, the offset in a file_offset header): a session
// for a PNG, its bytes in two parts, a lost part resumed from the offset
// GET tells, a handle that the profile picture and a template header
// example take and that names the same bytes; and the refusals.
func TestResumableUpload(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testResumableUpload(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testResumableUpload(t, newEnv(t, withPostgres(t))) })
}

func testResumableUpload(t *testing.T, e *env) {
	raw := func(method, path string, hdr map[string]string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(e.ctx, method, e.srv.Endpoint(path), bytes.NewReader(body))
		req.Header.Set("Authorization", "OAuth "+e.token)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	start := func(app string, q url.Values) (int, []byte) {
		return raw("POST", "/v23.0/"+app+"/uploads?"+q.Encode(), nil, nil)
	}
	status, b := start("app", url.Values{"file_name": {"größe.png"}, "file_length": {fmt.Sprint(len(pngBytes))}, "file_type": {"image/png"}})
	var session struct {
		ID string `json:"id"`
	}
	strict(t, b, &session)
	if status != http.StatusOK || !strings.HasPrefix(session.ID, "upload:") {
		t.Fatalf("start: status %d: %s", status, b)
	}
	offsetOf := func() int64 {
		t.Helper()
		status, b := raw("GET", "/v23.0/"+session.ID, nil, nil)
		var out struct {
			ID     string `json:"id"`
			Offset int64  `json:"file_offset"`
		}
		strict(t, b, &out)
		if status != http.StatusOK || out.ID != session.ID {
			t.Fatalf("session status: %d: %s", status, b)
		}
		return out.Offset
	}
	if got := offsetOf(); got != 0 {
		t.Fatalf("offset of a new session: got %d, want 0", got)
	}
	half := len(pngBytes) / 2
	if status, b := raw("POST", "/v23.0/"+session.ID, map[string]string{"file_offset": "0"}, pngBytes[:half]); status != http.StatusOK || !strings.Contains(string(b), fmt.Sprintf(`"file_offset":%d`, half)) {
		t.Fatalf("first part: status %d: %s", status, b)
	}
	// The client lost the answer and sends the first part again: refused;
	// GET tells where to resume.
	if status, b := raw("POST", "/v23.0/"+session.ID, map[string]string{"file_offset": "0"}, pngBytes[:half]); status != http.StatusBadRequest || !strings.Contains(string(b), `"code":100`) {
		t.Errorf("the first part again: status %d: %s", status, b)
	}
	if got := offsetOf(); got != int64(half) {
		t.Fatalf("offset after the first part: got %d, want %d", got, half)
	}
	if status, b := raw("POST", "/v23.0/"+session.ID, map[string]string{"file_offset": fmt.Sprint(half)}, append(append([]byte{}, pngBytes[half:]...), 'x')); status != http.StatusBadRequest {
		t.Errorf("a part past file_length: status %d: %s", status, b)
	}
	// Unversioned, as Graph takes it.
	status, b = raw("POST", "/"+session.ID, map[string]string{"file_offset": fmt.Sprint(half)}, pngBytes[half:])
	var done struct {
		H string `json:"h"`
	}
	strict(t, b, &done)
	if status != http.StatusOK || !strings.HasPrefix(done.H, "4::") {
		t.Fatalf("last part: status %d: %s", status, b)
	}
	// The finished session answers the same handle again.
	if _, b := raw("POST", "/v23.0/"+session.ID, map[string]string{"file_offset": fmt.Sprint(len(pngBytes))}, nil); !strings.Contains(string(b), done.H) {
		t.Errorf("the finished session again: got %s, want handle %s", b, done.H)
	}
	mediaID := strings.TrimPrefix(done.H, "4::")
	if status, got := e.cloud("GET", "/"+mediaID+"/content", nil); status != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Errorf("the handle's media: status %d, %d bytes; want the %d uploaded", status, len(got), len(pngBytes))
	}

	// The handle as the profile picture and as a template header example.
	if status, b := e.cloud("POST", fmt.Sprintf("/%d/whatsapp_business_profile", e.num.ID), map[string]any{"messaging_product": "whatsapp", "profile_picture_handle": done.H}); status != http.StatusOK {
		t.Errorf("profile picture from the handle: status %d: %s", status, b)
	}
	status, b = e.cloud("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), map[string]any{"name": "shoe_drop", "category": "MARKETING", "language": "en_US",
		"components": []any{map[string]any{"type": "HEADER", "format": "IMAGE", "example": map[string]any{"header_handle": []string{done.H}}},
			map[string]any{"type": "BODY", "text": "New boots are in."}}})
	if status != http.StatusOK {
		t.Errorf("template with the handle as header example: status %d: %s", status, b)
	}
	var tpl struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &tpl)
	if _, b := e.cloud("GET", "/"+tpl.ID, nil); !strings.Contains(string(b), done.H) {
		t.Errorf("the template keeps its header example handle: got %s", b)
	}

	// Refusals.
	for name, q := range map[string]url.Values{
		"text file":       {"file_length": {"10"}, "file_type": {"text/plain"}},
		"no length":       {"file_type": {"image/png"}},
		"zero length":     {"file_length": {"0"}, "file_type": {"image/png"}},
		"length not a nb": {"file_length": {"ten"}, "file_type": {"image/png"}},
		"no type":         {"file_length": {"10"}},
	} {
		if status, b := start("app", q); status != http.StatusBadRequest || !strings.Contains(string(b), `"code":100`) {
			t.Errorf("%s: status %d: %s", name, status, b)
		}
	}
	if status, b := start("app", url.Values{"file_length": {"5000001"}, "file_type": {"image/png"}}); status != http.StatusBadRequest || !strings.Contains(string(b), fmt.Sprintf(`"code":%d`, business.MetaMediaUploadError)) {
		t.Errorf("an image over 5 MB: status %d: %s", status, b)
	}
	if status, _ := start("12345", url.Values{"file_length": {"10"}, "file_type": {"image/png"}}); status != http.StatusBadRequest {
		t.Errorf("another app's id: status %d, want 400", status)
	}
	if status, _ := start(fmt.Sprint(e.biz.ID), url.Values{"file_length": {"10"}, "file_type": {"application/pdf"}}); status != http.StatusOK {
		t.Errorf("the business id as app id: status %d, want 200", status)
	}
	if status, b := raw("GET", "/v23.0/upload:nosuchsession", nil, nil); status != http.StatusBadRequest || !strings.Contains(string(b), `"error_subcode":33`) {
		t.Errorf("an unknown session: status %d: %s", status, b)
	}
	if status, b := raw("POST", "/v23.0/"+session.ID, nil, pngBytes); status != http.StatusBadRequest || !strings.Contains(string(b), "file_offset") {
		t.Errorf("a part without file_offset: status %d: %s", status, b)
	}
}
