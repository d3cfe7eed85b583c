package e2ee

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// MediaKey is what a message carries so that its recipients can fetch
// and open an encrypted attachment: the file's own AES-256 key and the
// SHA-256 of the ciphertext, both base64.
type MediaKey struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
}

// ErrMediaTampered: the downloaded ciphertext is not the one the sender
// uploaded.
var ErrMediaTampered = errors.New("e2ee: media failed its hash or authentication")

// EncryptMedia encrypts a file with a fresh random key (AES-256-GCM from
// the standard library, a random 96-bit nonce prepended) and returns the
// ciphertext to upload and the key and hash to put in the message.
func EncryptMedia(plain []byte) ([]byte, MediaKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, MediaKey{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, MediaKey{}, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, MediaKey{}, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, MediaKey{}, err
	}
	ct := gcm.Seal(nonce, nonce, plain, nil)
	sum := sha256.Sum256(ct)
	return ct, MediaKey{Key: base64.StdEncoding.EncodeToString(key), SHA256: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// DecryptMedia checks the ciphertext's hash and opens it.
func DecryptMedia(ct []byte, k MediaKey) ([]byte, error) {
	want, err := base64.StdEncoding.DecodeString(k.SHA256)
	if err != nil {
		return nil, fmt.Errorf("media hash: %w", err)
	}
	sum := sha256.Sum256(ct)
	if subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return nil, ErrMediaTampered
	}
	key, err := base64.StdEncoding.DecodeString(k.Key)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("media key: not 32 bytes of base64")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(ct) < gcm.NonceSize() {
		return nil, ErrMediaTampered
	}
	plain, err := gcm.Open(nil, ct[:gcm.NonceSize()], ct[gcm.NonceSize():], nil)
	if err != nil {
		return nil, ErrMediaTampered
	}
	return plain, nil
}
