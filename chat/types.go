package chat

import (
	"time"

	"github.com/parleyhq/parley/wire"
)

// The chat core's names for the enumerations it shares with clients: the
// types and their values are wire's (package wire), so that a client reads
// them without compiling the domain.
type (
	// Visibility says who may see a piece of profile information.
	Visibility = wire.Visibility
	// ChatKind is direct (two people) or group.
	ChatKind = wire.ChatKind
	// Role is a member's role in a chat.
	Role = wire.Role
	// MessageKind is the one fact about a message that the server may read.
	MessageKind = wire.MessageKind
	// EntryType is what an inbox entry carries.
	EntryType = wire.EntryType
)

// The visibilities, chat kinds, roles, message kinds and entry types.
const (
	VisibleEveryone = wire.VisibleEveryone
	VisibleContacts = wire.VisibleContacts
	VisibleNobody   = wire.VisibleNobody

	ChatDirect = wire.ChatDirect
	ChatGroup  = wire.ChatGroup

	RoleMember = wire.RoleMember
	RoleAdmin  = wire.RoleAdmin

	KindMessage  = wire.KindMessage
	KindEdit     = wire.KindEdit
	KindDelete   = wire.KindDelete
	KindReaction = wire.KindReaction
	KindSystem   = wire.KindSystem

	EntryMessage = wire.EntryMessage
	EntryReceipt = wire.EntryReceipt
	EntryEvent   = wire.EntryEvent
	EntryHistory = wire.EntryHistory
)

// Account is a person, identified by a phone number in E.164 form.
type Account struct {
	ID                 int64
	Phone              string
	DisplayName        string
	Username           string // lower case; "" for none (ValidUsername)
	About              string
	AvatarMediaID      string
	LastSeenVisibility Visibility
	AvatarVisibility   Visibility
	ReadReceipts       bool
	CreatedAt          time.Time
	LastSeenAt         time.Time // zero when never seen
}

// OTP is a pending one-time registration code. Only its hash is stored.
// Each requester (a client address) has its own code for a number, so
// that a stranger's guesses count against the stranger's code only.
type OTP struct {
	Phone     string
	Requester string
	CodeHash  []byte
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Device is one linked device of an account. Each device holds its own
// bearer token (stored as a hash) and, for end-to-end encryption, its own
// public identity key, which the server stores and hands out but never uses.
type Device struct {
	ID           int64
	AccountID    int64
	Name         string
	PublicKey    []byte
	CreatedAt    time.Time
	LastActiveAt time.Time
}

// Chat is a conversation. LastSeq is the sequence number of the newest
// message or event; sequence numbers only grow.
type Chat struct {
	ID             int64
	Kind           ChatKind
	Subject        string
	OnlyAdminsSend bool
	DisappearAfter time.Duration // 0 means off
	DirectKey      string        // "small:large" account ids, for direct chats only
	CreatedBy      int64
	CreatedAt      time.Time
	LastSeq        int64
}

// Member is an account's membership of a chat.
type Member struct {
	ChatID    int64
	AccountID int64
	Role      Role
	JoinedAt  time.Time
}

// MessageMeta is what the server keeps about a sent message after its
// envelopes are gone: enough to deduplicate retries, order the chat, and
// check edit and delete windows. It is pruned after Config.MetaTTL.
type MessageMeta struct {
	ChatID        int64
	Seq           int64
	ID            string // client-chosen, unique within the chat
	SenderAccount int64
	SenderDevice  int64
	Kind          MessageKind
	Ref           string
	CreatedAt     time.Time
}

// Entry is one item in a device's inbox. The inbox is the store-and-forward
// queue: an entry stays until the device acknowledges it or it expires.
// IDs grow in commit order on a single node; clients must not rely on
// contiguity. What the device receives of it is Wire.
type Entry struct {
	ID            int64
	DeviceID      int64
	Type          EntryType
	ChatID        int64
	Seq           int64
	MessageID     string
	Kind          MessageKind
	Ref           string
	SenderAccount int64
	SenderDevice  int64
	Body          []byte
	// Shared marks an entry whose Body is its append's Shared body: the
	// store keeps that body once for all of the message's entries.
	Shared bool
	// Key is this device's own part of a shared message (a sender key sent
	// over the pairwise session), or nil.
	Key       []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// NotifyExpiry is set when the entry expires by retention rather than by
	// a disappearing-message timer: the sender is then told it expired.
	NotifyExpiry bool
}

// Wire returns the entry as its device receives it: everything but the
// device it is queued for and NotifyExpiry.
func (e *Entry) Wire() *wire.Entry {
	return &wire.Entry{ID: e.ID, Type: e.Type, ChatID: e.ChatID, Seq: e.Seq, MessageID: e.MessageID, Kind: e.Kind, Ref: e.Ref,
		SenderAccount: e.SenderAccount, SenderDevice: e.SenderDevice, Body: e.Body, Key: e.Key, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt}
}

// ReceiptStatus orders the receipt states; a receipt only ever moves up.
type ReceiptStatus int

// The receipt states. Sent is implicit: a committed message is sent.
const (
	ReceiptDelivered ReceiptStatus = 1
	ReceiptRead      ReceiptStatus = 2
)

// String returns the wire name of s.
func (s ReceiptStatus) String() string {
	switch s {
	case ReceiptDelivered:
		return "delivered"
	case ReceiptRead:
		return "read"
	}
	return "unknown"
}

// Receipt is the highest status a recipient account has reached for one
// message.
type Receipt struct {
	ChatID    int64
	MessageID string
	AccountID int64
	Status    ReceiptStatus
}

// Media is an uploaded blob. Blobs are stored content-addressed by SHA256;
// the Media row gives it an unguessable ID, a type and an owner.
type Media struct {
	ID          string
	SHA256      string // lower-case hex
	Size        int64
	ContentType string
	OwnerID     int64
	CreatedAt   time.Time
}
