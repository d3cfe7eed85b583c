package business

import (
	"context"

	"github.com/parleyhq/parley"
)

// CommerceSettings are a number's whatsapp_commerce_settings: whether
// customers may send carts (orders) and whether its catalog is shown.
// Both are on until changed, as on Meta.
type CommerceSettings struct {
	CartEnabled    bool `json:"is_cart_enabled"`
	CatalogVisible bool `json:"is_catalog_visible"`
}

// CommerceSettings returns the number's commerce settings.
func (b *Service) CommerceSettings(ctx context.Context, n BusinessNumber) (CommerceSettings, error) {
	s := CommerceSettings{CartEnabled: true, CatalogVisible: true}
	if _, err := b.getSetting(ctx, n, settingCommerce, &s); err != nil {
		return CommerceSettings{}, err
	}
	return s, nil
}

// UpdateCommerceSettings changes the settings that are not nil. With the
// cart off, a customer's order to the number is refused (EInvalid, by
// CheckBody); with the catalog hidden, the customers' view of the
// business does not offer it, and product messages still send, as on
// Meta, where the setting hides the storefront only.
func (b *Service) UpdateCommerceSettings(ctx context.Context, n BusinessNumber, cart, visible *bool) (CommerceSettings, error) {
	s, err := b.CommerceSettings(ctx, n)
	if err != nil {
		return CommerceSettings{}, err
	}
	if cart == nil && visible == nil {
		return CommerceSettings{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "give is_cart_enabled or is_catalog_visible")
	}
	if cart != nil {
		s.CartEnabled = *cart
	}
	if visible != nil {
		s.CatalogVisible = *visible
	}
	return s, b.putSetting(ctx, n, settingCommerce, s)
}

// checkCart refuses an order to a number whose cart is off.
func (b *Service) checkCart(ctx context.Context, n BusinessNumber) error {
	s, err := b.CommerceSettings(ctx, n)
	if err != nil {
		return err
	}
	if !s.CartEnabled {
		return &parley.Error{Code: parley.EInvalid, Message: "this business does not take carts", Details: map[string]any{"field": "order"}}
	}
	return nil
}
