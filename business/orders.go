package business

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Orders in the chat, on Meta's Payments API (docs/COMMERCE.md): a
// business sends an order_details message (an order to review and pay,
// with a reference id unique to the business), then order_status messages
// that move the order along its timeline; the person pays in the chat
// through the operator's payment provider (payments.go) and the business
// refunds all or part of it (refunds.go).

// Order is a business's order_details message as Parley keeps it.
// TotalMinor is the total amount in minor units of Currency;
// PaymentConfig is the payment gateway configuration it is paid through
// ("" for an order paid by link, outside the chat). ExpiresAt is zero for
// an order that does not expire. Details is the message's parameters as
// JSON.
type Order struct {
	ID            int64
	BusinessID    int64
	NumberID      int64
	ReferenceID   string
	CustomerID    int64
	ChatID        int64
	MessageID     string
	Currency      string
	TotalMinor    int64
	PaymentConfig string
	Status        string
	ExpiresAt     time.Time
	Details       []byte
	CreatedAt     time.Time
}

// OrderEvent is one step of an order's timeline: Kind status, payment or
// refund, with the new Status.
type OrderEvent struct {
	ID          int64
	OrderID     int64
	Kind        string
	Status      string
	Description string
	AmountMinor int64
	At          time.Time
}

// The statuses of an order (Meta's order_status values).
const (
	OrderPending          = "pending"
	OrderProcessing       = "processing"
	OrderPartiallyShipped = "partially_shipped"
	OrderShipped          = "shipped"
	OrderCompleted        = "completed"
	OrderCanceled         = "canceled"
)

// orderNext lists the statuses an order may move to from each status.
// completed and canceled are final: Meta refuses any update after them.
var orderNext = map[string][]string{
	OrderPending:          {OrderProcessing, OrderPartiallyShipped, OrderShipped, OrderCompleted, OrderCanceled},
	OrderProcessing:       {OrderPartiallyShipped, OrderShipped, OrderCompleted, OrderCanceled},
	OrderPartiallyShipped: {OrderPartiallyShipped, OrderShipped, OrderCompleted, OrderCanceled},
	OrderShipped:          {OrderCompleted, OrderCanceled},
}

// OrderTransition reports whether an order may move from one status to
// another.
func OrderTransition(from, to string) bool {
	for _, s := range orderNext[from] {
		if s == to {
			return true
		}
	}
	return false
}

// OrderStore holds orders, their timelines, payments and refunds. It is
// part of Store.
type OrderStore interface {
	// CreateOrder inserts o and sets o.ID. EConflict if the business has
	// an order with that ReferenceID.
	CreateOrder(ctx context.Context, o *Order) error
	// DeleteOrder deletes an order that has no payment (a send that
	// failed), or returns ErrNotFound.
	DeleteOrder(ctx context.Context, id int64) error
	// GetOrder returns the business's order by reference id, or ErrNotFound.
	GetOrder(ctx context.Context, businessID int64, referenceID string) (Order, error)
	// GetOrderInChat returns the order sent in a chat by reference id,
	// or ErrNotFound.
	GetOrderInChat(ctx context.Context, chatID int64, referenceID string) (Order, error)
	// SetOrderStatus moves an order from status from to ev.Status and
	// appends ev to its timeline; EConflict if the order's status is not
	// from any more.
	SetOrderStatus(ctx context.Context, id int64, from string, ev OrderEvent) error
	// UndoOrderStatus takes back a SetOrderStatus whose message was not
	// sent: the order goes back to status from and the newest timeline
	// entry for status to is dropped. EConflict if the order is not at
	// status to any more.
	UndoOrderStatus(ctx context.Context, id int64, from, to string) error
	// OrderEvents returns an order's timeline, oldest first.
	OrderEvents(ctx context.Context, orderID int64) ([]OrderEvent, error)
	PaymentStore
	// The money ledger, where captured payments, the operator's fees and
	// refunds are recorded.
	money.LedgerWriter
}

// checkAmount checks one of Meta's amount objects at path: offset 100,
// a value that is not negative.
func checkAmount(path string, a *wire.Amount, required bool) error {
	if a == nil {
		if required {
			return orderInvalid("%s is required", path)
		}
		return nil
	}
	if a.Offset != 100 {
		return orderInvalid("%s.offset must be 100", path)
	}
	if a.Value < 0 || a.Value > 1e12 {
		return orderInvalid("%s.value must be 0 to 1000000000000", path)
	}
	return nil
}

