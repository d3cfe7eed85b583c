package business

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// The end-to-end keys of the cloud devices (docs/E2EE.md, "Business
// chats"). A business number's only device lives on the server, which is
// the business's hosting provider, as Meta is for the Cloud API. So the
// server holds that device's Olm identity, exactly as a person's app holds
// its own: it publishes the device's keys and a signed device list of the
// number's account through the same key directory, decrypts what
// customers send before the webhooks are written, and encrypts what the
// business sends to every device in the customer's signed list. Package
// e2ee (goolm) does all the cryptography; this file keeps the state.
//
// The state of each cloud device is one row, sealed with AES-256-GCM
// under a key derived from the server's secret and bound to the device
// id, and written by compare and swap on a version: nodes that share the
// database never ratchet from the same state twice. On each node a
// device's state is used under one lock (cloudDevice.mu), held from
// loading it to storing it.

// cloudKeys holds the cloud devices' end-to-end state.
type cloudKeys struct {
	st   cloudKeyStore
	svc  *chat.Service
	aead cipher.AEAD
	log  *slog.Logger

	mu      sync.Mutex
	devs    map[int64]*cloudDevice // by device id
	ensured map[int64]bool         // devices whose keys this node saw published
}

// cloudKeyStore is what cloudKeys reads and writes.
type cloudKeyStore interface {
	CloudKeyStore
	GetDeviceList(ctx context.Context, accountID int64) (chat.StoredDeviceList, error)
}

// cloudDevice is one cloud device's state as this node last loaded it.
type cloudDevice struct {
	mu      sync.Mutex
	dev     *e2ee.Device // nil until loaded
	version int64        // the stored version dev was loaded from or saved as
	ready   bool         // the keys and the device list are published
}

// cloudState is what a cloud device's row holds once opened.
type cloudState struct {
	Device    json.RawMessage `json:"device"`    // e2ee.Device.Marshal
	Published bool            `json:"published"` // the keys and the device list are on the directory
}

func newCloudKeys(st cloudKeyStore, svc *chat.Service, secret []byte, log *slog.Logger) *cloudKeys {
	aead := secretAEAD(secret, "parley cloud device state v1")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &cloudKeys{st: st, svc: svc, aead: aead, log: log, devs: map[int64]*cloudDevice{}, ensured: map[int64]bool{}}
}

// sealState encrypts a state for the device's row; the device id is
// authenticated with it, so a row cannot be moved to another device.
func (k *cloudKeys) sealState(deviceID int64, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, stateAD(deviceID))
}

func (k *cloudKeys) openState(deviceID int64, sealed []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("sealed cloud device state is too short")
	}
	plain, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], stateAD(deviceID))
	if err != nil {
		return nil, fmt.Errorf("open the cloud device state of device %d (was the server's secret changed?): %w", deviceID, err)
	}
	return plain, nil
}

func stateAD(deviceID int64) []byte { return []byte("cloud-device:" + strconv.FormatInt(deviceID, 10)) }

// cloudDirectory is the key directory as a cloud device reaches it: the
// chat core's key methods, called as that device.
type cloudDirectory struct {
	svc *chat.Service
	p   parley.Principal
}

func (d cloudDirectory) UploadKeys(ctx context.Context, up wire.KeyUpload) (wire.KeyCount, error) {
	return d.svc.UploadKeys(ctx, d.p, up)
}

func (d cloudDirectory) KeyCount(ctx context.Context) (wire.KeyCount, error) {
	return d.svc.KeyCount(ctx, d.p)
}

func (d cloudDirectory) ClaimKeys(ctx context.Context, chatID int64, devices []int64) ([]wire.ClaimedKey, error) {
	return d.svc.ClaimKeys(ctx, d.p, wire.KeyClaim{ChatID: chatID, Devices: devices})
}

func (d cloudDirectory) AccountKeys(ctx context.Context, accountID int64) (wire.AccountKeys, error) {
	return d.svc.AccountKeys(ctx, accountID)
}

func (d cloudDirectory) PutDeviceList(ctx context.Context, l wire.DeviceList) error {
	return d.svc.PutDeviceList(ctx, d.p, l)
}

// heldDevice is a cloud device's state, loaded and locked for its holder
// until release.
type heldDevice struct {
	k   *cloudKeys
	cd  *cloudDevice
	id  int64
	dev *e2ee.Device
	dir e2ee.Directory
	// saved says the state in memory is the stored one: a holder that
	// changed it and did not store it leaves it to be loaded afresh.
	saved bool
}

// errStale: another node changed the device's state between its load and
// its store; the work must be done again from the new state.
var errStale = errors.New("the cloud device's keys changed on another node")

