package business

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley"
)

// DeleteMedia deletes media that one of the business's numbers uploaded.
// Anything else, including media a customer sent the business, is
// ENotFound. Customers who received the media can no longer download it.
func (b *Service) DeleteMedia(ctx context.Context, biz Business, id string) error {
	id, ok := MediaIDOf(id)
	if !ok {
		return parley.Errorf(parley.ENotFound, "no such media")
	}
	m, err := b.st.GetMedia(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "no such media")
	} else if err != nil {
		return fmt.Errorf("get media: %w", err)
	}
	ns, err := b.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return fmt.Errorf("list numbers: %w", err)
	}
	for _, n := range ns {
		if m.OwnerID != n.AccountID {
			continue
		}
		if err := b.st.DeleteMedia(ctx, id); parley.ErrorCode(err) == parley.ENotFound {
			return parley.Errorf(parley.ENotFound, "no such media")
		} else if err != nil {
			return fmt.Errorf("delete media: %w", err)
		}
		return nil
	}
	return parley.Errorf(parley.ENotFound, "no such media")
}
