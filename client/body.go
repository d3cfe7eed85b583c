package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Body is the plaintext content of a message as SendBody encodes it: JSON,
// the same bytes in every envelope. The server never reads it (except a
// business number's cloud device, which is an endpoint like a phone). It is
// wire.Content: Text for a message or an edit (ReplyTo and Forwarded
// optional, MediaID and MediaType for an attachment), Emoji for a reaction
// (empty to remove one), nothing for a delete, and the structured business
// content (location, interactive, interactive replies, templates,
// referrals) that wire.Content documents.
type Body = wire.Content

// maxDeviceRetries bounds how often SendBody refetches the recipients'
// devices after a devices_changed answer.
const maxDeviceRetries = 3

// SendBody sends body to chatID as message messageID of the given kind (ref
// names the target of an edit, delete or reaction). It fetches the chat's
// recipient devices and makes one envelope per device holding the
// JSON-encoded body: encrypted for each device when the client uses
// end-to-end encryption (UseE2EE; Olm per device in a 1:1 chat, one
// Megolm ciphertext in a group), plaintext otherwise. When a device is linked or unlinked in between (the server
// answers devices_changed), it fetches the devices again and retries, at
// most 3 times.
//
// Calling SendBody again with the same messageID is idempotent: the result
// then has Duplicate set and nothing new is delivered.
func (c *Client) SendBody(ctx context.Context, chatID int64, messageID string, kind wire.MessageKind, ref string, body Body) (wire.SendResult, error) {
	plain, err := json.Marshal(body)
	if err != nil {
		return wire.SendResult{}, fmt.Errorf("encode body: %w", err)
	}
	for attempt := 0; ; attempt++ {
		devs, err := c.RecipientDevices(ctx, chatID)
		if err != nil {
			return wire.SendResult{}, err
		}
		envs := make([]wire.Envelope, len(devs))
		var shared []byte
		done := func() {}
		if d := c.E2EE(); d != nil {
			if envs, shared, done, err = c.sealed(ctx, d, chatID, messageID, devs, plain); err != nil {
				return wire.SendResult{}, err
			}
		} else {
			for i, d := range devs {
				envs[i] = wire.Envelope{DeviceID: d.DeviceID, Body: plain}
			}
		}
		res, err := c.Send(ctx, chatID, SendRequest{MessageID: messageID, Kind: kind, Ref: ref, Envelopes: envs, Shared: shared})
		if ErrorCode(err) == string(parley.EDevicesChanged) && attempt < maxDeviceRetries {
			continue
		}
		if err == nil {
			done()
		}
		return res, err
	}
}

// SendText sends text to chatID as a new message with a random id, and
// returns where it landed (the id is in the result).
func (c *Client) SendText(ctx context.Context, chatID int64, text string) (wire.SendResult, error) {
	return c.SendBody(ctx, chatID, NewMessageID(), wire.KindMessage, "", Body{Text: text})
}

// NewMessageID returns a random message id: 16 hex digits from
// crypto/rand, unique enough within one chat.
func NewMessageID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b)
}

// DecodeBody decodes the plaintext Body of a message entry sent with
// SendBody. It fails for entries that are not messages (receipts, events,
// history bundles, system messages) and for bodies that are not Body JSON,
// such as ciphertexts.
func DecodeBody(e wire.Entry) (Body, error) {
	if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
		return Body{}, fmt.Errorf("entry %d is a %s entry, not a message", e.ID, entryLabel(e))
	}
	var b Body
	if err := json.Unmarshal(e.Body, &b); err != nil {
		return Body{}, fmt.Errorf("decode body of entry %d: %w", e.ID, err)
	}
	return b, nil
}

// DecodeReceipt decodes the body of a receipt entry.
func DecodeReceipt(e wire.Entry) (wire.ReceiptBody, error) {
	if e.Type != wire.EntryReceipt {
		return wire.ReceiptBody{}, fmt.Errorf("entry %d is a %s entry, not a receipt", e.ID, entryLabel(e))
	}
	var r wire.ReceiptBody
	if err := json.Unmarshal(e.Body, &r); err != nil {
		return wire.ReceiptBody{}, fmt.Errorf("decode receipt of entry %d: %w", e.ID, err)
	}
	return r, nil
}

// DecodeChatEvent decodes the body of a system message (a chat event such
// as members_added) or of an account event entry (such as device_linked).
func DecodeChatEvent(e wire.Entry) (wire.ChatEventBody, error) {
	if e.Type != wire.EntryEvent && (e.Type != wire.EntryMessage || e.Kind != wire.KindSystem) {
		return wire.ChatEventBody{}, fmt.Errorf("entry %d is a %s entry, not an event", e.ID, entryLabel(e))
	}
	var ev wire.ChatEventBody
	if err := json.Unmarshal(e.Body, &ev); err != nil {
		return wire.ChatEventBody{}, fmt.Errorf("decode event of entry %d: %w", e.ID, err)
	}
	return ev, nil
}

func entryLabel(e wire.Entry) string {
	if e.Type == wire.EntryMessage && e.Kind == wire.KindSystem {
		return "system"
	}
	return string(e.Type)
}
