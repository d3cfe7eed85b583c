package wire

import "time"

// Visibility says who may see a piece of profile information.
type Visibility string

// The visibilities. "contacts" means people with whom the account shares a
// 1:1 chat: the server has no address book, so a direct chat is its notion
// of a contact.
const (
	VisibleEveryone Visibility = "everyone"
	VisibleContacts Visibility = "contacts"
	VisibleNobody   Visibility = "nobody"
)

// Valid reports whether v is one of the known visibilities.
func (v Visibility) Valid() bool {
	return v == VisibleEveryone || v == VisibleContacts || v == VisibleNobody
}

// ChatKind is direct (two people) or group.
type ChatKind string

// The chat kinds.
const (
	ChatDirect ChatKind = "direct"
	ChatGroup  ChatKind = "group"
)

// Role is a member's role in a chat.
type Role string

// The roles.
const (
	RoleMember Role = "member"
	RoleAdmin  Role = "admin"
)

// MessageKind is the one fact about a message that the server may read.
// Content (text, media references, replies, forwards) is in the opaque body.
type MessageKind string

// The message kinds. Edit, delete and reaction name their target in Ref.
const (
	KindMessage  MessageKind = "message"
	KindEdit     MessageKind = "edit"
	KindDelete   MessageKind = "delete"
	KindReaction MessageKind = "reaction"
	KindSystem   MessageKind = "system" // a server-made chat event (member added, subject changed)
)

// EntryType is what an inbox entry carries.
type EntryType string

// The entry types.
const (
	EntryMessage EntryType = "message" // an envelope: one device's ciphertext of a message
	EntryReceipt EntryType = "receipt" // delivered, read or expired, for the sender's devices
	EntryEvent   EntryType = "event"   // a chat or account event (JSON body)
	EntryHistory EntryType = "history" // an opaque history bundle for a newly linked device
)

// Entry is one item of a device's inbox as the device receives it, in an
// "entry" event or from GET /v1/inbox. The server keeps more about it
// (chat.Entry: the device it is queued for, whether its expiry is
// notified); this is the part a device sees. IDs grow in commit order, on
// one node and across the nodes of a cluster; clients must not rely on
// contiguity.
type Entry struct {
	ID            int64       `json:"id"`
	Type          EntryType   `json:"type"`
	ChatID        int64       `json:"chat_id,omitempty"`
	Seq           int64       `json:"seq,omitempty"`
	MessageID     string      `json:"message_id,omitempty"`
	Kind          MessageKind `json:"kind,omitempty"`
	Ref           string      `json:"ref,omitempty"`
	SenderAccount int64       `json:"sender_account,omitempty"`
	SenderDevice  int64       `json:"sender_device,omitempty"`
	Body          []byte      `json:"body,omitempty"` // base64 in JSON
	// Key is this device's own part of a message sent with one shared
	// body (a group's sender key, encrypted for this device), or empty.
	Key       []byte    `json:"key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ChatView is a chat as its members see it.
type ChatView struct {
	ID                    int64        `json:"id"`
	Kind                  ChatKind     `json:"kind"`
	Subject               string       `json:"subject,omitempty"`
	OnlyAdminsSend        bool         `json:"only_admins_send"`
	DisappearAfterSeconds int64        `json:"disappear_after_seconds"`
	LastSeq               int64        `json:"last_seq"`
	CreatedAt             time.Time    `json:"created_at"`
	Members               []MemberView `json:"members"`
}

// MemberView is one member of a chat.
type MemberView struct {
	AccountID int64 `json:"account_id"`
	Role      Role  `json:"role"`
}

// Profile is what one account sees of another. Fields the viewer may not
// see are empty: HasAvatar false, LastSeen nil. Phone is set only for the
// account itself and for numbers the viewer looked up.
type Profile struct {
	ID          int64      `json:"id"`
	Phone       string     `json:"phone,omitempty"`
	DisplayName string     `json:"display_name"`
	Username    string     `json:"username,omitempty"` // the person's username, if they set one
	About       string     `json:"about"`
	HasAvatar   bool       `json:"has_avatar"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	Premium     bool       `json:"premium,omitempty"` // the premium badge
}

// Privacy is an account's privacy settings.
type Privacy struct {
	LastSeen     Visibility `json:"last_seen"`
	Avatar       Visibility `json:"avatar"`
	ReadReceipts bool       `json:"read_receipts"`
}

// Me is the caller's own account, with everything visible.
type Me struct {
	Profile
	Privacy Privacy `json:"privacy"`
}

// Contact is the result of looking up one phone number.
type Contact struct {
	Phone string `json:"phone"`
	Profile
}

// Envelope is one recipient device's copy of a message: a ciphertext the
// server stores and forwards but never parses.
type Envelope struct {
	DeviceID int64  `json:"device_id"`
	Body     []byte `json:"body"`
}

// SendResult says where a message landed. Duplicate is true when the
// message id was already committed: the result is the original one.
type SendResult struct {
	MessageID string    `json:"message_id"`
	Seq       int64     `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	Duplicate bool      `json:"duplicate"`
}

// RecipientDevice is a device a sender must encrypt for.
type RecipientDevice struct {
	AccountID int64  `json:"account_id"`
	DeviceID  int64  `json:"device_id"`
	PublicKey []byte `json:"public_key,omitempty"`
}
