package client

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/wire"
)

// Chats lists the caller's chats, most recently active first.
func (c *Client) Chats(ctx context.Context) ([]wire.ChatView, error) {
	var out struct {
		Chats []wire.ChatView `json:"chats"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chats", nil, &out)
	return out.Chats, err
}

// OpenDirect returns the 1:1 chat with account peer, creating it on first
// use. not_found for an unknown account, invalid_argument for oneself.
func (c *Client) OpenDirect(ctx context.Context, peer int64) (wire.ChatView, error) {
	var v wire.ChatView
	err := c.do(ctx, http.MethodPost, "/v1/chats/direct", map[string]int64{"account_id": peer}, &v)
	return v, err
}

// CreateGroup creates a group with the caller as its admin and members as
// its other members. invalid_argument for a subject that is empty or over
// 100 characters, not_found for an unknown member, limit_exceeded over the
// group size limit.
func (c *Client) CreateGroup(ctx context.Context, subject string, members ...int64) (wire.ChatView, error) {
	if members == nil {
		members = []int64{}
	}
	in := struct {
		Subject string  `json:"subject"`
		Members []int64 `json:"members"`
	}{subject, members}
	var v wire.ChatView
	err := c.do(ctx, http.MethodPost, "/v1/chats/groups", in, &v)
	return v, err
}

// Chat returns one of the caller's chats. not_found for no such chat,
// forbidden for a chat the caller is not a member of.
func (c *Client) Chat(ctx context.Context, id int64) (wire.ChatView, error) {
	var v wire.ChatView
	err := c.do(ctx, http.MethodGet, pathf("/v1/chats/%d", id), nil, &v)
	return v, err
}

// GroupUpdate changes the group settings that are non-nil.
type GroupUpdate struct {
	Subject        *string `json:"subject,omitempty"`
	OnlyAdminsSend *bool   `json:"only_admins_send,omitempty"`
}

// UpdateGroup changes a group's subject or send policy; admins only
// (forbidden otherwise, invalid_argument for a 1:1 chat).
func (c *Client) UpdateGroup(ctx context.Context, chatID int64, u GroupUpdate) (wire.ChatView, error) {
	var v wire.ChatView
	err := c.do(ctx, http.MethodPatch, pathf("/v1/chats/%d", chatID), u, &v)
	return v, err
}

// SetSubject renames a group; see UpdateGroup.
func (c *Client) SetSubject(ctx context.Context, chatID int64, subject string) (wire.ChatView, error) {
	return c.UpdateGroup(ctx, chatID, GroupUpdate{Subject: &subject})
}

// SetOnlyAdminsSend sets whether only admins may send in a group; see
// UpdateGroup.
func (c *Client) SetOnlyAdminsSend(ctx context.Context, chatID int64, only bool) (wire.ChatView, error) {
	return c.UpdateGroup(ctx, chatID, GroupUpdate{OnlyAdminsSend: &only})
}

// SetDisappearing sets a chat's disappearing-message timer: 0 (off), 24 h,
// 7 days or 90 days; anything else is invalid_argument. In groups only
// admins may (forbidden).
func (c *Client) SetDisappearing(ctx context.Context, chatID int64, after time.Duration) (wire.ChatView, error) {
	var v wire.ChatView
	err := c.do(ctx, http.MethodPut, pathf("/v1/chats/%d/disappearing", chatID), map[string]int64{"seconds": int64(after / time.Second)}, &v)
	return v, err
}

// AddMembers adds accounts to a group; admins only. not_found for an
// unknown account, limit_exceeded over the group size limit.
func (c *Client) AddMembers(ctx context.Context, chatID int64, accounts ...int64) (wire.ChatView, error) {
	if accounts == nil {
		accounts = []int64{}
	}
	var v wire.ChatView
	err := c.do(ctx, http.MethodPost, pathf("/v1/chats/%d/members", chatID), map[string][]int64{"accounts": accounts}, &v)
	return v, err
}

// RemoveMember removes an account from a group. Admins may remove anyone;
// anyone may remove themselves, which is leaving. forbidden for a
// non-admin removing someone else, not_found for a non-member,
// invalid_argument for a 1:1 chat.
func (c *Client) RemoveMember(ctx context.Context, chatID, account int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/chats/%d/members/%d", chatID, account), nil, nil)
}

// SetRole makes a group member an admin or a plain member; admins only.
func (c *Client) SetRole(ctx context.Context, chatID, account int64, role wire.Role) error {
	return c.do(ctx, http.MethodPut, pathf("/v1/chats/%d/members/%d/role", chatID, account), map[string]wire.Role{"role": role}, nil)
}

// RecipientDevices lists the devices a message to chatID must carry an
// envelope for: every device of every member except the calling device.
func (c *Client) RecipientDevices(ctx context.Context, chatID int64) ([]wire.RecipientDevice, error) {
	var out struct {
		Devices []wire.RecipientDevice `json:"devices"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/chats/%d/devices", chatID), nil, &out)
	return out.Devices, err
}

// SendRequest is a message as the server takes it: one envelope per
// recipient device, each an opaque body (a ciphertext, with end-to-end
// encryption); or one Shared body that every recipient device receives
// (a group's sender-key ciphertext, stored once), with Envelopes only for
// the devices that get a part of their own (delivered as Entry.Key).
// Kind defaults to "message"; Ref names the target message of an edit,
// delete or reaction.
type SendRequest struct {
	MessageID string           `json:"message_id"`
	Kind      wire.MessageKind `json:"kind,omitempty"`
	Ref       string           `json:"ref,omitempty"`
	Envelopes []wire.Envelope  `json:"envelopes"`
	Shared    []byte           `json:"shared,omitempty"`
}

// Send commits a message to chatID. Retrying with the same MessageID is
// safe: the server answers with the original result and Duplicate set.
// Errors: invalid_argument, not_found, forbidden, blocked, window_closed,
// devices_changed (Details "missing" and "extra" device ids; fetch
// RecipientDevices and build the envelopes again), too_large, conflict
// (the id is another sender's).
func (c *Client) Send(ctx context.Context, chatID int64, req SendRequest) (wire.SendResult, error) {
	if req.Envelopes == nil {
		req.Envelopes = []wire.Envelope{}
	}
	var res wire.SendResult
	err := c.do(ctx, http.MethodPost, pathf("/v1/chats/%d/messages", chatID), req, &res)
	return res, err
}

// MarkRead records that the caller read messages in chatID. The caller's
// other devices are told, and so are the senders unless read receipts are
// turned off on either side.
func (c *Client) MarkRead(ctx context.Context, chatID int64, messageIDs ...string) error {
	if messageIDs == nil {
		messageIDs = []string{}
	}
	return c.do(ctx, http.MethodPost, pathf("/v1/chats/%d/read", chatID), map[string][]string{"message_ids": messageIDs}, nil)
}

// Typing states.
const (
	TypingComposing = "composing"
	TypingPaused    = "paused"
)

// Typing tells the other members of chatID that the caller is composing or
// has paused (TypingComposing, TypingPaused). Conn.Typing does the same
// over an open WebSocket.
func (c *Client) Typing(ctx context.Context, chatID int64, state string) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/chats/%d/typing", chatID), map[string]string{"state": state}, nil)
}

// Media describes an uploaded file.
type Media struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// UploadMedia uploads a file and attaches it to chatID, so its members may
// download it; refer to it from a message body by its ID. End-to-end
// encrypted attachments use "application/octet-stream". Errors:
// unsupported_media_type, too_large, not_found, forbidden.
func (c *Client) UploadMedia(ctx context.Context, chatID int64, contentType string, r io.Reader) (Media, error) {
	resp, err := c.send(ctx, http.MethodPost, pathf("/v1/chats/%d/media", chatID), contentType, r)
	if err != nil {
		return Media{}, err
	}
	defer resp.Body.Close()
	var m Media
	if err := decodeJSON(resp, &m); err != nil {
		return Media{}, err
	}
	return m, nil
}

// Media downloads a file the caller uploaded or that is attached to one of
// their chats; anything else is not_found.
func (c *Client) Media(ctx context.Context, id string) (*Download, error) {
	return c.download(ctx, pathf("/v1/media/%s", id))
}

// ShareMedia attaches media the caller can see to another of their chats,
// to forward it without uploading it again.
func (c *Client) ShareMedia(ctx context.Context, id string, chatID int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/media/%s/share", id), map[string]int64{"chat_id": chatID}, nil)
}
