package business

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// TokenInfo returns the business token behind a secret and its business,
// for the Cloud API's debug_token (the business console asks it which
// business account a token opens). It answers as AuthenticateBusiness:
// CloudError 190 for a missing, unknown, revoked or expired token.
func (b *Service) TokenInfo(ctx context.Context, token string) (BusinessToken, Business, error) {
	biz, err := b.AuthenticateBusiness(ctx, token)
	if err != nil {
		return BusinessToken{}, Business{}, err
	}
	t, err := b.st.BusinessTokenByHash(ctx, chat.TokenHash(token))
	if err != nil {
		return BusinessToken{}, Business{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, biz, nil
}

// NumberPrincipal is the principal of a business number's cloud device:
// the number acts through it on Parley's own features (channels it owns).
func (n BusinessNumber) NumberPrincipal() parley.Principal {
	return parley.Principal{AccountID: n.AccountID, DeviceID: n.DeviceID}
}