func orderInvalid(format string, args ...any) *CloudError {
	return cloudErrDetails(MetaParameterValue, "Parameter value is not valid", fmt.Sprintf(format, args...))
}

func orderMissing(path string) *CloudError {
	return cloudErrDetails(MetaRequiredParameter, "Required parameter is missing", fmt.Sprintf("%s is required", path))
}

// MetaRequiredParameter is Meta's "Required parameter is missing" (131008).
const MetaRequiredParameter = 131008

// CheckOrderDetails checks an order_details message's parameters as Meta
// does and returns its expiry (zero if none): a reference id, a type, one
// payment setting, a currency, the total at offset 100, and an order
// whose amounts add up (subtotal = the items' amounts times their
// quantities, total = subtotal + tax + shipping − discount) and whose
// expiry is at least 300 seconds after now. The errors are Meta's 131008
// (missing) and 131009 (not valid), naming the parameter.
func CheckOrderDetails(a wire.InteractiveAction, now time.Time) (time.Time, error) {
	if a.Name != "review_and_pay" {
		return time.Time{}, orderInvalid("action.name must be review_and_pay")
	}
	p := a.Parameters
	if p == nil {
		return time.Time{}, orderMissing("action.parameters")
	}
	if err := checkReference(p.ReferenceID); err != nil {
		return time.Time{}, err
	}
	switch p.Type {
	case "digital-goods", "physical-goods":
	case "":
		return time.Time{}, orderMissing("parameters.type")
	default:
		return time.Time{}, orderInvalid("parameters.type must be digital-goods or physical-goods")
	}
	if len(p.PaymentSettings) != 1 {
		return time.Time{}, orderInvalid("parameters.payment_settings must hold one payment setting")
	}
	switch ps := p.PaymentSettings[0]; ps.Type {
	case "payment_gateway":
		if ps.PaymentGateway == nil || strings.TrimSpace(ps.PaymentGateway.ConfigurationName) == "" || utf8.RuneCountInString(ps.PaymentGateway.ConfigurationName) > 60 {
			return time.Time{}, orderInvalid("payment_settings[0].payment_gateway.configuration_name is required, at most 60 characters")
		}
	case "payment_link":
		if ps.PaymentLink == nil || !strings.HasPrefix(ps.PaymentLink.URI, "https://") {
			return time.Time{}, orderInvalid("payment_settings[0].payment_link.uri must be an https URL")
		}
	default:
		return time.Time{}, orderInvalid("payment_settings[0].type must be payment_gateway or payment_link")
	}
	if p.Currency == "" {
		return time.Time{}, orderMissing("parameters.currency")
	}
	if len(p.Currency) != 3 || strings.Trim(p.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return time.Time{}, orderInvalid("parameters.currency must be an ISO 4217 code such as INR")
	}
	if err := checkAmount("parameters.total_amount", p.TotalAmount, true); err != nil {
		return time.Time{}, err
	}
	if p.TotalAmount.Value == 0 {
		return time.Time{}, orderInvalid("parameters.total_amount.value must be more than 0")
	}
	o := p.Order
	if o == nil {
		return time.Time{}, nil // Meta's simplified order_details: the total alone
	}
	if o.Status != OrderPending {
		return time.Time{}, orderInvalid("order.status must be pending in an order_details message")
	}
	if len(o.Items) == 0 || len(o.Items) > 999 {
		return time.Time{}, orderInvalid("order.items: give 1 to 999 items")
	}
	var subtotal int64
	seen := map[string]bool{}
	for i, it := range o.Items {
		path := fmt.Sprintf("order.items[%d]", i)
		switch {
		case strings.TrimSpace(it.RetailerID) == "":
			return time.Time{}, orderMissing(path + ".retailer_id")
		case seen[it.RetailerID]:
			return time.Time{}, orderInvalid("%s.retailer_id %q appears twice", path, it.RetailerID)
		case strings.TrimSpace(it.Name) == "" || utf8.RuneCountInString(it.Name) > 60:
			return time.Time{}, orderInvalid("%s.name is required, at most 60 characters", path)
		case it.Quantity < 1 || it.Quantity > 1000:
			return time.Time{}, orderInvalid("%s.quantity must be 1 to 1000", path)
		}
		seen[it.RetailerID] = true
		if err := checkAmount(path+".amount", &it.Amount, true); err != nil {
			return time.Time{}, err
		}
		unit := it.Amount.Value
		if it.SaleAmount != nil {
			if err := checkAmount(path+".sale_amount", it.SaleAmount, false); err != nil {
				return time.Time{}, err
			}
			if it.SaleAmount.Value >= it.Amount.Value {
				return time.Time{}, orderInvalid("%s.sale_amount must be less than amount", path)
			}
			unit = it.SaleAmount.Value
		}
		subtotal += unit * it.Quantity
	}
	if err := checkAmount("order.subtotal", o.Subtotal, true); err != nil {
		return time.Time{}, err
	}
	if o.Subtotal.Value != subtotal {
		return time.Time{}, orderInvalid("order.subtotal.value is %d; the items add up to %d", o.Subtotal.Value, subtotal)
	}
	tax, shipping, discount := int64(0), int64(0), int64(0)
	for _, x := range []struct {
		path string
		a    *wire.Amount
		v    *int64
	}{{"order.tax", o.Tax, &tax}, {"order.shipping", o.Shipping, &shipping}, {"order.discount", o.Discount, &discount}} {
		if err := checkAmount(x.path, x.a, x.path == "order.tax"); err != nil {
			return time.Time{}, err
		}
		if x.a != nil {
			*x.v = x.a.Value
		}
	}
	if discount > subtotal {
		return time.Time{}, orderInvalid("order.discount is more than the subtotal")
	}
	if want := subtotal + tax + shipping - discount; p.TotalAmount.Value != want {
		return time.Time{}, orderInvalid("total_amount.value is %d; subtotal + tax + shipping - discount is %d", p.TotalAmount.Value, want)
	}
	if o.Expiration == nil {
		return time.Time{}, nil
	}
	sec, err := strconv.ParseInt(o.Expiration.Timestamp, 10, 64)
	if err != nil {
		return time.Time{}, orderInvalid("order.expiration.timestamp must be UNIX seconds")
	}
	exp := time.Unix(sec, 0)
	if exp.Before(now.Add(300 * time.Second)) {
		return time.Time{}, orderInvalid("order.expiration.timestamp must be at least 300 seconds in the future")
	}
	if utf8.RuneCountInString(o.Expiration.Description) > 120 {
		return time.Time{}, orderInvalid("order.expiration.description is longer than 120 characters")
	}
	return exp, nil
}

