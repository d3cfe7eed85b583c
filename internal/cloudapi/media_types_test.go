package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// uploadAs uploads data as contentType and returns the status and body.
func (e *env) uploadAs(contentType, filename string, data []byte) (int, []byte) {
	e.t.Helper()
	var buf strings.Builder
	mw := newMultipart(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", contentType)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/media", e.srv.URL, e.num.ID), strings.NewReader(buf.String()))
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

// TestMetaMediaTypes: every media type Meta accepts uploads and is sent
// as its kind to a customer, who receives it; other types, and files over
// their kind's limit, are refused with 131053.
func TestMetaMediaTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "send me the files"})
	e.hooks.message(in)
	zip := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0}, 60)...)
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), bytes.Repeat([]byte{0}, 60)...)
	for _, c := range []struct {
		ct, file, kind string
		data           []byte
	}{
		{"text/plain", "notes.txt", "document", []byte("Größe 42, Farbe rot\n")},
		{"application/msword", "a.doc", "document", ole},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx", "document", zip},
		{"application/vnd.ms-excel", "a.xls", "document", ole},
		{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx", "document", zip},
		{"application/vnd.ms-powerpoint", "a.ppt", "document", ole},
		{"application/vnd.openxmlformats-officedocument.presentationml.presentation", "a.pptx", "document", zip},
		{"audio/aac", "a.aac", "audio", []byte("\xff\xf1\x50\x80\x02\x1f\xfc")},
		{"audio/amr", "a.amr", "audio", []byte("#!AMR\n\x3c\x00")},
		{"video/3gpp", "a.3gp", "video", append([]byte("\x00\x00\x00\x14ftyp3gp4"), bytes.Repeat([]byte{0}, 16)...)},
		{"image/png", "a.png", "image", pngBytes},
	} {
		t.Run(c.ct, func(t *testing.T) {
			code, b := e.uploadAs(c.ct, c.file, c.data)
			var up struct{ ID string }
			if err := json.Unmarshal(b, &up); code != 200 || err != nil || up.ID == "" {
				t.Fatalf("upload %s: got %d %s, want 200 with an id", c.ct, code, b)
			}
			media := map[string]any{"id": up.ID}
			if c.kind == "document" {
				media["filename"] = c.file
			}
			wamid := e.send(map[string]any{"type": c.kind, c.kind: media})
			got := e.receive(e.cust, wamid)
			local := localMedia(t, up.ID)
			if got.MediaID != local || got.MediaKind != c.kind {
				t.Fatalf("customer received %+v, want %s media %s", got, c.kind, local)
			}
			d, err := e.cust.Media(e.ctx, local)
			if err != nil {
				t.Fatalf("customer downloads the media: %v", err)
			}
			defer d.Body.Close()
			body, _ := io.ReadAll(d.Body)
			if d.ContentType != c.ct || !bytes.Equal(body, c.data) {
				t.Errorf("downloaded %s %q, want %s %q", d.ContentType, body, c.ct, c.data)
			}
		})
	}
	for _, c := range []struct {
		name, ct string
		size     int
	}{
		{"a type Meta does not take", "image/bmp", 100},
		{"an image over 5 MB", "image/png", 5*business.MB + 1},
		{"a sticker over 500 KB", "image/webp", 500*1000 + 1},
		{"audio over 16 MB", "audio/aac", 16*business.MB + 1},
	} {
		data := bytes.Repeat([]byte{0}, c.size)
		copy(data, pngBytes)
		if c.ct == "image/webp" {
			copy(data, "RIFF\x00\x00\x00\x00WEBPVP8 ")
		}
		code, b := e.uploadAs(c.ct, "x", data)
		var me metaError
		strict(t, b, &me)
		if code != 400 || me.Error.Code != business.MetaMediaUploadError || me.Error.ErrorData.Details == "" {
			t.Errorf("%s: got %d %s, want 400 131053 with details", c.name, code, b)
		}
	}
}
