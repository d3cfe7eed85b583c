package ads

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Served is what a served ad's token carries back with each event: the
// campaign and creative, the cell, the day and the price the auction
// cleared at. The token is signed (HMAC-SHA256 under the node secret), so
// a client cannot change the price or the cell; it names no person.
type Served struct {
	Campaign  int64
	Creative  int
	Placement string
	ChannelID int64
	Country   string
	Day       int64
	Price     int64
}

var errToken = errors.New("bad ad token")

func tokenMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("parley ad token v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)[:16]
}

// Token signs s.
func (s Served) Token(secret []byte) string {
	p := strings.Join([]string{"1", strconv.FormatInt(s.Campaign, 10), strconv.Itoa(s.Creative), s.Placement,
		strconv.FormatInt(s.ChannelID, 10), s.Country, strconv.FormatInt(s.Day, 10), strconv.FormatInt(s.Price, 10)}, "|")
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(p)) + "." + enc.EncodeToString(tokenMAC(secret, p))
}

// ParseToken checks a token's signature and reads it.
func ParseToken(secret []byte, tok string) (Served, error) {
	if len(tok) > 512 {
		return Served{}, errToken
	}
	a, b, ok := strings.Cut(tok, ".")
	if !ok {
		return Served{}, errToken
	}
	enc := base64.RawURLEncoding
	p, err1 := enc.DecodeString(a)
	mac, err2 := enc.DecodeString(b)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, tokenMAC(secret, string(p))) {
		return Served{}, errToken
	}
	f := strings.Split(string(p), "|")
	if len(f) != 8 || f[0] != "1" {
		return Served{}, errToken
	}
	var s Served
	var errs [5]error
	s.Campaign, errs[0] = strconv.ParseInt(f[1], 10, 64)
	s.Creative, errs[1] = strconv.Atoi(f[2])
	s.Placement = f[3]
	s.ChannelID, errs[2] = strconv.ParseInt(f[4], 10, 64)
	s.Country = f[5]
	s.Day, errs[3] = strconv.ParseInt(f[6], 10, 64)
	s.Price, errs[4] = strconv.ParseInt(f[7], 10, 64)
	if errors.Join(errs[:]...) != nil || s.Creative < 0 || s.Creative >= MaxCreatives || s.Price < 0 {
		return Served{}, errToken
	}
	return s, nil
}

// PersonKey is the pseudonym an event row holds instead of the person: a
// keyed hash of the account, the campaign and the day. It tells two
// events of one person apart from two people's within one campaign-day
// (to count distinct people and bound contributions) and links nothing
// else: not across campaigns, not across days, not back to the account
// without the node secret.
func PersonKey(secret []byte, accountID, campaignID, day int64) uint64 {
	m := hmac.New(sha256.New, secret)
	var b [32]byte
	copy(b[:8], "adperson")
	binary.BigEndian.PutUint64(b[8:], uint64(accountID))
	binary.BigEndian.PutUint64(b[16:], uint64(campaignID))
	binary.BigEndian.PutUint64(b[24:], uint64(day))
	m.Write(b[:])
	return binary.BigEndian.Uint64(m.Sum(nil))
}
