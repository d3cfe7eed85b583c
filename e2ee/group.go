package e2ee

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"maunium.net/go/mautrix/crypto/goolm/session"

	"github.com/parleyhq/parley/wire"
)

// outGroup is this device's outbound Megolm session in one chat: whom it
// was shared with (device id → curve25519 key), how many messages it
// encrypted, and when it started.
type outGroup struct {
	s          *session.MegolmOutboundSession
	sharedWith map[int64]string
	count      int
	created    time.Time
}

type outGroupJSON struct {
	Pickle     []byte            `json:"pickle"`
	SharedWith map[string]string `json:"shared_with"`
	Count      int               `json:"count"`
	Created    time.Time         `json:"created"`
}

func (g *outGroup) marshal() (outGroupJSON, error) {
	p, err := g.s.Pickle(pickleKey)
	if err != nil {
		return outGroupJSON{}, fmt.Errorf("pickle group session: %w", err)
	}
	j := outGroupJSON{Pickle: p, SharedWith: map[string]string{}, Count: g.count, Created: g.created}
	for dev, k := range g.sharedWith {
		j.SharedWith[strconv.FormatInt(dev, 10)] = k
	}
	return j, nil
}

func (j outGroupJSON) unmarshal() (*outGroup, error) {
	s, err := session.MegolmOutboundSessionFromPickled(j.Pickle, pickleKey)
	if err != nil {
		return nil, fmt.Errorf("unpickle group session: %w", err)
	}
	g := &outGroup{s: s, sharedWith: map[int64]string{}, count: j.Count, created: j.Created}
	for k, v := range j.SharedWith {
		dev, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("group session: device %q: %w", k, err)
		}
		g.sharedWith[dev] = v
	}
	return g, nil
}

// inGroup is an inbound Megolm session, bound to the chat and the device
// that shared it over Olm: its messages are accepted only from there.
type inGroup struct {
	s             *session.MegolmInboundSession
	chatID        int64
	senderAccount int64
	senderDevice  int64
	senderCurve   string
}

type inGroupJSON struct {
	Pickle        []byte `json:"pickle"`
	ChatID        int64  `json:"chat_id"`
	SenderAccount int64  `json:"sender_account"`
	SenderDevice  int64  `json:"sender_device"`
	SenderCurve   string `json:"sender_curve25519"`
}

func (g *inGroup) marshal() (inGroupJSON, error) {
	p, err := g.s.Pickle(pickleKey)
	if err != nil {
		return inGroupJSON{}, fmt.Errorf("pickle inbound group session: %w", err)
	}
	return inGroupJSON{Pickle: p, ChatID: g.chatID, SenderAccount: g.senderAccount, SenderDevice: g.senderDevice, SenderCurve: g.senderCurve}, nil
}

func (j inGroupJSON) unmarshal() (*inGroup, error) {
	s, err := session.MegolmInboundSessionFromPickled(j.Pickle, pickleKey)
	if err != nil {
		return nil, fmt.Errorf("unpickle inbound group session: %w", err)
	}
	return &inGroup{s: s, chatID: j.ChatID, senderAccount: j.SenderAccount, senderDevice: j.SenderDevice, senderCurve: j.SenderCurve}, nil
}

// GroupSealed is a group message encrypted once: Shared is the one
// Megolm ciphertext every device decrypts; Keys holds, for the devices
// that need one, a per-device part (the session key over Olm, or a note
// that the device is not trusted). Call Sent once the server accepted
// the message, so the devices that got the key are remembered.
type GroupSealed struct {
	Shared    []byte
	Keys      map[int64][]byte
	chatID    int64
	sessionID string
	gotKey    map[int64]string
}

