package business

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
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

// The lookup from business-scoped user ids back to customers. UserID is a
// one-way hash, so a business that sends to one (the `recipient`
// parameter) needs a table: every id is recorded when a webhook first
// gives it to the business (an inbound message's contact, a status of a
// send), and a business can only know the ids it was given.

// userIDMemory remembers the pairs this node recorded, so that the hot
// paths write a pair once, not once per message. It forgets everything
// past userIDMemoryMax pairs (a write too many is harmless: the store
// keeps known pairs as they are).
type userIDMemory struct {
	mu   sync.Mutex
	seen map[[2]int64]struct{}
}

const userIDMemoryMax = 1 << 20

// rememberUserID records that the business gave uid for accountID.
func (b *Service) rememberUserID(ctx context.Context, businessID, accountID int64, uid string) error {
	k := [2]int64{businessID, accountID}
	m := &b.userIDs
	m.mu.Lock()
	_, ok := m.seen[k]
	m.mu.Unlock()
	if ok {
		return nil
	}
	if err := b.st.RememberUserID(ctx, businessID, uid, accountID); err != nil {
		return fmt.Errorf("remember user id: %w", err)
	}
	m.mu.Lock()
	if m.seen == nil || len(m.seen) >= userIDMemoryMax {
		m.seen = map[[2]int64]struct{}{}
	}
	m.seen[k] = struct{}{}
	m.mu.Unlock()
	return nil
}

// ValidUserID reports whether s has the shape of a business-scoped user
// id: two capital letters (a country, or ZZ), a period, and 1 to 128
// letters and digits.
func ValidUserID(s string) bool {
	if len(s) < 4 || len(s) > 131 || s[2] != '.' || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	for _, r := range s[3:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// recipientAccount resolves the `recipient` of a send, a business-scoped
// user id, to the customer it names. 100 for something that is not a
// user id; a *CloudError 131026 (accepted, then failed in a status) for
// an id the business was never given.
func (b *Service) recipientAccount(ctx context.Context, biz Business, recipient string) (chat.Account, error) {
	if !ValidUserID(recipient) {
		return chat.Account{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("recipient: %q is not a business-scoped user id", recipient))
	}
	id, err := b.st.AccountOfUserID(ctx, biz.ID, recipient)
	if parley.ErrorCode(err) == parley.ENotFound {
		return chat.Account{}, cloudErrDetails(MetaUndeliverable, "Message undeliverable",
			"recipient: no user with this business-scoped user id")
	} else if err != nil {
		return chat.Account{}, fmt.Errorf("account of user id: %w", err)
	}
	a, err := b.st.GetAccount(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return chat.Account{}, cloudErrDetails(MetaUndeliverable, "Message undeliverable", "recipient: the user is gone")
	} else if err != nil {
		return chat.Account{}, fmt.Errorf("get account: %w", err)
	}
	return a, nil
}
