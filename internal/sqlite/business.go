package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// This file implements parley.BusinessStore. internal/postgres/business.go
// has the same queries with PostgreSQL placeholders; keep them in step.

type scanner interface{ Scan(...any) error }

// tm encodes a time for this database.
func tm(t time.Time) any { return ns(t) }

func (db *DB) bexec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := db.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func queryAll[T any](ctx context.Context, pl *pool, q string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := pl.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func affected(n int64, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return parley.ErrNotFound
	}
	return nil
}

const businessCols = `id, name, category, description, address, website, verified, app_secret, callback_url, verify_token, pricing_model, created_at`

func scanBusiness(sc scanner) (business.Business, error) {
	var b business.Business
	err := sc.Scan(&b.ID, &b.Name, &b.Category, &b.Description, &b.Address, &b.Website, &b.Verified, &b.AppSecret,
		&b.CallbackURL, &b.VerifyToken, &b.PricingModel, tcol(&b.CreatedAt))
	return b, err
}

// CreateBusiness inserts b and sets b.ID.
func (db *DB) CreateBusiness(ctx context.Context, b *business.Business) error {
	err := db.w.QueryRowContext(ctx, `INSERT INTO businesses (name, category, description, address, website, verified,
		app_secret, callback_url, verify_token, pricing_model, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		b.Name, b.Category, b.Description, b.Address, b.Website, b.Verified, b.AppSecret, b.CallbackURL, b.VerifyToken,
		b.PricingModel, tm(b.CreatedAt)).Scan(&b.ID)
	return wrap("create business", err)
}

// GetBusiness returns the business, or ErrNotFound.
func (db *DB) GetBusiness(ctx context.Context, id int64) (business.Business, error) {
	b, err := scanBusiness(db.r.QueryRowContext(ctx, `SELECT `+businessCols+` FROM businesses WHERE id = ?`, id))
	return b, wrap("get business", err)
}

// ListBusinesses returns every business, ascending by id.
func (db *DB) ListBusinesses(ctx context.Context) ([]business.Business, error) {
	bs, err := queryAll(ctx, db.r, `SELECT `+businessCols+` FROM businesses ORDER BY id`, scanBusiness)
	return bs, wrap("list businesses", err)
}

// UpdateBusiness writes every field of b but ID and CreatedAt.
func (db *DB) UpdateBusiness(ctx context.Context, b business.Business) error {
	err := affected(db.bexec(ctx, `UPDATE businesses SET name = ?, category = ?, description = ?, address = ?, website = ?,
		verified = ?, app_secret = ?, callback_url = ?, verify_token = ?, pricing_model = ? WHERE id = ?`,
		b.Name, b.Category, b.Description, b.Address, b.Website, b.Verified, b.AppSecret, b.CallbackURL, b.VerifyToken,
		b.PricingModel, b.ID))
	return wrap("update business", err)
}

const numberCols = `id, business_id, account_id, device_id, phone, display_name, throughput, tier_limit, quality, status, created_at`

func scanNumber(sc scanner) (business.BusinessNumber, error) {
	var n business.BusinessNumber
	err := sc.Scan(&n.ID, &n.BusinessID, &n.AccountID, &n.DeviceID, &n.Phone, &n.DisplayName, &n.Throughput, &n.TierLimit,
		&n.Quality, &n.Status, tcol(&n.CreatedAt))
	return n, err
}

// CreateNumber inserts n and sets n.ID.
func (db *DB) CreateNumber(ctx context.Context, n *business.BusinessNumber) error {
	err := db.w.QueryRowContext(ctx, `INSERT INTO business_numbers (business_id, account_id, device_id, phone, display_name,
		throughput, tier_limit, quality, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		n.BusinessID, n.AccountID, n.DeviceID, n.Phone, n.DisplayName, n.Throughput, n.TierLimit, n.Quality, n.Status,
		tm(n.CreatedAt)).Scan(&n.ID)
	return wrap("create number", err)
}

// GetNumber returns the number, or ErrNotFound.
func (db *DB) GetNumber(ctx context.Context, id int64) (business.BusinessNumber, error) {
	n, err := scanNumber(db.r.QueryRowContext(ctx, `SELECT `+numberCols+` FROM business_numbers WHERE id = ?`, id))
	return n, wrap("get number", err)
}

// NumberByAccount returns the number of an account, or ErrNotFound.
func (db *DB) NumberByAccount(ctx context.Context, accountID int64) (business.BusinessNumber, error) {
	n, err := scanNumber(db.r.QueryRowContext(ctx, `SELECT `+numberCols+` FROM business_numbers WHERE account_id = ?`, accountID))
	return n, wrap("number by account", err)
}

// ListNumbers returns a business's numbers, or all when businessID is 0.
func (db *DB) ListNumbers(ctx context.Context, businessID int64) ([]business.BusinessNumber, error) {
	ns, err := queryAll(ctx, db.r, `SELECT `+numberCols+` FROM business_numbers WHERE ? = 0 OR business_id = ? ORDER BY id`,
		scanNumber, businessID, businessID)
	return ns, wrap("list numbers", err)
}

// UpdateNumber writes the number's settings.
func (db *DB) UpdateNumber(ctx context.Context, n business.BusinessNumber) error {
	err := affected(db.bexec(ctx, `UPDATE business_numbers SET display_name = ?, throughput = ?, tier_limit = ?, quality = ?,
		status = ? WHERE id = ?`, n.DisplayName, n.Throughput, n.TierLimit, n.Quality, n.Status, n.ID))
	return wrap("update number", err)
}

const tokenCols = `id, business_id, name, created_at, expires_at, revoked_at`

func scanToken(sc scanner) (business.BusinessToken, error) {
	var t business.BusinessToken
	err := sc.Scan(&t.ID, &t.BusinessID, &t.Name, tcol(&t.CreatedAt), tcol(&t.ExpiresAt), tcol(&t.RevokedAt))
	return t, err
}

// CreateBusinessToken inserts t and sets t.ID.
func (db *DB) CreateBusinessToken(ctx context.Context, t *business.BusinessToken, hash []byte) error {
	err := db.w.QueryRowContext(ctx, `INSERT INTO business_tokens (business_id, name, token_hash, created_at, expires_at, revoked_at)
		VALUES (?,?,?,?,?,?) RETURNING id`, t.BusinessID, t.Name, hash, tm(t.CreatedAt), tm(t.ExpiresAt), tm(t.RevokedAt)).Scan(&t.ID)
	return wrap("create business token", err)
}

// BusinessTokenByHash returns the token, or ErrNotFound.
func (db *DB) BusinessTokenByHash(ctx context.Context, hash []byte) (business.BusinessToken, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM business_tokens WHERE token_hash = ?`, hash))
	return t, wrap("business token by hash", err)
}

// ListBusinessTokens returns the business's tokens.
func (db *DB) ListBusinessTokens(ctx context.Context, businessID int64) ([]business.BusinessToken, error) {
	ts, err := queryAll(ctx, db.r, `SELECT `+tokenCols+` FROM business_tokens WHERE business_id = ? ORDER BY id`, scanToken, businessID)
	return ts, wrap("list business tokens", err)
}

// RevokeBusinessToken sets RevokedAt.
func (db *DB) RevokeBusinessToken(ctx context.Context, businessID, id int64, at time.Time) error {
	err := affected(db.bexec(ctx, `UPDATE business_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE business_id = ? AND id = ?`,
		tm(at), businessID, id))
	return wrap("revoke business token", err)
}

// GetConversation returns a conversation, or ErrNotFound.
func (db *DB) GetConversation(ctx context.Context, numberID, customerID int64) (business.Conversation, error) {
	c := business.Conversation{NumberID: numberID, CustomerID: customerID}
	var until string
	err := db.r.QueryRowContext(ctx, `SELECT chat_id, last_inbound_at, entry_point_at, entry_point_until, entry_point_link,
		replied, marketing_opt_out, conversation_until FROM business_conversations WHERE number_id = ? AND customer_id = ?`,
		numberID, customerID).Scan(&c.ChatID, tcol(&c.LastInboundAt), tcol(&c.EntryPointAt), tcol(&c.EntryPointUntil),
		&c.EntryPointLink, &c.Replied, &c.MarketingOptOut, &until)
	if err != nil {
		return business.Conversation{}, wrap("get conversation", err)
	}
	c.ConversationUntil, err = decodeUntil(until)
	return c, wrap("get conversation", err)
}

func encodeUntil(m map[string]time.Time) string {
	out := map[string]int64{}
	for k, v := range m {
		out[k] = v.UnixNano()
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeUntil(s string) (map[string]time.Time, error) {
	var in map[string]int64
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("decode conversation_until: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]time.Time{}
	for k, v := range in {
		out[k] = time.Unix(0, v).UTC()
	}
	return out, nil
}

// PutConversation creates or replaces a conversation.
func (db *DB) PutConversation(ctx context.Context, c business.Conversation) error {
	_, err := db.bexec(ctx, `INSERT INTO business_conversations (number_id, customer_id, chat_id, last_inbound_at, entry_point_at,
		entry_point_until, entry_point_link, replied, marketing_opt_out, conversation_until) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (number_id, customer_id) DO UPDATE SET chat_id = excluded.chat_id, last_inbound_at = excluded.last_inbound_at,
		entry_point_at = excluded.entry_point_at, entry_point_until = excluded.entry_point_until,
		entry_point_link = excluded.entry_point_link, replied = excluded.replied, marketing_opt_out = excluded.marketing_opt_out,
		conversation_until = excluded.conversation_until`,
		c.NumberID, c.CustomerID, c.ChatID, tm(c.LastInboundAt), tm(c.EntryPointAt), tm(c.EntryPointUntil), c.EntryPointLink,
		c.Replied, c.MarketingOptOut, encodeUntil(c.ConversationUntil))
	return wrap("put conversation", err)
}

// PutBusinessMessage records m unless it exists.
func (db *DB) PutBusinessMessage(ctx context.Context, m business.BusinessMessage) error {
	_, err := db.bexec(ctx, `INSERT INTO business_messages (number_id, id, outbound, chat_id, customer_id, customer_phone,
		category, pricing_type, billable, conversation_opened, callback_data, created_at, template_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (number_id, id) DO NOTHING`,
		m.NumberID, m.ID, m.Outbound, m.ChatID, m.CustomerID, m.CustomerPhone, m.Category, m.PricingType, m.Billable,
		m.ConversationOpened, m.CallbackData, tm(m.CreatedAt), m.TemplateID)
	return wrap("put business message", err)
}

// GetBusinessMessage returns a record, or ErrNotFound.
func (db *DB) GetBusinessMessage(ctx context.Context, numberID int64, id string) (business.BusinessMessage, error) {
	m := business.BusinessMessage{NumberID: numberID, ID: id}
	err := db.r.QueryRowContext(ctx, `SELECT outbound, chat_id, customer_id, customer_phone, category, pricing_type, billable,
		conversation_opened, callback_data, created_at, template_id FROM business_messages WHERE number_id = ? AND id = ?`, numberID, id).
		Scan(&m.Outbound, &m.ChatID, &m.CustomerID, &m.CustomerPhone, &m.Category, &m.PricingType, &m.Billable,
			&m.ConversationOpened, &m.CallbackData, tcol(&m.CreatedAt), &m.TemplateID)
	return m, wrap("get business message", err)
}

// CountMarketing counts marketing templates sent to a customer since.
func (db *DB) CountMarketing(ctx context.Context, customerID int64, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM business_messages WHERE customer_id = ? AND category = 'marketing'
		AND created_at >= ?`, customerID, tm(since)).Scan(&n)
	return n, wrap("count marketing", err)
}

// Reached reports reach of the number since.
func (db *DB) Reached(ctx context.Context, numberID, customerID int64, since time.Time) (bool, int, error) {
	var already, total int
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN customer_id = ? THEN 1 ELSE 0 END), 0), COUNT(*)
		FROM business_reach WHERE number_id = ? AND at >= ?`, customerID, numberID, tm(since)).Scan(&already, &total)
	return already > 0, total, wrap("reached", err)
}

// ReachedByBusiness reports the portfolio's reach since.
func (db *DB) ReachedByBusiness(ctx context.Context, businessID, customerID int64, since time.Time) (bool, int, error) {
	var already, total int
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(CASE WHEN customer_id = ? THEN 1 ELSE 0 END), 0), COUNT(DISTINCT customer_id)
		FROM business_reach WHERE number_id IN (SELECT id FROM business_numbers WHERE business_id = ?) AND at >= ?`,
		customerID, businessID, tm(since)).Scan(&already, &total)
	return already > 0, total, wrap("reached by business", err)
}

