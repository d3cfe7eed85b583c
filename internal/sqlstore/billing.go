package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parleyhq/parley/billing"
)

// This file implements billing.Store. internal/postgres/billing.go
// has the same queries with PostgreSQL placeholders; keep them in step.

const billingCols = `business_id, mode, currency, balance_micros, credit_limit, low_balance, low_notified, pricing_amounts, budget_caps`

func scanBillingAccount(sc Row) (billing.Account, error) {
	var a billing.Account
	var caps string
	err := sc.Scan(&a.BusinessID, &a.Mode, &a.Currency, &a.Balance, &a.CreditLimit, &a.LowBalance, &a.LowNotified, &a.PricingAmounts, &caps)
	if err == nil {
		err = json.Unmarshal([]byte(caps), &a.BudgetCaps)
	}
	return a, err
}

// GetBillingAccount returns the business's wallet.
func (s *Store) GetBillingAccount(ctx context.Context, businessID int64) (billing.Account, error) {
	a, err := scanBillingAccount(s.r.QueryRow(ctx, `SELECT `+billingCols+` FROM billing_accounts WHERE business_id = ?`, businessID))
	return a, s.wrap("get billing account", err)
}

func encodeCaps(m map[string]int64) string {
	if m == nil {
		m = map[string]int64{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// PutBillingSettings creates the wallet or writes its settings.
func (s *Store) PutBillingSettings(ctx context.Context, a billing.Account) error {
	_, err := s.w.Exec(ctx, `INSERT INTO billing_accounts (business_id, mode, currency, credit_limit, low_balance, pricing_amounts, budget_caps)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (business_id) DO UPDATE SET mode = excluded.mode, currency = excluded.currency,
		credit_limit = excluded.credit_limit, low_balance = excluded.low_balance, pricing_amounts = excluded.pricing_amounts,
		budget_caps = excluded.budget_caps`,
		a.BusinessID, a.Mode, a.Currency, a.CreditLimit, a.LowBalance, a.PricingAmounts, encodeCaps(a.BudgetCaps))
	return s.wrap("put billing settings", err)
}

// SetLowNotified writes the low-balance flag.
func (s *Store) SetLowNotified(ctx context.Context, businessID int64, v bool) error {
	err := affected(s.w.Exec(ctx, `UPDATE billing_accounts SET low_notified = ? WHERE business_id = ?`, v, businessID))
	return s.wrap("set low notified", err)
}

// addBalance adds amount to the business's balance, creating the wallet.
func addBalance(ctx context.Context, tx Querier, businessID, amount int64, currency string) error {
	_, err := tx.Exec(ctx, `INSERT INTO billing_accounts (business_id, currency, balance_micros) VALUES (?,?,?)
		ON CONFLICT (business_id) DO UPDATE SET balance_micros = billing_accounts.balance_micros + excluded.balance_micros,
		low_notified = CASE WHEN billing_accounts.balance_micros + excluded.balance_micros >= billing_accounts.low_balance
			THEN false ELSE billing_accounts.low_notified END`,
		businessID, currency, amount)
	return err
}

// AddWalletTx records a wallet movement once per key.
func (s *Store) AddWalletTx(ctx context.Context, t *billing.WalletTx) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx Querier) error {
		err := tx.QueryRow(ctx, `INSERT INTO wallet_tx (business_id, key, kind, amount, currency, ref, note, at)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING RETURNING id`,
			t.BusinessID, t.Key, t.Kind, t.Amount, t.Currency, t.Ref, t.Note, s.ts(t.At)).Scan(&t.ID)
		if noRows(err) {
			return nil
		} else if err != nil {
			return err
		}
		added = true
		return addBalance(ctx, tx, t.BusinessID, t.Amount, t.Currency)
	})
	return added, s.wrap("add wallet tx", err)
}

// ListWalletTx returns wallet movements, newest first.
func (s *Store) ListWalletTx(ctx context.Context, businessID, before int64, limit int) ([]billing.WalletTx, error) {
	ts, err := queryAll(ctx, s.r, `SELECT id, business_id, key, kind, amount, currency, ref, note, at FROM wallet_tx
		WHERE business_id = ? AND (CAST(? AS BIGINT) = 0 OR id < ?) ORDER BY id DESC LIMIT ?`,
		func(sc Row) (billing.WalletTx, error) {
			var t billing.WalletTx
			err := sc.Scan(&t.ID, &t.BusinessID, &t.Key, &t.Kind, &t.Amount, &t.Currency, &t.Ref, &t.Note, tcol(&t.At))
			return t, err
		}, businessID, before, before, limit)
	return ts, s.wrap("list wallet tx", err)
}

