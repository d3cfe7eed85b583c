package business

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
)

// UserID is the business-scoped user id (BSUID) of a customer for one
// business: what Meta sends beside the phone number as contacts[].user_id,
// messages[].from_user_id and statuses[].recipient_user_id, so that a
// business can key its customers on something other than their number.
// Meta's shape: the customer's country, a dot, digits. It is stable for a
// (business, customer) pair and differs between businesses; it is derived
// from the internal account id, never from the phone number, so it
// cannot be reversed by trying numbers.
func UserID(businessID, accountID int64, phone string) string {
	var b [len("parley-bsuid") + 16]byte
	n := copy(b[:], "parley-bsuid")
	binary.BigEndian.PutUint64(b[n:], uint64(businessID))
	binary.BigEndian.PutUint64(b[n+8:], uint64(accountID))
	sum := sha256.Sum256(b[:])
	country := countryOf(phone)
	if country == "" {
		country = "ZZ"
	}
	return country + "." + strconv.FormatUint(binary.BigEndian.Uint64(sum[:8])>>1, 10)
}
