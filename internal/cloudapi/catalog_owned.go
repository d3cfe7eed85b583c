package cloudapi

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// The catalogs a business owns (Meta's owned_product_catalogs edge), the
// one connected to its account (product_catalogs), and GET and DELETE of
// a catalog id (docs/CLOUD-API-ENDPOINTS.md, "Catalogs").

func catalogJSON(c business.Catalog) map[string]any {
	return map[string]any{"id": strconv.FormatInt(c.ID, 10), "name": c.Name}
}

// createCatalog answers POST /{version}/{waba-id}/owned_product_catalogs
// {name}: a new catalog, not connected; Meta answers {"id"}.
func createCatalog(cs *business.Catalogs) bizFunc {
	type req struct {
		Name string `json:"name"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 16<<10, &in); err != nil {
			return err
		}
		c, err := cs.CreateCatalog(r.Context(), biz, in.Name)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": strconv.FormatInt(c.ID, 10)})
		return nil
	}
}

// listOwnedCatalogs answers GET /{version}/{waba-id}/owned_product_catalogs:
// every catalog the business owns, paged (limit, after).
func listOwnedCatalogs(cs *business.Catalogs) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		limit, after := pageArgs(r.URL.Query())
		list, err := cs.ListCatalogs(r.Context(), biz, after, limit+1)
		if err != nil {
			return err
		}
		more := len(list) > limit
		if more {
			list = list[:limit]
		}
		data := []map[string]any{}
		for _, c := range list {
			data = append(data, withFields(r, catalogJSON(c)))
		}
		out := map[string]any{"data": data}
		if len(list) > 0 {
			out["paging"] = paging(r, list[0].ID, list[len(list)-1].ID, more)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// connectCatalog answers POST /{version}/{waba-id}/product_catalogs
// {catalog_id}: the catalog, which the business must own, becomes the
// connected one in place of the one before; Meta answers {"success": true}.
func connectCatalog(cs *business.Catalogs) bizFunc {
	type req struct {
		CatalogID string `json:"catalog_id"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 16<<10, &in); err != nil {
			return err
		}
		if in.CatalogID == "" {
			return invalid("The parameter catalog_id is required.")
		}
		id, err := strconv.ParseInt(in.CatalogID, 10, 64)
		if err != nil || !business.IsKind(id, business.KindCatalog) {
			return invalid("catalog_id %q is not a catalog of this business", in.CatalogID)
		}
		if err := cs.ConnectCatalog(r.Context(), biz, id); err != nil {
			if parley.ErrorCode(err) == parley.ENotFound {
				return invalid("catalog_id %q is not a catalog of this business", in.CatalogID)
			}
			return err
		}
		success(w)
		return nil
	}
}

// getCatalog answers GET /{version}/{catalog-id}.
func getCatalog(cs *business.Catalogs, id int64) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		c, err := cs.GetCatalog(r.Context(), biz, id)
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, withFields(r, catalogJSON(c)))
		return nil
	}
}

// deleteCatalog answers DELETE /{version}/{catalog-id}: Meta's 100 for
// the connected catalog or one with products.
func deleteCatalog(cs *business.Catalogs, id int64) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := cs.DeleteCatalog(r.Context(), biz, id); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		success(w)
		return nil
	}
}