// PutRateCard stores a card version.
func (s *Store) PutRateCard(ctx context.Context, r billing.RateCardRecord) error {
	_, err := s.w.Exec(ctx, `INSERT INTO rate_cards (name, version, text, effective, created_at) VALUES (?,?,?,?,?)`,
		r.Name, r.Version, r.Text, s.ts(r.Effective), s.ts(r.CreatedAt))
	return s.wrap("put rate card", err)
}

// ListRateCards returns every stored card version.
func (s *Store) ListRateCards(ctx context.Context) ([]billing.RateCardRecord, error) {
	rs, err := queryAll(ctx, s.r, `SELECT name, version, text, effective, created_at FROM rate_cards ORDER BY name, version`,
		func(sc Row) (billing.RateCardRecord, error) {
			var r billing.RateCardRecord
			err := sc.Scan(&r.Name, &r.Version, &r.Text, tcol(&r.Effective), tcol(&r.CreatedAt))
			return r, err
		})
	return rs, s.wrap("list rate cards", err)
}

// SetBusinessCard assigns a card from a time on.
func (s *Store) SetBusinessCard(ctx context.Context, a billing.CardAssignment) error {
	_, err := s.w.Exec(ctx, `INSERT INTO card_assignments (business_id, card, from_at) VALUES (?,?,?)
		ON CONFLICT (business_id, from_at) DO UPDATE SET card = excluded.card`, a.BusinessID, a.Card, s.ts(a.From))
	return s.wrap("set business card", err)
}

// CardAssignments returns every assignment.
func (s *Store) CardAssignments(ctx context.Context) ([]billing.CardAssignment, error) {
	as, err := queryAll(ctx, s.r, `SELECT business_id, card, from_at FROM card_assignments ORDER BY business_id, from_at`,
		func(sc Row) (billing.CardAssignment, error) {
			var a billing.CardAssignment
			err := sc.Scan(&a.BusinessID, &a.Card, tcol(&a.From))
			return a, err
		})
	return as, s.wrap("card assignments", err)
}

const chargeCols = `id, key, business_id, period, card, version, regime, category, country, market, tier, tier_label, amount, currency, reason, at`

func scanCharge(sc Row) (billing.StoredCharge, error) {
	var c billing.StoredCharge
	err := sc.Scan(&c.ID, &c.Key, &c.BusinessID, &c.Period, &c.Card, &c.Version, &c.Regime, &c.Category, &c.Country, &c.Market,
		&c.Tier, &c.TierLabel, &c.Amount, &c.Currency, &c.Reason, tcol(&c.At))
	return c, err
}

// MonthCharges returns a business's charges of a period.
func (s *Store) MonthCharges(ctx context.Context, businessID int64, p billing.Period) ([]billing.Charge, error) {
	cs, err := queryAll(ctx, s.r, `SELECT `+chargeCols+` FROM charges WHERE business_id = ? AND period = ? ORDER BY id`,
		func(sc Row) (billing.Charge, error) {
			c, err := scanCharge(sc)
			return c.Charge, err
		}, businessID, p)
	return cs, s.wrap("month charges", err)
}

// ListCharges pages through the charges of a period.
func (s *Store) ListCharges(ctx context.Context, businessID int64, p billing.Period, after int64, limit int) ([]billing.StoredCharge, error) {
	cs, err := queryAll(ctx, s.r, `SELECT `+chargeCols+` FROM charges WHERE (CAST(? AS BIGINT) = 0 OR business_id = ?) AND period = ? AND id > ?
		ORDER BY id LIMIT ?`, scanCharge, businessID, businessID, p, after, limit)
	return cs, s.wrap("list charges", err)
}

