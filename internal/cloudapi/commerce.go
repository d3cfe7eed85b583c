package cloudapi

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/business"
)

// whatsapp_commerce_settings of a number (business/commerce.go).

func getCommerceSettings(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		s, err := b.CommerceSettings(r.Context(), n)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"is_cart_enabled": s.CartEnabled,
			"is_catalog_visible": s.CatalogVisible, "id": strconv.FormatInt(n.ID, 10)}}})
		return nil
	}
}

// updateCommerceSettings takes its parameters in the query string, as
// Meta documents, or in the body.
func updateCommerceSettings(b *business.Service) bizFunc {
	type req struct {
		CartEnabled    *flexBool `json:"is_cart_enabled"`
		CatalogVisible *flexBool `json:"is_catalog_visible"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		q := r.URL.Query()
		flag := func(body *flexBool, name string) (*bool, error) {
			if body != nil {
				v := bool(*body)
				return &v, nil
			}
			if !q.Has(name) {
				return nil, nil
			}
			v, err := strconv.ParseBool(q.Get(name))
			if err != nil {
				return nil, invalid("%s must be true or false", name)
			}
			return &v, nil
		}
		cart, err := flag(in.CartEnabled, "is_cart_enabled")
		if err != nil {
			return err
		}
		visible, err := flag(in.CatalogVisible, "is_catalog_visible")
		if err != nil {
			return err
		}
		if _, err := b.UpdateCommerceSettings(r.Context(), n, cart, visible); err != nil {
			return err
		}
		success(w)
		return nil
	}
}
