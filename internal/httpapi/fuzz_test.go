package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley"
)

// FuzzDecode feeds arbitrary bodies to the strict JSON decoder used by
// every endpoint: it must never panic, and every failure must map to a 4xx.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"message_id":"a","kind":"message","envelopes":[{"device_id":1,"body":"aGk="}]}`,
		`{"message_id":"a","unknown":1}`,
		`{"envelopes":[{"device_id":"x"}]}`,
		`{"envelopes":[{"device_id":1,"body":"!!"}]}`,
		`{} {}`, `{`, ``, `null`, `[]`, `"str"`,
	} {
		f.Add([]byte(seed))
	}
	type envelope struct {
		DeviceID int64  `json:"device_id"`
		Body     []byte `json:"body"`
	}
	type req struct {
		MessageID string     `json:"message_id"`
		Kind      string     `json:"kind"`
		Ref       string     `json:"ref"`
		Envelopes []envelope `json:"envelopes"`
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		w := httptest.NewRecorder()
		var v req
		err := decode(w, r, 1024, &v)
		if err == nil {
			return
		}
		code := parley.ErrorCode(err)
		if s := StatusOf(code); s < 400 || s >= 500 {
			t.Fatalf("decode error %v maps to status %d, want 4xx", err, s)
		}
	})
}
