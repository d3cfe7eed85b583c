package gateway

import (
	"testing"

	"github.com/parleyhq/parley"
)

// FuzzParseClientFrame checks that no client frame crashes the parser and
// that every rejection carries a client error code.
func FuzzParseClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"ack","ids":[1,2,3]}`,
		`{"type":"typing","chat_id":4,"state":"composing"}`,
		`{"type":"presence","accounts":[1]}`,
		`{"type":"ping"}`,
		`{"type":"ack","ids":[]}`,
		`{"type":"nope"}`,
		`{"type":"ping"}{"type":"ping"}`,
		`{"type":"ack","ids":[1],"extra":true}`,
		`[`, ``, `null`, `{"type":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ParseClientFrame(data)
		if err != nil {
			if c := parley.ErrorCode(err); c != parley.EMalformed && c != parley.EInvalid {
				t.Fatalf("got code %q for %q, want malformed_request or invalid_argument", c, data)
			}
			return
		}
		switch fr.Type {
		case "ack":
			if len(fr.IDs) == 0 || len(fr.IDs) > 1000 {
				t.Fatalf("accepted ack with %d ids", len(fr.IDs))
			}
		case "typing":
			if fr.ChatID <= 0 {
				t.Fatalf("accepted typing without chat id")
			}
		case "presence":
			if len(fr.Accounts) == 0 {
				t.Fatalf("accepted presence without accounts")
			}
		case "ping":
		default:
			t.Fatalf("accepted unknown type %q", fr.Type)
		}
	})
}

func TestEntryID(t *testing.T) {
	tests := []struct {
		frame string
		want  int64
	}{
		{`{"type":"entry","entry":{"id":42,"type":"message"}}`, 42},
		{`{"type":"entry","entry":{"id":7}}`, 7},
		{`{"entry":{"id":9},"type":"entry"}`, 9},
		{`{"type":"typing"}`, 0},
		{`garbage`, 0},
	}
	for _, tt := range tests {
		if got := entryID([]byte(tt.frame)); got != tt.want {
			t.Errorf("entryID(%s) = %d, want %d", tt.frame, got, tt.want)
		}
	}
}
