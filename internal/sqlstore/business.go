package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/wire"
)

// This file implements business.Store.

const businessCols = `id, name, category, description, address, website, verified, app_secret, callback_url, verify_token, pricing_model, created_at`

func scanBusiness(sc Row) (business.Business, error) {
	var b business.Business
	err := sc.Scan(&b.ID, &b.Name, &b.Category, &b.Description, &b.Address, &b.Website, &b.Verified, &b.AppSecret,
		&b.CallbackURL, &b.VerifyToken, &b.PricingModel, tcol(&b.CreatedAt))
	return b, err
}

// CreateBusiness inserts b and sets b.ID.
func (s *Store) CreateBusiness(ctx context.Context, b *business.Business) error {
	err := s.w.QueryRow(ctx, `INSERT INTO businesses (name, category, description, address, website, verified,
		app_secret, callback_url, verify_token, pricing_model, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		b.Name, b.Category, b.Description, b.Address, b.Website, b.Verified, b.AppSecret, b.CallbackURL, b.VerifyToken,
		b.PricingModel, s.ts(b.CreatedAt)).Scan(&b.ID)
	return s.wrap("create business", err)
}

// GetBusiness returns the business, or ErrNotFound.
func (s *Store) GetBusiness(ctx context.Context, id int64) (business.Business, error) {
	b, err := scanBusiness(s.r.QueryRow(ctx, `SELECT `+businessCols+` FROM businesses WHERE id = ?`, id))
	return b, s.wrap("get business", err)
}

// ListBusinesses returns every business, ascending by id.
func (s *Store) ListBusinesses(ctx context.Context) ([]business.Business, error) {
	bs, err := queryAll(ctx, s.r, `SELECT `+businessCols+` FROM businesses ORDER BY id`, scanBusiness)
	return bs, s.wrap("list businesses", err)
}

// UpdateBusiness writes every field of b but ID and CreatedAt.
func (s *Store) UpdateBusiness(ctx context.Context, b business.Business) error {
	err := affected(s.w.Exec(ctx, `UPDATE businesses SET name = ?, category = ?, description = ?, address = ?, website = ?,
		verified = ?, app_secret = ?, callback_url = ?, verify_token = ?, pricing_model = ? WHERE id = ?`,
		b.Name, b.Category, b.Description, b.Address, b.Website, b.Verified, b.AppSecret, b.CallbackURL, b.VerifyToken,
		b.PricingModel, b.ID))
	return s.wrap("update business", err)
}

const numberCols = `id, business_id, account_id, device_id, phone, display_name, throughput, tier_limit, quality, status, created_at`

func scanNumber(sc Row) (business.BusinessNumber, error) {
	var n business.BusinessNumber
	err := sc.Scan(&n.ID, &n.BusinessID, &n.AccountID, &n.DeviceID, &n.Phone, &n.DisplayName, &n.Throughput, &n.TierLimit,
		&n.Quality, &n.Status, tcol(&n.CreatedAt))
	return n, err
}

// CreateNumber inserts n and sets n.ID.
func (s *Store) CreateNumber(ctx context.Context, n *business.BusinessNumber) error {
	err := s.w.QueryRow(ctx, `INSERT INTO business_numbers (business_id, account_id, device_id, phone, display_name,
		throughput, tier_limit, quality, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		n.BusinessID, n.AccountID, n.DeviceID, n.Phone, n.DisplayName, n.Throughput, n.TierLimit, n.Quality, n.Status,
		s.ts(n.CreatedAt)).Scan(&n.ID)
	return s.wrap("create number", err)
}

// GetNumber returns the number, or ErrNotFound.
func (s *Store) GetNumber(ctx context.Context, id int64) (business.BusinessNumber, error) {
	n, err := scanNumber(s.r.QueryRow(ctx, `SELECT `+numberCols+` FROM business_numbers WHERE id = ?`, id))
	return n, s.wrap("get number", err)
}

// NumberByAccount returns the number of an account, or ErrNotFound.
func (s *Store) NumberByAccount(ctx context.Context, accountID int64) (business.BusinessNumber, error) {
	n, err := scanNumber(s.r.QueryRow(ctx, `SELECT `+numberCols+` FROM business_numbers WHERE account_id = ?`, accountID))
	return n, s.wrap("number by account", err)
}

// ListNumbers returns a business's numbers, or all when businessID is 0.
func (s *Store) ListNumbers(ctx context.Context, businessID int64) ([]business.BusinessNumber, error) {
	ns, err := queryAll(ctx, s.r, `SELECT `+numberCols+` FROM business_numbers WHERE CAST(? AS BIGINT) = 0 OR business_id = ? ORDER BY id`,
		scanNumber, businessID, businessID)
	return ns, s.wrap("list numbers", err)
}

// UpdateNumber writes the number's settings.
func (s *Store) UpdateNumber(ctx context.Context, n business.BusinessNumber) error {
	err := affected(s.w.Exec(ctx, `UPDATE business_numbers SET display_name = ?, throughput = ?, tier_limit = ?, quality = ?,
		status = ? WHERE id = ?`, n.DisplayName, n.Throughput, n.TierLimit, n.Quality, n.Status, n.ID))
	return s.wrap("update number", err)
}

const tokenCols = `id, business_id, name, created_at, expires_at, revoked_at`

func scanToken(sc Row) (business.BusinessToken, error) {
	var t business.BusinessToken
	err := sc.Scan(&t.ID, &t.BusinessID, &t.Name, tcol(&t.CreatedAt), tcol(&t.ExpiresAt), tcol(&t.RevokedAt))
	return t, err
}

// CreateBusinessToken inserts t and sets t.ID.
func (s *Store) CreateBusinessToken(ctx context.Context, t *business.BusinessToken, hash []byte) error {
	err := s.w.QueryRow(ctx, `INSERT INTO business_tokens (business_id, name, token_hash, created_at, expires_at, revoked_at)
		VALUES (?,?,?,?,?,?) RETURNING id`, t.BusinessID, t.Name, hash, s.ts(t.CreatedAt), s.ts(t.ExpiresAt), s.ts(t.RevokedAt)).Scan(&t.ID)
	return s.wrap("create business token", err)
}

// BusinessTokenByHash returns the token, or ErrNotFound.
func (s *Store) BusinessTokenByHash(ctx context.Context, hash []byte) (business.BusinessToken, error) {
	t, err := scanToken(s.r.QueryRow(ctx, `SELECT `+tokenCols+` FROM business_tokens WHERE token_hash = ?`, hash))
	return t, s.wrap("business token by hash", err)
}

// ListBusinessTokens returns the business's tokens.
func (s *Store) ListBusinessTokens(ctx context.Context, businessID int64) ([]business.BusinessToken, error) {
	ts, err := queryAll(ctx, s.r, `SELECT `+tokenCols+` FROM business_tokens WHERE business_id = ? ORDER BY id`, scanToken, businessID)
	return ts, s.wrap("list business tokens", err)
}

// RevokeBusinessToken sets RevokedAt.
func (s *Store) RevokeBusinessToken(ctx context.Context, businessID, id int64, at time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE business_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE business_id = ? AND id = ?`,
		s.ts(at), businessID, id))
	return s.wrap("revoke business token", err)
}

// GetConversation returns a conversation, or ErrNotFound.
func (s *Store) GetConversation(ctx context.Context, numberID, customerID int64) (business.Conversation, error) {
	c := business.Conversation{NumberID: numberID, CustomerID: customerID}
	var until string
	err := s.r.QueryRow(ctx, `SELECT chat_id, last_inbound_at, entry_point_at, entry_point_until, entry_point_link,
		replied, marketing_opt_out, conversation_until FROM business_conversations WHERE number_id = ? AND customer_id = ?`,
		numberID, customerID).Scan(&c.ChatID, tcol(&c.LastInboundAt), tcol(&c.EntryPointAt), tcol(&c.EntryPointUntil),
		&c.EntryPointLink, &c.Replied, &c.MarketingOptOut, &until)
	if err != nil {
		return business.Conversation{}, s.wrap("get conversation", err)
	}
	c.ConversationUntil, err = decodeUntil(until)
	return c, s.wrap("get conversation", err)
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
func (s *Store) PutConversation(ctx context.Context, c business.Conversation) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_conversations (number_id, customer_id, chat_id, last_inbound_at, entry_point_at,
		entry_point_until, entry_point_link, replied, marketing_opt_out, conversation_until) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (number_id, customer_id) DO UPDATE SET chat_id = excluded.chat_id, last_inbound_at = excluded.last_inbound_at,
		entry_point_at = excluded.entry_point_at, entry_point_until = excluded.entry_point_until,
		entry_point_link = excluded.entry_point_link, replied = excluded.replied, marketing_opt_out = excluded.marketing_opt_out,
		conversation_until = excluded.conversation_until`,
		c.NumberID, c.CustomerID, c.ChatID, s.ts(c.LastInboundAt), s.ts(c.EntryPointAt), s.ts(c.EntryPointUntil), c.EntryPointLink,
		c.Replied, c.MarketingOptOut, encodeUntil(c.ConversationUntil))
	return s.wrap("put conversation", err)
}

