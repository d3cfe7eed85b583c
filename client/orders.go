package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/wire"
)

// Order returns an order a business sent in a chat, with its payments
// and timeline (GET /v1/chats/{chat}/orders/{reference}).
func (c *Client) Order(ctx context.Context, chatID int64, reference string) (wire.OrderView, error) {
	var v wire.OrderView
	err := c.do(ctx, http.MethodGet, "/v1/chats/"+strconv.FormatInt(chatID, 10)+"/orders/"+url.PathEscape(reference), nil, &v)
	return v, err
}

// PayOrder pays an order in the chat through the server's payment
// provider, once per idempotency key (POST /v1/orders/pay).
func (c *Client) PayOrder(ctx context.Context, p wire.PayOrder) (wire.OrderPayment, error) {
	var v wire.OrderPayment
	err := c.do(ctx, http.MethodPost, "/v1/orders/pay", p, &v)
	return v, err
}