// RecordReach notes a business-initiated reach.
func (db *DB) RecordReach(ctx context.Context, numberID, customerID int64, t time.Time) error {
	_, err := db.bexec(ctx, `INSERT INTO business_reach (number_id, customer_id, at) VALUES (?,?,?)
		ON CONFLICT (number_id, customer_id) DO UPDATE SET at = excluded.at`, numberID, customerID, tm(t))
	return wrap("record reach", err)
}

// AddQualitySignal records a block or report.
func (db *DB) AddQualitySignal(ctx context.Context, numberID, customerID int64, kind string, t time.Time) error {
	_, err := db.bexec(ctx, `INSERT INTO business_quality (number_id, customer_id, kind, at) VALUES (?,?,?,?)
		ON CONFLICT (number_id, customer_id, kind) DO UPDATE SET at = excluded.at`, numberID, customerID, kind, tm(t))
	return wrap("add quality signal", err)
}

// CountQualitySignals counts a number's signals since.
func (db *DB) CountQualitySignals(ctx context.Context, numberID int64, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM business_quality WHERE number_id = ? AND at >= ?`, numberID, tm(since)).Scan(&n)
	return n, wrap("count quality signals", err)
}

const templateCols = `id, business_id, name, language, category, parameter_format, components, status, reason, created_at, updated_at, paused_until, pauses, previous_category`

func scanTemplate(sc scanner) (business.Template, error) {
	var t business.Template
	var comps string
	err := sc.Scan(&t.ID, &t.BusinessID, &t.Name, &t.Language, &t.Category, &t.ParameterFormat, &comps, &t.Status, &t.Reason,
		tcol(&t.CreatedAt), tcol(&t.UpdatedAt), tcol(&t.PausedUntil), &t.Pauses, &t.PreviousCategory)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(comps), &t.Components); err != nil {
		return t, fmt.Errorf("decode components: %w", err)
	}
	return t, nil
}

// CreateTemplate inserts t and sets t.ID.
func (db *DB) CreateTemplate(ctx context.Context, t *business.Template) error {
	comps, err := json.Marshal(t.Components)
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	err = db.w.QueryRowContext(ctx, `INSERT INTO templates (business_id, name, language, category, parameter_format, components,
		status, reason, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		t.BusinessID, t.Name, t.Language, t.Category, t.ParameterFormat, string(comps), t.Status, t.Reason,
		tm(t.CreatedAt), tm(t.UpdatedAt)).Scan(&t.ID)
	return wrap("create template", err)
}