// PutBusinessMessage records m unless it exists.
func (s *Store) PutBusinessMessage(ctx context.Context, m business.BusinessMessage) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_messages (number_id, id, outbound, chat_id, customer_id, customer_phone,
		category, pricing_type, billable, conversation_opened, callback_data, created_at, template_id, in_window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (number_id, id) DO NOTHING`,
		m.NumberID, m.ID, m.Outbound, m.ChatID, m.CustomerID, m.CustomerPhone, m.Category, m.PricingType, m.Billable,
		m.ConversationOpened, m.CallbackData, s.ts(m.CreatedAt), m.TemplateID, m.InWindow)
	return s.wrap("put business message", err)
}

// GetBusinessMessage returns a record, or ErrNotFound.
func (s *Store) GetBusinessMessage(ctx context.Context, numberID int64, id string) (business.BusinessMessage, error) {
	m := business.BusinessMessage{NumberID: numberID, ID: id}
	err := s.r.QueryRow(ctx, `SELECT outbound, chat_id, customer_id, customer_phone, category, pricing_type, billable,
		conversation_opened, callback_data, created_at, template_id, in_window FROM business_messages WHERE number_id = ? AND id = ?`, numberID, id).
		Scan(&m.Outbound, &m.ChatID, &m.CustomerID, &m.CustomerPhone, &m.Category, &m.PricingType, &m.Billable,
			&m.ConversationOpened, &m.CallbackData, tcol(&m.CreatedAt), &m.TemplateID, &m.InWindow)
	return m, s.wrap("get business message", err)
}

// CountMarketing counts marketing templates sent to a customer since.
func (s *Store) CountMarketing(ctx context.Context, customerID int64, since time.Time) (int, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT COUNT(*) FROM business_messages WHERE customer_id = ? AND category = 'marketing'
		AND created_at >= ?`, customerID, s.ts(since)).Scan(&n)
	return n, s.wrap("count marketing", err)
}

