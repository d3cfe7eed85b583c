package chat

import (
	"testing"

	"github.com/parleyhq/parley"
)

// TestVoiceNoteTypes: the types browsers record voice notes in are
// accepted when their first bytes are that container, refused otherwise.
func TestVoiceNoteTypes(t *testing.T) {
	webm := "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01webm"
	ogg := "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead"
	for _, tc := range []struct {
		contentType, head string
		want              parley.Code // "" for accepted
	}{
		{"audio/webm;codecs=opus", webm, ""},
		{"audio/ogg; codecs=opus", ogg, ""},
		{"audio/webm", ogg, parley.EUnsupportedMedia},
		{"audio/ogg", webm, parley.EUnsupportedMedia},
		{"audio/webm", "<html>", parley.EUnsupportedMedia},
		{"audio/x-wav", "RIFF", parley.EUnsupportedMedia},
	} {
		t.Run(tc.contentType+" "+tc.head[:4], func(t *testing.T) {
			typ, err := uploadType(defaultMediaTypes, tc.contentType)
			if err == nil {
				err = checkHead(typ, []byte(tc.head))
			}
			if got := parley.ErrorCode(err); got != tc.want && !(tc.want == "" && err == nil) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
