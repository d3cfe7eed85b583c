package cloudapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// The catalog endpoints: a small, compatible subset of Meta's commerce
// Graph API (a business account's catalog, a catalog's products, deleting
// a product item), and DELETE of a media id.

// noObject is Meta's answer for an id that does not exist or is not the
// caller's: the Graph API does not say which.
func noObject(r *http.Request, id string) error {
	return &business.CloudError{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", strings.ToLower(r.Method), id)}
}

// notFoundAs turns ENotFound into noObject; other errors pass.
func notFoundAs(r *http.Request, id string, err error) error {
	if parley.ErrorCode(err) == parley.ENotFound {
		if _, ok := business.AsCloudError(err); !ok {
			return noObject(r, id)
		}
	}
	return err
}

// listCatalogs answers GET /{version}/{waba-id}/product_catalogs: the
// catalog connected to the business account, created on first use.
func listCatalogs(cs *business.Catalogs) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		c, err := cs.Catalog(r.Context(), biz)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{withFields(r, catalogJSON(c))}})
		return nil
	}
}

func productJSON(p business.Product) map[string]any {
	out := map[string]any{"id": strconv.FormatInt(p.ID, 10), "retailer_id": p.RetailerID, "name": p.Name,
		"price": p.PriceString(), "currency": p.Currency, "availability": p.Availability}
	if p.Description != "" {
		out["description"] = p.Description
	}
	if p.ImageURL != "" {
		out["image_url"] = p.ImageURL
	}
	return out
}

// createProduct answers POST /{version}/{catalog-id}/products. price is
// in the currency's minor unit (cents), as Meta's call takes it.
func createProduct(cs *business.Catalogs) bizFunc {
	type req struct {
		RetailerID   string  `json:"retailer_id"`
		Name         string  `json:"name"`
		Description  string  `json:"description"`
		Price        flexInt `json:"price"`
		Currency     string  `json:"currency"`
		ImageURL     string  `json:"image_url"`
		Availability string  `json:"availability"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		p, err := cs.CreateProduct(r.Context(), biz, id, business.Product{RetailerID: in.RetailerID, Name: in.Name, Description: in.Description,
			PriceMinor: int64(in.Price), Currency: in.Currency, ImageURL: in.ImageURL, Availability: in.Availability})
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": strconv.FormatInt(p.ID, 10)})
		return nil
	}
}

// listProducts answers GET /{version}/{catalog-id}/products, paged like
// the template list (limit, after).
func listProducts(cs *business.Catalogs) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		q := r.URL.Query()
		limit, after := pageArgs(q)
		ps, err := cs.Products(r.Context(), biz, id, after, limit+1)
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		more := len(ps) > limit
		if more {
			ps = ps[:limit]
		}
		data := []map[string]any{}
		for _, p := range ps {
			data = append(data, productJSON(p))
		}
		out := map[string]any{"data": data}
		if len(ps) > 0 {
			out["paging"] = paging(r, ps[0].ID, ps[len(ps)-1].ID, more)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// deleteObject answers DELETE /{version}/{id}: a media id the business
// uploaded, a catalog it owns or a product item of one, or a draft Flow. Meta answers
// {"success": true}.
func deleteObject(b *business.Service, cs *business.Catalogs) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		raw := r.PathValue("id")
		if isMediaID(raw) {
			if err := b.DeleteMedia(r.Context(), biz, raw); err != nil {
				return notFoundAs(r, raw, err)
			}
			writeJSON(w, http.StatusOK, map[string]bool{"success": true})
			return nil
		}
		id, err := pathID(r, "id")
		if err != nil {
			return noObject(r, raw)
		}
		switch business.KindOf(id) {
		case business.KindFlow:
			return deleteFlow(b.Flows(), id)(w, r, biz)
		case business.KindCatalog:
			return deleteCatalog(cs, id)(w, r, biz) // catalog_owned.go
		}
		if err := cs.DeleteProduct(r.Context(), biz, id); err != nil {
			return notFoundAs(r, raw, err)
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// updateProduct answers POST /{version}/{product-id}: the fields given
// change (price in minor units, as createProduct takes it); Meta answers
// {"success": true}.
func updateProduct(cs *business.Catalogs, id int64) bizFunc {
	type req struct {
		RetailerID   *string  `json:"retailer_id"`
		Name         *string  `json:"name"`
		Description  *string  `json:"description"`
		Price        *flexInt `json:"price"`
		Currency     *string  `json:"currency"`
		ImageURL     *string  `json:"image_url"`
		Availability *string  `json:"availability"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		patch := business.ProductPatch{RetailerID: in.RetailerID, Name: in.Name, Description: in.Description, Currency: in.Currency,
			ImageURL: in.ImageURL, Availability: in.Availability}
		if in.Price != nil {
			v := int64(*in.Price)
			patch.PriceMinor = &v
		}
		if _, err := cs.UpdateProduct(r.Context(), biz, id, patch); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		success(w)
		return nil
	}
}