// Reached reports reach of the number since.
func (s *Store) Reached(ctx context.Context, numberID, customerID int64, since time.Time) (bool, int, error) {
	var already, total int
	err := s.r.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN customer_id = ? THEN 1 ELSE 0 END), 0), COUNT(*)
		FROM business_reach WHERE number_id = ? AND at >= ?`, customerID, numberID, s.ts(since)).Scan(&already, &total)
	return already > 0, total, s.wrap("reached", err)
}

// ReachedByBusiness reports the portfolio's reach since.
func (s *Store) ReachedByBusiness(ctx context.Context, businessID, customerID int64, since time.Time) (bool, int, error) {
	var already, total int
	err := s.r.QueryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN customer_id = ? THEN 1 ELSE 0 END), 0), COUNT(DISTINCT customer_id)
		FROM business_reach WHERE number_id IN (SELECT id FROM business_numbers WHERE business_id = ?) AND at >= ?`,
		customerID, businessID, s.ts(since)).Scan(&already, &total)
	return already > 0, total, s.wrap("reached by business", err)
}

// RecordReach notes a business-initiated reach.
func (s *Store) RecordReach(ctx context.Context, numberID, customerID int64, t time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_reach (number_id, customer_id, at) VALUES (?,?,?)
		ON CONFLICT (number_id, customer_id) DO UPDATE SET at = excluded.at`, numberID, customerID, s.ts(t))
	return s.wrap("record reach", err)
}

// AddQualitySignal records a block or report.
func (s *Store) AddQualitySignal(ctx context.Context, numberID, customerID int64, kind string, t time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_quality (number_id, customer_id, kind, at) VALUES (?,?,?,?)
		ON CONFLICT (number_id, customer_id, kind) DO UPDATE SET at = excluded.at`, numberID, customerID, kind, s.ts(t))
	return s.wrap("add quality signal", err)
}