// checkReference checks a reference id: 1 to 35 characters of letters,
// digits and _ - . : # / (Meta's rule).
func checkReference(ref string) error {
	if ref == "" {
		return orderMissing("parameters.reference_id")
	}
	if len(ref) > 35 {
		return orderInvalid("parameters.reference_id is longer than 35 characters")
	}
	for _, r := range ref {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.:#/", r)) {
			return orderInvalid("parameters.reference_id may hold letters, digits and _ - . : # / only")
		}
	}
	return nil
}

// checkOrderStatus checks an order_status message's parameters.
func checkOrderStatus(a wire.InteractiveAction) error {
	if a.Name != "review_order" {
		return orderInvalid("action.name must be review_order")
	}
	p := a.Parameters
	if p == nil {
		return orderMissing("action.parameters")
	}
	if err := checkReference(p.ReferenceID); err != nil {
		return err
	}
	if p.Order == nil || p.Order.Status == "" {
		return orderMissing("parameters.order.status")
	}
	if _, ok := orderNext[p.Order.Status]; !ok && p.Order.Status != OrderCompleted && p.Order.Status != OrderCanceled {
		return orderInvalid("parameters.order.status must be pending, processing, partially_shipped, shipped, completed or canceled")
	}
	if utf8.RuneCountInString(p.Order.Description) > 120 {
		return orderInvalid("parameters.order.description is longer than 120 characters")
	}
	return nil
}

// Orders is the service of orders, payments and refunds. Service.Orders
// returns it; it is safe for concurrent use.
type Orders struct{ b *Service }

// Orders returns the orders service.
func (b *Service) Orders() *Orders { return &Orders{b: b} }

// isOrderMessage reports whether m is an order_details or order_status message.
func isOrderMessage(m OutboundMessage) bool {
	in := m.Content.Interactive
	return in != nil && (in.Type == "order_details" || in.Type == "order_status")
}