// GetTemplate returns a template, or ErrNotFound.
func (db *DB) GetTemplate(ctx context.Context, id int64) (business.Template, error) {
	t, err := scanTemplate(db.r.QueryRowContext(ctx, `SELECT `+templateCols+` FROM templates WHERE id = ?`, id))
	return t, wrap("get template", err)
}

// FindTemplate returns a template by name and language, or ErrNotFound.
func (db *DB) FindTemplate(ctx context.Context, businessID int64, name, language string) (business.Template, error) {
	t, err := scanTemplate(db.r.QueryRowContext(ctx, `SELECT `+templateCols+` FROM templates
		WHERE business_id = ? AND name = ? AND language = ?`, businessID, name, language))
	return t, wrap("find template", err)
}

// ListTemplates returns a page of templates.
func (db *DB) ListTemplates(ctx context.Context, businessID int64, status business.TemplateStatus, after int64, limit int) ([]business.Template, error) {
	ts, err := queryAll(ctx, db.r, `SELECT `+templateCols+` FROM templates WHERE (? = 0 OR business_id = ?)
		AND (? = '' OR status = ?) AND id > ? ORDER BY id LIMIT ?`, scanTemplate,
		businessID, businessID, string(status), string(status), after, limit)
	return ts, wrap("list templates", err)
}

