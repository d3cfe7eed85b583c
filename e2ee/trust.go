package e2ee

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/wire"
)

// peer is what a device knows of an account (its own included): the
// signing key it pinned on first sight, the devices of the newest valid
// signed list, the devices the server listed that no signed list names,
// and whether the person verified the safety number.
type peer struct {
	SigningKey string                      `json:"signing_key"`
	Version    int64                       `json:"version"`
	Devices    map[int64]wire.ListedDevice `json:"devices"`
	Unlisted   []int64                     `json:"unlisted,omitempty"`
	Verified   string                      `json:"verified,omitempty"` // the safety number verified, "" if not
	Known      map[int64]bool              `json:"known,omitempty"`    // every device id the server listed
}

func (p *peer) fill() {
	if p.Devices == nil {
		p.Devices = map[int64]wire.ListedDevice{}
	}
	if p.Known == nil {
		p.Known = map[int64]bool{}
	}
}

// verifySig checks an Ed25519 signature; keys and signatures are base64.
func verifySig(pub, text, sig string) bool {
	pk, err := base64.RawStdEncoding.DecodeString(pub)
	if err != nil || len(pk) != ed25519.PublicKeySize {
		return false
	}
	s, err := base64.RawStdEncoding.DecodeString(sig)
	if err != nil || len(s) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pk, []byte(text), s)
}

// UpdatePeer takes what the key directory says of an account (GET
// /v1/accounts/{id}/keys) and updates which of its devices this device
// trusts: those the account's signed device list names, with identity
// keys that match the list and sign themselves. The first signing key
// seen is pinned; a new one is accepted but raises NoticeKeysChanged
// (and NoticeVerifiedBroken for a verified contact). A list older than
// the one known is ignored. Devices the server lists that the signed
// list does not name raise NoticeUnlistedDevice and are never encrypted
// to. It reports whether the trusted devices changed.
func (d *Device) UpdatePeer(ak wire.AccountKeys) (changed bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[ak.AccountID]
	if p == nil {
		p = &peer{}
		p.fill()
		d.peers[ak.AccountID] = p
	}
	ids := map[int64]wire.IdentityKeys{}
	for _, k := range ak.Devices {
		if verifySig(k.Identity.Ed25519, k.Identity.SignedText(ak.AccountID, k.DeviceID), k.Identity.Signature) {
			ids[k.DeviceID] = k.Identity
		}
		p.Known[k.DeviceID] = true
	}
	if l := ak.DeviceList; l != nil {
		switch {
		case l.AccountID != ak.AccountID || !verifySig(l.SigningKey, l.SignedText(), l.Signature):
			d.notice(Notice{AccountID: ak.AccountID, Kind: NoticeKeysChanged, Text: "the device list the server gave does not verify; ignoring it"})
		case l.SigningKey == p.SigningKey && l.Version < p.Version:
			// an older list: the server replays a stale one; keep ours
		default:
			if p.SigningKey != "" && l.SigningKey != p.SigningKey {
				d.notice(Notice{AccountID: ak.AccountID, Kind: NoticeKeysChanged, Text: "this contact's keys changed (a new signing key)"})
			}
			devs := map[int64]wire.ListedDevice{}
			for _, ld := range l.Devices {
				devs[ld.DeviceID] = ld
			}
			if p.SigningKey != "" && ak.AccountID != d.accountID {
				if added, removed := diffDevices(p.Devices, devs); len(added)+len(removed) > 0 {
					d.notice(Notice{AccountID: ak.AccountID, Kind: NoticeDevicesChanged, Text: fmt.Sprintf("this contact's devices changed: linked %v, unlinked %v", added, removed)})
				}
			}
			if !slices.Equal(keysOf(p.Devices), keysOf(devs)) || p.SigningKey != l.SigningKey {
				changed = true
			}
			p.SigningKey, p.Version, p.Devices = l.SigningKey, l.Version, devs
		}
	}
	// A device is trusted when the list names it with the keys the
	// directory has for it, and those sign themselves.
	var unlisted []int64
	for _, k := range ak.Devices {
		ld, ok := p.Devices[k.DeviceID]
		id, signed := ids[k.DeviceID]
		if !ok || !signed || ld.Curve25519 != id.Curve25519 || ld.Ed25519 != id.Ed25519 {
			unlisted = append(unlisted, k.DeviceID)
		}
	}
	slices.Sort(unlisted)
	for _, dev := range unlisted {
		if !slices.Contains(p.Unlisted, dev) && dev != d.deviceID {
			d.notice(Notice{AccountID: ak.AccountID, DeviceID: dev, Kind: NoticeUnlistedDevice, Text: fmt.Sprintf("device %d is not in this account's signed device list: nothing is encrypted to it", dev)})
		}
	}
	p.Unlisted = unlisted
	d.checkVerified()
	return changed, nil
}

