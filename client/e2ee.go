package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// End-to-end encryption (docs/E2EE.md). A Client given a device's
// e2ee.Device (UseE2EE) encrypts every message body it sends and opens
// every one it receives (OpenBody); without one, SendBody sends
// plaintext, for programs and tests that have no end-to-end state.

// UseE2EE makes the client encrypt with dev, the calling device's
// end-to-end state. Call SetupE2EE once after login.
func (c *Client) UseE2EE(dev *e2ee.Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.e2e = dev
	c.chatKinds = map[int64]wire.ChatKind{}
}

// E2EE returns the device's end-to-end state, nil if encryption is off.
func (c *Client) E2EE() *e2ee.Device {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.e2e
}

// UploadKeys publishes the calling device's keys (PUT /v1/keys) and
// returns how many one-time keys it has on the server.
func (c *Client) UploadKeys(ctx context.Context, up wire.KeyUpload) (wire.KeyCount, error) {
	var n wire.KeyCount
	err := c.do(ctx, http.MethodPut, "/v1/keys", up, &n)
	return n, err
}

// KeyCount returns how many one-time keys the calling device has left on
// the server.
func (c *Client) KeyCount(ctx context.Context) (wire.KeyCount, error) {
	var n wire.KeyCount
	err := c.do(ctx, http.MethodGet, "/v1/keys/count", nil, &n)
	return n, err
}

// ClaimKeys claims one one-time key of each device, which must be
// devices of members of chatID.
func (c *Client) ClaimKeys(ctx context.Context, chatID int64, devices []int64) ([]wire.ClaimedKey, error) {
	var out struct {
		Keys []wire.ClaimedKey `json:"keys"`
	}
	err := c.do(ctx, http.MethodPost, "/v1/keys/claim", wire.KeyClaim{ChatID: chatID, Devices: devices}, &out)
	return out.Keys, err
}

// AccountKeys returns an account's signed device list and its devices'
// identity keys, as the server has them.
func (c *Client) AccountKeys(ctx context.Context, accountID int64) (wire.AccountKeys, error) {
	var out wire.AccountKeys
	err := c.do(ctx, http.MethodGet, pathf("/v1/accounts/%d/keys", accountID), nil, &out)
	return out, err
}

// PutDeviceList publishes the caller's account's signed device list.
func (c *Client) PutDeviceList(ctx context.Context, l wire.DeviceList) error {
	return c.do(ctx, http.MethodPut, "/v1/me/device-list", l, nil)
}

func (c *Client) dev() (*e2ee.Device, error) {
	d := c.E2EE()
	if d == nil {
		return nil, errors.New("end-to-end encryption is not set up on this client (UseE2EE)")
	}
	return d, nil
}

// SetupE2EE publishes a new device's identity keys, one-time keys and
// fallback key, and its account's device list if this device may sign
// one (e2ee.Device.Setup). A device linked to an account that has a
// list waits until a device that holds the signing key approves it
// (ApproveDevice); until then its contacts encrypt nothing to it.
func (c *Client) SetupE2EE(ctx context.Context) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	return d.Setup(ctx, c)
}

// ReplenishKeys uploads one-time keys when fewer than
// e2ee.LowOneTimeKeys are left on the server.
func (c *Client) ReplenishKeys(ctx context.Context) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	return d.Replenish(ctx, c)
}

// ApproveDevice adds another device of the caller's account to its
// signed device list, after the person confirmed they linked it. The
// calling device must hold the account's signing key.
func (c *Client) ApproveDevice(ctx context.Context, deviceID int64) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	return d.Approve(ctx, c, deviceID)
}

// UnlistDevice removes an unlinked device of the caller's account from
// its signed device list, when the calling device holds the signing key
// (otherwise the list keeps it, but it is no longer a recipient of
// anything: the server dropped it).
func (c *Client) UnlistDevice(ctx context.Context, deviceID int64) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	return d.Unlist(ctx, c, deviceID)
}

// RefreshKeys fetches an account's keys and updates which of its devices
// this device trusts.
func (c *Client) RefreshKeys(ctx context.Context, accountID int64) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	return d.Refresh(ctx, c, accountID)
}

func (c *Client) chatKind(ctx context.Context, chatID int64) (wire.ChatKind, error) {
	c.mu.RLock()
	k, ok := c.chatKinds[chatID]
	c.mu.RUnlock()
	if ok {
		return k, nil
	}
	v, err := c.Chat(ctx, chatID)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.chatKinds[chatID] = v.Kind
	c.mu.Unlock()
	return v.Kind, nil
}

// sealed builds the envelopes of an encrypted message for devs
// (e2ee.Device.Seal): Olm per device in a 1:1 chat, Megolm once in a
// group (then shared is the one body and envs only the devices' key
// parts). done is called after the server accepted the message.
func (c *Client) sealed(ctx context.Context, d *e2ee.Device, chatID int64, messageID string, devs []wire.RecipientDevice, plain []byte) (envs []wire.Envelope, shared []byte, done func(), err error) {
	kind, err := c.chatKind(ctx, chatID)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := d.Seal(ctx, c, kind, chatID, messageID, devs, plain)
	if err != nil {
		return nil, nil, nil, err
	}
	return s.Envelopes, s.Shared, s.Done, nil
}

