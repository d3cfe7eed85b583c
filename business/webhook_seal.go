package business

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
)

// Webhook bodies at rest. A webhook carries what a customer wrote to the
// business in plaintext (the cloud device decrypted it: cloudkeys.go),
// and the outbox keeps it until delivered and then WebhookLogTTL in the
// delivery log. So the body is stored sealed with AES-256-GCM under a key
// derived from the server's secret, bound to the business and the
// webhook's key; the dispatcher opens it just before the POST, and the
// delivery log opens it to show it. A database copy alone reads none.

// secretAEAD is AES-256-GCM under a key derived (HKDF-SHA-256) from the
// server's secret for one purpose, named by label: what the business
// context seals at rest (cloud devices' keys, webhook bodies).
func secretAEAD(secret []byte, label string) cipher.AEAD {
	// A 32-byte key from SHA-256 cannot fail to derive or to key AES.
	key, err := hkdf.Key(sha256.New, secret, nil, label, 32)
	if err != nil {
		panic(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealedMagic starts a sealed body (a plaintext body is JSON, never
// starting with a NUL byte).
const sealedMagic = "\x00pwh1"

// payloadSealer seals and opens webhook bodies.
type payloadSealer struct{ aead cipher.AEAD }

func newPayloadSealer(secret []byte) *payloadSealer {
	aead := secretAEAD(secret, "parley webhook payload v1")
	return &payloadSealer{aead: aead}
}

func payloadAD(w *Webhook) []byte {
	return []byte("webhook:" + strconv.FormatInt(w.BusinessID, 10) + ":" + w.Key)
}

// seal replaces each webhook's body by its sealed form (once).
func (s *payloadSealer) seal(ws []*Webhook) {
	for _, w := range ws {
		if bytes.HasPrefix(w.Payload, []byte(sealedMagic)) {
			continue
		}
		out := make([]byte, len(sealedMagic)+s.aead.NonceSize(), len(sealedMagic)+s.aead.NonceSize()+len(w.Payload)+s.aead.Overhead())
		copy(out, sealedMagic)
		nonce := out[len(sealedMagic):]
		_, _ = rand.Read(nonce)
		w.Payload = s.aead.Seal(out, nonce, w.Payload, payloadAD(w))
	}
}

// open returns a webhook's body as it is posted; a body stored before
// bodies were sealed is returned as it is.
func (s *payloadSealer) open(w Webhook) ([]byte, error) {
	if !bytes.HasPrefix(w.Payload, []byte(sealedMagic)) {
		return w.Payload, nil
	}
	rest := w.Payload[len(sealedMagic):]
	ns := s.aead.NonceSize()
	if len(rest) < ns {
		return nil, errors.New("sealed webhook body is too short")
	}
	plain, err := s.aead.Open(nil, rest[:ns], rest[ns:], payloadAD(&w))
	if err != nil {
		return nil, fmt.Errorf("open webhook %d's body (was the server's secret changed?): %w", w.ID, err)
	}
	return plain, nil
}

// WebhookPayloadOpener returns what opens the stored bodies of webhooks
// sealed under secret (the server's): the dispatcher posts what it
// returns, and signs that.
func WebhookPayloadOpener(secret []byte) func(Webhook) ([]byte, error) {
	return newPayloadSealer(secret).open
}
