package chat

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley"
)

// FuzzMediaUpload feeds arbitrary Content-Type headers and first bytes to
// the checks of a people API upload (POST /v1/chats/{id}/media and
// /v1/channels/{id}/media): uploadType and checkHead never panic, refuse
// with EUnsupportedMedia or EInvalid only, accept only an allowed type,
// and accept a type the server can recognise only for bytes that are it.
func FuzzMediaUpload(f *testing.F) {
	for _, s := range []struct{ ct, head string }{
		{"image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
		{"IMAGE/JPEG; charset=x", "\xff\xd8\xff\xe0"},
		{"image/jpeg", "\x89PNG\r\n\x1a\n"},
		{"application/pdf", "%PDF-1.7\n"},
		{"audio/ogg; codecs=opus", "OggS\x00"},
		{"audio/webm;codecs=opus", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01"},
		{"audio/webm", "OggS\x00"},
		{"application/octet-stream", "\x00\x01"},
		{"video/mp4", "\x00\x00\x00\x18ftypmp42"},
		{"text/html", "<html>"},
		{"", "x"},
		{" image/gif ;", "GIF89a"},
		{"image/webp", ""},
		{";;;", "RIFF\x00\x00\x00\x00WEBPVP"},
	} {
		f.Add(s.ct, []byte(s.head))
	}
	f.Fuzz(func(t *testing.T, contentType string, head []byte) {
		if len(head) > 512 {
			head = head[:512] // what storeMedia peeks
		}
		if mt := MediaType(contentType); MediaType(mt) != mt {
			t.Fatalf("MediaType(%q) = %q is not stable", contentType, mt)
		}
		typ, err := uploadType(defaultMediaTypes, contentType)
		if err != nil {
			if parley.ErrorCode(err) != parley.EUnsupportedMedia {
				t.Fatalf("uploadType(%q): %v", contentType, err)
			}
			return
		}
		if !slices.Contains(defaultMediaTypes, typ) {
			t.Fatalf("uploadType(%q) = %q, not an allowed type", contentType, typ)
		}
		err = checkHead(typ, head)
		switch code := parley.ErrorCode(err); {
		case err == nil:
			if len(head) == 0 {
				t.Fatalf("an empty file accepted as %s", typ)
			}
			if want, ok := sniffable[typ]; ok {
				if got := strings.Split(http.DetectContentType(head), ";")[0]; got != want {
					t.Fatalf("%s accepted for bytes detected as %s", typ, got)
				}
			}
		case code == parley.EInvalid && len(head) == 0, code == parley.EUnsupportedMedia:
		default:
			t.Fatalf("checkHead(%q, %q): %v", typ, head, err)
		}
	})
}
