package business

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley"
)

// The Block Users API (docs/CLOUD-API-ENDPOINTS.md, "block_users"). A
// number blocks a customer through the chat core's blocks: its account
// blocks the customer's, so the customer's client can no longer send to
// it, and the number's sends to the customer fail (checkNotBlocking).

// Meta's codes of the Block Users API.
const (
	MetaBlockFailed     = 139100 // failed to block or unblock some users
	MetaBlockListFull   = 139102 // the blocklist is at its limit
	MaxBlockPerRequest  = 1000
	MaxBlockedPerNumber = 64000
)

// BlockResult is one user of a block or unblock request: Input as given,
// WaID when the user is known, and Error when it failed.
type BlockResult struct {
	Input string
	WaID  string
	Error *CloudError
}

// BlockUsers blocks users (phone numbers or wa_ids) for the number. Meta's
// rules: a user can be blocked only within the service window of their
// last message (131047 for that user otherwise), at most
// MaxBlockPerRequest users per request (100) and MaxBlockedPerNumber
// blocked users per number (139102 for the users beyond). Per-user
// failures are in the results, not the error.
func (b *Service) BlockUsers(ctx context.Context, n BusinessNumber, users []string) (added, failed []BlockResult, err error) {
	if err := checkBlockRequest(users); err != nil {
		return nil, nil, err
	}
	blocked, err := b.st.ListBlocked(ctx, n.AccountID)
	if err != nil {
		return nil, nil, fmt.Errorf("list blocked: %w", err)
	}
	count := len(blocked)
	now := b.now()
	for _, u := range users {
		r, acct, err := b.blockUser(ctx, u)
		if err != nil {
			return nil, nil, err
		}
		if r.Error == nil && acct == n.AccountID {
			r.Error = cloudErrDetails(MetaBlockFailed, "Failed to block/unblock users", "a number cannot block itself")
		}
		if r.Error == nil && acct == 0 {
			r.Error = cloudErrDetails(MetaReengagement, "Re-engagement required", "User has not messaged in the last 24 hours")
		}
		if r.Error == nil {
			conv, err := b.conversation(ctx, n.ID, acct)
			if err != nil {
				return nil, nil, err
			}
			if open, _ := serviceWindow(conv, now, b.cfg.ServiceWindow); !open {
				r.Error = cloudErrDetails(MetaReengagement, "Re-engagement required", "User has not messaged in the last 24 hours")
			}
		}
		if r.Error == nil {
			already, err := b.st.IsBlocked(ctx, n.AccountID, acct)
			if err != nil {
				return nil, nil, fmt.Errorf("is blocked: %w", err)
			}
			if !already && count >= MaxBlockedPerNumber {
				r.Error = cloudErrDetails(MetaBlockListFull, "Blocklist limit reached", fmt.Sprintf("a number can block at most %d users", MaxBlockedPerNumber))
			} else if !already {
				err := b.st.Block(ctx, n.AccountID, acct)
				b.svc.BlockChanged(n.AccountID, acct) // the send path's caches, on every node
				if err != nil {
					return nil, nil, fmt.Errorf("block: %w", err)
				}
				count++
			}
		}
		if r.Error != nil {
			failed = append(failed, r)
		} else {
			added = append(added, r)
		}
	}
	return added, failed, nil
}

// UnblockUsers lifts the number's blocks of users; unblocking a user not
// blocked succeeds, as on Meta, and is not limited by the service window.
func (b *Service) UnblockUsers(ctx context.Context, n BusinessNumber, users []string) (removed, failed []BlockResult, err error) {
	if err := checkBlockRequest(users); err != nil {
		return nil, nil, err
	}
	for _, u := range users {
		r, acct, err := b.blockUser(ctx, u)
		if err != nil {
			return nil, nil, err
		}
		if r.Error != nil {
			failed = append(failed, r)
			continue
		}
		if acct == 0 {
			removed = append(removed, r)
			continue
		}
		err = b.st.Unblock(ctx, n.AccountID, acct)
		b.svc.BlockChanged(n.AccountID, acct)
		if err != nil {
			return nil, nil, fmt.Errorf("unblock: %w", err)
		}
		removed = append(removed, r)
	}
	return removed, failed, nil
}

// BlockedUsers returns the wa_ids the number has blocked, in the order of
// their accounts.
func (b *Service) BlockedUsers(ctx context.Context, n BusinessNumber) ([]string, error) {
	ids, err := b.st.ListBlocked(ctx, n.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list blocked: %w", err)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		a, err := b.st.GetAccount(ctx, id)
		if parley.ErrorCode(err) == parley.ENotFound {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("get account: %w", err)
		}
		out = append(out, WaID(a.Phone))
	}
	return out, nil
}

func checkBlockRequest(users []string) error {
	if len(users) == 0 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "The parameter block_users is required: give 1 to 1000 users.")
	}
	if len(users) > MaxBlockPerRequest {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("block_users: at most %d users per request", MaxBlockPerRequest))
	}
	return nil
}

// blockUser resolves one user of a block request to an account; an
// unknown or invalid user is a per-user failure.
func (b *Service) blockUser(ctx context.Context, user string) (BlockResult, int64, error) {
	r := BlockResult{Input: user}
	phone, err := recipientPhone(user)
	if err != nil {
		r.Error = cloudErrDetails(MetaBlockFailed, "Failed to block/unblock users", fmt.Sprintf("%q is not a valid phone number", user))
		return r, 0, nil
	}
	// A number on no account is answered as a customer who has not
	// written (BlockUsers) or as unblocked (UnblockUsers), with the same
	// wa_id: a block request must not tell who is on the server
	// (docs/SECURITY.md).
	r.WaID = WaID(phone)
	a, err := b.st.GetAccountByPhone(ctx, phone)
	if parley.ErrorCode(err) == parley.ENotFound {
		return r, 0, nil
	} else if err != nil {
		return r, 0, fmt.Errorf("get account: %w", err)
	}
	return r, a.ID, nil
}

// checkNotBlocking refuses a send to a customer the number has blocked:
// Meta answers such a send with an error (Parley: 131026, undeliverable).
func (b *Service) checkNotBlocking(ctx context.Context, n BusinessNumber, customerID int64) error {
	blocked, err := b.st.IsBlocked(ctx, n.AccountID, customerID)
	if err != nil {
		return fmt.Errorf("is blocked: %w", err)
	}
	if blocked {
		return cloudErrDetails(MetaUndeliverable, "Message undeliverable", "This business number has blocked the recipient; unblock them (DELETE block_users) to send")
	}
	return nil
}
