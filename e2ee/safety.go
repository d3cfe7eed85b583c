package e2ee

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Safety numbers (docs/E2EE.md, "Safety numbers"). Each side's half is
// the displayable fingerprint of Signal's published numeric fingerprint
// scheme: SHA-512 over a version, the key material and a stable
// identifier, iterated 5200 times with the key material appended, of
// which 30 bytes become six 5-digit groups. Here the key material covers
// the whole account: its signing key, then every device of its signed
// list (id, Ed25519 and Curve25519 keys) in id order; the identifier is
// the account id. The two halves are joined lower first, so both people
// see the same 60 digits. A device added to or removed from either list
// changes the number.
const fingerprintIterations = 5200

func fingerprintHalf(accountID int64, material []byte) string {
	id := []byte(strconv.FormatInt(accountID, 10))
	h := sha512.New()
	h.Write([]byte{0, 0})
	h.Write(material)
	h.Write(id)
	sum := h.Sum(nil)
	for range fingerprintIterations {
		h.Reset()
		h.Write(sum)
		h.Write(material)
		sum = h.Sum(nil)
	}
	var b strings.Builder
	for i := range 6 {
		chunk := sum[i*5 : i*5+5]
		v := binary.BigEndian.Uint64(append([]byte{0, 0, 0}, chunk...)) % 100000
		fmt.Fprintf(&b, "%05d", v)
	}
	return b.String()
}

// keyMaterial is what an account's half covers, or nil if the device
// has no valid signed list of the account.
func (p *peer) keyMaterial() []byte {
	if p == nil || p.SigningKey == "" {
		return nil
	}
	sk, err := base64.RawStdEncoding.DecodeString(p.SigningKey)
	if err != nil {
		return nil
	}
	out := append([]byte(nil), sk...)
	for _, id := range keysOf(p.Devices) {
		ld := p.Devices[id]
		ed, err1 := base64.RawStdEncoding.DecodeString(ld.Ed25519)
		cu, err2 := base64.RawStdEncoding.DecodeString(ld.Curve25519)
		if err1 != nil || err2 != nil {
			return nil
		}
		out = binary.BigEndian.AppendUint64(out, uint64(id))
		out = append(out, ed...)
		out = append(out, cu...)
	}
	return out
}

// SafetyNumber returns the 60-digit safety number between this device's
// account and accountID, as twelve groups of five digits, from the
// signed device lists this device trusts (call UpdatePeer for both
// first). Two people compare it, read aloud or as a QR code of the same
// digits.
func (d *Device) SafetyNumber(accountID int64) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.safetyNumber(accountID)
}

func (d *Device) safetyNumber(accountID int64) (string, error) {
	mine, theirs := d.peers[d.accountID].keyMaterial(), d.peers[accountID].keyMaterial()
	if mine == nil {
		return "", fmt.Errorf("no signed device list of your own account yet")
	}
	if theirs == nil {
		return "", fmt.Errorf("no signed device list of account %d", accountID)
	}
	halves := []string{fingerprintHalf(d.accountID, mine), fingerprintHalf(accountID, theirs)}
	slices.Sort(halves)
	all := halves[0] + halves[1]
	groups := make([]string, 12)
	for i := range groups {
		groups[i] = all[i*5 : i*5+5]
	}
	return strings.Join(groups, " "), nil
}

// MarkVerified records that the person compared the safety number with
// accountID's owner and it matched; a later change of either side's
// keys or devices then raises NoticeVerifiedBroken.
func (d *Device) MarkVerified(accountID int64) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.safetyNumber(accountID)
	if err != nil {
		return "", err
	}
	d.peers[accountID].Verified = n
	return n, nil
}

// Verified reports whether accountID is verified and its safety number
// has not changed since.
func (d *Device) Verified(accountID int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[accountID]
	if p == nil || p.Verified == "" {
		return false
	}
	n, err := d.safetyNumber(accountID)
	return err == nil && n == p.Verified
}

// checkVerified raises NoticeVerifiedBroken for every verified account
// whose safety number changed, and clears its verification.
func (d *Device) checkVerified() {
	for acct, p := range d.peers {
		if p.Verified == "" || acct == d.accountID {
			continue
		}
		if n, err := d.safetyNumber(acct); err != nil || n != p.Verified {
			d.notice(Notice{AccountID: acct, Kind: NoticeVerifiedBroken, Text: "the safety number of a contact you verified changed: verify it again"})
			p.Verified = ""
		}
	}
}
