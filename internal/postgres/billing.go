package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
)

// This file implements parley.BillingStore. internal/sqlite/billing.go
// has the same queries with SQLite placeholders; keep them in step.

const billingCols = `business_id, mode, currency, balance_micros, credit_limit, low_balance, low_notified, pricing_amounts, budget_caps`

func scanBillingAccount(sc scanner) (business.BillingAccount, error) {
	var a business.BillingAccount
	var caps string
	err := sc.Scan(&a.BusinessID, &a.Mode, &a.Currency, &a.Balance, &a.CreditLimit, &a.LowBalance, &a.LowNotified, &a.PricingAmounts, &caps)
	if err == nil {
		err = json.Unmarshal([]byte(caps), &a.BudgetCaps)
	}
	return a, err
}

// GetBillingAccount returns the business's wallet.
func (db *DB) GetBillingAccount(ctx context.Context, businessID int64) (business.BillingAccount, error) {
	a, err := scanBillingAccount(db.pool.QueryRow(ctx, `SELECT `+billingCols+` FROM billing_accounts WHERE business_id = $1`, businessID))
	return a, wrap("get billing account", err)
}

func encodeCaps(m map[string]int64) string {
	if m == nil {
		m = map[string]int64{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// PutBillingSettings creates the wallet or writes its settings.
func (db *DB) PutBillingSettings(ctx context.Context, a business.BillingAccount) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO billing_accounts (business_id, mode, currency, credit_limit, low_balance, pricing_amounts, budget_caps)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (business_id) DO UPDATE SET mode = excluded.mode, currency = excluded.currency,
		credit_limit = excluded.credit_limit, low_balance = excluded.low_balance, pricing_amounts = excluded.pricing_amounts,
		budget_caps = excluded.budget_caps`,
		a.BusinessID, a.Mode, a.Currency, a.CreditLimit, a.LowBalance, a.PricingAmounts, encodeCaps(a.BudgetCaps))
	return wrap("put billing settings", err)
}

// SetLowNotified writes the low-balance flag.
func (db *DB) SetLowNotified(ctx context.Context, businessID int64, v bool) error {
	err := affected(db.bexec(ctx, `UPDATE billing_accounts SET low_notified = $1 WHERE business_id = $2`, v, businessID))
	return wrap("set low notified", err)
}

// addBalance adds amount to the business's balance, creating the wallet.
func addBalance(ctx context.Context, tx pgx.Tx, businessID, amount int64, currency string) error {
	_, err := tx.Exec(ctx, `INSERT INTO billing_accounts (business_id, currency, balance_micros) VALUES ($1,$2,$3)
		ON CONFLICT (business_id) DO UPDATE SET balance_micros = billing_accounts.balance_micros + excluded.balance_micros,
		low_notified = CASE WHEN billing_accounts.balance_micros + excluded.balance_micros >= billing_accounts.low_balance
			THEN false ELSE billing_accounts.low_notified END`,
		businessID, currency, amount)
	return err
}

// AddWalletTx records a wallet movement once per key.
func (db *DB) AddWalletTx(ctx context.Context, t *business.WalletTx) (bool, error) {
	added := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO wallet_tx (business_id, key, kind, amount, currency, ref, note, at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (key) DO NOTHING RETURNING id`,
			t.BusinessID, t.Key, t.Kind, t.Amount, t.Currency, t.Ref, t.Note, tm(t.At)).Scan(&t.ID)
		if err == pgx.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		added = true
		return addBalance(ctx, tx, t.BusinessID, t.Amount, t.Currency)
	})
	return added, wrap("add wallet tx", err)
}

// ListWalletTx returns wallet movements, newest first.
func (db *DB) ListWalletTx(ctx context.Context, businessID, before int64, limit int) ([]business.WalletTx, error) {
	ts, err := queryAll(ctx, db.pool, `SELECT id, business_id, key, kind, amount, currency, ref, note, at FROM wallet_tx
		WHERE business_id = $1 AND ($2 = 0 OR id < $3) ORDER BY id DESC LIMIT $4`,
		func(sc scanner) (business.WalletTx, error) {
			var t business.WalletTx
			err := sc.Scan(&t.ID, &t.BusinessID, &t.Key, &t.Kind, &t.Amount, &t.Currency, &t.Ref, &t.Note, tcol(&t.At))
			return t, err
		}, businessID, before, before, limit)
	return ts, wrap("list wallet tx", err)
}

