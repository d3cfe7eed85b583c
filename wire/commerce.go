package wire

// The shapes of Meta's Payments API on Parley: the action parameters of
// the order_details, order_status and catalog_message interactive
// messages, the payment status webhook, and the order timeline a person's
// client reads (docs/COMMERCE.md).

// OrderParameters are the action parameters of an order_details message
// (action name review_and_pay: ReferenceID, Type, PaymentSettings,
// Currency, TotalAmount, Order), of an order_status message (action name
// review_order: ReferenceID and Order with Status and Description), and
// of a catalog_message (ThumbnailProductRetailerID). They are embedded in
// CTAParameters, so the interactive object keeps Meta's JSON.
type OrderParameters struct {
	ReferenceID                string           `json:"reference_id,omitempty"`
	Type                       string           `json:"type,omitempty"` // digital-goods | physical-goods
	PaymentType                string           `json:"payment_type,omitempty"`
	PaymentSettings            []PaymentSetting `json:"payment_settings,omitempty"`
	Currency                   string           `json:"currency,omitempty"`
	TotalAmount                *Amount          `json:"total_amount,omitempty"`
	Order                      *OrderDetails    `json:"order,omitempty"`
	ThumbnailProductRetailerID string           `json:"thumbnail_product_retailer_id,omitempty"`
}

// Amount is Meta's amount: Value divided by Offset is the amount in the
// currency's major unit. Parley takes Offset 100 only (Value is then in
// cents), as Meta does for the currencies it pays in.
type Amount struct {
	Value       int64  `json:"value"`
	Offset      int64  `json:"offset"`
	Description string `json:"description,omitempty"`
}

// PaymentSetting is one way to pay an order: a payment gateway
// configuration of the business (paid in the chat through the operator's
// payment provider) or a payment link (paid outside).
type PaymentSetting struct {
	Type           string          `json:"type"` // payment_gateway | payment_link
	PaymentGateway *PaymentGateway `json:"payment_gateway,omitempty"`
	PaymentLink    *PaymentLink    `json:"payment_link,omitempty"`
}

// PaymentGateway names the business's payment configuration.
type PaymentGateway struct {
	Type              string `json:"type,omitempty"` // the gateway's name: stripe, razorpay, ...
	ConfigurationName string `json:"configuration_name"`
}

// PaymentLink is a page where the order is paid.
type PaymentLink struct {
	URI string `json:"uri"`
}

// OrderDetails is the order object of an order_details message (Status
// pending, the items and the amounts) or of an order_status message
// (Status and Description).
type OrderDetails struct {
	Status      string           `json:"status"`
	Description string           `json:"description,omitempty"`
	CatalogID   string           `json:"catalog_id,omitempty"`
	Items       []OrderLine      `json:"items,omitempty"`
	Subtotal    *Amount          `json:"subtotal,omitempty"`
	Tax         *Amount          `json:"tax,omitempty"`
	Shipping    *Amount          `json:"shipping,omitempty"`
	Discount    *Amount          `json:"discount,omitempty"`
	Expiration  *OrderExpiration `json:"expiration,omitempty"`
}

// OrderLine is one item of an order: its unit Amount (SaleAmount, if
// set, is the discounted unit price that counts) times Quantity.
type OrderLine struct {
	RetailerID      string  `json:"retailer_id"`
	Name            string  `json:"name"`
	Amount          Amount  `json:"amount"`
	SaleAmount      *Amount `json:"sale_amount,omitempty"`
	Quantity        int64   `json:"quantity"`
	CountryOfOrigin string  `json:"country_of_origin,omitempty"`
	ImporterName    string  `json:"importer_name,omitempty"`
	ImporterAddress any     `json:"importer_address,omitempty"`
}

// OrderExpiration is when an order can no longer be paid: Timestamp is
// UNIX seconds as a string, as Meta sends it.
type OrderExpiration struct {
	Timestamp   string `json:"timestamp"`
	Description string `json:"description,omitempty"`
}

// PaymentStatus is the payment object of a payment status webhook (a
// StatusUpdate of Type payment) and of the payment lookup.
type PaymentStatus struct {
	ReferenceID string              `json:"reference_id"`
	Amount      Amount              `json:"amount"`
	Currency    string              `json:"currency"`
	Transaction *PaymentTransaction `json:"transaction,omitempty"`
}

// PaymentTransaction is one attempt to pay: Status is pending, success
// or failed; Refunds are the refunds of a successful one.
type PaymentTransaction struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"` // the payment provider
	Status           string          `json:"status"`
	CreatedTimestamp int64           `json:"created_timestamp"`
	UpdatedTimestamp int64           `json:"updated_timestamp"`
	Amount           Amount          `json:"amount"`
	Currency         string          `json:"currency"`
	Method           *PaymentMethod  `json:"method,omitempty"`
	Error            *PaymentError   `json:"error,omitempty"`
	Refunds          []PaymentRefund `json:"refunds,omitempty"`
}

// PaymentMethod is how the person paid (card, upi, wallet, ...).
type PaymentMethod struct {
	Type string `json:"type"`
}

// PaymentError is why a transaction failed.
type PaymentError struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// PaymentRefund is a refund of a transaction: Status pending, completed
// or failed.
type PaymentRefund struct {
	ID               string `json:"id"`
	Amount           Amount `json:"amount"`
	Status           string `json:"status"`
	SpeedProcessed   string `json:"speed_processed,omitempty"`
	CreatedTimestamp int64  `json:"created_timestamp"`
	UpdatedTimestamp int64  `json:"updated_timestamp"`
}

// OrderView is an order as the person's client reads it
// (GET /v1/chats/{chat}/orders/{reference}): the order_details message's
// parameters, its status, what was paid and refunded, and its timeline.
type OrderView struct {
	ReferenceID   string           `json:"reference_id"`
	MessageID     string           `json:"message_id"`
	Status        string           `json:"status"`
	Currency      string           `json:"currency"`
	TotalMinor    int64            `json:"total_minor"`
	PaidMinor     int64            `json:"paid_minor"`
	RefundedMinor int64            `json:"refunded_minor"`
	ExpiresAt     string           `json:"expires_at,omitempty"`
	Payable       bool             `json:"payable"`
	Details       *OrderParameters `json:"details"`
	Payments      []OrderPayment   `json:"payments"`
	Timeline      []OrderEvent     `json:"timeline"`
}

// OrderPayment is one payment of an order as its payer sees it.
type OrderPayment struct {
	ID            string `json:"id"`
	Status        string `json:"status"` // pending | captured | failed
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	Method        string `json:"method"`
	RefundedMinor int64  `json:"refunded_minor"`
	CreatedAt     string `json:"created_at"`
}

// OrderEvent is one step of an order's timeline: Kind status (an
// order_status message), payment (Status pending, captured or failed) or
// refund (Status pending, completed or failed).
type OrderEvent struct {
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	Description string `json:"description,omitempty"`
	AmountMinor int64  `json:"amount_minor,omitempty"`
	At          string `json:"at"`
}

// PayOrder is the body of POST /v1/orders/pay.
type PayOrder struct {
	ChatID         int64  `json:"chat_id"`
	ReferenceID    string `json:"reference_id"`
	IdempotencyKey string `json:"idempotency_key"`
	PaymentMethod  string `json:"payment_method"`
}
