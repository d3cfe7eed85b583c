package business

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleyhq/parley"
)

// Get returns the business's template by id. ENotFound for another
// business's template or an id that is not a template.
func (ts *Templates) Get(ctx context.Context, biz Business, id int64) (Template, error) {
	if !IsKind(id, KindTemplate) {
		return Template{}, parley.Errorf(parley.ENotFound, "no such template")
	}
	t, err := ts.st.GetTemplate(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && t.BusinessID != biz.ID) {
		return Template{}, parley.Errorf(parley.ENotFound, "no such template")
	}
	return t, err
}

// Edit changes an approved, rejected or paused template's components
// (and, unless it is approved, its category), as Meta's POST
// /{template-id} does, then reviews it again like a new one: it is
// PENDING until the review decides, with the same webhooks as Create.
// CloudError 100 for a malformed definition or a template in another
// state; ENotFound for no such template of the business.
func (ts *Templates) Edit(ctx context.Context, biz Business, id int64, category TemplateCategory, comps []TemplateComponent) (Template, error) {
	t, err := ts.Get(ctx, biz, id)
	if err != nil {
		return Template{}, err
	}
	switch t.Status {
	case TemplateApproved, TemplateRejected, TemplatePaused:
	default:
		return Template{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("a %s template cannot be edited; only APPROVED, REJECTED or PAUSED ones can", t.Status))
	}
	if category != "" {
		category = TemplateCategory(strings.ToUpper(string(category)))
		if t.Status == TemplateApproved && category != t.Category {
			return Template{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "the category of an approved template cannot be edited")
		}
		t.Category = category
	}
	if comps != nil {
		t.Components = comps
	}
	if err := t.validate(); err != nil {
		return Template{}, err
	}
	t.Status, t.Reason, t.UpdatedAt = TemplatePending, "", ts.now()
	if err := ts.st.EditTemplate(ctx, t); err != nil {
		return Template{}, fmt.Errorf("edit template: %w", err)
	}
	status, reason, cat := ts.review(t)
	if cat != t.Category {
		if err := ts.SetCategory(ctx, t.ID, cat); err != nil {
			return Template{}, err
		}
		t.Category, t.PreviousCategory = cat, t.Category
	}
	if err := ts.SetStatus(ctx, t.ID, status, reason); err != nil {
		return Template{}, err
	}
	t.Status, t.Reason = status, reason
	return t, nil
}

// DeleteByID deletes one template, as Meta's DELETE message_templates
// with hsm_id does; name, when given, must be the template's.
// CloudError 100 when there is no such template of the business.
func (ts *Templates) DeleteByID(ctx context.Context, biz Business, id int64, name string) error {
	t, err := ts.Get(ctx, biz, id)
	if err == nil && name != "" && t.Name != name {
		err = parley.Errorf(parley.ENotFound, "no such template")
	}
	if err == nil {
		err = ts.st.DeleteTemplate(ctx, biz.ID, id)
	}
	if parley.ErrorCode(err) == parley.ENotFound {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("template %d does not exist", id))
	}
	return err
}
