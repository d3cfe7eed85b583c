package cloudapi

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/textproto"
	"os"
	"testing"

	"github.com/parleyhq/parley/business"
)

// multipartSeed is a multipart/form-data body built the way clients do,
// and its Content-Type.
func multipartSeed(boundary string, parts func(*multipart.Writer)) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if boundary != "" {
		_ = mw.SetBoundary(boundary)
	}
	parts(mw)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func filePart(mw *multipart.Writer, name, filename, ct string, data []byte) {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+name+`"; filename="`+filename+`"`)
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	w, _ := mw.CreatePart(h)
	_, _ = w.Write(data)
}

// FuzzUploadMultipart feeds arbitrary Content-Type headers and bodies to
// the Cloud API upload parser (parseUpload: multipart/form-data, the
// "file" part, the "type" field, the size bound): it never panics, every
// refusal is a CloudError 100, or 131053 for a body over its bound only,
// a file it accepts reads back exactly the size it reports, and no
// temporary file is left once the handler is done.
func FuzzUploadMultipart(f *testing.F) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	seed := func(ct string, body []byte) { f.Add(ct, body) }
	seed(multipartSeed("", func(mw *multipart.Writer) {
		_ = mw.WriteField("messaging_product", "whatsapp")
		_ = mw.WriteField("type", "image/png")
		filePart(mw, "file", "a.png", "image/png", png)
	}))
	seed(multipartSeed("b", func(mw *multipart.Writer) { filePart(mw, "file", "a.pdf", "application/pdf; q=1", []byte("%PDF-1.4")) }))
	seed(multipartSeed("xyz", func(mw *multipart.Writer) { filePart(mw, "file", "", "", nil) }))
	seed(multipartSeed("", func(mw *multipart.Writer) { filePart(mw, "other", "a.png", "image/png", png) }))
	seed(multipartSeed("", func(mw *multipart.Writer) {
		filePart(mw, "file", "big.bin", "video/mp4", bytes.Repeat([]byte{'v'}, 3000)) // past the fuzz bounds below
	}))
	seed(multipartSeed("", func(mw *multipart.Writer) {
		filePart(mw, "file", "a.ogg", "audio/ogg; codecs=opus", []byte("OggS"))
		filePart(mw, "file", "b.ogg", "audio/ogg", []byte("OggS"))
		_ = mw.WriteField("type", "")
	}))
	seed("multipart/form-data", []byte("--x\r\n\r\n--x--\r\n"))
	seed("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nabc\r\n--x--\r\n"))
	seed("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=41=\r\n--x--"))
	seed("multipart/mixed; boundary=x", []byte("--x\r\n\r\n--x--\r\n"))
	seed("application/json", []byte(`{"file":"x"}`))
	seed("", nil)
	seed("multipart/form-data; boundary=\"", []byte("--"))

	const max, bodyMax, memory = 1500, 2048, 512 // small, so that both bounds and the spill to disk are reached
	tmp := f.TempDir()
	f.Setenv("TMPDIR", tmp) // where multipart keeps the parts over memory
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest("POST", "/v21.0/1/media", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		up, done, err := parseUpload(httptest.NewRecorder(), r, max, bodyMax, memory)
		if err != nil {
			done()
			var ce *business.CloudError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a CloudError", err, err)
			}
			switch ce.Code {
			case 100:
			case business.MetaMediaUploadError:
				if len(body) <= bodyMax {
					t.Fatalf("a body of %d bytes (bound %d) refused as too large: %v", len(body), bodyMax, err)
				}
			default:
				t.Fatalf("error code %d: %v", ce.Code, err)
			}
		} else {
			data, rerr := io.ReadAll(up.file)
			if rerr != nil {
				t.Fatalf("reading the file: %v", rerr)
			}
			if int64(len(data)) != up.size || up.size > int64(len(body)) {
				t.Fatalf("the file reads %d bytes, reports %d, body %d", len(data), up.size, len(body))
			}
			business.MediaLimit(up.contentType) // must not panic on any type
			done()
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Fatalf("%d temporary files left, e.g. %s", len(left), left[0].Name())
		}
	})
}
