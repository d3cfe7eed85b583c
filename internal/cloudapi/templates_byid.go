package cloudapi

import (
	"net/http"

	"github.com/parleyhq/parley/business"
)

// getTemplate answers GET /{version}/{template-id}: the template, with
// the fields ?fields= names.
func getTemplate(tpl *business.Templates) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		t, err := tpl.Get(r.Context(), biz, id)
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, withFields(r, templateJSON(t)))
		return nil
	}
}
