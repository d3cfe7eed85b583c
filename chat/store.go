package chat

import (
	"context"
	"time"
)

// Store is everything Parley persists. internal/sqlite and internal/postgres
// implement it, and internal/storetest is the conformance suite both pass.
// Stores do no authorization: the Service decides who may do what.
//
// Unless a method says otherwise, a missing row is reported as ErrNotFound
// (code ENotFound) and any other failure as a wrapped error (EInternal).
type Store interface {
	AccountStore
	ChatStore
	MessageStore
	MediaStore
	KeyStore
	// Ping checks that the database answers, for /readyz.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// AccountStore holds accounts, one-time codes, devices and blocks.
type AccountStore interface {
	// PutOTPCounted creates or replaces the code pending for otp.Phone
	// and otp.Requester and takes every count of takes in the window that
	// starts at window, all in one commit. When a take would pass its Max
	// it writes nothing and returns that take's index; otherwise -1.
	PutOTPCounted(ctx context.Context, otp OTP, window time.Time, takes []QuotaTake) (int, error)
	// GetOTP returns the code pending for phone and requester, or ErrNotFound.
	GetOTP(ctx context.Context, phone, requester string) (OTP, error)
	// CountOTPAttempt takes every count of takes in the window that
	// starts at window and adds one to the attempts of the code pending
	// for phone and requester, in one commit, and returns the new
	// attempts. When a take would pass its Max it writes nothing and
	// returns that take's index; otherwise -1. A missing code is
	// ErrNotFound, with nothing counted.
	CountOTPAttempt(ctx context.Context, phone, requester string, window time.Time, takes []QuotaTake) (attempts, refused int, err error)
	// DeleteOTP removes the code pending for phone and requester; deleting
	// a missing code is not an error.
	DeleteOTP(ctx context.Context, phone, requester string) error
	// DeleteOTPs removes every code pending for phone, whoever asked.
	DeleteOTPs(ctx context.Context, phone string) error
	// TakeQuota adds n to the counter name for the window that starts at
	// window (whole seconds) and returns the new count; it returns false,
	// counting nothing, when the count would pass max. A counter of an
	// earlier window starts again from zero. Concurrent takers, on any
	// node, never pass max together.
	TakeQuota(ctx context.Context, name string, window time.Time, n, max int) (int, bool, error)
	// QuotaUsed returns the count of name in the window that starts at
	// window: zero when there is none, or only one of an older window.
	QuotaUsed(ctx context.Context, name string, window time.Time) (int, error)
	// PruneQuotas removes the counters of windows that started before
	// before, and the codes that expired before it.
	PruneQuotas(ctx context.Context, before time.Time) (int64, error)

	// CreateAccount inserts a and sets a.ID. It returns EConflict if the
	// phone number is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the account, or ErrNotFound.
	GetAccount(ctx context.Context, id int64) (Account, error)
	// GetAccountByPhone returns the account with that E.164 number, or ErrNotFound.
	GetAccountByPhone(ctx context.Context, phone string) (Account, error)
	// LookupPhones returns the accounts among phones that exist, in any order.
	LookupPhones(ctx context.Context, phones []string) ([]Account, error)
	// UpdateAccount writes the profile and privacy fields of a (DisplayName,
	// About, AvatarMediaID, LastSeenVisibility, AvatarVisibility,
	// ReadReceipts). It returns ErrNotFound for an unknown account.
	UpdateAccount(ctx context.Context, a Account) error
	// SetUsername sets the account's username ("" removes it). EConflict
	// if another account has it; ENotFound if the account does not exist.
	SetUsername(ctx context.Context, accountID int64, username string) error
	// TouchLastSeen sets the account's last-seen time.
	TouchLastSeen(ctx context.Context, accountID int64, t time.Time) error

	// Block records that accountID blocks blockedID. Blocking twice is not an error.
	Block(ctx context.Context, accountID, blockedID int64) error
	// Unblock removes the block, if any.
	Unblock(ctx context.Context, accountID, blockedID int64) error
	// IsBlocked reports whether accountID has blocked otherID.
	IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error)
	// ListBlocked returns the ids accountID has blocked, ascending.
	ListBlocked(ctx context.Context, accountID int64) ([]int64, error)

	// CreateDevice inserts d with the hash of its bearer token and sets d.ID.
	// It returns ELimit, atomically, if the account already has limit
	// devices.
	CreateDevice(ctx context.Context, d *Device, tokenHash []byte, limit int) error
	// DeviceByTokenHash returns the device holding that token, or ErrNotFound.
	DeviceByTokenHash(ctx context.Context, tokenHash []byte) (Device, error)
	// ListDevices returns the account's devices, ascending by id.
	ListDevices(ctx context.Context, accountID int64) ([]Device, error)
	// DevicesOf returns the devices of all the given accounts, ascending by id.
	DevicesOf(ctx context.Context, accountIDs []int64) ([]Device, error)
	// DeleteDevice removes the account's device and its whole inbox. It
	// returns ErrNotFound if the device does not exist or belongs to another
	// account.
	DeleteDevice(ctx context.Context, accountID, deviceID int64) error
	// TouchDevice sets the device's last-active time.
	TouchDevice(ctx context.Context, deviceID int64, t time.Time) error
}