// CountQualitySignals counts a number's signals since.
func (s *Store) CountQualitySignals(ctx context.Context, numberID int64, since time.Time) (int, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT COUNT(*) FROM business_quality WHERE number_id = ? AND at >= ?`, numberID, s.ts(since)).Scan(&n)
	return n, s.wrap("count quality signals", err)
}

const templateCols = `id, business_id, name, language, category, parameter_format, components, status, reason, created_at, updated_at, paused_until, pauses, previous_category`

func scanTemplate(sc Row) (business.Template, error) {
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
func (s *Store) CreateTemplate(ctx context.Context, t *business.Template) error {
	comps, err := json.Marshal(t.Components)
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	err = s.w.QueryRow(ctx, `INSERT INTO templates (business_id, name, language, category, parameter_format, components,
		status, reason, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		t.BusinessID, t.Name, t.Language, t.Category, t.ParameterFormat, string(comps), t.Status, t.Reason,
		s.ts(t.CreatedAt), s.ts(t.UpdatedAt)).Scan(&t.ID)
	return s.wrap("create template", err)
}

// GetTemplate returns a template, or ErrNotFound.
func (s *Store) GetTemplate(ctx context.Context, id int64) (business.Template, error) {
	t, err := scanTemplate(s.r.QueryRow(ctx, `SELECT `+templateCols+` FROM templates WHERE id = ?`, id))
	return t, s.wrap("get template", err)
}

// FindTemplate returns a template by name and language, or ErrNotFound.
func (s *Store) FindTemplate(ctx context.Context, businessID int64, name, language string) (business.Template, error) {
	t, err := scanTemplate(s.r.QueryRow(ctx, `SELECT `+templateCols+` FROM templates
		WHERE business_id = ? AND name = ? AND language = ?`, businessID, name, language))
	return t, s.wrap("find template", err)
}

// ListTemplates returns a page of templates.
func (s *Store) ListTemplates(ctx context.Context, businessID int64, status business.TemplateStatus, after int64, limit int) ([]business.Template, error) {
	ts, err := queryAll(ctx, s.r, `SELECT `+templateCols+` FROM templates WHERE (CAST(? AS BIGINT) = 0 OR business_id = ?)
		AND (? = '' OR status = ?) AND id > ? ORDER BY id LIMIT ?`, scanTemplate,
		businessID, businessID, string(status), string(status), after, limit)
	return ts, s.wrap("list templates", err)
}

// SetTemplateStatus writes a review decision.
func (s *Store) SetTemplateStatus(ctx context.Context, id int64, status business.TemplateStatus, reason string, at time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE templates SET status = ?, reason = ?, updated_at = ? WHERE id = ?`,
		string(status), reason, s.ts(at), id))
	return s.wrap("set template status", err)
}

// DeleteTemplates deletes a business's templates of that name.
func (s *Store) DeleteTemplates(ctx context.Context, businessID int64, name string) (int, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM templates WHERE business_id = ? AND name = ?`, businessID, name)
	return int(n), s.wrap("delete templates", err)
}

const webhookCols = `id, business_id, key, conv_key, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at`

func scanWebhook(sc Row) (business.Webhook, error) {
	var w business.Webhook
	err := sc.Scan(&w.ID, &w.BusinessID, &w.Key, &w.ConvKey, &w.Payload, &w.Status, &w.Attempts, tcol(&w.NextAttemptAt),
		&w.LastError, tcol(&w.CreatedAt), tcol(&w.DeliveredAt))
	return w, err
}

// EnqueueWebhooks inserts webhooks, skipping known keys.
func (s *Store) EnqueueWebhooks(ctx context.Context, ws []*business.Webhook) error {
	err := s.tx(ctx, func(tx Querier) error { return s.insertWebhooks(ctx, tx, ws) })
	return s.wrap("enqueue webhooks", err)
}

