package busline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// graphVersion is the Graph API version the demo calls, as a business's
// WhatsApp integration pins one.
const graphVersion = "v23.0"

// graph is the demo's client of the server: the public Cloud API with
// the business's token, and, to set the business up, the operator's
// admin API. It knows nothing else of Parley.
type graph struct {
	hc   *http.Client
	base string // the server's public URL
	tok  string // the business's system token
}

// GraphError is an error answer of the Cloud API, in Meta's shape.
type GraphError struct {
	Status  int
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details string
}

func (e *GraphError) Error() string {
	s := fmt.Sprintf("graph error %d (HTTP %d): %s", e.Code, e.Status, e.Message)
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}

// call sends in (JSON, or nil) to path under the version and decodes
// the answer into out (if not nil).
func (g *graph) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return g.do(ctx, method, g.base+"/"+graphVersion+path, ct, body, out)
}

func (g *graph) do(ctx context.Context, method, u, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.tok)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				GraphError
				ErrorData struct {
					Details string `json:"details"`
				} `json:"error_data"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		ge := e.Error.GraphError
		ge.Status, ge.Details = resp.StatusCode, e.Error.ErrorData.Details
		if ge.Message == "" {
			ge.Message = strings.TrimSpace(string(b))
		}
		return &ge
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, u, err)
	}
	return nil
}

// send posts a message from the number: a message object without
// messaging_product and to, which send adds. It returns the wamid.
func (g *graph) send(ctx context.Context, number, to string, msg map[string]any) (string, error) {
	msg["messaging_product"] = "whatsapp"
	msg["recipient_type"] = "individual"
	msg["to"] = to
	var out struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := g.call(ctx, http.MethodPost, "/"+number+"/messages", msg, &out); err != nil {
		return "", err
	}
	if len(out.Messages) == 0 {
		return "", fmt.Errorf("send: no message id in the answer")
	}
	return out.Messages[0].ID, nil
}

// upload uploads a file as media of the number and returns its id.
func (g *graph) upload(ctx context.Context, number, filename, mimeType string, data []byte) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", mimeType)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, filename)}
	h["Content-Type"] = []string{mimeType}
	fw, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	err = g.do(ctx, http.MethodPost, g.base+"/"+graphVersion+"/"+number+"/media", mw.FormDataContentType(), &buf, &out)
	return out.ID, err
}

// form posts url-encoded values, as Meta's examples do with curl -F/-d.
func (g *graph) form(ctx context.Context, path string, v url.Values, out any) error {
	return g.do(ctx, http.MethodPost, g.base+"/"+graphVersion+path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), out)
}

// admin is the operator's API, used only to create the demo business
// when no business token is given.
type admin struct {
	hc    *http.Client
	base  string
	token string
}

func (a admin) call(ctx context.Context, method, path string, in, out any) error {
	g := graph{hc: a.hc, base: a.base, tok: a.token}
	var body io.Reader
	ct := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ct = bytes.NewReader(b), "application/json"
	}
	return g.do(ctx, method, a.base+path, ct, body, out)
}
