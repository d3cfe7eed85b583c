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

// postObject answers POST /{version}/{id}: an edit of the object the id
// names: a template (its components or category), or a phone number
// (its two-step verification PIN), or a Flow (its metadata).
func postObject(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if isUploadSession(r) {
			return continueUpload(b)(w, r, biz)
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if business.IsKind(id, business.KindNumber) {
			if n, err := b.OwnNumber(r.Context(), biz, id); err == nil {
				return setPIN(b, n)(w, r, biz)
			}
		}
		if business.KindOf(id) == business.KindFlow {
			return updateFlow(b.Flows(), id)(w, r, biz)
		}
		if business.KindOf(id) == business.KindProduct {
			return updateProduct(b.Catalogs(), id)(w, r, biz) // catalog.go
		}
		if !business.IsKind(id, business.KindTemplate) {
			return noObject(r, r.PathValue("id"))
		}
		return editTemplate(b.Templates(), id)(w, r, biz)
	}
}

// editTemplate answers POST /{template-id} with {category?, components?}:
// Meta's answer is {"success": true}; the review's outcome arrives as a
// message_template_status_update webhook.
func editTemplate(tpl *business.Templates, id int64) bizFunc {
	type req struct {
		Category   string                       `json:"category"`
		Components []business.TemplateComponent `json:"components"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		var in req
		if err := decode(w, r, 1<<20, &in); err != nil {
			return err
		}
		if in.Category == "" && in.Components == nil {
			return invalid("give components or category to edit the template")
		}
		if _, err := tpl.Edit(r.Context(), biz, id, business.TemplateCategory(in.Category), in.Components); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}
