package e2ee

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix/crypto/goolm/crypto"
	"maunium.net/go/mautrix/crypto/goolm/session"
)

// Known-answer checks of the goolm layer this package wraps, run through
// its API (goolm's own tests are not part of our module): the RFC 7748
// X25519 and RFC 8032 Ed25519 vectors, and the version bytes of the Olm
// and Megolm wire formats as the Matrix specification fixes them.

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoolmX25519RFC7748(t *testing.T) {
	alice, err := crypto.Curve25519GenerateFromPrivate(unhex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := crypto.Curve25519GenerateFromPrivate(unhex(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"); !bytes.Equal(alice.PublicKey, want) {
		t.Fatalf("alice's public key: got %x, want %x", alice.PublicKey, want)
	}
	if want := unhex(t, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"); !bytes.Equal(bob.PublicKey, want) {
		t.Fatalf("bob's public key: got %x, want %x", bob.PublicKey, want)
	}
	want := unhex(t, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
	for _, c := range []struct {
		kp  crypto.Curve25519KeyPair
		pub crypto.Curve25519PublicKey
	}{{alice, bob.PublicKey}, {bob, alice.PublicKey}} {
		got, err := c.kp.SharedSecret(c.pub)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("shared secret: got %x (%v), want %x", got, err, want)
		}
	}
}

func TestGoolmEd25519RFC8032(t *testing.T) {
	for _, c := range []struct{ seed, pub, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	} {
		kp := crypto.Ed25519GenerateFromSeed(unhex(t, c.seed))
		if !bytes.Equal(kp.PublicKey, unhex(t, c.pub)) {
			t.Fatalf("public key of seed %s: got %x, want %s", c.seed[:8], kp.PublicKey, c.pub)
		}
		sig, err := kp.Sign(unhex(t, c.msg))
		if err != nil || !bytes.Equal(sig, unhex(t, c.sig)) {
			t.Fatalf("signature of %q: got %x (%v), want %s", c.msg, sig, err, c.sig)
		}
		if !kp.Verify(unhex(t, c.msg), sig) {
			t.Fatal("the vector's signature does not verify")
		}
		if !verifySig(base64.RawStdEncoding.EncodeToString(kp.PublicKey), string(unhex(t, c.msg)), base64.RawStdEncoding.EncodeToString(sig)) && c.msg != "" {
			t.Fatal("this package's signature check refuses the vector")
		}
	}
}

// TestWireVersions: Olm and Megolm messages start with version byte 3,
// and a Megolm session key starts with version 2, as the Matrix
// specification (and so libolm and vodozemac) have them.
func TestWireVersions(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	gs, _ := groupSend(t, x, alice, 7, "g1", "v", bob)
	var shared, key envelope
	_ = json.Unmarshal(gs.Shared, &shared)
	_ = json.Unmarshal(gs.Keys[21], &key)
	for _, c := range []struct {
		what, b64 string
		want      byte
	}{{"olm pre-key message", key.Body, 3}, {"megolm message", shared.Body, 3}} {
		raw, err := base64.RawStdEncoding.DecodeString(c.b64)
		if err != nil || len(raw) == 0 || raw[0] != c.want {
			t.Fatalf("%s: first byte %v (%v), want %d", c.what, raw[:1], err, c.want)
		}
	}
	out, err := session.NewMegolmOutboundSession()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := out.SessionSharingMessage()
	raw, _ := base64.RawStdEncoding.DecodeString(string(k))
	if len(raw) == 0 || raw[0] != 2 {
		t.Fatalf("megolm session key: first byte %v, want 2", raw[:1])
	}
}
