package e2ee

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/wire"
)

// Benchmarks of encryption per message per device (docs/PERFORMANCE.md,
// "End-to-end encryption"):
//
//	go test ./e2ee -run '^$' -bench . -benchtime 2000x

var content = []byte(`{"text":"a message of about the length people write, give or take a few words here"}`)

// BenchmarkOlmEncrypt: one 1:1 message for one device, sessions set up.
func BenchmarkOlmEncrypt(b *testing.B) {
	x := newDir(b)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	targets := []Target{{2, 21}}
	x.claim(alice, targets)
	for i := 0; b.Loop(); i++ {
		if _, err := alice.EncryptDirect(1, fmt.Sprint(i), targets, content); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOlmDecrypt: one 1:1 message on the receiving device, in
// order, after a reply (the ratchet's normal step).
func BenchmarkOlmDecrypt(b *testing.B) {
	x := newDir(b)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	first := sendDirect(b, x, alice, 1, "first", "x", bob)[21]
	if _, err := bob.Decrypt(first, nil); err != nil {
		b.Fatal(err)
	}
	es := make([]wire.Entry, b.N+1)
	for i := range es {
		envs, err := alice.EncryptDirect(1, fmt.Sprint(i), []Target{{2, 21}}, content)
		if err != nil {
			b.Fatal(err)
		}
		es[i] = entry(alice, 1, fmt.Sprint(i), envs[0].Body)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := bob.Decrypt(es[i], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMegolmEncrypt: one group message (any number of devices that
// already have the session: one ciphertext). Each message is marked sent
// as a client does once the server took it, so the session's key goes to
// the devices over Olm only when it rotates (every RotateAfterMessages
// messages), and that share of the cost is included.
func BenchmarkMegolmEncrypt(b *testing.B) {
	x := newDir(b)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	targets := []Target{{2, 21}}
	groupSend(b, x, alice, 7, "g0", "x", bob)
	for i := 0; b.Loop(); i++ {
		gs, err := alice.EncryptGroup(7, fmt.Sprint(i), targets, content)
		if err != nil {
			b.Fatal(err)
		}
		alice.Sent(gs)
	}
}

// BenchmarkMegolmDecrypt: one group message on one receiving device.
func BenchmarkMegolmDecrypt(b *testing.B) {
	x := newDir(b)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	first, _ := groupSend(b, x, alice, 7, "g0", "x", bob)
	if _, err := bob.Decrypt(entry(alice, 7, "g0", first.Shared), first.Keys[21]); err != nil {
		b.Fatal(err)
	}
	// One session only (no rotation), so that every message decrypts
	// with the key bob has.
	g := alice.out[7]
	es := make([]wire.Entry, b.N)
	for i := range es {
		g.count = 0
		gs, err := alice.EncryptGroup(7, fmt.Sprint(i), []Target{{2, 21}}, content)
		if err != nil {
			b.Fatal(err)
		}
		es[i] = entry(alice, 7, fmt.Sprint(i), gs.Shared)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := bob.Decrypt(es[i], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionSetup: a new Olm session with a device (claimed key)
// and its first message: the cost for a device seen for the first time.
func BenchmarkSessionSetup(b *testing.B) {
	x := newDir(b)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	k := wire.ClaimedKey{AccountID: 2, DeviceID: 21, Identity: x.ids[2][21], OneTimeKey: x.otks[21][0]}
	for i := 0; b.Loop(); i++ {
		clear(alice.olm)
		if err := alice.AddClaimedKeys([]wire.ClaimedKey{k}); err != nil {
			b.Fatal(err)
		}
		if _, err := alice.EncryptDirect(1, fmt.Sprint(i), []Target{{2, 21}}, content); err != nil {
			b.Fatal(err)
		}
	}
}
