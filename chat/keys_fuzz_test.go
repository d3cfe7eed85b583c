package chat

import (
	"testing"

	"github.com/parleyhq/parley/wire"
)

// FuzzValidateKeys feeds arbitrary keys and signatures, as a device
// could upload them, to the directory's checks: they never panic and
// never accept a signature that does not verify.
func FuzzValidateKeys(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sig", "k1")
	f.Add("", "", "", "")
	f.Add("====", "\x00\xff", "AAAA==", "x")
	f.Fuzz(func(t *testing.T, curve, ed, sig, keyID string) {
		k := wire.IdentityKeys{Curve25519: curve, Ed25519: ed, Signature: sig}
		if ValidateIdentityKeys(k, 1, 2) == nil {
			t.Fatalf("accepted identity keys with a signature nobody made: %+v", k)
		}
		o := wire.OneTimeKey{KeyID: keyID, Key: curve, Signature: sig}
		if ValidateOneTimeKey(o, 2, ed, "k") == nil {
			t.Fatalf("accepted a one-time key with a signature nobody made: %+v", o)
		}
	})
}