// hold loads and locks the end-to-end state of p's cloud device, making
// and publishing its keys first if it has none. Release it.
func (k *cloudKeys) hold(ctx context.Context, p parley.Principal) (*heldDevice, error) {
	k.mu.Lock()
	cd := k.devs[p.DeviceID]
	if cd == nil {
		cd = &cloudDevice{}
		k.devs[p.DeviceID] = cd
	}
	k.mu.Unlock()
	cd.mu.Lock()
	h := &heldDevice{k: k, cd: cd, id: p.DeviceID, dir: cloudDirectory{svc: k.svc, p: p}}
	if err := h.load(ctx, p); err != nil {
		cd.dev = nil
		cd.mu.Unlock()
		return nil, err
	}
	h.dev, h.saved = cd.dev, true
	if !cd.ready {
		if err := h.publish(ctx); err != nil {
			cd.dev = nil
			cd.mu.Unlock()
			return nil, err
		}
	}
	return h, nil
}

// release unlocks the state; after a failed save it is loaded afresh by
// the next holder.
func (h *heldDevice) release() {
	if !h.saved {
		h.cd.dev = nil
	}
	h.cd.mu.Unlock()
}

// load brings the cached state up to the stored version, or makes a new
// device when none is stored.
func (h *heldDevice) load(ctx context.Context, p parley.Principal) error {
	if h.cd.dev != nil {
		// The copy in memory is current unless another node stored since.
		if v, err := h.k.st.CloudKeysVersion(ctx, p.DeviceID); err == nil && v == h.cd.version {
			return nil
		}
	}
	sealed, version, err := h.k.st.GetCloudKeys(ctx, p.DeviceID)
	switch {
	case parley.ErrorCode(err) == parley.ENotFound:
		dev, err := e2ee.NewDevice(p.AccountID, p.DeviceID)
		if err != nil {
			return err
		}
		h.cd.dev, h.cd.version, h.cd.ready = dev, 0, false
		return nil
	case err != nil:
		return err
	case h.cd.dev != nil && version == h.cd.version:
		return nil
	}
	plain, err := h.k.openState(p.DeviceID, sealed)
	if err != nil {
		return err
	}
	var st cloudState
	if err := json.Unmarshal(plain, &st); err != nil {
		return fmt.Errorf("decode cloud device state: %w", err)
	}
	dev, err := e2ee.Load(st.Device)
	if err != nil {
		return err
	}
	h.cd.dev, h.cd.version, h.cd.ready = dev, version, st.Published
	return nil
}

// save stores the state as the next version. errStale if another node
// stored one meanwhile: the cache is dropped and the caller starts over.
func (h *heldDevice) save(ctx context.Context) error {
	h.saved = false
	b, err := h.dev.Marshal()
	if err != nil {
		return err
	}
	plain, err := json.Marshal(cloudState{Device: b, Published: h.cd.ready})
	if err != nil {
		return err
	}
	err = h.k.st.PutCloudKeys(ctx, h.id, h.k.sealState(h.id, plain), h.cd.version)
	if parley.ErrorCode(err) == parley.EConflict {
		h.cd.dev = nil
		return errStale
	} else if err != nil {
		h.cd.dev = nil
		return fmt.Errorf("store cloud device keys: %w", err)
	}
	h.cd.version++
	h.saved = true
	return nil
}

// publish puts a new device's keys and its account's signed device list
// on the directory. The keys are made and stored before they are
// uploaded, so that no published key's private part can be lost; an
// upload that a crash interrupted is repeated with the same keys, and a
// conflict then means the directory already has them.
func (h *heldDevice) publish(ctx context.Context) error {
	up, _, err := h.dev.KeyUpload(wire.KeyCount{}, true)
	if err != nil {
		return err
	}
	if err := h.save(ctx); err != nil {
		return err
	}
	if _, err := h.dir.UploadKeys(ctx, up); err != nil && parley.ErrorCode(err) != parley.EConflict {
		return fmt.Errorf("publish cloud device keys: %w", err)
	}
	h.dev.MarkPublished()
	own, err := h.dir.AccountKeys(ctx, h.dev.AccountID())
	if err != nil {
		return err
	}
	l, err := h.dev.OwnDeviceList(own)
	if err != nil {
		return err
	}
	if l != nil {
		if err := h.dir.PutDeviceList(ctx, *l); err != nil {
			return fmt.Errorf("publish the number's device list: %w", err)
		}
		own.DeviceList = l
	}
	if _, err := h.dev.UpdatePeer(own); err != nil {
		return err
	}
	h.cd.ready = true
	return h.save(ctx)
}

// replenish tops the device's one-time keys up when the directory has
// fewer than e2ee.LowOneTimeKeys left (each customer who starts a session
// claims one). As in publish, new keys are stored before they are
// uploaded.
func (h *heldDevice) replenish(ctx context.Context) error {
	n, err := h.dir.KeyCount(ctx)
	if err != nil {
		return err
	}
	up, ok, err := h.dev.KeyUpload(n, false)
	if err != nil || !ok {
		return err
	}
	if err := h.save(ctx); err != nil {
		return err
	}
	if _, err := h.dir.UploadKeys(ctx, up); err != nil && parley.ErrorCode(err) != parley.EConflict {
		return fmt.Errorf("replenish cloud device keys: %w", err)
	}
	h.dev.MarkPublished()
	return h.save(ctx)
}

