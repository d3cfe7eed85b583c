package client

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/wire"
)

// Business returns the business profile behind account id (a business
// number), with its verified badge. not_found when the account is not a
// business.
func (c *Client) Business(ctx context.Context, id int64) (wire.PublicBusiness, error) {
	var b wire.PublicBusiness
	err := c.do(ctx, http.MethodGet, pathf("/v1/business/%d", id), nil, &b)
	return b, err
}

// BlockBusiness blocks a business number and counts against its quality.
func (c *Client) BlockBusiness(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/business/%d/block", id), nil, nil)
}

// ReportBusiness reports a business number as spam.
func (c *Client) ReportBusiness(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/business/%d/report", id), nil, nil)
}

// SetMarketingOptOut stops (true) or resumes (false) marketing templates
// from a business number.
func (c *Client) SetMarketingOptOut(ctx context.Context, id int64, optOut bool) error {
	return c.do(ctx, http.MethodPut, pathf("/v1/business/%d/marketing", id), map[string]bool{"opt_out": optOut}, nil)
}
