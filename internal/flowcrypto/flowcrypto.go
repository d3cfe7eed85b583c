// Package flowcrypto is the encryption of the WhatsApp Flows data
// channel, as Meta documents it (docs/FLOWS.md, "The endpoint
// protocol"), on both sides:
//
//   - Parley, as WhatsApp, encrypts each request to a business's Flow
//     endpoint with a fresh AES-128 key (AES-GCM, a 16-byte IV) and wraps
//     that key with the business's RSA public key (RSA-OAEP, SHA-256):
//     EncryptRequest, then DecryptResponse of the answer.
//   - The business decrypts with its private key and answers with the
//     same AES key under the bit-inverted IV, base64-encoded:
//     DecryptRequest, Request.EncryptResponse. Go businesses (and
//     Parley's tests and demo) can use that side as it is.
//
// Every primitive is Go's standard library; nothing is written by hand.
// The package does no I/O and imports nothing of Parley's.
package flowcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// KeySize is the AES key's length (AES-128); IVSize the GCM nonce's, as
// Meta sends it (16 bytes, not GCM's usual 12).
const (
	KeySize = 16
	IVSize  = 16
)

// Body is the JSON body of a request to a Flow endpoint: three base64
// fields.
type Body struct {
	EncryptedFlowData string `json:"encrypted_flow_data"`
	EncryptedAESKey   string `json:"encrypted_aes_key"`
	InitialVector     string `json:"initial_vector"`
}

// Session is the key and IV of one request, which its response reuses
// (with the IV inverted).
type Session struct {
	Key []byte
	IV  []byte
}

// ErrDecrypt is a payload that cannot be decrypted: a wrong key, a
// tampered or truncated body. A business answers it with HTTP 421, and
// WhatsApp then refreshes the public key and tries again.
var ErrDecrypt = errors.New("flowcrypto: the payload cannot be decrypted")

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithNonceSize(block, IVSize)
}

// flip returns iv with every bit inverted: the response's IV.
func flip(iv []byte) []byte {
	out := make([]byte, len(iv))
	for i, b := range iv {
		out[i] = ^b
	}
	return out
}

// EncryptRequest encrypts a request payload (the JSON of an action) for
// the business's public key. It returns the body to POST and the
// session that decrypts the answer.
func EncryptRequest(pub *rsa.PublicKey, payload []byte) (Body, Session, error) {
	s := Session{Key: make([]byte, KeySize), IV: make([]byte, IVSize)}
	if _, err := rand.Read(s.Key); err != nil {
		return Body{}, Session{}, err
	}
	if _, err := rand.Read(s.IV); err != nil {
		return Body{}, Session{}, err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, s.Key, nil)
	if err != nil {
		return Body{}, Session{}, fmt.Errorf("wrap aes key: %w", err)
	}
	aead, err := gcm(s.Key)
	if err != nil {
		return Body{}, Session{}, err
	}
	ct := aead.Seal(nil, s.IV, payload, nil)
	return Body{EncryptedFlowData: base64.StdEncoding.EncodeToString(ct), EncryptedAESKey: base64.StdEncoding.EncodeToString(wrapped),
		InitialVector: base64.StdEncoding.EncodeToString(s.IV)}, s, nil
}

// DecryptResponse decrypts a business's answer: the base64 text of the
// AES-GCM ciphertext (with its tag) under the session's key and inverted
// IV. ErrDecrypt if it does not open.
func (s Session) DecryptResponse(text []byte) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(string(trimSpace(text)))
	if err != nil {
		return nil, ErrDecrypt
	}
	aead, err := gcm(s.Key)
	if err != nil {
		return nil, ErrDecrypt
	}
	pt, err := aead.Open(nil, flip(s.IV), ct, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// DecryptRequest is the business's side: it opens a request body with
// the private key and returns the payload and the session to answer
// with. ErrDecrypt for anything that does not open (answer 421).
func DecryptRequest(priv *rsa.PrivateKey, body []byte) ([]byte, Session, error) {
	var b Body
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, Session{}, ErrDecrypt
	}
	wrapped, err1 := base64.StdEncoding.DecodeString(b.EncryptedAESKey)
	iv, err2 := base64.StdEncoding.DecodeString(b.InitialVector)
	ct, err3 := base64.StdEncoding.DecodeString(b.EncryptedFlowData)
	if err1 != nil || err2 != nil || err3 != nil || len(iv) != IVSize {
		return nil, Session{}, ErrDecrypt
	}
	key, err := rsa.DecryptOAEP(sha256.New(), nil, priv, wrapped, nil)
	if err != nil || len(key) != KeySize {
		return nil, Session{}, ErrDecrypt
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, Session{}, ErrDecrypt
	}
	pt, err := aead.Open(nil, iv, ct, nil)
	if err != nil {
		return nil, Session{}, ErrDecrypt
	}
	return pt, Session{Key: key, IV: iv}, nil
}

// EncryptResponse is the business's side: the base64 text of its answer
// under the session's key and inverted IV.
func (s Session) EncryptResponse(payload []byte) ([]byte, error) {
	aead, err := gcm(s.Key)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, flip(s.IV), payload, nil)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(ct)))
	base64.StdEncoding.Encode(out, ct)
	return out, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' || b[0] == '"') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t' || b[len(b)-1] == '"') {
		b = b[:len(b)-1]
	}
	return b
}
