package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// This file implements business.OrderStore: orders, their timelines,
// payments and refunds (migration 00790).

const orderCols = `id, business_id, number_id, reference_id, customer_id, chat_id, message_id, currency, total_minor,
	payment_config, status, expires_at, details, created_at`

func scanOrder(r Row) (business.Order, error) {
	var o business.Order
	err := r.Scan(&o.ID, &o.BusinessID, &o.NumberID, &o.ReferenceID, &o.CustomerID, &o.ChatID, &o.MessageID, &o.Currency, &o.TotalMinor,
		&o.PaymentConfig, &o.Status, tcol(&o.ExpiresAt), &o.Details, tcol(&o.CreatedAt))
	return o, err
}

// CreateOrder inserts o and sets o.ID.
func (s *Store) CreateOrder(ctx context.Context, o *business.Order) error {
	err := s.w.QueryRow(ctx, `INSERT INTO orders (business_id, number_id, reference_id, customer_id, chat_id, message_id, currency,
		total_minor, payment_config, status, expires_at, details, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		o.BusinessID, o.NumberID, o.ReferenceID, o.CustomerID, o.ChatID, o.MessageID, o.Currency, o.TotalMinor, o.PaymentConfig,
		o.Status, s.ts(o.ExpiresAt), o.Details, s.ts(o.CreatedAt)).Scan(&o.ID)
	return s.wrap("create order", err)
}

// DeleteOrder deletes an order with no payment, and its timeline.
func (s *Store) DeleteOrder(ctx context.Context, id int64) error {
	err := s.tx(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `DELETE FROM order_events WHERE order_id = ?`, id); err != nil {
			return err
		}
		return affected(tx.Exec(ctx, `DELETE FROM orders WHERE id = ? AND NOT EXISTS (SELECT 1 FROM order_payments WHERE order_id = ?)`, id, id))
	})
	return s.wrap("delete order", err)
}

// GetOrder returns a business's order by reference id.
func (s *Store) GetOrder(ctx context.Context, businessID int64, referenceID string) (business.Order, error) {
	o, err := scanOrder(s.w.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE business_id = ? AND reference_id = ?`, businessID, referenceID))
	return o, s.wrap("get order", err)
}

// GetOrderInChat returns the order sent in a chat by reference id.
func (s *Store) GetOrderInChat(ctx context.Context, chatID int64, referenceID string) (business.Order, error) {
	o, err := scanOrder(s.w.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE chat_id = ? AND reference_id = ? ORDER BY id DESC LIMIT 1`,
		chatID, referenceID))
	return o, s.wrap("get order in chat", err)
}

func (s *Store) insertOrderEvent(ctx context.Context, tx Querier, ev business.OrderEvent) error {
	_, err := tx.Exec(ctx, `INSERT INTO order_events (order_id, kind, status, description, amount_minor, at) VALUES (?,?,?,?,?,?)`,
		ev.OrderID, ev.Kind, ev.Status, ev.Description, ev.AmountMinor, s.ts(ev.At))
	return err
}

// SetOrderStatus moves an order from one status to ev.Status.
func (s *Store) SetOrderStatus(ctx context.Context, id int64, from string, ev business.OrderEvent) error {
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `UPDATE orders SET status = ? WHERE id = ? AND status = ?`, ev.Status, id, from)
		if err != nil {
			return err
		}
		if n == 0 {
			return parley.Errorf(parley.EConflict, "the order's status changed")
		}
		ev.OrderID = id
		return s.insertOrderEvent(ctx, tx, ev)
	})
	return s.wrap("set order status", err)
}

// UndoOrderStatus moves an order back from status to to status from,
// dropping the timeline entry SetOrderStatus added.
func (s *Store) UndoOrderStatus(ctx context.Context, id int64, from, to string) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := affected(tx.Exec(ctx, `UPDATE orders SET status = ? WHERE id = ? AND status = ?`, from, id, to)); err != nil {
			if parley.ErrorCode(err) == parley.ENotFound {
				return parley.Errorf(parley.EConflict, "the order's status changed")
			}
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM order_events WHERE id = (SELECT MAX(id) FROM order_events WHERE order_id = ? AND kind = 'status' AND status = ?)`,
			id, to)
		return err
	})
	return s.wrap("undo order status", err)
}