// Envelopes returns the message as one envelope per target, each
// holding the shared ciphertext and the device's key part: the form for
// a server that takes no shared body.
func (gs *GroupSealed) Envelopes(targets []Target) ([]wire.Envelope, error) {
	var env envelope
	if err := json.Unmarshal(gs.Shared, &env); err != nil {
		return nil, err
	}
	out := make([]wire.Envelope, len(targets))
	for i, t := range targets {
		e := env
		if k, ok := gs.Keys[t.DeviceID]; ok {
			var ke envelope
			if err := json.Unmarshal(k, &ke); err != nil {
				return nil, err
			}
			e.Key = &ke
		}
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		out[i] = wire.Envelope{DeviceID: t.DeviceID, Body: b}
	}
	return out, nil
}

// needsRotation reports why g may no longer be used for targets ("" if
// it may): a device it was shared with is no longer a recipient (a
// member left or was removed, a device was unlinked), or it is too old
// or has encrypted too many messages.
func (d *Device) needsRotation(g *outGroup, trusted map[int64]string) string {
	switch {
	case g == nil:
		return "new"
	case g.count >= RotateAfterMessages:
		return "message count"
	case d.now().Sub(g.created) >= RotateAfter:
		return "age"
	}
	for dev, curve := range g.sharedWith {
		if trusted[dev] != curve {
			return "recipient removed"
		}
	}
	return ""
}

// EncryptGroup encrypts content (a message body) once for a group chat,
// with this device's Megolm session for the chat, starting a new session
// when needed (needsRotation). Trusted devices that do not have the
// session yet get its key over Olm in Keys; untrusted devices get a key
// part they cannot read, and so cannot read the message.
func (d *Device) EncryptGroup(chatID int64, messageID string, targets []Target, content []byte) (*GroupSealed, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	trusted := map[int64]string{}
	lds := map[int64]wire.ListedDevice{}
	for _, t := range targets {
		if ld, ok := d.trusted(t.AccountID, t.DeviceID); ok {
			trusted[t.DeviceID], lds[t.DeviceID] = ld.Curve25519, ld
		}
	}
	g := d.out[chatID]
	if d.needsRotation(g, trusted) != "" {
		s, err := session.NewMegolmOutboundSession()
		if err != nil {
			return nil, fmt.Errorf("new group session: %w", err)
		}
		g = &outGroup{s: s, sharedWith: map[int64]string{}, created: d.now()}
		d.out[chatID] = g
	}
	sid := string(g.s.ID())
	gs := &GroupSealed{Keys: map[int64][]byte{}, chatID: chatID, sessionID: sid, gotKey: map[int64]string{}}
	var sessionKey string
	for _, t := range targets {
		ld, ok := lds[t.DeviceID]
		if !ok {
			gs.Keys[t.DeviceID] = noneEnvelope("device not in its account's signed device list")
			continue
		}
		if g.sharedWith[t.DeviceID] == ld.Curve25519 {
			continue
		}
		if sessionKey == "" {
			k, err := g.s.SessionSharingMessage()
			if err != nil {
				return nil, fmt.Errorf("group session key: %w", err)
			}
			sessionKey = string(k)
		}
		env, err := d.olmEncrypt(ld, pairwise{Type: payloadRoomKey, ChatID: chatID, MessageID: messageID,
			RoomKey: &roomKey{ChatID: chatID, SessionID: sid, SessionKey: sessionKey}})
		if err != nil {
			return nil, err
		}
		if env == nil {
			gs.Keys[t.DeviceID] = noneEnvelope("device published no keys")
			continue
		}
		if gs.Keys[t.DeviceID], err = json.Marshal(env); err != nil {
			return nil, err
		}
		gs.gotKey[t.DeviceID] = ld.Curve25519
	}
	plain, err := json.Marshal(group{Type: payloadGroup, ChatID: chatID, MessageID: messageID, SenderAccount: d.accountID, SenderDevice: d.deviceID, Content: content})
	if err != nil {
		return nil, err
	}
	ct, err := g.s.Encrypt(plain)
	if err != nil {
		return nil, fmt.Errorf("group encrypt: %w", err)
	}
	g.count++
	if gs.Shared, err = json.Marshal(envelope{V: 1, Alg: algMegolm, Session: sid, Body: string(ct)}); err != nil {
		return nil, err
	}
	return gs, nil
}

