package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/wire"
)

// RequestCode asks the server to send a one-time code to phone (an
// international number such as +14155550123). Errors: invalid_argument for
// a bad number, rate_limited when a code was sent moments ago (Details
// "retry_after_seconds"), unavailable when the code could not be delivered.
func (c *Client) RequestCode(ctx context.Context, phone string) error {
	return c.do(ctx, http.MethodPost, "/v1/auth/code", map[string]string{"phone": phone}, nil)
}

// Session is the result of Verify: the account, the newly linked device and
// its bearer token. The token is shown only once; keep it.
type Session struct {
	AccountID  int64  `json:"account_id"`
	DeviceID   int64  `json:"device_id"`
	Token      string `json:"token"`
	NewAccount bool   `json:"new_account"`
}

// Verify checks the one-time code sent to phone and links a new device named
// deviceName, with publicKey as its end-to-end identity key (may be nil). On
// success the client uses the new token from then on. Errors:
// invalid_argument, code_expired, code_invalid (Details "attempts_left"),
// rate_limited, limit_exceeded (too many devices).
func (c *Client) Verify(ctx context.Context, phone, code, deviceName string, publicKey []byte) (Session, error) {
	in := struct {
		Phone      string `json:"phone"`
		Code       string `json:"code"`
		DeviceName string `json:"device_name,omitempty"`
		PublicKey  []byte `json:"public_key,omitempty"`
	}{phone, code, deviceName, publicKey}
	var s Session
	if err := c.do(ctx, http.MethodPost, "/v1/auth/verify", in, &s); err != nil {
		return Session{}, err
	}
	c.SetToken(s.Token)
	return s, nil
}

// Me returns the caller's own account, privacy settings included.
func (c *Client) Me(ctx context.Context) (wire.Me, error) {
	var me wire.Me
	err := c.do(ctx, http.MethodGet, "/v1/me", nil, &me)
	return me, err
}

// ProfileUpdate changes the fields that are non-nil.
type ProfileUpdate struct {
	DisplayName *string `json:"display_name,omitempty"`
	About       *string `json:"about,omitempty"`
	Username    *string `json:"username,omitempty"` // "" removes it
}

// UpdateProfile changes the caller's display name, about text or username
// and returns the result. invalid_argument if the name is over 64
// characters, the about text over 140 or the username not one
// (chat.ValidUsername); conflict if another account has the username.
func (c *Client) UpdateProfile(ctx context.Context, u ProfileUpdate) (wire.Me, error) {
	var me wire.Me
	err := c.do(ctx, http.MethodPatch, "/v1/me", u, &me)
	return me, err
}

// PrivacyUpdate changes the settings that are non-nil.
type PrivacyUpdate struct {
	LastSeen     *wire.Visibility `json:"last_seen,omitempty"`
	Avatar       *wire.Visibility `json:"avatar,omitempty"`
	ReadReceipts *bool            `json:"read_receipts,omitempty"`
}

// UpdatePrivacy changes the caller's privacy settings and returns the
// result. invalid_argument for an unknown visibility.
func (c *Client) UpdatePrivacy(ctx context.Context, u PrivacyUpdate) (wire.Me, error) {
	var me wire.Me
	err := c.do(ctx, http.MethodPut, "/v1/me/privacy", u, &me)
	return me, err
}

// SetAvatar uploads an image (image/jpeg, image/png or image/webp) as the
// caller's avatar. unsupported_media_type for another type or for bytes
// that are not what contentType says; too_large over the media limit.
func (c *Client) SetAvatar(ctx context.Context, contentType string, r io.Reader) (wire.Me, error) {
	resp, err := c.send(ctx, http.MethodPut, "/v1/me/avatar", contentType, r)
	if err != nil {
		return wire.Me{}, err
	}
	defer resp.Body.Close()
	var me wire.Me
	if err := decodeJSON(resp, &me); err != nil {
		return wire.Me{}, err
	}
	return me, nil
}

// Profile returns what the caller may see of account id. not_found for an
// unknown account.
func (c *Client) Profile(ctx context.Context, id int64) (wire.Profile, error) {
	var p wire.Profile
	err := c.do(ctx, http.MethodGet, pathf("/v1/accounts/%d", id), nil, &p)
	return p, err
}

// Download is a media file being downloaded. Close its Body.
type Download struct {
	ContentType string
	Size        int64 // -1 when unknown
	Body        io.ReadCloser
}

