package parley

import "context"

// isSubscriber reports whether accountID has a live paid subscription to
// the channel. Paid subscriptions are not built yet: nobody subscribes.
func (s *Service) isSubscriber(ctx context.Context, channelID, accountID int64) (bool, error) {
	return false, nil
}

// renewSubscriptions charges due renewals and lapses unpaid subscriptions.
func (s *Service) renewSubscriptions(ctx context.Context) error { return nil }

// countPromotedFollow counts a follow that came from a directory promotion.
func (s *Service) countPromotedFollow(ctx context.Context, channelID int64) {}
