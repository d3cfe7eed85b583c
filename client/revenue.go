package client

import (
	"context"

	"github.com/parleyhq/parley"
)

// The people-side revenue models (docs/REVENUE-MODELS.md).

// License returns the server's licence and the seats in use (operator).
func (o *Operator) License(ctx context.Context) (parley.LicenseStatus, error) {
	var v parley.LicenseStatus
	err := o.c.do(ctx, "GET", "/admin/v1/people/license", nil, &v)
	return v, err
}
