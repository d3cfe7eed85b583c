package chat

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

// Account is a person, identified by a phone number in E.164 form.
type Account struct {
	ID                 int64
	Phone              string
	DisplayName        string
	About              string
	AvatarMediaID      string
	LastSeenVisibility Visibility
	AvatarVisibility   Visibility
	ReadReceipts       bool
	CreatedAt          time.Time
	LastSeenAt         time.Time // zero when never seen
}

// OTP is a pending one-time registration code. Only its hash is stored.
type OTP struct {
	Phone     string
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

// ChatKind is direct (two people) or group.
type ChatKind string

// The chat kinds.
const (
	ChatDirect ChatKind = "direct"
	ChatGroup  ChatKind = "group"
)

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

// Role is a member's role in a chat.
type Role string

// The roles.
const (
	RoleMember Role = "member"
	RoleAdmin  Role = "admin"
)

// Member is an account's membership of a chat.
type Member struct {
	ChatID    int64
	AccountID int64
	Role      Role
	JoinedAt  time.Time
}

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

// EntryType is what an inbox entry carries.
type EntryType string

// The entry types.
const (
	EntryMessage EntryType = "message" // an envelope: one device's ciphertext of a message
	EntryReceipt EntryType = "receipt" // delivered, read or expired, for the sender's devices
	EntryEvent   EntryType = "event"   // a chat or account event (JSON body)
	EntryHistory EntryType = "history" // an opaque history bundle for a newly linked device
)

// Entry is one item in a device's inbox. The inbox is the store-and-forward
// queue: an entry stays until the device acknowledges it or it expires.
// IDs grow in commit order on a single node; clients must not rely on
// contiguity.
type Entry struct {
	ID            int64       `json:"id"`
	DeviceID      int64       `json:"-"`
	Type          EntryType   `json:"type"`
	ChatID        int64       `json:"chat_id,omitempty"`
	Seq           int64       `json:"seq,omitempty"`
	MessageID     string      `json:"message_id,omitempty"`
	Kind          MessageKind `json:"kind,omitempty"`
	Ref           string      `json:"ref,omitempty"`
	SenderAccount int64       `json:"sender_account,omitempty"`
	SenderDevice  int64       `json:"sender_device,omitempty"`
	Body          []byte      `json:"body,omitempty"` // base64 in JSON
	CreatedAt     time.Time   `json:"created_at"`
	ExpiresAt     time.Time   `json:"expires_at"`
	// NotifyExpiry is set when the entry expires by retention rather than by
	// a disappearing-message timer: the sender is then told it expired.
	NotifyExpiry bool `json:"-"`
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