// ChatStore holds chats and their members.
type ChatStore interface {
	// CreateChat inserts c with its members and sets c.ID. For a direct chat
	// whose DirectKey exists it returns EConflict.
	CreateChat(ctx context.Context, c *Chat, members []Member) error
	// GetChat returns the chat, or ErrNotFound.
	GetChat(ctx context.Context, id int64) (Chat, error)
	// GetDirectChat returns the direct chat with that key, or ErrNotFound.
	GetDirectChat(ctx context.Context, key string) (Chat, error)
	// UpdateChat writes Subject, OnlyAdminsSend and DisappearAfter.
	UpdateChat(ctx context.Context, c Chat) error
	// ListChats returns the chats accountID is a member of, newest activity
	// (LastSeq then ID) first.
	ListChats(ctx context.Context, accountID int64) ([]Chat, error)
	// Members returns the chat's members, ascending by account id.
	Members(ctx context.Context, chatID int64) ([]Member, error)
	// GetMember returns one membership, or ErrNotFound.
	GetMember(ctx context.Context, chatID, accountID int64) (Member, error)
	// AddMembers adds members; existing members are left as they are. It
	// returns ELimit, atomically, if the chat would exceed limit members.
	AddMembers(ctx context.Context, chatID int64, members []Member, limit int) error
	// RemoveMember removes a membership, or returns ErrNotFound.
	RemoveMember(ctx context.Context, chatID, accountID int64) error
	// SetRole changes a member's role, or returns ErrNotFound.
	SetRole(ctx context.Context, chatID, accountID int64, role Role) error
	// SharesDirectChat reports whether a and b have a direct chat.
	SharesDirectChat(ctx context.Context, a, b int64) (bool, error)
}

// Append is one unit of a Commit: optionally a message to record, and the
// inbox entries it puts in devices' queues.
type Append struct {
	ChatID int64
	// Sequenced asks for the chat's next sequence number, written into
	// Seq and into every entry's Seq.
	Sequenced bool
	// Meta, when non-nil, is recorded (Sequenced is implied). If a message
	// with the same ChatID and ID exists, nothing is written: Duplicate is
	// set, and Seq and Meta.CreatedAt take the stored values. If that
	// message has another sender the append fails with EConflict in Err.
	Meta    *MessageMeta
	Entries []Entry
	// Shared, when non-nil, is the body of every entry marked Shared; the
	// store writes it once, keyed by Meta's chat and message id (Meta is
	// required), and only if the append commits.
	Shared []byte
	// Extra, when non-nil, is written by the store in the same transaction
	// if the append commits (no Err, not a Duplicate). Another context
	// puts its own record here (a business send's record and its status
	// webhook, a *business.Batch), so that it commits with the message;
	// the store adapters know the types they accept.
	Extra any

	// Results, set by Commit.
	Seq       int64
	Duplicate bool
	Err       error // a per-append failure (EConflict); the rest still commit
}

// DeviceAck is one device's acknowledgement of inbox entries.
type DeviceAck struct {
	DeviceID int64
	IDs      []int64
}

