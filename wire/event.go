package wire

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
	EventSent      EventType = "sent"      // a message sent over the socket is committed: Sent says where

	// Channel events.
	EventChannelPost        EventType = "channel_post"         // a new post (content left out if subscriber-only)
	EventChannelPostEdited  EventType = "channel_post_edited"  // a post's text or link changed
	EventChannelPostDeleted EventType = "channel_post_deleted" // a post was deleted
	EventChannelSuspended   EventType = "channel_suspended"    // the operator suspended the channel; Reason says why
	EventChannelFollow      EventType = "channel_follow"       // this account followed (State "followed") or unfollowed a channel
	EventChannelAdminInvite EventType = "channel_admin_invite" // this account was invited to be a channel's admin (State "invited"; AccountID is the inviter)
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
	Error     *Error     `json:"error,omitempty"`
	// MessageID names the message of a "sent" event, and of an "error"
	// event that refuses a send frame (with ChatID).
	MessageID string      `json:"message_id,omitempty"`
	Sent      *SendResult `json:"sent,omitempty"`
	// Channel events (channel_post, channel_post_edited,
	// channel_post_deleted, channel_suspended, channel_follow,
	// channel_admin_invite).
	ChannelID int64     `json:"channel_id,omitempty"`
	Post      *PostView `json:"post,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// Error is the JSON shape of an error, on HTTP ({"error": Error}) and
// WebSocket (an "error" event) alike. Code is one of the stable codes of
// docs/API.md.
type Error struct {
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