// OrderEvents returns an order's timeline.
func (s *Store) OrderEvents(ctx context.Context, orderID int64) ([]business.OrderEvent, error) {
	out, err := queryAll(ctx, s.w, `SELECT id, order_id, kind, status, description, amount_minor, at FROM order_events WHERE order_id = ? ORDER BY id`,
		func(r Row) (business.OrderEvent, error) {
			var e business.OrderEvent
			return e, r.Scan(&e.ID, &e.OrderID, &e.Kind, &e.Status, &e.Description, &e.AmountMinor, tcol(&e.At))
		}, orderID)
	return out, s.wrap("order events", err)
}

const paymentCols = `p.id, p.order_id, p.key, p.status, p.method, p.amount_minor, p.currency, p.provider_ref, p.fee_minor, p.error,
	p.created_at, p.updated_at, (SELECT COALESCE(SUM(r.amount_minor), 0) FROM order_refunds r WHERE r.payment_id = p.id AND r.status <> 'failed')`

func scanPayment(r Row) (business.Payment, error) {
	var p business.Payment
	err := r.Scan(&p.ID, &p.OrderID, &p.Key, &p.Status, &p.Method, &p.AmountMinor, &p.Currency, &p.ProviderRef, &p.FeeMinor, &p.Error,
		tcol(&p.CreatedAt), tcol(&p.UpdatedAt), &p.RefundedMinor)
	return p, err
}

// BeginPayment inserts a pending payment, or returns the one of its key.
func (s *Store) BeginPayment(ctx context.Context, p *business.Payment) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.lockRow(ctx, tx, "orders", p.OrderID); err != nil {
			return err
		}
		old, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentCols+` FROM order_payments p WHERE p.order_id = ? AND p.key = ?`, p.OrderID, p.Key))
		if err == nil {
			*p = old
			return nil
		} else if !noRows(err) {
			return err
		}
		var live int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM order_payments WHERE order_id = ? AND status <> 'failed'`, p.OrderID).Scan(&live); err != nil {
			return err
		}
		if live > 0 {
			return parley.Errorf(parley.EConflict, "the order has a live payment")
		}
		created = true
		return tx.QueryRow(ctx, `INSERT INTO order_payments (order_id, key, status, method, amount_minor, currency, provider_ref, fee_minor,
			error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`, p.OrderID, p.Key, p.Status, p.Method, p.AmountMinor,
			p.Currency, p.ProviderRef, p.FeeMinor, p.Error, s.ts(p.CreatedAt), s.ts(p.UpdatedAt)).Scan(&p.ID)
	})
	return created, s.wrap("begin payment", err)
}

// SettlePayment moves a pending payment to its outcome.
func (s *Store) SettlePayment(ctx context.Context, p business.Payment, ev business.OrderEvent, ws []*business.Webhook) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `UPDATE order_payments SET status = ?, provider_ref = ?, fee_minor = ?, error = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`, p.Status, p.ProviderRef, p.FeeMinor, p.Error, s.ts(p.UpdatedAt), p.ID)
		if err != nil || n == 0 {
			return err
		}
		changed = true
		if err := s.insertOrderEvent(ctx, tx, ev); err != nil {
			return err
		}
		return s.insertWebhooks(ctx, tx, ws)
	})
	return changed, s.wrap("settle payment", err)
}

// GetPayment returns a payment and its order.
func (s *Store) GetPayment(ctx context.Context, id int64) (business.Payment, business.Order, error) {
	p, err := scanPayment(s.w.QueryRow(ctx, `SELECT `+paymentCols+` FROM order_payments p WHERE p.id = ?`, id))
	if err != nil {
		return p, business.Order{}, s.wrap("get payment", err)
	}
	o, err := scanOrder(s.w.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, p.OrderID))
	return p, o, s.wrap("get payment's order", err)
}

// Payments returns an order's payments.
func (s *Store) Payments(ctx context.Context, orderID int64) ([]business.Payment, error) {
	out, err := queryAll(ctx, s.w, `SELECT `+paymentCols+` FROM order_payments p WHERE p.order_id = ? ORDER BY p.id`, scanPayment, orderID)
	return out, s.wrap("payments", err)
}

const refundCols = `id, payment_id, order_id, key, amount_minor, currency, status, provider_ref, created_at, updated_at`

func scanRefund(r Row) (business.Refund, error) {
	var f business.Refund
	err := r.Scan(&f.ID, &f.PaymentID, &f.OrderID, &f.Key, &f.AmountMinor, &f.Currency, &f.Status, &f.ProviderRef, tcol(&f.CreatedAt), tcol(&f.UpdatedAt))
	return f, err
}

// BeginRefund inserts a pending refund within what is left to refund.
func (s *Store) BeginRefund(ctx context.Context, r *business.Refund) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx Querier) error {
		var paid int64
		var status string
		if err := tx.QueryRow(ctx, `SELECT amount_minor, status FROM order_payments WHERE id = ?`+s.d.LockRows(), r.PaymentID).Scan(&paid, &status); err != nil {
			return err
		}
		old, err := scanRefund(tx.QueryRow(ctx, `SELECT `+refundCols+` FROM order_refunds WHERE payment_id = ? AND key = ?`, r.PaymentID, r.Key))
		if err == nil {
			*r = old
			return nil
		} else if !noRows(err) {
			return err
		}
		var refunded int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM order_refunds WHERE payment_id = ? AND status <> 'failed'`,
			r.PaymentID).Scan(&refunded); err != nil {
			return err
		}
		if status != business.PaymentCaptured || r.AmountMinor <= 0 || refunded+r.AmountMinor > paid {
			return parley.Errorf(parley.ELimit, "the refund is more than is left to refund")
		}
		created = true
		return tx.QueryRow(ctx, `INSERT INTO order_refunds (payment_id, order_id, key, amount_minor, currency, status, provider_ref, created_at,
			updated_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`, r.PaymentID, r.OrderID, r.Key, r.AmountMinor, r.Currency, r.Status,
			r.ProviderRef, s.ts(r.CreatedAt), s.ts(r.UpdatedAt)).Scan(&r.ID)
	})
	return created, s.wrap("begin refund", err)
}