// OpenBody returns the Body of a message entry: decrypted when the
// client uses end-to-end encryption (DecodeBody otherwise). It fetches
// the sender's keys first if it does not trust the sending device yet.
// A rejected message is an error wrapping e2ee.ErrTampered,
// ErrUntrusted, ErrNotForYou, ErrNoSession or ErrMisrouted; a replayed
// one wraps e2ee.ErrReplay and should be dropped silently.
func (c *Client) OpenBody(ctx context.Context, e wire.Entry) (Body, error) {
	d := c.E2EE()
	if d == nil {
		return DecodeBody(e)
	}
	if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
		return DecodeBody(e)
	}
	plain, err := d.Open(ctx, c, e)
	if err != nil {
		return Body{}, err
	}
	var b Body
	if err := json.Unmarshal(plain, &b); err != nil {
		return Body{}, fmt.Errorf("decode body of entry %d: %w", e.ID, err)
	}
	return b, nil
}

// SendMedia encrypts a file on the device with a fresh key, uploads the
// ciphertext to chatID (as application/octet-stream) and sends a message
// that carries the media id, its type, the key and the ciphertext's hash,
// with caption as its text. It needs end-to-end encryption.
func (c *Client) SendMedia(ctx context.Context, chatID int64, mediaType string, data []byte, caption string) (wire.SendResult, error) {
	if _, err := c.dev(); err != nil {
		return wire.SendResult{}, err
	}
	ct, key, err := e2ee.EncryptMedia(data)
	if err != nil {
		return wire.SendResult{}, err
	}
	m, err := c.UploadMedia(ctx, chatID, "application/octet-stream", bytes.NewReader(ct))
	if err != nil {
		return wire.SendResult{}, err
	}
	return c.SendBody(ctx, chatID, NewMessageID(), wire.KindMessage, "", Body{Text: caption, MediaID: m.ID, MediaType: mediaType, MediaKey: key.Key, MediaSHA256: key.SHA256})
}

// OpenMedia downloads the attachment of a decrypted body and decrypts it,
// checking the ciphertext's hash.
func (c *Client) OpenMedia(ctx context.Context, b Body) ([]byte, error) {
	if b.MediaID == "" || b.MediaKey == "" {
		return nil, errors.New("the message has no encrypted attachment")
	}
	dl, err := c.Media(ctx, b.MediaID)
	if err != nil {
		return nil, err
	}
	defer dl.Body.Close()
	ct, err := io.ReadAll(dl.Body)
	if err != nil {
		return nil, err
	}
	return e2ee.DecryptMedia(ct, e2ee.MediaKey{Key: b.MediaKey, SHA256: b.MediaSHA256})
}

// OpenHistory returns the bundle of a history entry: decrypted when the
// client uses end-to-end encryption (errors of e2ee.Device.OpenHistory:
// e2ee.ErrNotHistory for a bundle sent in the clear, ErrUntrusted,
// ErrTampered, ErrReplay, e2ee.ErrMediaTampered), else as it came.
func (c *Client) OpenHistory(ctx context.Context, e wire.Entry) ([]byte, error) {
	if e.Type != wire.EntryHistory {
		return nil, fmt.Errorf("entry %d is a %s entry, not history", e.ID, e.Type)
	}
	d := c.E2EE()
	if d == nil {
		return e.Body, nil
	}
	return d.OpenHistory(ctx, c, e)
}

// PutKeyBackup stores the account's encrypted key backup blob (a
// wire.KeyBackup's JSON) on the server, replacing the one there.
// invalid_argument for a blob of another shape or account, too_large
// over the server's limit.
func (c *Client) PutKeyBackup(ctx context.Context, blob []byte) error {
	resp, err := c.send(ctx, http.MethodPut, "/v1/me/key-backup", "application/json", bytes.NewReader(blob))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// KeyBackup returns the account's encrypted key backup blob; not_found
// when backup is off.
func (c *Client) KeyBackup(ctx context.Context) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/me/key-backup", "", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// DeleteKeyBackup turns the account's key backup off (the server drops
// its copy).
func (c *Client) DeleteKeyBackup(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/v1/me/key-backup", nil, nil)
}

// BackUpKeys encrypts this device's inbound group sessions and history
// (a bundle in the caller's format, may be nil) under the recovery key
// and stores them as the account's key backup.
func (c *Client) BackUpKeys(ctx context.Context, rk e2ee.RecoveryKey, history []byte) error {
	d, err := c.dev()
	if err != nil {
		return err
	}
	payload, err := d.BackupPayload(history)
	if err != nil {
		return err
	}
	blob, err := e2ee.SealBackup(rk, d.AccountID(), payload)
	if err != nil {
		return err
	}
	return c.PutKeyBackup(ctx, blob)
}

// RestoreKeys downloads the account's key backup, opens it with the
// recovery key, adds its group sessions to this device, signs this
// device into the account's device list with the backup's signing key
// when it has none (e2ee.Device.Reclaim: after every device was lost),
// and returns the backup's history bundle. e2ee.ErrWrongRecoveryKey when
// the key is not the backup's; not_found when the account has no backup.
func (c *Client) RestoreKeys(ctx context.Context, rk e2ee.RecoveryKey) (history []byte, sessions int, err error) {
	d, err := c.dev()
	if err != nil {
		return nil, 0, err
	}
	blob, err := c.KeyBackup(ctx)
	if err != nil {
		return nil, 0, err
	}
	payload, err := e2ee.OpenBackup(rk, d.AccountID(), blob)
	if err != nil {
		return nil, 0, err
	}
	if history, sessions, err = d.RestoreBackup(payload); err != nil {
		return nil, 0, err
	}
	if err := d.Reclaim(ctx, c); err != nil {
		return nil, 0, fmt.Errorf("rejoin the device list: %w", err)
	}
	return history, sessions, nil
}
