package e2ee

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"maunium.net/go/mautrix/crypto/goolm/session"
	"maunium.net/go/mautrix/id"

	"github.com/parleyhq/parley/wire"
)

// The algorithms of an envelope. The outer "alg" routes a ciphertext to
// one decryption path, and the payload inside names its type again, so
// that a pairwise payload is never accepted on the group path or the
// reverse (docs/E2EE.md, "Strict separation").
const (
	algOlm    = "olm.v1"    // pairwise: Olm, one ciphertext per device
	algMegolm = "megolm.v1" // group: Megolm, one ciphertext for every device
	algNone   = "none"      // not encrypted to this device (flagged, or no keys)
)

// The payload types inside a ciphertext.
const (
	payloadDirect  = "direct"   // a 1:1 message, over Olm
	payloadRoomKey = "room_key" // a Megolm session key, over Olm, only as a group message's key part
	payloadGroup   = "group"    // a group message, over Megolm
)

// envelope is the JSON that an envelope's body (or a group message's
// shared body, or its per-device key part) holds.
type envelope struct {
	V       int       `json:"v"`
	Alg     string    `json:"alg"`
	Sender  string    `json:"sender_key,omitempty"` // Olm: the sender device's curve25519 key
	Type    int       `json:"type"`                 // Olm: 0 pre-key message, 1 message
	Session string    `json:"session_id,omitempty"` // Megolm: the session id
	Body    string    `json:"body,omitempty"`
	Key     *envelope `json:"key,omitempty"` // Megolm sent as per-device envelopes: this device's key part
	Reason  string    `json:"reason,omitempty"`
}

// pairwise is the plaintext of an Olm message. It names both ends with
// their Ed25519 keys, the chat and the message, so that a ciphertext
// cannot be moved to another device, chat or message id.
type pairwise struct {
	Type            string          `json:"type"`
	SenderAccount   int64           `json:"sender_account"`
	SenderDevice    int64           `json:"sender_device"`
	SenderEd        string          `json:"sender_ed25519"`
	RecipientDevice int64           `json:"recipient_device"`
	RecipientEd     string          `json:"recipient_ed25519"`
	ChatID          int64           `json:"chat_id"`
	MessageID       string          `json:"message_id"`
	Content         json.RawMessage `json:"content,omitempty"`
	RoomKey         *roomKey        `json:"room_key,omitempty"`
}

type roomKey struct {
	ChatID     int64  `json:"chat_id"`
	SessionID  string `json:"session_id"`
	SessionKey string `json:"session_key"`
}

// group is the plaintext of a Megolm message.
type group struct {
	Type          string          `json:"type"`
	ChatID        int64           `json:"chat_id"`
	MessageID     string          `json:"message_id"`
	SenderAccount int64           `json:"sender_account"`
	SenderDevice  int64           `json:"sender_device"`
	Content       json.RawMessage `json:"content"`
}

// Target is a device a message goes to.
type Target struct {
	AccountID int64
	DeviceID  int64
}

func noneEnvelope(reason string) []byte {
	b, _ := json.Marshal(envelope{V: 1, Alg: algNone, Reason: reason})
	return b
}

// MissingSessions returns the trusted devices among targets that this
// device has no Olm session with: claim keys for them (POST
// /v1/keys/claim) and pass them to AddClaimedKeys before encrypting.
func (d *Device) MissingSessions(targets []Target) []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int64
	for _, t := range targets {
		if ld, ok := d.trusted(t.AccountID, t.DeviceID); ok && len(d.olm[ld.Curve25519]) == 0 {
			out = append(out, t.DeviceID)
		}
	}
	return out
}

