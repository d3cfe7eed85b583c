package chat

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/parleyhq/parley"
)

// uploadType is the media type of an upload's Content-Type header
// (MediaType), or EUnsupportedMedia if it is not one of allowed.
func uploadType(allowed []string, contentType string) (string, error) {
	t := MediaType(contentType)
	if !slices.Contains(allowed, t) {
		return "", &parley.Error{Code: parley.EUnsupportedMedia, Message: fmt.Sprintf("media type %q is not allowed", t),
			Details: map[string]any{"allowed": allowed}}
	}
	return t, nil
}

// checkHead checks the first bytes of an upload (up to 512) against its
// media type: EInvalid for an empty file, EUnsupportedMedia for bytes
// that contradict a type the server can recognise (sniffable).
func checkHead(contentType string, head []byte) error {
	if len(head) == 0 {
		return parley.Errorf(parley.EInvalid, "the file is empty")
	}
	if want, ok := sniffable[contentType]; ok {
		got := strings.Split(http.DetectContentType(head), ";")[0]
		if got != want {
			return &parley.Error{Code: parley.EUnsupportedMedia, Message: fmt.Sprintf("the file is not %s", contentType),
				Details: map[string]any{"detected": got}}
		}
	}
	return nil
}
