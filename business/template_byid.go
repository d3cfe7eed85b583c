package business

import (
	"context"

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