// SetTemplateStatus writes a review decision.
func (db *DB) SetTemplateStatus(ctx context.Context, id int64, status business.TemplateStatus, reason string, at time.Time) error {
	err := affected(db.bexec(ctx, `UPDATE templates SET status = ?, reason = ?, updated_at = ? WHERE id = ?`,
		string(status), reason, tm(at), id))
	return wrap("set template status", err)
}

// DeleteTemplates deletes a business's templates of that name.
func (db *DB) DeleteTemplates(ctx context.Context, businessID int64, name string) (int, error) {
	n, err := db.bexec(ctx, `DELETE FROM templates WHERE business_id = ? AND name = ?`, businessID, name)
	return int(n), wrap("delete templates", err)
}

const webhookCols = `id, business_id, key, conv_key, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at`

func scanWebhook(sc scanner) (business.Webhook, error) {
	var w business.Webhook
	err := sc.Scan(&w.ID, &w.BusinessID, &w.Key, &w.ConvKey, &w.Payload, &w.Status, &w.Attempts, tcol(&w.NextAttemptAt),
		&w.LastError, tcol(&w.CreatedAt), tcol(&w.DeliveredAt))
	return w, err
}

// EnqueueWebhooks inserts webhooks, skipping known keys.
func (db *DB) EnqueueWebhooks(ctx context.Context, ws []*business.Webhook) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO webhook_outbox (business_id, key, conv_key, payload, status, attempts,
			next_attempt_at, last_error, created_at, delivered_at) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (key) DO NOTHING RETURNING id`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, w := range ws {
			err := st.QueryRowContext(ctx, w.BusinessID, w.Key, w.ConvKey, w.Payload, string(w.Status), w.Attempts,
				tm(w.NextAttemptAt), w.LastError, tm(w.CreatedAt), tm(w.DeliveredAt)).Scan(&w.ID)
			if err == sql.ErrNoRows {
				w.ID = 0
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("enqueue webhooks", err)
}

// ClaimWebhooks leases due webhooks, the oldest pending one per
// conversation only.
func (db *DB) ClaimWebhooks(ctx context.Context, now, leaseUntil time.Time, limit int, skip []int64) ([]business.Webhook, error) {
	skipSQL := ""
	args := []any{tm(leaseUntil), tm(now)}
	if len(skip) > 0 {
		skipSQL = ` AND o.business_id NOT IN (?` + strings.Repeat(",?", len(skip)-1) + `)`
		for _, id := range skip {
			args = append(args, id)
		}
	}
	args = append(args, limit)
	ws, err := queryAll(ctx, db.w, `UPDATE webhook_outbox SET next_attempt_at = ? WHERE id IN (
		SELECT o.id FROM webhook_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?`+skipSQL+`
		AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.status = 'pending' AND p.business_id = o.business_id
			AND p.conv_key = o.conv_key AND p.id < o.id)
		ORDER BY o.next_attempt_at, o.id LIMIT ?) RETURNING `+webhookCols, scanWebhook, args...)
	return ws, wrap("claim webhooks", err)
}

// FinishWebhook logs an attempt and stores the webhook's new state.
func (db *DB) FinishWebhook(ctx context.Context, w business.Webhook, a business.WebhookAttempt) error {
	return db.FinishWebhooks(ctx, []business.Webhook{w}, []business.WebhookAttempt{a})
}

// FinishWebhooks logs attempts and stores the webhooks' new states.
func (db *DB) FinishWebhooks(ctx context.Context, ws []business.Webhook, as []business.WebhookAttempt) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO webhook_attempts (webhook_id, attempt, at, status_code, error, duration)
				VALUES (?,?,?,?,?,?) ON CONFLICT (webhook_id, attempt) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
				delivered_at = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for i, w := range ws {
			a := as[i]
			if _, err := ins.ExecContext(ctx,
				a.WebhookID, a.Attempt, tm(a.At), a.StatusCode, a.Error, int64(a.Duration)); err != nil {
				return err
			}
			res, err := upd.ExecContext(ctx, string(w.Status), w.Attempts, tm(w.NextAttemptAt), w.LastError, tm(w.DeliveredAt), w.ID)
			if err != nil {
				return err
			}
			if err := mustAffect(res); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("finish webhooks", err)
}

// ListWebhooks returns a business's webhooks, newest first.
func (db *DB) ListWebhooks(ctx context.Context, businessID, before int64, limit int) ([]business.Webhook, error) {
	ws, err := queryAll(ctx, db.r, `SELECT `+webhookCols+` FROM webhook_outbox WHERE business_id = ? AND (? = 0 OR id < ?)
		ORDER BY id DESC LIMIT ?`, scanWebhook, businessID, before, before, limit)
	return ws, wrap("list webhooks", err)
}

// WebhookAttempts returns a webhook's attempts, oldest first.
func (db *DB) WebhookAttempts(ctx context.Context, webhookID int64) ([]business.WebhookAttempt, error) {
	as, err := queryAll(ctx, db.r, `SELECT webhook_id, attempt, at, status_code, error, duration FROM webhook_attempts
		WHERE webhook_id = ? ORDER BY attempt`, func(sc scanner) (business.WebhookAttempt, error) {
		var a business.WebhookAttempt
		var d int64
		err := sc.Scan(&a.WebhookID, &a.Attempt, tcol(&a.At), &a.StatusCode, &a.Error, &d)
		a.Duration = time.Duration(d)
		return a, err
	}, webhookID)
	return as, wrap("webhook attempts", err)
}

// ReplayWebhook makes a webhook pending and due at t.
func (db *DB) ReplayWebhook(ctx context.Context, businessID, id int64, t time.Time) error {
	err := affected(db.bexec(ctx, `UPDATE webhook_outbox SET status = 'pending', next_attempt_at = ? WHERE business_id = ? AND id = ?`,
		tm(t), businessID, id))
	return wrap("replay webhook", err)
}

// AppendUsage inserts new ledger entries.
func (db *DB) AppendUsage(ctx context.Context, us []*business.UsageEntry) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, u := range us {
			err := tx.QueryRowContext(ctx, `INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
				pricing_type, model, billable, message_id, at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING RETURNING id`,
				u.Key, u.BusinessID, u.NumberID, string(u.Event), u.Category, u.Country, u.PricingType, u.Model, u.Billable,
				u.MessageID, tm(u.At)).Scan(&u.ID)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, wrap("append usage", err)
	}
	return n, nil
}

// ListUsage returns ledger entries.
func (db *DB) ListUsage(ctx context.Context, businessID, after int64, limit int) ([]business.UsageEntry, error) {
	us, err := queryAll(ctx, db.r, `SELECT id, key, business_id, number_id, event, category, country, pricing_type, model,
		billable, message_id, at, amount_minor, currency, channel_id, ref FROM usage_ledger WHERE (? = 0 OR business_id = ?) AND id > ? ORDER BY id LIMIT ?`,
		func(sc scanner) (business.UsageEntry, error) {
			var u business.UsageEntry
			err := sc.Scan(&u.ID, &u.Key, &u.BusinessID, &u.NumberID, &u.Event, &u.Category, &u.Country, &u.PricingType,
				&u.Model, &u.Billable, &u.MessageID, tcol(&u.At), &u.AmountMinor, &u.Currency, &u.ChannelID, &u.Ref)
			return u, err
		}, businessID, businessID, after, limit)
	return us, wrap("list usage", err)
}

const linkCols = `id, business_id, number_id, code, prefill, source, clicks, chats, replies, created_at`

func scanLink(sc scanner) (business.Link, error) {
	var l business.Link
	var src string
	err := sc.Scan(&l.ID, &l.BusinessID, &l.NumberID, &l.Code, &l.Prefill, &src, &l.Clicks, &l.Chats, &l.Replies, tcol(&l.CreatedAt))
	if err == nil && src != "" {
		l.Source = new(business.Referral)
		err = json.Unmarshal([]byte(src), l.Source)
	}
	return l, err
}

// CreateLink inserts l and sets l.ID.
func (db *DB) CreateLink(ctx context.Context, l *business.Link) error {
	src := ""
	if l.Source != nil {
		b, _ := json.Marshal(l.Source)
		src = string(b)
	}
	err := db.w.QueryRowContext(ctx, `INSERT INTO ctc_links (business_id, number_id, code, prefill, source, created_at)
		VALUES (?,?,?,?,?,?) RETURNING id`, l.BusinessID, l.NumberID, l.Code, l.Prefill, src, tm(l.CreatedAt)).Scan(&l.ID)
	return wrap("create link", err)
}

// GetLink returns a link, or ErrNotFound.
func (db *DB) GetLink(ctx context.Context, id int64) (business.Link, error) {
	l, err := scanLink(db.r.QueryRowContext(ctx, `SELECT `+linkCols+` FROM ctc_links WHERE id = ?`, id))
	return l, wrap("get link", err)
}

// LinkByCode returns a link, or ErrNotFound.
func (db *DB) LinkByCode(ctx context.Context, code string) (business.Link, error) {
	l, err := scanLink(db.r.QueryRowContext(ctx, `SELECT `+linkCols+` FROM ctc_links WHERE code = ?`, code))
	return l, wrap("link by code", err)
}

// ListLinks returns a business's links.
func (db *DB) ListLinks(ctx context.Context, businessID int64) ([]business.Link, error) {
	ls, err := queryAll(ctx, db.r, `SELECT `+linkCols+` FROM ctc_links WHERE business_id = ? ORDER BY id`, scanLink, businessID)
	return ls, wrap("list links", err)
}

// CreateClick inserts a click and counts it.
func (db *DB) CreateClick(ctx context.Context, c business.Click) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ctc_clicks (id, link_id, at) VALUES (?,?,?)`, c.ID, c.LinkID, tm(c.At)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE ctc_links SET clicks = clicks + 1 WHERE id = ?`, c.LinkID)
		return err
	})
	return wrap("create click", err)
}

// GetClick returns a click, or ErrNotFound.
func (db *DB) GetClick(ctx context.Context, id string) (business.Click, error) {
	c := business.Click{ID: id}
	err := db.r.QueryRowContext(ctx, `SELECT link_id, at FROM ctc_clicks WHERE id = ?`, id).Scan(&c.LinkID, tcol(&c.At))
	return c, wrap("get click", err)
}

// CountLink adds one to a link counter (chats or replies).
func (db *DB) CountLink(ctx context.Context, linkID int64, field string) error {
	if field != "chats" && field != "replies" {
		return fmt.Errorf("count link: unknown counter %q", field)
	}
	err := affected(db.bexec(ctx, `UPDATE ctc_links SET `+field+` = `+field+` + 1 WHERE id = ?`, linkID))
	return wrap("count link", err)
}

// CommitBusiness writes a batch of business writes in one transaction.
func (db *DB) CommitBusiness(ctx context.Context, b *business.Batch) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return commitBusinessTx(ctx, tx, b) })
	return wrap("commit business", err)
}

// commitBusinessTx writes a business batch in tx.
func commitBusinessTx(ctx context.Context, tx *sql.Tx, b *business.Batch) error {
	var sts []*sql.Stmt
	defer func() {
		for _, st := range sts {
			st.Close()
		}
	}()
	prepare := func(q string) (*sql.Stmt, error) {
		st, err := tx.PrepareContext(ctx, q)
		if err == nil {
			sts = append(sts, st)
		}
		return st, err
	}
	st0, err := prepare(`INSERT INTO business_messages (number_id, id, outbound, chat_id, customer_id, customer_phone,
			category, pricing_type, billable, conversation_opened, callback_data, created_at, template_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (number_id, id) DO NOTHING`)
	if err != nil {
		return err
	}
	st1, err := prepare(`INSERT INTO business_conversations (number_id, customer_id, chat_id, last_inbound_at, entry_point_at,
			entry_point_until, entry_point_link, replied, marketing_opt_out, conversation_until) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (number_id, customer_id) DO UPDATE SET chat_id = excluded.chat_id, last_inbound_at = CASE WHEN excluded.last_inbound_at IS NULL
				OR business_conversations.last_inbound_at > excluded.last_inbound_at
				THEN business_conversations.last_inbound_at ELSE excluded.last_inbound_at END,
			entry_point_at = excluded.entry_point_at, entry_point_until = excluded.entry_point_until,
			entry_point_link = excluded.entry_point_link, replied = excluded.replied, marketing_opt_out = excluded.marketing_opt_out,
			conversation_until = excluded.conversation_until`)
	if err != nil {
		return err
	}
	st2, err := prepare(`INSERT INTO business_reach (number_id, customer_id, at) VALUES (?,?,?)
			ON CONFLICT (number_id, customer_id) DO UPDATE SET at = excluded.at`)
	if err != nil {
		return err
	}
	st3, err := prepare(`INSERT INTO webhook_outbox (business_id, key, conv_key, payload, status, attempts,
			next_attempt_at, last_error, created_at, delivered_at) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (key) DO NOTHING RETURNING id`)
	if err != nil {
		return err
	}
	st4, err := prepare(`INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
			pricing_type, model, billable, message_id, at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING RETURNING id`)
	if err != nil {
		return err
	}
	for _, m := range b.Messages {
		if _, err := st0.ExecContext(ctx,
			m.NumberID, m.ID, m.Outbound, m.ChatID, m.CustomerID, m.CustomerPhone, m.Category, m.PricingType, m.Billable,
			m.ConversationOpened, m.CallbackData, tm(m.CreatedAt), m.TemplateID); err != nil {
			return err
		}
	}
	for _, c := range b.Conversations {
		if _, err := st1.ExecContext(ctx,
			c.NumberID, c.CustomerID, c.ChatID, tm(c.LastInboundAt), tm(c.EntryPointAt), tm(c.EntryPointUntil), c.EntryPointLink,
			c.Replied, c.MarketingOptOut, encodeUntil(c.ConversationUntil)); err != nil {
			return err
		}
	}
	for _, r := range b.Reach {
		if _, err := st2.ExecContext(ctx, r.NumberID, r.CustomerID, tm(r.At)); err != nil {
			return err
		}
	}
	for _, w := range b.Webhooks {
		err := st3.QueryRowContext(ctx, w.BusinessID, w.Key, w.ConvKey, w.Payload, string(w.Status), w.Attempts,
			tm(w.NextAttemptAt), w.LastError, tm(w.CreatedAt), tm(w.DeliveredAt)).Scan(&w.ID)
		if err == sql.ErrNoRows {
			w.ID = 0
			continue
		}
		if err != nil {
			return err
		}
	}
	for _, u := range b.Usage {
		err := st4.QueryRowContext(ctx,
			u.Key, u.BusinessID, u.NumberID, string(u.Event), u.Category, u.Country, u.PricingType, u.Model, u.Billable,
			u.MessageID, tm(u.At)).Scan(&u.ID)
		if err == sql.ErrNoRows {
			u.ID = 0
			continue
		}
		if err != nil {
			return err
		}
	}
	return commitCharges(ctx, tx, b.Charges)
}

// PruneBusiness deletes old business rows, up to limit per table.
func (db *DB) PruneBusiness(ctx context.Context, p business.BusinessPrune, limit int) (int, error) {
	total := 0
	for _, q := range []struct {
		sql    string
		before time.Time
	}{
		{`DELETE FROM business_messages WHERE (number_id, id) IN (SELECT number_id, id FROM business_messages WHERE created_at < ? LIMIT ?)`, p.Messages},
		{`DELETE FROM business_reach WHERE (number_id, customer_id) IN (SELECT number_id, customer_id FROM business_reach WHERE at < ? LIMIT ?)`, p.Reach},
		{`DELETE FROM business_quality WHERE (number_id, customer_id, kind) IN (SELECT number_id, customer_id, kind FROM business_quality WHERE at < ? LIMIT ?)`, p.Quality},
	} {
		if q.before.IsZero() {
			continue
		}
		n, err := db.bexec(ctx, q.sql, ns(q.before), limit)
		if err != nil {
			return total, wrap("prune business", err)
		}
		total += int(n)
	}
	if !p.Webhooks.IsZero() {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			ids := `SELECT id FROM webhook_outbox WHERE status != 'pending' AND created_at < ? ORDER BY id LIMIT ?`
			if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE webhook_id IN (`+ids+`)`, ns(p.Webhooks), limit); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE id IN (`+ids+`)`, ns(p.Webhooks), limit)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			total += int(n)
			return err
		})
		if err != nil {
			return total, wrap("prune webhooks", err)
		}
	}
	return total, nil
}

// PauseTemplate writes a template's status with its pause.
func (db *DB) PauseTemplate(ctx context.Context, id int64, status business.TemplateStatus, reason string, until time.Time, pauses int, at time.Time) error {
	err := affected(db.bexec(ctx, `UPDATE templates SET status = ?, reason = ?, paused_until = ?, pauses = ?, updated_at = ? WHERE id = ?`,
		string(status), reason, ns(until), pauses, tm(at), id))
	return wrap("pause template", err)
}

// SetTemplateCategory writes a category changed by review or the
// operator, with the one it replaces.
func (db *DB) SetTemplateCategory(ctx context.Context, id int64, category, previous business.TemplateCategory, at time.Time) error {
	err := affected(db.bexec(ctx, `UPDATE templates SET category = ?, previous_category = ?, updated_at = ? WHERE id = ?`,
		string(category), string(previous), tm(at), id))
	return wrap("set template category", err)
}

// AddTemplateSignal counts a block or report against the last template
// the number sent the customer since.
func (db *DB) AddTemplateSignal(ctx context.Context, numberID, customerID int64, kind string, since, at time.Time) (int64, int, error) {
	var id int64
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT template_id FROM business_messages WHERE number_id = ? AND customer_id = ? AND template_id != 0
			AND outbound AND created_at >= ? ORDER BY created_at DESC LIMIT 1`, numberID, customerID, ns(since)).Scan(&id)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO template_quality (template_id, customer_id, kind, at) VALUES (?,?,?,?)
			ON CONFLICT (template_id, customer_id, kind) DO UPDATE SET at = excluded.at`, id, customerID, kind, ns(at)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM template_quality WHERE template_id = ? AND at >= ?`, id, ns(since)).Scan(&n)
	})
	return id, n, wrap("add template signal", err)
}