// Avatar downloads account id's avatar. not_found when there is none or the
// caller may not see it.
func (c *Client) Avatar(ctx context.Context, id int64) (*Download, error) {
	return c.download(ctx, pathf("/v1/accounts/%d/avatar", id))
}

func (c *Client) download(ctx context.Context, path string) (*Download, error) {
	resp, err := c.send(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, err
	}
	return &Download{ContentType: resp.Header.Get("Content-Type"), Size: resp.ContentLength, Body: resp.Body}, nil
}

// LookupContacts returns the Parley accounts among phones (at most 256).
// Numbers not on Parley are absent from the result; a malformed number is
// invalid_argument.
func (c *Client) LookupContacts(ctx context.Context, phones ...string) ([]wire.Contact, error) {
	var out struct {
		Contacts []wire.Contact `json:"contacts"`
	}
	if phones == nil {
		phones = []string{}
	}
	err := c.do(ctx, http.MethodPost, "/v1/contacts/lookup", map[string][]string{"phones": phones}, &out)
	return out.Contacts, err
}

// Blocked lists the accounts the caller has blocked.
func (c *Client) Blocked(ctx context.Context) ([]int64, error) {
	var out struct {
		Blocked []int64 `json:"blocked"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/blocks", nil, &out)
	return out.Blocked, err
}

// Block stops account id from messaging the caller in 1:1 chats.
// not_found for an unknown account, invalid_argument for oneself.
func (c *Client) Block(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPut, pathf("/v1/blocks/%d", id), nil, nil)
}

// Unblock lifts a block. Unblocking someone not blocked is not an error.
func (c *Client) Unblock(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/blocks/%d", id), nil, nil)
}

// Device is one linked device of the caller's account. Current marks the
// device making the call.
type Device struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	Current      bool      `json:"current"`
}

// Devices lists the caller's linked devices.
func (c *Client) Devices(ctx context.Context) ([]Device, error) {
	var out struct {
		Devices []Device `json:"devices"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/devices", nil, &out)
	return out.Devices, err
}

// RevokeDevice unlinks one of the caller's devices, possibly the calling
// one (logging out): its token stops working and its queued entries are
// dropped. not_found for a device that is not the caller's.
func (c *Client) RevokeDevice(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/devices/%d", id), nil, nil)
}

// SendHistory passes a history bundle to another of the caller's devices
// (typically one just linked; see the device_linked event). It arrives
// there as an entry of type "history" (read it with OpenHistory). With
// end-to-end encryption the bundle is sealed for that device alone
// (e2ee.Device.SealHistory), which must be in the account's signed device
// list: approve it first. not_found for a device not the caller's,
// invalid_argument for an empty bundle or the calling device, too_large
// over the bundle limit.
func (c *Client) SendHistory(ctx context.Context, deviceID int64, bundle []byte) error {
	if d := c.E2EE(); d != nil {
		sealed, err := d.SealHistory(ctx, c, deviceID, bundle)
		if err != nil {
			return fmt.Errorf("seal history for device %d: %w", deviceID, err)
		}
		bundle = sealed
	}
	resp, err := c.send(ctx, http.MethodPost, pathf("/v1/devices/%d/history", deviceID), "application/octet-stream", bytes.NewReader(bundle))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Pending returns up to limit (1 to 1000; 0 means the server's default of
// 100) of the calling device's queued entries with id > after, oldest
// first. Entries stay queued until acknowledged with Ack.
func (c *Client) Pending(ctx context.Context, after int64, limit int) ([]wire.Entry, error) {
	q := "/v1/inbox?after=" + strconv.FormatInt(after, 10)
	if limit != 0 {
		q += "&limit=" + strconv.Itoa(limit)
	}
	var out struct {
		Entries []wire.Entry `json:"entries"`
	}
	err := c.do(ctx, http.MethodGet, q, nil, &out)
	return out.Entries, err
}

// Ack removes entries from the calling device's inbox. Acknowledging a
// message tells its sender it was delivered. Any number of ids may be
// given; they are sent 1000 at a time.
func (c *Client) Ack(ctx context.Context, ids ...int64) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		if err := c.do(ctx, http.MethodPost, "/v1/inbox/ack", map[string][]int64{"ids": ids[:n]}, nil); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func decodeJSON(resp *http.Response, out any) error {
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}