// Sent records that the server accepted gs: its devices now have the
// session key and are not sent it again.
func (d *Device) Sent(gs *GroupSealed) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.out[gs.chatID]
	if g == nil || string(g.s.ID()) != gs.sessionID {
		return
	}
	for dev, curve := range gs.gotKey {
		g.sharedWith[dev] = curve
	}
}

// RotateGroup forgets this device's group session in chatID, so that
// the next message starts a new one (after a member left, for one).
func (d *Device) RotateGroup(chatID int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.out, chatID)
}

// groupDecrypt takes a Megolm envelope: first its key part, if any (a
// room key over Olm from the sender's device), then the message.
func (d *Device) groupDecrypt(env *envelope, e wire.Entry, ld wire.ListedDevice, trusted bool) ([]byte, error) {
	if env.Key != nil {
		switch env.Key.Alg {
		case algNone:
			return nil, fmt.Errorf("%w: %s", ErrNotForYou, env.Key.Reason)
		case algOlm:
		default:
			return nil, fmt.Errorf("%w: a group key part must be an olm message", ErrMisrouted)
		}
		if !trusted {
			return nil, ErrUntrusted
		}
		p, err := d.olmDecrypt(env.Key, ld)
		if err != nil && err != ErrReplay {
			return nil, err
		}
		if err == nil {
			if p.Type != payloadRoomKey || p.RoomKey == nil {
				return nil, fmt.Errorf("%w: a %s payload as a group key", ErrMisrouted, p.Type)
			}
			if err := d.checkPairwise(p, e, ld); err != nil {
				return nil, err
			}
			if p.RoomKey.ChatID != e.ChatID || p.RoomKey.SessionID != env.Session {
				return nil, fmt.Errorf("%w: a key for another chat or session", ErrTampered)
			}
			s, err := session.NewMegolmInboundSession([]byte(p.RoomKey.SessionKey))
			if err != nil {
				return nil, fmt.Errorf("%w: group key: %v", ErrTampered, err)
			}
			if string(s.ID()) != p.RoomKey.SessionID {
				return nil, fmt.Errorf("%w: group key of another session", ErrTampered)
			}
			if _, have := d.in[p.RoomKey.SessionID]; !have {
				d.in[p.RoomKey.SessionID] = &inGroup{s: s, chatID: e.ChatID, senderAccount: e.SenderAccount, senderDevice: e.SenderDevice, senderCurve: ld.Curve25519}
			}
		}
	}
	g := d.in[env.Session]
	if g == nil {
		return nil, ErrNoSession
	}
	if g.chatID != e.ChatID || g.senderAccount != e.SenderAccount || g.senderDevice != e.SenderDevice {
		return nil, fmt.Errorf("%w: group session of another chat or sender", ErrTampered)
	}
	if cur, ok := d.trusted(g.senderAccount, g.senderDevice); !ok || cur.Curve25519 != g.senderCurve {
		return nil, ErrUntrusted
	}
	plain, index, err := g.s.Decrypt([]byte(env.Body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	seenKey := "megolm|" + env.Session + "|" + strconv.FormatUint(uint64(index), 10)
	if d.seen.has(seenKey) {
		return nil, ErrReplay
	}
	d.seen.add(seenKey)
	var p group
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrTampered, err)
	}
	if p.Type != payloadGroup {
		return nil, fmt.Errorf("%w: a %s payload as a group message", ErrMisrouted, p.Type)
	}
	if p.ChatID != e.ChatID || p.MessageID != e.MessageID || p.SenderAccount != e.SenderAccount || p.SenderDevice != e.SenderDevice {
		return nil, fmt.Errorf("%w: the payload names another chat, message or sender", ErrTampered)
	}
	return p.Content, nil
}