// sendOrder sends an order_details or order_status message: the order is
// reserved (its reference id taken) before the send and dropped if the
// send fails; a status is checked against the order's current one and
// applied once the message is sent.
func (b *Service) sendOrder(ctx context.Context, biz Business, n BusinessNumber, m OutboundMessage) (Sent, error) {
	in := m.Content.Interactive
	now := b.now()
	if in.Type == "order_status" {
		if err := checkOrderStatus(in.Action); err != nil {
			return Sent{}, err
		}
		p := in.Action.Parameters
		o, err := b.st.GetOrder(ctx, biz.ID, p.ReferenceID)
		if parley.ErrorCode(err) == parley.ENotFound {
			return Sent{}, orderInvalid("no order_details message with reference_id %q", p.ReferenceID)
		} else if err != nil {
			return Sent{}, fmt.Errorf("get order: %w", err)
		}
		if phone, perr := recipientPhone(m.To); perr == nil {
			if a, aerr := b.st.GetAccountByPhone(ctx, phone); aerr == nil && a.ID != o.CustomerID {
				return Sent{}, orderInvalid("order %q was sent to another customer", o.ReferenceID)
			}
		}
		if !OrderTransition(o.Status, p.Order.Status) {
			return Sent{}, orderInvalid("order %q is %s; it cannot become %s", o.ReferenceID, o.Status, p.Order.Status)
		}
		if m.Content.Text == "" {
			m.Content.Text = fmt.Sprintf("Order %s: %s", o.ReferenceID, strings.ReplaceAll(p.Order.Status, "_", " "))
		}
		// The status is applied before the message goes: a client reads
		// the order the moment it sees the status message, and must find
		// it there. A send that fails takes the status back.
		ev := OrderEvent{OrderID: o.ID, Kind: "status", Status: p.Order.Status, Description: p.Order.Description, At: now}
		if err := b.st.SetOrderStatus(ctx, o.ID, o.Status, ev); parley.ErrorCode(err) == parley.EConflict {
			return Sent{}, orderInvalid("order %q changed status while this one was sent; read it and send again", o.ReferenceID)
		} else if err != nil {
			return Sent{}, fmt.Errorf("set order status: %w", err)
		}
		sent, err := b.send(ctx, biz, n, m, nil)
		if err != nil || sent.ChatID == 0 {
			if uerr := b.st.UndoOrderStatus(context.WithoutCancel(ctx), o.ID, o.Status, p.Order.Status); uerr != nil {
				b.log.Error("take back the status of a failed send", "reference_id", o.ReferenceID, "err", uerr)
			}
		}
		return sent, err
	}
	exp, err := CheckOrderDetails(in.Action, now)
	if err != nil {
		return Sent{}, err
	}
	p := in.Action.Parameters
	details, err := json.Marshal(p)
	if err != nil {
		return Sent{}, fmt.Errorf("encode order: %w", err)
	}
	o := Order{BusinessID: biz.ID, NumberID: n.ID, ReferenceID: p.ReferenceID, Currency: p.Currency, TotalMinor: p.TotalAmount.Value,
		Status: OrderPending, ExpiresAt: exp, Details: details, CreatedAt: now}
	if ps := p.PaymentSettings[0]; ps.PaymentGateway != nil {
		o.PaymentConfig = ps.PaymentGateway.ConfigurationName
	}
	if err := b.st.CreateOrder(ctx, &o); parley.ErrorCode(err) == parley.EConflict {
		return Sent{}, orderInvalid("reference_id %q was used by another order of this business", p.ReferenceID)
	} else if err != nil {
		return Sent{}, fmt.Errorf("create order: %w", err)
	}
	if m.Content.Text == "" {
		m.Content.Text = fmt.Sprintf("Order %s: %s %s", o.ReferenceID, formatMinor(o.TotalMinor), o.Currency)
	}
	m.order = o.ID
	sent, err := b.send(ctx, biz, n, m, nil)
	if err != nil || sent.ChatID == 0 {
		if derr := b.st.DeleteOrder(context.WithoutCancel(ctx), o.ID); derr != nil {
			b.log.Error("drop the order of a failed send", "reference_id", o.ReferenceID, "err", derr)
		}
		return sent, err
	}
	return sent, nil
}

// formatMinor writes minor units at offset 100 as a decimal: 1250 is "12.50".
func formatMinor(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