// ChargeTotals returns the running sums of the charges (charge_totals),
// by business, period and invoice line.
func (s *Store) ChargeTotals(ctx context.Context, businessID int64, from, to billing.Period) ([]billing.ChargeTotal, error) {
	ts, err := queryAll(ctx, s.r, `SELECT business_id, period, category, market, tier_label, card, version, reason, unit,
		units, amount, currency FROM charge_totals WHERE period BETWEEN ? AND ? AND (CAST(? AS BIGINT) = 0 OR business_id = ?)
		ORDER BY business_id, period`,
		func(sc Row) (billing.ChargeTotal, error) {
			var t billing.ChargeTotal
			var card string
			var version int
			err := sc.Scan(&t.BusinessID, &t.Period, &t.Category, &t.Market, &t.Tier, &card, &version, &t.Reason, &t.Unit,
				&t.Units, &t.Amount, &t.Currency)
			t.Card = fmt.Sprintf("%s@%d", card, version)
			return t, err
		}, from, to, businessID, businessID)
	return ts, s.wrap("charge totals", err)
}

// commitCharges inserts new charges and debits their wallets.
func (s *Store) commitCharges(ctx context.Context, tx Querier, cs []billing.Charge) error {
	if len(cs) == 0 {
		return nil
	}
	const q = `INSERT INTO charges (key, business_id, period, card, version, regime, category, country,
		market, tier, tier_label, amount, currency, reason, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (key) DO NOTHING RETURNING id`
	debit := map[int64]int64{}
	cur := map[int64]string{}
	sums := map[totalKey][2]int64{} // units, amount
	for _, c := range cs {
		var id int64
		err := tx.QueryRow(ctx, q, c.Key, c.BusinessID, c.Period, c.Card, c.Version, string(c.Regime), string(c.Category),
			c.Country, c.Market, c.Tier, c.TierLabel, c.Amount, c.Currency, string(c.Reason), s.ts(c.At)).Scan(&id)
		if noRows(err) {
			continue
		} else if err != nil {
			return err
		}
		if c.Amount != 0 {
			debit[c.BusinessID] += c.Amount
			cur[c.BusinessID] = c.Currency
		}
		k := totalKey{c.BusinessID, c.Period, c.Category, c.Market, c.TierLabel, c.Card, c.Version, c.Reason, c.Amount, c.Currency}
		t := sums[k]
		t[0]++
		t[1] += c.Amount
		sums[k] = t
	}
	for k, t := range sums {
		if _, err := tx.Exec(ctx, `INSERT INTO charge_totals (business_id, period, category, market, tier_label, card, version, reason,
			unit, currency, units, amount) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (period, business_id, category, market, tier_label, card, version, reason, unit, currency)
			DO UPDATE SET units = charge_totals.units + excluded.units, amount = charge_totals.amount + excluded.amount`,
			k.biz, k.period, string(k.cat), k.market, k.tier, k.card, k.version, string(k.reason), k.unit, k.currency, t[0], t[1]); err != nil {
			return err
		}
	}
	for biz, amount := range debit {
		if err := addBalance(ctx, tx, biz, -amount, cur[biz]); err != nil {
			return err
		}
	}
	return nil
}