// insertWebhooks adds webhooks to the outbox in tx, setting their ids (0
// for a key already there).
func (s *Store) insertWebhooks(ctx context.Context, tx Querier, ws []*business.Webhook) error {
	for _, w := range ws {
		err := tx.QueryRow(ctx, `INSERT INTO webhook_outbox (business_id, key, conv_key, payload, status, attempts,
			next_attempt_at, last_error, created_at, delivered_at) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (key) DO NOTHING RETURNING id`, w.BusinessID, w.Key, w.ConvKey, w.Payload, string(w.Status), w.Attempts,
			s.ts(w.NextAttemptAt), w.LastError, s.ts(w.CreatedAt), s.ts(w.DeliveredAt)).Scan(&w.ID)
		if noRows(err) {
			w.ID = 0
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ClaimWebhooks leases due webhooks: per conversation, none while an older
// pending one has never been attempted (it is in flight or due first), so
// the conversation keeps its order until one fails; a failed one no longer
// holds the others back. Where several nodes share the database, rows
// another claim holds are skipped.
func (s *Store) ClaimWebhooks(ctx context.Context, now, leaseUntil time.Time, limit int, skip []int64) ([]business.Webhook, error) {
	skipSQL := ""
	args := []any{s.ts(leaseUntil), s.ts(now)}
	if len(skip) > 0 {
		skipSQL = ` AND o.business_id NOT IN (?` + strings.Repeat(",?", len(skip)-1) + `)`
		for _, id := range skip {
			args = append(args, id)
		}
	}
	args = append(args, limit)
	ws, err := queryAll(ctx, s.w, `UPDATE webhook_outbox SET next_attempt_at = ? WHERE id IN (
		SELECT o.id FROM webhook_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?`+skipSQL+`
		AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.status = 'pending' AND p.business_id = o.business_id
			AND p.conv_key = o.conv_key AND p.id < o.id AND p.attempts = 0)
		ORDER BY o.next_attempt_at, o.id LIMIT ?`+s.d.SkipLocked()+`) RETURNING `+webhookCols, scanWebhook, args...)
	return ws, s.wrap("claim webhooks", err)
}

// ReleaseWebhooks makes claimed, unattempted webhooks due at t.
func (s *Store) ReleaseWebhooks(ctx context.Context, ids []int64, t time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{s.ts(t)}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.w.Exec(ctx, `UPDATE webhook_outbox SET next_attempt_at = ? WHERE status = 'pending' AND id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`)`, args...)
	return s.wrap("release webhooks", err)
}

// FinishWebhook logs an attempt and stores the webhook's new state.
func (s *Store) FinishWebhook(ctx context.Context, w business.Webhook, a business.WebhookAttempt) error {
	return s.FinishWebhooks(ctx, []business.Webhook{w}, []business.WebhookAttempt{a})
}

// FinishWebhooks logs attempts and stores the webhooks' new states.
func (s *Store) FinishWebhooks(ctx context.Context, ws []business.Webhook, as []business.WebhookAttempt) error {
	err := s.tx(ctx, func(tx Querier) error {
		for i, w := range ws {
			a := as[i]
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (webhook_id, attempt, at, status_code, error, duration)
				VALUES (?,?,?,?,?,?) ON CONFLICT (webhook_id, attempt) DO NOTHING`,
				a.WebhookID, a.Attempt, s.ts(a.At), a.StatusCode, a.Error, int64(a.Duration)); err != nil {
				return err
			}
			if err := affected(tx.Exec(ctx, `UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
				delivered_at = ? WHERE id = ?`, string(w.Status), w.Attempts, s.ts(w.NextAttemptAt), w.LastError, s.ts(w.DeliveredAt), w.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("finish webhooks", err)
}

// ListWebhooks returns a business's webhooks, newest first.
func (s *Store) ListWebhooks(ctx context.Context, businessID, before int64, limit int) ([]business.Webhook, error) {
	ws, err := queryAll(ctx, s.r, `SELECT `+webhookCols+` FROM webhook_outbox WHERE business_id = ? AND (CAST(? AS BIGINT) = 0 OR id < ?)
		ORDER BY id DESC LIMIT ?`, scanWebhook, businessID, before, before, limit)
	return ws, s.wrap("list webhooks", err)
}

// WebhookAttempts returns a webhook's attempts, oldest first.
func (s *Store) WebhookAttempts(ctx context.Context, webhookID int64) ([]business.WebhookAttempt, error) {
	as, err := queryAll(ctx, s.r, `SELECT webhook_id, attempt, at, status_code, error, duration FROM webhook_attempts
		WHERE webhook_id = ? ORDER BY attempt`, func(sc Row) (business.WebhookAttempt, error) {
		var a business.WebhookAttempt
		var d int64
		err := sc.Scan(&a.WebhookID, &a.Attempt, tcol(&a.At), &a.StatusCode, &a.Error, &d)
		a.Duration = time.Duration(d)
		return a, err
	}, webhookID)
	return as, s.wrap("webhook attempts", err)
}

// ReplayWebhook makes a webhook pending and due at t.
func (s *Store) ReplayWebhook(ctx context.Context, businessID, id int64, t time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE webhook_outbox SET status = 'pending', next_attempt_at = ? WHERE business_id = ? AND id = ?`,
		s.ts(t), businessID, id))
	return s.wrap("replay webhook", err)
}

// AppendUsage inserts new ledger entries.
func (s *Store) AppendUsage(ctx context.Context, us []*billing.UsageEntry) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx Querier) error {
		for _, u := range us {
			err := tx.QueryRow(ctx, `INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
				pricing_type, model, billable, message_id, at, in_window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING RETURNING id`,
				u.Key, u.BusinessID, u.NumberID, string(u.Event), u.Category, u.Country, u.PricingType, u.Model, u.Billable,
				u.MessageID, s.ts(u.At), u.InWindow).Scan(&u.ID)
			if noRows(err) {
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
		return 0, s.wrap("append usage", err)
	}
	return n, nil
}

// ListUsage returns ledger entries.
func (s *Store) ListUsage(ctx context.Context, businessID, after int64, limit int) ([]billing.UsageEntry, error) {
	us, err := queryAll(ctx, s.r, `SELECT id, key, business_id, number_id, event, category, country, pricing_type, model,
		billable, message_id, at, amount_minor, currency, channel_id, ref, in_window FROM usage_ledger WHERE (CAST(? AS BIGINT) = 0 OR business_id = ?) AND id > ? ORDER BY id LIMIT ?`,
		func(sc Row) (billing.UsageEntry, error) {
			var u billing.UsageEntry
			err := sc.Scan(&u.ID, &u.Key, &u.BusinessID, &u.NumberID, &u.Event, &u.Category, &u.Country, &u.PricingType,
				&u.Model, &u.Billable, &u.MessageID, tcol(&u.At), &u.AmountMinor, &u.Currency, &u.ChannelID, &u.Ref, &u.InWindow)
			return u, err
		}, businessID, businessID, after, limit)
	return us, s.wrap("list usage", err)
}

const linkCols = `id, business_id, number_id, code, prefill, source, clicks, chats, replies, created_at`

func scanLink(sc Row) (business.Link, error) {
	var l business.Link
	var src string
	err := sc.Scan(&l.ID, &l.BusinessID, &l.NumberID, &l.Code, &l.Prefill, &src, &l.Clicks, &l.Chats, &l.Replies, tcol(&l.CreatedAt))
	if err == nil && src != "" {
		l.Source = new(wire.Referral)
		err = json.Unmarshal([]byte(src), l.Source)
	}
	return l, err
}

// CreateLink inserts l and sets l.ID.
func (s *Store) CreateLink(ctx context.Context, l *business.Link) error {
	src := ""
	if l.Source != nil {
		b, _ := json.Marshal(l.Source)
		src = string(b)
	}
	err := s.w.QueryRow(ctx, `INSERT INTO ctc_links (business_id, number_id, code, prefill, source, created_at)
		VALUES (?,?,?,?,?,?) RETURNING id`, l.BusinessID, l.NumberID, l.Code, l.Prefill, src, s.ts(l.CreatedAt)).Scan(&l.ID)
	return s.wrap("create link", err)
}

// GetLink returns a link, or ErrNotFound.
func (s *Store) GetLink(ctx context.Context, id int64) (business.Link, error) {
	l, err := scanLink(s.r.QueryRow(ctx, `SELECT `+linkCols+` FROM ctc_links WHERE id = ?`, id))
	return l, s.wrap("get link", err)
}

// LinkByCode returns a link, or ErrNotFound.
func (s *Store) LinkByCode(ctx context.Context, code string) (business.Link, error) {
	l, err := scanLink(s.r.QueryRow(ctx, `SELECT `+linkCols+` FROM ctc_links WHERE code = ?`, code))
	return l, s.wrap("link by code", err)
}

// ListLinks returns a business's links.
func (s *Store) ListLinks(ctx context.Context, businessID int64) ([]business.Link, error) {
	ls, err := queryAll(ctx, s.r, `SELECT `+linkCols+` FROM ctc_links WHERE business_id = ? ORDER BY id`, scanLink, businessID)
	return ls, s.wrap("list links", err)
}

// CreateClick inserts a click and counts it.
func (s *Store) CreateClick(ctx context.Context, c business.Click) error {
	err := s.tx(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ctc_clicks (id, link_id, at) VALUES (?,?,?)`, c.ID, c.LinkID, s.ts(c.At)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE ctc_links SET clicks = clicks + 1 WHERE id = ?`, c.LinkID)
		return err
	})
	return s.wrap("create click", err)
}

// GetClick returns a click, or ErrNotFound.
func (s *Store) GetClick(ctx context.Context, id string) (business.Click, error) {
	c := business.Click{ID: id}
	err := s.r.QueryRow(ctx, `SELECT link_id, at FROM ctc_clicks WHERE id = ?`, id).Scan(&c.LinkID, tcol(&c.At))
	return c, s.wrap("get click", err)
}

// CountLink adds one to a link counter (chats or replies).
func (s *Store) CountLink(ctx context.Context, linkID int64, field string) error {
	if field != "chats" && field != "replies" {
		return fmt.Errorf("count link: unknown counter %q", field)
	}
	err := affected(s.w.Exec(ctx, `UPDATE ctc_links SET `+field+` = `+field+` + 1 WHERE id = ?`, linkID))
	return s.wrap("count link", err)
}

// CommitBusiness writes a batch of business writes in one transaction.
func (s *Store) CommitBusiness(ctx context.Context, b *business.Batch) error {
	err := s.tx(ctx, func(tx Querier) error { return s.commitBusinessTx(ctx, tx, b) })
	return s.wrap("commit business", err)
}

// WriteBusiness writes a business batch in tx, a transaction of s's
// database: the message hot path commits it with the messages.
func WriteBusiness(ctx context.Context, s *Store, tx Querier, b *business.Batch) error {
	return s.commitBusinessTx(ctx, tx, b)
}

// commitBusinessTx writes a business batch in tx.
func (s *Store) commitBusinessTx(ctx context.Context, tx Querier, b *business.Batch) error {
	for _, m := range b.Messages {
		if _, err := tx.Exec(ctx, `INSERT INTO business_messages (number_id, id, outbound, chat_id, customer_id, customer_phone,
			category, pricing_type, billable, conversation_opened, callback_data, created_at, template_id, in_window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (number_id, id) DO NOTHING`,
			m.NumberID, m.ID, m.Outbound, m.ChatID, m.CustomerID, m.CustomerPhone, m.Category, m.PricingType, m.Billable,
			m.ConversationOpened, m.CallbackData, s.ts(m.CreatedAt), m.TemplateID, m.InWindow); err != nil {
			return err
		}
	}
	for _, c := range b.Conversations {
		if _, err := tx.Exec(ctx, `INSERT INTO business_conversations (number_id, customer_id, chat_id, last_inbound_at, entry_point_at,
			entry_point_until, entry_point_link, replied, marketing_opt_out, conversation_until) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (number_id, customer_id) DO UPDATE SET chat_id = excluded.chat_id, last_inbound_at = CASE WHEN excluded.last_inbound_at IS NULL
				OR business_conversations.last_inbound_at > excluded.last_inbound_at
				THEN business_conversations.last_inbound_at ELSE excluded.last_inbound_at END,
			entry_point_at = excluded.entry_point_at, entry_point_until = excluded.entry_point_until,
			entry_point_link = excluded.entry_point_link, replied = excluded.replied, marketing_opt_out = excluded.marketing_opt_out,
			conversation_until = excluded.conversation_until`,
			c.NumberID, c.CustomerID, c.ChatID, s.ts(c.LastInboundAt), s.ts(c.EntryPointAt), s.ts(c.EntryPointUntil), c.EntryPointLink,
			c.Replied, c.MarketingOptOut, encodeUntil(c.ConversationUntil)); err != nil {
			return err
		}
	}
	for _, l := range b.OrderLinks {
		if _, err := tx.Exec(ctx, `UPDATE orders SET chat_id = ?, customer_id = ?, message_id = ? WHERE id = ?`,
			l.ChatID, l.CustomerID, l.MessageID, l.OrderID); err != nil {
			return err
		}
	}
	for _, r := range b.Reach {
		if _, err := tx.Exec(ctx, `INSERT INTO business_reach (number_id, customer_id, at) VALUES (?,?,?)
			ON CONFLICT (number_id, customer_id) DO UPDATE SET at = excluded.at`, r.NumberID, r.CustomerID, s.ts(r.At)); err != nil {
			return err
		}
	}
	if err := s.insertWebhooks(ctx, tx, b.Webhooks); err != nil {
		return err
	}
	for _, u := range b.Usage {
		err := tx.QueryRow(ctx, `INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
			pricing_type, model, billable, message_id, at, in_window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING RETURNING id`,
			u.Key, u.BusinessID, u.NumberID, string(u.Event), u.Category, u.Country, u.PricingType, u.Model, u.Billable,
			u.MessageID, s.ts(u.At), u.InWindow).Scan(&u.ID)
		if noRows(err) {
			u.ID = 0
			continue
		}
		if err != nil {
			return err
		}
	}
	return s.commitCharges(ctx, tx, b.Charges)
}

// PruneBusiness deletes old business rows, up to limit per table.
func (s *Store) PruneBusiness(ctx context.Context, p business.BusinessPrune, limit int) (int, error) {
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
		n, err := s.w.Exec(ctx, q.sql, s.ts(q.before), limit)
		if err != nil {
			return total, s.wrap("prune business", err)
		}
		total += int(n)
	}
	if !p.Webhooks.IsZero() {
		err := s.tx(ctx, func(tx Querier) error {
			ids := `SELECT id FROM webhook_outbox WHERE status != 'pending' AND created_at < ? ORDER BY id LIMIT ?`
			if _, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE webhook_id IN (`+ids+`)`, s.ts(p.Webhooks), limit); err != nil {
				return err
			}
			n, err := tx.Exec(ctx, `DELETE FROM webhook_outbox WHERE id IN (`+ids+`)`, s.ts(p.Webhooks), limit)
			total += int(n)
			return err
		})
		if err != nil {
			return total, s.wrap("prune webhooks", err)
		}
	}
	return total, nil
}

// PauseTemplate writes a template's status with its pause.
func (s *Store) PauseTemplate(ctx context.Context, id int64, status business.TemplateStatus, reason string, until time.Time, pauses int, at time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE templates SET status = ?, reason = ?, paused_until = ?, pauses = ?, updated_at = ? WHERE id = ?`,
		string(status), reason, s.ts(until), pauses, s.ts(at), id))
	return s.wrap("pause template", err)
}

// SetTemplateCategory writes a category changed by review or the
// operator, with the one it replaces.
func (s *Store) SetTemplateCategory(ctx context.Context, id int64, category, previous business.TemplateCategory, at time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE templates SET category = ?, previous_category = ?, updated_at = ? WHERE id = ?`,
		string(category), string(previous), s.ts(at), id))
	return s.wrap("set template category", err)
}

