package chat

import (
	"time"

	"github.com/parleyhq/parley"
)

// EventType names what an Event carries. Events are what the server pushes
// over a device's WebSocket; on the bus they travel already encoded, so a
// gateway forwards the bytes without decoding them.
type EventType string

// The event types.
const (
	EventEntry     EventType = "entry"     // a new inbox entry
	EventTyping    EventType = "typing"    // someone is composing (ephemeral)
	EventPresence  EventType = "presence"  // an account went on- or offline (ephemeral)
	EventRevoked   EventType = "revoked"   // this device was unlinked; the socket closes
	EventReady     EventType = "ready"     // the backlog has been sent; what follows is live
	EventReconnect EventType = "reconnect" // the server is going away; reconnect and resume
	EventError     EventType = "error"     // a client frame was rejected
	EventPong      EventType = "pong"      // the answer to a client ping
)

// Event is one frame pushed to a device.
type Event struct {
	Type      EventType  `json:"type"`
	Entry     *Entry     `json:"entry,omitempty"`
	ChatID    int64      `json:"chat_id,omitempty"`
	AccountID int64      `json:"account_id,omitempty"`
	DeviceID  int64      `json:"device_id,omitempty"`
	State     string     `json:"state,omitempty"` // typing: composing|paused; presence: online|offline
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	Pending   int        `json:"pending,omitempty"` // ready: entries sent from the backlog
	Error     *WireError `json:"error,omitempty"`
	// Channel events (channel_post, channel_post_edited,
	// channel_post_deleted, channel_suspended, channel_follow).
	ChannelID int64     `json:"channel_id,omitempty"`
	Post      *PostView `json:"post,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// WireError is the JSON shape of an error, on HTTP and WebSocket alike.
type WireError struct {
	Code    parley.Code    `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// ReceiptBody is the JSON body of a receipt entry. AccountID is the
// recipient whose status changed (for delivered and read), DeviceID the
// device whose envelope expired (for expired).
type ReceiptBody struct {
	Status     string   `json:"status"` // delivered | read | expired
	AccountID  int64    `json:"account_id,omitempty"`
	DeviceID   int64    `json:"device_id,omitempty"`
	MessageIDs []string `json:"message_ids"`
}

// ChatEventBody is the JSON body of a system entry (KindSystem) or an
// account event entry (EntryEvent).
type ChatEventBody struct {
	Event          string  `json:"event"` // group_created, members_added, member_removed, member_left, subject_changed, settings_changed, role_changed, disappearing_changed, device_linked
	Actor          int64   `json:"actor,omitempty"`
	Accounts       []int64 `json:"accounts,omitempty"`
	Subject        string  `json:"subject,omitempty"`
	OnlyAdminsSend *bool   `json:"only_admins_send,omitempty"`
	Role           Role    `json:"role,omitempty"`
	DisappearAfter *int64  `json:"disappear_after_seconds,omitempty"`
	DeviceID       int64   `json:"device_id,omitempty"`
	DeviceName     string  `json:"device_name,omitempty"`
}

// PostKind is what a post carries.
type PostKind string

// The post kinds.
const (
	PostText  PostKind = "text"
	PostMedia PostKind = "media" // a media id, with optional caption in Text
	PostLink  PostKind = "link"  // a URL, with optional text
	PostPoll  PostKind = "poll"  // Text is the question
)

// PostView is a post as a reader sees it: content and aggregate counts,
// and the reader's own reaction and votes. Nothing identifies a follower.
type PostView struct {
	ChannelID      int64            `json:"channel_id"`
	Seq            int64            `json:"seq"`
	Kind           PostKind         `json:"kind"`
	Text           string           `json:"text,omitempty"`
	MediaID        string           `json:"media_id,omitempty"`
	Link           string           `json:"link,omitempty"`
	Poll           *PollView        `json:"poll,omitempty"`
	SubscriberOnly bool             `json:"subscriber_only,omitempty"`
	Locked         bool             `json:"locked,omitempty"` // subscriber-only content withheld from this reader
	CreatedAt      time.Time        `json:"created_at"`
	EditedAt       *time.Time       `json:"edited_at,omitempty"`
	Views          int64            `json:"views"`
	Reactions      map[string]int64 `json:"reactions,omitempty"`
	MyReaction     string           `json:"my_reaction,omitempty"`
}

// PollView is a poll with live counts.
type PollView struct {
	Options  []string `json:"options"`
	Multiple bool     `json:"multiple"`
	Votes    []int64  `json:"votes"`  // one count per option
	Voters   int64    `json:"voters"` // distinct voters
	MyVotes  []int    `json:"my_votes,omitempty"`
}