// CloseInvoicePeriod stores a period's invoices and closes it.
func (s *Store) CloseInvoicePeriod(ctx context.Context, p billing.Period, invs []*billing.Invoice, at time.Time) error {
	err := s.tx(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `INSERT INTO invoice_periods (period, closed_at) VALUES (?,?)`, p, s.ts(at)); err != nil {
			return err
		}
		const q = `INSERT INTO invoices (business_id, period, currency, lines, total, total_minor, issued_at)
			VALUES (?,?,?,?,?,?,?) RETURNING id`
		for _, in := range invs {
			lines, err := json.Marshal(in.Lines)
			if err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, q, in.BusinessID, in.Period, in.Currency, string(lines), in.Total, in.TotalMinor,
				s.ts(in.IssuedAt)).Scan(&in.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("close invoice period", err)
}

// InvoicePeriodClosed reports whether the period was invoiced.
func (s *Store) InvoicePeriodClosed(ctx context.Context, p billing.Period) (bool, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT count(*) FROM invoice_periods WHERE period = ?`, p).Scan(&n)
	return n > 0, s.wrap("invoice period closed", err)
}

const invoiceCols = `id, business_id, period, currency, lines, total, total_minor, credits, issued_at`

func scanInvoice(sc Row) (billing.Invoice, error) {
	var in billing.Invoice
	var lines string
	err := sc.Scan(&in.ID, &in.BusinessID, &in.Period, &in.Currency, &lines, &in.Total, &in.TotalMinor, &in.Credits, tcol(&in.IssuedAt))
	if err == nil {
		err = json.Unmarshal([]byte(lines), &in.Lines)
	}
	in.Status = "closed"
	return in, err
}

func (s *Store) withNotes(ctx context.Context, invs []billing.Invoice) error {
	for i := range invs {
		ns, err := queryAll(ctx, s.r, `SELECT id, invoice_id, business_id, amount, reason, at FROM credit_notes WHERE invoice_id = ? ORDER BY id`,
			func(sc Row) (billing.CreditNote, error) {
				var n billing.CreditNote
				err := sc.Scan(&n.ID, &n.InvoiceID, &n.BusinessID, &n.Amount, &n.Reason, tcol(&n.At))
				return n, err
			}, invs[i].ID)
		if err != nil {
			return err
		}
		invs[i].Notes = ns
		if invs[i].Notes == nil {
			invs[i].Notes = []billing.CreditNote{}
		}
	}
	return nil
}

// ListInvoices returns invoices with their credit notes.
func (s *Store) ListInvoices(ctx context.Context, businessID int64, p billing.Period) ([]billing.Invoice, error) {
	invs, err := queryAll(ctx, s.r, `SELECT `+invoiceCols+` FROM invoices WHERE (CAST(? AS BIGINT) = 0 OR business_id = ?) AND (? = 0 OR period = ?)
		ORDER BY period DESC, business_id`, scanInvoice, businessID, businessID, p, p)
	if err == nil && businessID != 0 {
		err = s.withNotes(ctx, invs)
	}
	return invs, s.wrap("list invoices", err)
}

// GetInvoice returns one invoice.
func (s *Store) GetInvoice(ctx context.Context, id int64) (billing.Invoice, error) {
	in, err := scanInvoice(s.r.QueryRow(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ?`, id))
	if err != nil {
		return billing.Invoice{}, s.wrap("get invoice", err)
	}
	invs := []billing.Invoice{in}
	err = s.withNotes(ctx, invs)
	return invs[0], s.wrap("get invoice", err)
}

// AddCreditNote records a credit note and credits the wallet.
func (s *Store) AddCreditNote(ctx context.Context, n *billing.CreditNote) error {
	err := s.tx(ctx, func(tx Querier) error {
		var cur string
		if err := tx.QueryRow(ctx, `UPDATE invoices SET credits = credits + ? WHERE id = ? RETURNING business_id, currency`,
			n.Amount, n.InvoiceID).Scan(&n.BusinessID, &cur); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO credit_notes (invoice_id, business_id, amount, reason, at) VALUES (?,?,?,?,?) RETURNING id`,
			n.InvoiceID, n.BusinessID, n.Amount, n.Reason, s.ts(n.At)).Scan(&n.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_tx (business_id, key, kind, amount, currency, ref, note, at) VALUES (?,?,?,?,?,?,?,?)`,
			n.BusinessID, fmt.Sprintf("credit_note:%d", n.ID), "credit_note", n.Amount, cur, fmt.Sprintf("invoice:%d", n.InvoiceID), n.Reason, s.ts(n.At)); err != nil {
			return err
		}
		return addBalance(ctx, tx, n.BusinessID, n.Amount, cur)
	})
	return s.wrap("add credit note", err)
}

// totalKey is a row of charge_totals.
type totalKey struct {
	biz      int64
	period   billing.Period
	cat      billing.Category
	market   string
	tier     string
	card     string
	version  int
	reason   billing.Reason
	unit     int64
	currency string
}

// CommitAdCharge inserts an ad spend charge and debits its wallet once.
func (s *Store) CommitAdCharge(ctx context.Context, c billing.Charge) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx Querier) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM charges WHERE key = ?`, c.Key).Scan(&n); err != nil || n > 0 {
			return err
		}
		added = true
		return s.commitCharges(ctx, tx, []billing.Charge{c})
	})
	return added, s.wrap("commit ad charge", err)
}
