package flowcrypto_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/parleyhq/parley/internal/flowcrypto"
)

// The other side of each test is written here from Meta's description
// of the algorithm, with crypto/rsa, crypto/aes and crypto/cipher, and
// never with the package's own functions: RSA-OAEP with SHA-256 (and
// MGF1 SHA-256, no label) wraps a 128-bit AES key; AES-GCM with the
// 16-byte initial_vector encrypts the payload (the 16-byte tag after
// the ciphertext); the answer is AES-GCM under the same key with every
// bit of the IV inverted, base64-encoded.

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func gcm16(t testing.TB, key []byte) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCMWithNonceSize(b, 16)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func inverted(iv []byte) []byte {
	out := make([]byte, len(iv))
	for i := range iv {
		out[i] = iv[i] ^ 0xff
	}
	return out
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

// TestParleyToBusiness: what Parley sends, a business built from the
// documentation opens; what that business answers, Parley opens.
func TestParleyToBusiness(t *testing.T) {
	payload := []byte(`{"version":"3.0","action":"data_exchange","screen":"SEARCH","data":{"from":"blr"},"flow_token":"tok-1"}`)
	body, sess, err := flowcrypto.EncryptRequest(&testKey.PublicKey, payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	var fields map[string]string
	if err := json.Unmarshal(raw, &fields); err != nil || len(fields) != 3 || fields["encrypted_flow_data"] == "" ||
		fields["encrypted_aes_key"] == "" || fields["initial_vector"] == "" {
		t.Fatalf("request body %s: want exactly encrypted_flow_data, encrypted_aes_key, initial_vector", raw)
	}
	// The business's side.
	key, err := rsa.DecryptOAEP(sha256.New(), nil, testKey, b64(t, body.EncryptedAESKey), nil)
	if err != nil || len(key) != 16 {
		t.Fatalf("unwrap the aes key: %v (%d bytes)", err, len(key))
	}
	iv := b64(t, body.InitialVector)
	if len(iv) != 16 {
		t.Fatalf("initial_vector has %d bytes, want 16", len(iv))
	}
	got, err := gcm16(t, key).Open(nil, iv, b64(t, body.EncryptedFlowData), nil)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("business opens %q, %v; want %q", got, err, payload)
	}
	answer := []byte(`{"screen":"DEPARTURES","data":{"trips":[]}}`)
	text := base64.StdEncoding.EncodeToString(gcm16(t, key).Seal(nil, inverted(iv), answer, nil))
	// Parley's side.
	pt, err := sess.DecryptResponse([]byte(text))
	if err != nil || !bytes.Equal(pt, answer) {
		t.Fatalf("parley opens %q, %v; want %q", pt, err, answer)
	}
	// An answer under the request's own IV (not inverted) does not open.
	wrongIV := base64.StdEncoding.EncodeToString(gcm16(t, key).Seal(nil, iv, answer, nil))
	if _, err := sess.DecryptResponse([]byte(wrongIV)); !errors.Is(err, flowcrypto.ErrDecrypt) {
		t.Errorf("answer under the request's IV: got %v, want ErrDecrypt", err)
	}
}

// TestBusinessSide: a request built from the documentation opens with
// DecryptRequest, and EncryptResponse answers under the inverted IV; a
// request for another key, or tampered, is ErrDecrypt (the business's
// 421).
func TestBusinessSide(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 16)
	iv := []byte("0123456789abcdef")
	payload := []byte(`{"version":"3.0","action":"ping"}`)
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &testKey.PublicKey, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"encrypted_flow_data": base64.StdEncoding.EncodeToString(gcm16(t, key).Seal(nil, iv, payload, nil)),
		"encrypted_aes_key": base64.StdEncoding.EncodeToString(wrapped), "initial_vector": base64.StdEncoding.EncodeToString(iv)})
	got, sess, err := flowcrypto.DecryptRequest(testKey, body)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("DecryptRequest: %q, %v", got, err)
	}
	answer := []byte(`{"data":{"status":"active"}}`)
	text, err := sess.EncryptResponse(answer)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := gcm16(t, key).Open(nil, inverted(iv), b64(t, string(text)), nil)
	if err != nil || !bytes.Equal(pt, answer) {
		t.Fatalf("the answer opens to %q, %v", pt, err)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, _, err := flowcrypto.DecryptRequest(other, body); !errors.Is(err, flowcrypto.ErrDecrypt) {
		t.Errorf("another private key: got %v, want ErrDecrypt", err)
	}
	var m map[string]string
	_ = json.Unmarshal(body, &m)
	ct := b64(t, m["encrypted_flow_data"])
	ct[0] ^= 1
	m["encrypted_flow_data"] = base64.StdEncoding.EncodeToString(ct)
	tampered, _ := json.Marshal(m)
	if _, _, err := flowcrypto.DecryptRequest(testKey, tampered); !errors.Is(err, flowcrypto.ErrDecrypt) {
		t.Errorf("tampered: got %v, want ErrDecrypt", err)
	}
	for _, junk := range []string{``, `{}`, `[]`, `{"initial_vector":"AAAA"}`, `{"encrypted_flow_data":"!","encrypted_aes_key":"!","initial_vector":"!"}`} {
		if _, _, err := flowcrypto.DecryptRequest(testKey, []byte(junk)); !errors.Is(err, flowcrypto.ErrDecrypt) {
			t.Errorf("%q: got %v, want ErrDecrypt", junk, err)
		}
	}
}

// TestResponseVector: a fixed key, IV and answer give a fixed text,
// computed once with the documented algorithm (AES-128-GCM, inverted
// IV, base64) and kept here, so that a change of the construction shows.
func TestResponseVector(t *testing.T) {
	sess := flowcrypto.Session{Key: []byte("0123456789abcdef"), IV: bytes.Repeat([]byte{0x0f}, 16)}
	answer := []byte(`{"data":{"status":"active"}}`)
	text, err := sess.EncryptResponse(answer)
	if err != nil {
		t.Fatal(err)
	}
	want := base64.StdEncoding.EncodeToString(gcm16(t, sess.Key).Seal(nil, bytes.Repeat([]byte{0xf0}, 16), answer, nil))
	if string(text) != want || string(text) != responseVector {
		t.Fatalf("got %s, want %s (and the kept vector %s)", text, want, responseVector)
	}
	pt, err := sess.DecryptResponse([]byte(responseVector))
	if err != nil || !bytes.Equal(pt, answer) {
		t.Fatalf("the kept vector opens to %q, %v", pt, err)
	}
}

// FuzzDecryptRequest: any body is opened or refused with ErrDecrypt,
// never a panic.
func FuzzDecryptRequest(f *testing.F) {
	body, _, _ := flowcrypto.EncryptRequest(&testKey.PublicKey, []byte(`{"action":"ping"}`))
	raw, _ := json.Marshal(body)
	f.Add(raw)
	f.Add([]byte(`{"encrypted_flow_data":"","encrypted_aes_key":"","initial_vector":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := flowcrypto.DecryptRequest(testKey, b); err != nil && !errors.Is(err, flowcrypto.ErrDecrypt) {
			t.Fatalf("error %v is not ErrDecrypt", err)
		}
	})
}

// responseVector is TestResponseVector's kept answer. It was checked
// against a second implementation, Python's cryptography package:
// base64(AESGCM(b"0123456789abcdef").encrypt(bytes([0xf0]*16), answer, None)).
const responseVector = "571jyJA3s6frgfgLJD8kLnDJKKAdHJozjoFYlgg8C3lokzpkLbO53BOX9zE="