// SettleRefund moves a pending refund to its outcome.
func (s *Store) SettleRefund(ctx context.Context, r business.Refund, ev business.OrderEvent, ws []*business.Webhook) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `UPDATE order_refunds SET status = ?, provider_ref = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
			r.Status, r.ProviderRef, s.ts(r.UpdatedAt), r.ID)
		if err != nil || n == 0 {
			return err
		}
		changed = true
		if err := s.insertOrderEvent(ctx, tx, ev); err != nil {
			return err
		}
		return s.insertWebhooks(ctx, tx, ws)
	})
	return changed, s.wrap("settle refund", err)
}

// Refunds returns an order's refunds.
func (s *Store) Refunds(ctx context.Context, orderID int64) ([]business.Refund, error) {
	out, err := queryAll(ctx, s.w, `SELECT `+refundCols+` FROM order_refunds WHERE order_id = ? ORDER BY id`, scanRefund, orderID)
	return out, s.wrap("refunds", err)
}

// BusinessPayments returns a business's payments and refunds of a period.
func (s *Store) BusinessPayments(ctx context.Context, businessID int64, from, to time.Time) ([]business.Payment, []business.Refund, error) {
	ps, err := queryAll(ctx, s.r, `SELECT `+paymentCols+` FROM order_payments p JOIN orders o ON o.id = p.order_id
		WHERE o.business_id = ? AND p.created_at >= ? AND p.created_at < ? ORDER BY p.id`, scanPayment, businessID, s.ts(from), s.ts(to))
	if err != nil {
		return nil, nil, s.wrap("business payments", err)
	}
	rs, err := queryAll(ctx, s.r, `SELECT r.id, r.payment_id, r.order_id, r.key, r.amount_minor, r.currency, r.status, r.provider_ref,
		r.created_at, r.updated_at FROM order_refunds r JOIN orders o ON o.id = r.order_id
		WHERE o.business_id = ? AND r.created_at >= ? AND r.created_at < ? ORDER BY r.id`, scanRefund, businessID, s.ts(from), s.ts(to))
	return ps, rs, s.wrap("business refunds", err)
}