// PutRateCard stores a card version.
func (db *DB) PutRateCard(ctx context.Context, r business.RateCardRecord) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO rate_cards (name, version, text, effective, created_at) VALUES ($1,$2,$3,$4,$5)`,
		r.Name, r.Version, r.Text, tm(r.Effective), tm(r.CreatedAt))
	return wrap("put rate card", err)
}

// ListRateCards returns every stored card version.
func (db *DB) ListRateCards(ctx context.Context) ([]business.RateCardRecord, error) {
	rs, err := queryAll(ctx, db.pool, `SELECT name, version, text, effective, created_at FROM rate_cards ORDER BY name, version`,
		func(sc scanner) (business.RateCardRecord, error) {
			var r business.RateCardRecord
			err := sc.Scan(&r.Name, &r.Version, &r.Text, tcol(&r.Effective), tcol(&r.CreatedAt))
			return r, err
		})
	return rs, wrap("list rate cards", err)
}

// SetBusinessCard assigns a card from a time on.
func (db *DB) SetBusinessCard(ctx context.Context, a business.CardAssignment) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO card_assignments (business_id, card, from_at) VALUES ($1,$2,$3)
		ON CONFLICT (business_id, from_at) DO UPDATE SET card = excluded.card`, a.BusinessID, a.Card, tm(a.From))
	return wrap("set business card", err)
}

// CardAssignments returns every assignment.
func (db *DB) CardAssignments(ctx context.Context) ([]business.CardAssignment, error) {
	as, err := queryAll(ctx, db.pool, `SELECT business_id, card, from_at FROM card_assignments ORDER BY business_id, from_at`,
		func(sc scanner) (business.CardAssignment, error) {
			var a business.CardAssignment
			err := sc.Scan(&a.BusinessID, &a.Card, tcol(&a.From))
			return a, err
		})
	return as, wrap("card assignments", err)
}

const chargeCols = `id, key, business_id, period, card, version, regime, category, country, market, tier, tier_label, amount, currency, reason, at`

func scanCharge(sc scanner) (business.StoredCharge, error) {
	var c business.StoredCharge
	err := sc.Scan(&c.ID, &c.Key, &c.BusinessID, &c.Period, &c.Card, &c.Version, &c.Regime, &c.Category, &c.Country, &c.Market,
		&c.Tier, &c.TierLabel, &c.Amount, &c.Currency, &c.Reason, tcol(&c.At))
	return c, err
}

// MonthCharges returns a business's charges of a period.
func (db *DB) MonthCharges(ctx context.Context, businessID int64, p billing.Period) ([]billing.Charge, error) {
	cs, err := queryAll(ctx, db.pool, `SELECT `+chargeCols+` FROM charges WHERE business_id = $1 AND period = $2 ORDER BY id`,
		func(sc scanner) (billing.Charge, error) {
			c, err := scanCharge(sc)
			return c.Charge, err
		}, businessID, p)
	return cs, wrap("month charges", err)
}

// ListCharges pages through the charges of a period.
func (db *DB) ListCharges(ctx context.Context, businessID int64, p billing.Period, after int64, limit int) ([]business.StoredCharge, error) {
	cs, err := queryAll(ctx, db.pool, `SELECT `+chargeCols+` FROM charges WHERE ($1 = 0 OR business_id = $2) AND period = $3 AND id > $4
		ORDER BY id LIMIT $5`, scanCharge, businessID, businessID, p, after, limit)
	return cs, wrap("list charges", err)
}

// ChargeTotals returns the running sums of the charges (charge_totals),
// by business, period and invoice line.
func (db *DB) ChargeTotals(ctx context.Context, businessID int64, from, to billing.Period) ([]business.ChargeTotal, error) {
	ts, err := queryAll(ctx, db.pool, `SELECT business_id, period, category, market, tier_label, card, version, reason, unit,
		units, amount, currency FROM charge_totals WHERE period BETWEEN $1 AND $2 AND ($3 = 0 OR business_id = $4)
		ORDER BY business_id, period`,
		func(sc scanner) (business.ChargeTotal, error) {
			var t business.ChargeTotal
			var card string
			var version int
			err := sc.Scan(&t.BusinessID, &t.Period, &t.Category, &t.Market, &t.Tier, &card, &version, &t.Reason, &t.Unit,
				&t.Units, &t.Amount, &t.Currency)
			t.Card = fmt.Sprintf("%s@%d", card, version)
			return t, err
		}, from, to, businessID, businessID)
	return ts, wrap("charge totals", err)
}