// MessageStore holds message metadata, inboxes and receipts: the hot path.
type MessageStore interface {
	// Commit writes all appends in one transaction (group commit). It sets
	// each entry's ID and, for sequenced appends, Seq. A returned error means
	// nothing was written; a per-append Err means only that append was
	// skipped.
	Commit(ctx context.Context, appends []*Append) error
	// GetMessage returns a message's metadata, or ErrNotFound.
	GetMessage(ctx context.Context, chatID int64, id string) (MessageMeta, error)
	// Pending returns up to limit of the device's entries with ID > after,
	// ascending by ID.
	Pending(ctx context.Context, deviceID, after int64, limit int) ([]Entry, error)
	// QueuedEntries returns the entries of the chat's message that no
	// device has acknowledged yet, ascending by ID.
	QueuedEntries(ctx context.Context, chatID int64, messageID string) ([]Entry, error)
	// SweepBodies looks at up to limit shared bodies with id > after and
	// deletes those no inbox entry refers to; it returns the last id it
	// looked at (0 at the end) and how many it deleted.
	SweepBodies(ctx context.Context, after int64, limit int) (last int64, deleted int, err error)
	// Ack deletes the device's entries with the given ids and returns the
	// deleted entries, without their bodies. Unknown ids are ignored.
	Ack(ctx context.Context, deviceID int64, ids []int64) ([]Entry, error)
	// AckMany is Ack for many devices in one transaction: the group
	// committer of acks. Returned entries carry their DeviceID.
	AckMany(ctx context.Context, acks []DeviceAck) ([]Entry, error)
	// RaiseReceipts stores each receipt whose status is higher than the one
	// stored (or new) and returns exactly those.
	RaiseReceipts(ctx context.Context, rs []Receipt) ([]Receipt, error)
	// AckDelivered is AckMany, RaiseReceipts and Commit in one
	// transaction, the ack committer's: it deletes acks, raises the
	// receipts that receipts returns for the deleted entries, and commits
	// the appends that notify returns for the receipts raised (unsequenced,
	// without Meta, Shared or Extra; their entries take ids as Commit's
	// do; notify is not called when none was raised). It returns those
	// appends, their entries' IDs set, to publish. receipts runs
	// inside the transaction and may read the store (on another
	// connection); an error from it or from any step writes nothing.
	AckDelivered(ctx context.Context, acks []DeviceAck,
		receipts func(ctx context.Context, acked []Entry) ([]Receipt, error),
		notify func(raised []Receipt) []*Append) ([]*Append, error)
	// Expire deletes up to limit entries with ExpiresAt <= now and returns
	// those of them that have NotifyExpiry set, without bodies.
	Expire(ctx context.Context, now time.Time, limit int) (deleted int, notify []Entry, err error)
	// PruneMessages deletes message metadata and receipts created before t.
	PruneMessages(ctx context.Context, before time.Time) (int, error)
	// PurgeChatEntries deletes every inbox entry of the chat whose message was
	// created before t, for disappearing messages whose timer was shortened.
	PurgeChatEntries(ctx context.Context, chatID int64, createdBefore time.Time) (int, error)
	// ShortenChatExpiry makes the chat's queued messages (entries of type
	// message, except system events) expire at most after past their
	// creation, silently: where CreatedAt+after is before ExpiresAt, it
	// becomes the ExpiresAt and NotifyExpiry is cleared. It returns how many
	// entries it changed. A disappearing timer set on a chat uses it for
	// what is already queued.
	ShortenChatExpiry(ctx context.Context, chatID int64, after time.Duration) (int, error)
}

// MediaStore holds media metadata; the bytes live in a BlobStore.
type MediaStore interface {
	// CreateMedia inserts m. IDs are chosen by the caller.
	CreateMedia(ctx context.Context, m Media) error
	// GetMedia returns the media, or ErrNotFound.
	GetMedia(ctx context.Context, id string) (Media, error)
	// AttachMedia makes the media downloadable by members of chatID.
	// Attaching twice is not an error.
	AttachMedia(ctx context.Context, mediaID string, chatID int64) error
	// MediaVisibleTo reports whether accountID is a member of a chat the
	// media is attached to.
	MediaVisibleTo(ctx context.Context, mediaID string, accountID int64) (bool, error)
	// DeleteMedia deletes the media and its attachments to chats, or
	// returns ErrNotFound. The blob stays: blobs are content-addressed
	// and other media may share it.
	DeleteMedia(ctx context.Context, id string) error
	// MediaUsage returns the bytes of the media ownerID uploaded that are
	// still kept (each upload counts, shared blobs included).
	MediaUsage(ctx context.Context, ownerID int64) (int64, error)
	// DeleteUnreferencedMedia deletes up to limit media created before
	// before that nothing refers to any more: no account's avatar, no
	// channel's picture, post or channel_media row, and no inbox entry
	// still pending in a chat it is attached to that was created at or
	// after the upload. It returns the deleted media; Orphan is set on
	// those whose blob no remaining media shares.
	DeleteUnreferencedMedia(ctx context.Context, before time.Time, limit int) ([]SweptMedia, error)
	// MediaBlobInUse reports whether any media refers to the blob sha256.
	MediaBlobInUse(ctx context.Context, sha256 string) (bool, error)
}

// SweptMedia is a media record DeleteUnreferencedMedia removed.
type SweptMedia struct {
	ID     string
	SHA256 string
	Orphan bool // no remaining media shares the blob
}