// AddTemplateSignal counts a block or report against the last template
// the number sent the customer since.
func (s *Store) AddTemplateSignal(ctx context.Context, numberID, customerID int64, kind string, since, at time.Time) (int64, int, error) {
	var id int64
	var n int
	err := s.tx(ctx, func(tx Querier) error {
		err := tx.QueryRow(ctx, `SELECT template_id FROM business_messages WHERE number_id = ? AND customer_id = ? AND template_id != 0
			AND outbound AND created_at >= ? ORDER BY created_at DESC LIMIT 1`, numberID, customerID, s.ts(since)).Scan(&id)
		if noRows(err) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO template_quality (template_id, customer_id, kind, at) VALUES (?,?,?,?)
			ON CONFLICT (template_id, customer_id, kind) DO UPDATE SET at = excluded.at`, id, customerID, kind, s.ts(at)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM template_quality WHERE template_id = ? AND at >= ?`, id, s.ts(since)).Scan(&n)
	})
	return id, n, s.wrap("add template signal", err)
}

// EditTemplate writes an edited template's category, components,
// status, reason and time.
func (s *Store) EditTemplate(ctx context.Context, t business.Template) error {
	comps, err := json.Marshal(t.Components)
	if err != nil {
		return fmt.Errorf("edit template: %w", err)
	}
	err = affected(s.w.Exec(ctx, `UPDATE templates SET category = ?, components = ?, status = ?, reason = ?, updated_at = ? WHERE id = ?`,
		string(t.Category), string(comps), string(t.Status), t.Reason, s.ts(t.UpdatedAt), t.ID))
	return s.wrap("edit template", err)
}

// DeleteTemplate deletes one template of the business, or returns
// ErrNotFound.
func (s *Store) DeleteTemplate(ctx context.Context, businessID, id int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM templates WHERE business_id = ? AND id = ?`, businessID, id))
	return s.wrap("delete template", err)
}

// RememberUserID records a business-scoped user id given to a business.
func (s *Store) RememberUserID(ctx context.Context, businessID int64, userID string, accountID int64) error {
	_, err := s.w.Exec(ctx, `INSERT INTO business_user_ids (business_id, user_id, account_id) VALUES (?,?,?)
		ON CONFLICT (business_id, user_id) DO NOTHING`, businessID, userID, accountID)
	return s.wrap("remember user id", err)
}

// AccountOfUserID returns the account a business's user id names, or
// ErrNotFound.
func (s *Store) AccountOfUserID(ctx context.Context, businessID int64, userID string) (int64, error) {
	var id int64
	err := s.r.QueryRow(ctx, `SELECT account_id FROM business_user_ids WHERE business_id = ? AND user_id = ?`, businessID, userID).Scan(&id)
	return id, s.wrap("account of user id", err)
}