func keysOf(m map[int64]wire.ListedDevice) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func diffDevices(old, cur map[int64]wire.ListedDevice) (added, removed []int64) {
	for id := range cur {
		if _, ok := old[id]; !ok {
			added = append(added, id)
		}
	}
	for id := range old {
		if _, ok := cur[id]; !ok {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// Knows reports whether the device trusts accountID's device deviceID
// (it is in a valid signed list), and whether it knows the account at all.
func (d *Device) Knows(accountID, deviceID int64) (trusted, known bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[accountID]
	if p == nil {
		return false, false
	}
	_, trusted = p.Devices[deviceID]
	return trusted, p.Known[deviceID] || trusted
}

// trusted returns the listed keys of a trusted device.
func (d *Device) trusted(accountID, deviceID int64) (wire.ListedDevice, bool) {
	p := d.peers[accountID]
	if p == nil {
		return wire.ListedDevice{}, false
	}
	ld, ok := p.Devices[deviceID]
	return ld, ok
}

// HoldsSigningKey reports whether this device holds its account's
// signing key (and so may add devices to the account's list).
func (d *Device) HoldsSigningKey() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.signing != nil
}

// OwnDeviceList returns the signed device list this device should
// publish for its account, given what the directory says (own: GET
// /v1/accounts/{self}/keys), or nil if none is needed. The first device
// of an account (no list yet) makes the account's signing key and a list
// of itself. A device holding the signing key whose list lacks it adds
// itself. A device without the key waits to be approved by one that has
// it (ApproveDevice).
func (d *Device) OwnDeviceList(own wire.AccountKeys) (*wire.DeviceList, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	me := wire.ListedDevice{DeviceID: d.deviceID, Curve25519: d.curve(), Ed25519: d.ed()}
	l := own.DeviceList
	if l == nil {
		if d.signing == nil {
			_, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return nil, fmt.Errorf("make signing key: %w", err)
			}
			d.signing = priv
		}
		return d.signList(1, []wire.ListedDevice{me}), nil
	}
	if d.signing == nil || slices.Contains(l.Devices, me) {
		return nil, nil
	}
	if b64(d.signing.Public().(ed25519.PublicKey)) != l.SigningKey {
		return nil, nil
	}
	return d.signList(l.Version+1, append(slices.Clone(l.Devices), me)), nil
}

// ApproveDevice returns the account's device list with deviceID added,
// signed, to publish: the person approved the device they linked (its
// keys are the directory's). It fails if this device does not hold the
// signing key or the device has no valid identity keys.
func (d *Device) ApproveDevice(own wire.AccountKeys, deviceID int64) (*wire.DeviceList, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signing == nil || own.DeviceList == nil || b64(d.signing.Public().(ed25519.PublicKey)) != own.DeviceList.SigningKey {
		return nil, fmt.Errorf("this device does not hold the account's signing key; approve from a device that does")
	}
	var add *wire.ListedDevice
	for _, k := range own.Devices {
		if k.DeviceID == deviceID && verifySig(k.Identity.Ed25519, k.Identity.SignedText(own.AccountID, k.DeviceID), k.Identity.Signature) {
			add = &wire.ListedDevice{DeviceID: deviceID, Curve25519: k.Identity.Curve25519, Ed25519: k.Identity.Ed25519}
		}
	}
	if add == nil {
		return nil, fmt.Errorf("device %d has published no valid identity keys", deviceID)
	}
	devs := slices.DeleteFunc(slices.Clone(own.DeviceList.Devices), func(x wire.ListedDevice) bool { return x.DeviceID == deviceID })
	return d.signList(own.DeviceList.Version+1, append(devs, *add)), nil
}

// RemoveFromList returns the account's device list without deviceID,
// signed (after unlinking it), or nil if it is not listed or this device
// cannot sign.
func (d *Device) RemoveFromList(own wire.AccountKeys, deviceID int64) *wire.DeviceList {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signing == nil || own.DeviceList == nil || b64(d.signing.Public().(ed25519.PublicKey)) != own.DeviceList.SigningKey {
		return nil
	}
	devs := slices.DeleteFunc(slices.Clone(own.DeviceList.Devices), func(x wire.ListedDevice) bool { return x.DeviceID == deviceID })
	if len(devs) == len(own.DeviceList.Devices) || len(devs) == 0 {
		return nil
	}
	return d.signList(own.DeviceList.Version+1, devs)
}

func (d *Device) signList(version int64, devs []wire.ListedDevice) *wire.DeviceList {
	slices.SortFunc(devs, func(a, b wire.ListedDevice) int { return int(a.DeviceID - b.DeviceID) })
	l := &wire.DeviceList{AccountID: d.accountID, Version: version, SigningKey: b64(d.signing.Public().(ed25519.PublicKey)), Devices: devs}
	l.Signature = b64(ed25519.Sign(d.signing, []byte(l.SignedText())))
	return l
}