// AddClaimedKeys starts Olm sessions with the claimed keys of trusted
// devices. Keys that do not match the signed device list, or whose
// signatures do not verify, are skipped and reported as notices.
func (d *Device) AddClaimedKeys(keys []wire.ClaimedKey) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		ld, ok := d.trusted(k.AccountID, k.DeviceID)
		if !ok || ld.Curve25519 != k.Identity.Curve25519 || ld.Ed25519 != k.Identity.Ed25519 ||
			!verifySig(ld.Ed25519, k.OneTimeKey.SignedText(k.DeviceID), k.OneTimeKey.Signature) {
			d.notice(Notice{AccountID: k.AccountID, DeviceID: k.DeviceID, Kind: NoticeUnlistedDevice, Text: fmt.Sprintf("the keys the server gave for device %d do not match its signed list; skipped", k.DeviceID)})
			continue
		}
		s, err := d.acct.NewOutboundSession(id.Curve25519(ld.Curve25519), id.Curve25519(k.OneTimeKey.Key))
		if err != nil {
			return fmt.Errorf("olm session with device %d: %w", k.DeviceID, err)
		}
		d.olm[ld.Curve25519] = append(d.olm[ld.Curve25519], s.(*session.OlmSession))
	}
	return nil
}

// olmEncrypt encrypts p for the trusted device ld with its newest
// session; it returns nil if there is none.
func (d *Device) olmEncrypt(ld wire.ListedDevice, p pairwise) (*envelope, error) {
	ss := d.olm[ld.Curve25519]
	if len(ss) == 0 {
		return nil, nil
	}
	s := ss[len(ss)-1]
	p.SenderAccount, p.SenderDevice, p.SenderEd = d.accountID, d.deviceID, d.ed()
	p.RecipientDevice, p.RecipientEd = ld.DeviceID, ld.Ed25519
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	typ, ct, err := s.Encrypt(plain)
	if err != nil {
		return nil, fmt.Errorf("olm encrypt: %w", err)
	}
	return &envelope{V: 1, Alg: algOlm, Sender: d.curve(), Type: int(typ), Body: string(ct)}, nil
}

