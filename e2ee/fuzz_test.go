package e2ee

import (
	"encoding/json"
	"testing"

	"github.com/parleyhq/parley/wire"
)

// FuzzDecrypt feeds arbitrary envelope bodies and key parts, as a server
// could send them, to a device that has sessions: it must never panic,
// and never accept anything it did not get from a trusted device.
func FuzzDecrypt(f *testing.F) {
	x := newDir(f)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	direct := sendDirect(f, x, alice, 1, "m1", "hello", bob)[21].Body
	gs, _ := groupSend(f, x, alice, 7, "g1", "group", bob)
	f.Add(direct, []byte(nil))
	f.Add(gs.Shared, gs.Keys[21])
	f.Add([]byte(`{"v":1,"alg":"none"}`), []byte(nil))
	f.Add([]byte(`{"v":1,"alg":"megolm.v1","session_id":"x","body":"AwgA"}`), []byte(`{"v":1,"alg":"olm.v1","type":0,"body":"AwoA"}`))
	f.Fuzz(func(t *testing.T, body, key []byte) {
		for _, chat := range []int64{1, 7} {
			e := wire.Entry{Type: wire.EntryMessage, ChatID: chat, MessageID: "fz", SenderAccount: 1, SenderDevice: 11, Body: body}
			plain, err := bob.Decrypt(e, key)
			if err == nil && !json.Valid(plain) {
				t.Fatalf("accepted a message whose content is not the JSON a sender encrypts: %q", plain)
			}
		}
		bob.Notices()
	})
}