// ensure makes and publishes n's cloud device keys if it has none yet.
func (k *cloudKeys) ensure(ctx context.Context, n BusinessNumber) error {
	k.mu.Lock()
	done := k.ensured[n.DeviceID]
	k.mu.Unlock()
	if done {
		return nil
	}
	h, err := k.hold(ctx, cloudPrincipal(n))
	if err != nil {
		return err
	}
	h.release()
	k.mu.Lock()
	k.ensured[n.DeviceID] = true
	k.mu.Unlock()
	return nil
}

// seal returns the envelopes of a business's message body for devs, the
// customer's devices. A customer whose account never published a signed
// device list (a program that does not encrypt) gets the body as it is,
// as before; otherwise every device of the customer's signed list gets it
// encrypted with Olm, and any other device an envelope it cannot read
// (as a person's app does: e2ee.Device.Seal).
func (k *cloudKeys) seal(ctx context.Context, p parley.Principal, chatID, customerID int64, messageID string, devs []chat.Device, body []byte) ([]wire.Envelope, error) {
	_, err := k.st.GetDeviceList(ctx, customerID)
	if parley.ErrorCode(err) == parley.ENotFound {
		envs := make([]wire.Envelope, len(devs))
		for i, d := range devs {
			envs[i] = wire.Envelope{DeviceID: d.ID, Body: body}
		}
		return envs, nil
	} else if err != nil {
		return nil, fmt.Errorf("device list of the customer: %w", err)
	}
	rds := make([]wire.RecipientDevice, len(devs))
	for i, d := range devs {
		rds[i] = wire.RecipientDevice{AccountID: d.AccountID, DeviceID: d.ID}
	}
	for attempt := 0; ; attempt++ {
		envs, err := k.sealOnce(ctx, p, chatID, messageID, rds, body)
		if errors.Is(err, errStale) && attempt < 8 { // another node stored first: seal again from its state
			continue
		}
		return envs, err
	}
}

func (k *cloudKeys) sealOnce(ctx context.Context, p parley.Principal, chatID int64, messageID string, rds []wire.RecipientDevice, body []byte) ([]wire.Envelope, error) {
	h, err := k.hold(ctx, p)
	if err != nil {
		return nil, err
	}
	defer h.release()
	h.saved = false
	s, err := h.dev.Seal(ctx, h.dir, wire.ChatDirect, chatID, messageID, rds, body)
	if err != nil {
		return nil, fmt.Errorf("encrypt for the customer: %w", err)
	}
	// Stored before the message is sent: a message whose ratchet step was
	// not stored would be followed by one that reuses it.
	if err := h.save(ctx); err != nil {
		return nil, err
	}
	h.logNotices()
	return s.Envelopes, nil
}

// peek decrypts a customer's message without keeping what decrypting it
// changed (the state is loaded afresh by the next holder): the send path
// checks an order or a Flow reply before commit, and the inbound pipeline
// decrypts the same ciphertext again from the stored state.
func (k *cloudKeys) peek(ctx context.Context, n BusinessNumber, e wire.Entry) ([]byte, error) {
	h, err := k.hold(ctx, cloudPrincipal(n))
	if err != nil {
		return nil, err
	}
	defer h.release()
	h.saved = false
	return h.dev.Open(ctx, h.dir, e)
}

// logNotices logs what the device would tell a person: a customer's keys
// or devices changed, a device the server lists that no signed list
// names, a message rejected.
func (h *heldDevice) logNotices() {
	for _, n := range h.dev.Notices() {
		h.k.log.Info("cloud device e2ee notice", "device", h.id, "account", n.AccountID, "about_device", n.DeviceID, "kind", n.Kind, "text", n.Text)
	}
}

// isEncrypted reports whether a message entry's body is an end-to-end
// envelope (docs/E2EE.md) rather than a plaintext body from a program
// that does not encrypt.
func isEncrypted(body []byte) bool {
	var env struct {
		V   int    `json:"v"`
		Alg string `json:"alg"`
	}
	if json.Unmarshal(body, &env) != nil || env.V != 1 {
		return false
	}
	switch env.Alg {
	case "olm.v1", "megolm.v1", "none":
		return true
	}
	return false
}

// decryptFailed reports whether err is e2ee's verdict on a ciphertext
// (it will never open: report it), rather than a failure to reach the
// store (try again).
func decryptFailed(err error) bool {
	for _, e := range []error{e2ee.ErrTampered, e2ee.ErrUntrusted, e2ee.ErrNotForYou, e2ee.ErrNoSession, e2ee.ErrMisrouted} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