// EncryptDirect encrypts content (a message body) for each target of a
// 1:1 chat: one Olm ciphertext per trusted device. A device that is not
// trusted, or that has no session (no keys were claimed for it), gets an
// envelope it cannot read. The result is in targets' order.
func (d *Device) EncryptDirect(chatID int64, messageID string, targets []Target, content []byte) ([]wire.Envelope, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]wire.Envelope, len(targets))
	for i, t := range targets {
		out[i] = wire.Envelope{DeviceID: t.DeviceID}
		ld, ok := d.trusted(t.AccountID, t.DeviceID)
		if !ok {
			out[i].Body = noneEnvelope("device not in its account's signed device list")
			continue
		}
		env, err := d.olmEncrypt(ld, pairwise{Type: payloadDirect, ChatID: chatID, MessageID: messageID, Content: content})
		if err != nil {
			return nil, err
		}
		if env == nil {
			out[i].Body = noneEnvelope("device published no keys")
			continue
		}
		if out[i].Body, err = json.Marshal(env); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Decrypt opens a message entry's body (and, for a group message sent
// with one shared ciphertext, the entry's per-device key part; nil
// otherwise) and returns the content. It checks that the sender's device
// is in its account's signed list (call UpdatePeer first if Knows says
// the device is unknown), that the ciphertext authenticates, that the
// payload type fits the path it came on, and that the chat, message id
// and devices inside match the entry. Errors: ErrReplay (drop it
// silently), ErrTampered, ErrUntrusted, ErrNotForYou, ErrNoSession,
// ErrMisrouted; each but ErrReplay also leaves a NoticeRejected.
func (d *Device) Decrypt(e wire.Entry, key []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	content, err := d.decrypt(e, key)
	if err != nil && !errors.Is(err, ErrReplay) {
		d.notice(Notice{AccountID: e.SenderAccount, DeviceID: e.SenderDevice, Kind: NoticeRejected, Text: fmt.Sprintf("message %s in chat %d rejected: %v", e.MessageID, e.ChatID, err)})
	}
	return content, err
}

func (d *Device) decrypt(e wire.Entry, key []byte) ([]byte, error) {
	var env envelope
	if err := json.Unmarshal(e.Body, &env); err != nil || env.V != 1 {
		return nil, fmt.Errorf("%w: not an e2ee envelope", ErrTampered)
	}
	if key != nil {
		var k envelope
		if err := json.Unmarshal(key, &k); err != nil {
			return nil, fmt.Errorf("%w: key part is not an envelope", ErrTampered)
		}
		env.Key = &k
	}
	ld, ok := d.trusted(e.SenderAccount, e.SenderDevice)
	switch env.Alg {
	case algNone:
		return nil, fmt.Errorf("%w: %s", ErrNotForYou, env.Reason)
	case algOlm:
		if !ok {
			return nil, ErrUntrusted
		}
		p, err := d.olmDecrypt(&env, ld)
		if err != nil {
			return nil, err
		}
		if p.Type != payloadDirect {
			return nil, fmt.Errorf("%w: a %s payload as a pairwise message", ErrMisrouted, p.Type)
		}
		if err := d.checkPairwise(p, e, ld); err != nil {
			return nil, err
		}
		return p.Content, nil
	case algMegolm:
		return d.groupDecrypt(&env, e, ld, ok)
	default:
		return nil, fmt.Errorf("%w: unknown algorithm %q", ErrTampered, env.Alg)
	}
}

// checkPairwise checks what a pairwise payload says of its ends against
// the entry and the trusted keys.
func (d *Device) checkPairwise(p *pairwise, e wire.Entry, ld wire.ListedDevice) error {
	if p.SenderAccount != e.SenderAccount || p.SenderDevice != e.SenderDevice || p.SenderEd != ld.Ed25519 ||
		p.RecipientDevice != d.deviceID || p.RecipientEd != d.ed() || p.ChatID != e.ChatID || p.MessageID != e.MessageID {
		return fmt.Errorf("%w: the payload names another sender, recipient, chat or message", ErrTampered)
	}
	return nil
}

// olmDecrypt decrypts a pairwise envelope from the trusted device ld.
func (d *Device) olmDecrypt(env *envelope, ld wire.ListedDevice) (*pairwise, error) {
	if env.Alg != algOlm || env.Sender != ld.Curve25519 {
		return nil, fmt.Errorf("%w: olm envelope from a key that is not the sender device's", ErrTampered)
	}
	h := sha256.Sum256([]byte(env.Body))
	seenKey := "olm|" + b64(h[:])
	if d.seen.has(seenKey) {
		return nil, ErrReplay
	}
	typ := id.OlmMsgType(env.Type)
	if typ != id.OlmMsgTypePreKey && typ != id.OlmMsgTypeMsg {
		return nil, fmt.Errorf("%w: olm message type %d", ErrTampered, env.Type)
	}
	var plain []byte
	ss := d.olm[ld.Curve25519]
	for i := len(ss) - 1; i >= 0 && plain == nil; i-- {
		if typ == id.OlmMsgTypePreKey {
			if ok, err := ss[i].MatchesInboundSessionFrom(ld.Curve25519, env.Body); err != nil || !ok {
				continue
			}
		}
		if p, err := ss[i].Decrypt(env.Body, typ); err == nil {
			plain = p
			// the session that works is the one to answer on
			s := ss[i]
			d.olm[ld.Curve25519] = append(slices.Delete(ss, i, i+1), s)
		}
	}
	if plain == nil && typ == id.OlmMsgTypePreKey {
		sender := id.Curve25519(ld.Curve25519)
		s, err := d.acct.NewInboundSessionFrom(&sender, env.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTampered, err)
		}
		p, err := s.Decrypt(env.Body, typ)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTampered, err)
		}
		if err := d.acct.RemoveOneTimeKeys(s); err != nil {
			return nil, fmt.Errorf("remove used one-time key: %w", err)
		}
		d.olm[ld.Curve25519] = append(d.olm[ld.Curve25519], s.(*session.OlmSession))
		plain = p
	}
	if plain == nil {
		return nil, fmt.Errorf("%w: no session decrypts it", ErrTampered)
	}
	d.seen.add(seenKey)
	var p pairwise
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrTampered, err)
	}
	return &p, nil
}