// commitCharges inserts new charges and debits their wallets.
func commitCharges(ctx context.Context, tx pgx.Tx, cs []billing.Charge) error {
	if len(cs) == 0 {
		return nil
	}
	const q = `INSERT INTO charges (key, business_id, period, card, version, regime, category, country,
		market, tier, tier_label, amount, currency, reason, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
		ON CONFLICT (key) DO NOTHING RETURNING id`
	debit := map[int64]int64{}
	cur := map[int64]string{}
	sums := map[totalKey][2]int64{} // units, amount
	for _, c := range cs {
		var id int64
		err := tx.QueryRow(ctx, q, c.Key, c.BusinessID, c.Period, c.Card, c.Version, string(c.Regime), string(c.Category),
			c.Country, c.Market, c.Tier, c.TierLabel, c.Amount, c.Currency, string(c.Reason), tm(c.At)).Scan(&id)
		if err == pgx.ErrNoRows {
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
			unit, currency, units, amount) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
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
func (db *DB) CloseInvoicePeriod(ctx context.Context, p billing.Period, invs []*business.Invoice, at time.Time) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO invoice_periods (period, closed_at) VALUES ($1,$2)`, p, tm(at)); err != nil {
			return err
		}
		const q = `INSERT INTO invoices (business_id, period, currency, lines, total, total_minor, issued_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`
		for _, in := range invs {
			lines, err := json.Marshal(in.Lines)
			if err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, q, in.BusinessID, in.Period, in.Currency, string(lines), in.Total, in.TotalMinor,
				tm(in.IssuedAt)).Scan(&in.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("close invoice period", err)
}

// InvoicePeriodClosed reports whether the period was invoiced.
func (db *DB) InvoicePeriodClosed(ctx context.Context, p billing.Period) (bool, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM invoice_periods WHERE period = $1`, p).Scan(&n)
	return n > 0, wrap("invoice period closed", err)
}

const invoiceCols = `id, business_id, period, currency, lines, total, total_minor, credits, issued_at`

func scanInvoice(sc scanner) (business.Invoice, error) {
	var in business.Invoice
	var lines string
	err := sc.Scan(&in.ID, &in.BusinessID, &in.Period, &in.Currency, &lines, &in.Total, &in.TotalMinor, &in.Credits, tcol(&in.IssuedAt))
	if err == nil {
		err = json.Unmarshal([]byte(lines), &in.Lines)
	}
	in.Status = "closed"
	return in, err
}

func (db *DB) withNotes(ctx context.Context, invs []business.Invoice) error {
	for i := range invs {
		ns, err := queryAll(ctx, db.pool, `SELECT id, invoice_id, business_id, amount, reason, at FROM credit_notes WHERE invoice_id = $1 ORDER BY id`,
			func(sc scanner) (business.CreditNote, error) {
				var n business.CreditNote
				err := sc.Scan(&n.ID, &n.InvoiceID, &n.BusinessID, &n.Amount, &n.Reason, tcol(&n.At))
				return n, err
			}, invs[i].ID)
		if err != nil {
			return err
		}
		invs[i].Notes = ns
		if invs[i].Notes == nil {
			invs[i].Notes = []business.CreditNote{}
		}
	}
	return nil
}

// ListInvoices returns invoices with their credit notes.
func (db *DB) ListInvoices(ctx context.Context, businessID int64, p billing.Period) ([]business.Invoice, error) {
	invs, err := queryAll(ctx, db.pool, `SELECT `+invoiceCols+` FROM invoices WHERE ($1 = 0 OR business_id = $2) AND ($3 = 0 OR period = $4)
		ORDER BY period DESC, business_id`, scanInvoice, businessID, businessID, p, p)
	if err == nil && businessID != 0 {
		err = db.withNotes(ctx, invs)
	}
	return invs, wrap("list invoices", err)
}

// GetInvoice returns one invoice.
func (db *DB) GetInvoice(ctx context.Context, id int64) (business.Invoice, error) {
	in, err := scanInvoice(db.pool.QueryRow(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = $1`, id))
	if err != nil {
		return business.Invoice{}, wrap("get invoice", err)
	}
	invs := []business.Invoice{in}
	err = db.withNotes(ctx, invs)
	return invs[0], wrap("get invoice", err)
}

// AddCreditNote records a credit note and credits the wallet.
func (db *DB) AddCreditNote(ctx context.Context, n *business.CreditNote) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var cur string
		if err := tx.QueryRow(ctx, `UPDATE invoices SET credits = credits + $1 WHERE id = $2 RETURNING business_id, currency`,
			n.Amount, n.InvoiceID).Scan(&n.BusinessID, &cur); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO credit_notes (invoice_id, business_id, amount, reason, at) VALUES ($1,$2,$3,$4,$5) RETURNING id`,
			n.InvoiceID, n.BusinessID, n.Amount, n.Reason, tm(n.At)).Scan(&n.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_tx (business_id, key, kind, amount, currency, ref, note, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			n.BusinessID, fmt.Sprintf("credit_note:%d", n.ID), "credit_note", n.Amount, cur, fmt.Sprintf("invoice:%d", n.InvoiceID), n.Reason, tm(n.At)); err != nil {
			return err
		}
		return addBalance(ctx, tx, n.BusinessID, n.Amount, cur)
	})
	return wrap("add credit note", err)
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
