package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

const chatCols = `id, kind, subject, only_admins_send, disappear_after, COALESCE(direct_key, ''),
	created_by, created_at, last_seq`

func scanChat(row pgx.Row) (chat.Chat, error) {
	var c chat.Chat
	var after int64
	err := row.Scan(&c.ID, &c.Kind, &c.Subject, &c.OnlyAdminsSend, &after, &c.DirectKey,
		&c.CreatedBy, tcol(&c.CreatedAt), &c.LastSeq)
	c.DisappearAfter = time.Duration(after)
	return c, err
}

// nullString is NULL for "" so that only direct chats take part in the
// unique index on direct_key.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateChat inserts c with its members and sets c.ID. It returns EConflict
// if c.DirectKey is taken, and ErrNotFound if a member's account does not
// exist.
func (db *DB) CreateChat(ctx context.Context, c *chat.Chat, members []chat.Member) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO chats (kind, subject, only_admins_send, disappear_after, direct_key, created_by, created_at, last_seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT DO NOTHING
			RETURNING id`,
			string(c.Kind), c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), nullString(c.DirectKey),
			c.CreatedBy, ts(c.CreatedAt), c.LastSeq).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return parley.Errorf(parley.EConflict, "direct chat already exists")
		}
		if err != nil {
			return err
		}
		if err := insertMembers(ctx, tx, id, members); err != nil {
			return err
		}
		c.ID = id
		return nil
	})
	return wrap("create chat", err)
}

// insertMembers inserts members into chatID, leaving existing ones as they
// are.
func insertMembers(ctx context.Context, tx pgx.Tx, chatID int64, members []chat.Member) error {
	if len(members) == 0 {
		return nil
	}
	accounts := make([]int64, len(members))
	roles := make([]string, len(members))
	joined := make([]pgtype.Timestamptz, len(members))
	for i, m := range members {
		accounts[i], roles[i], joined[i] = m.AccountID, string(m.Role), ts(m.JoinedAt)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO chat_members (chat_id, account_id, role, joined_at)
		SELECT $1, m.account_id, m.role, m.joined_at
		FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS m(account_id, role, joined_at)
		ORDER BY m.account_id
		ON CONFLICT DO NOTHING`,
		chatID, accounts, roles, joined)
	return err
}

// GetChat returns the chat, or ErrNotFound.
func (db *DB) GetChat(ctx context.Context, id int64) (chat.Chat, error) {
	c, err := scanChat(db.pool.QueryRow(ctx, `SELECT `+chatCols+` FROM chats WHERE id = $1`, id))
	if err != nil {
		return chat.Chat{}, wrap("get chat", err)
	}
	return c, nil
}

// GetDirectChat returns the direct chat with that key, or ErrNotFound.
func (db *DB) GetDirectChat(ctx context.Context, key string) (chat.Chat, error) {
	c, err := scanChat(db.pool.QueryRow(ctx, `SELECT `+chatCols+` FROM chats WHERE direct_key = $1`, key))
	if err != nil {
		return chat.Chat{}, wrap("get direct chat", err)
	}
	return c, nil
}

// UpdateChat writes Subject, OnlyAdminsSend and DisappearAfter, or returns
// ErrNotFound.
func (db *DB) UpdateChat(ctx context.Context, c chat.Chat) error {
	err := mustAffect(db.pool.Exec(ctx, `UPDATE chats SET subject = $1, only_admins_send = $2, disappear_after = $3 WHERE id = $4`,
		c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), c.ID))
	return wrap("update chat", err)
}

// ListChats returns the chats accountID is a member of, highest LastSeq
// (then ID) first.
func (db *DB) ListChats(ctx context.Context, accountID int64) ([]chat.Chat, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+chatCols+` FROM chats
		WHERE id IN (SELECT chat_id FROM chat_members WHERE account_id = $1)
		ORDER BY last_seq DESC, id DESC`, accountID)
	cs, err := collect(rows, err, scanChat)
	return cs, wrap("list chats", err)
}

const memberCols = `chat_id, account_id, role, joined_at`

func scanMember(row pgx.Row) (chat.Member, error) {
	var m chat.Member
	err := row.Scan(&m.ChatID, &m.AccountID, &m.Role, tcol(&m.JoinedAt))
	return m, err
}

// Members returns the chat's members, ascending by account id.
func (db *DB) Members(ctx context.Context, chatID int64) ([]chat.Member, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+memberCols+` FROM chat_members WHERE chat_id = $1 ORDER BY account_id`, chatID)
	ms, err := collect(rows, err, scanMember)
	return ms, wrap("members", err)
}

// GetMember returns one membership, or ErrNotFound.
func (db *DB) GetMember(ctx context.Context, chatID, accountID int64) (chat.Member, error) {
	m, err := scanMember(db.pool.QueryRow(ctx, `SELECT `+memberCols+` FROM chat_members
		WHERE chat_id = $1 AND account_id = $2`, chatID, accountID))
	if err != nil {
		return chat.Member{}, wrap("get member", err)
	}
	return m, nil
}

// AddMembers adds members, leaving existing ones as they are. It returns
// ELimit if the chat would exceed limit members, and ErrNotFound if the chat
// or an account does not exist; either way nothing is added.
func (db *DB) AddMembers(ctx context.Context, chatID int64, members []chat.Member, limit int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Locking the chat row serializes membership changes that count.
		if err := tx.QueryRow(ctx, `SELECT id FROM chats WHERE id = $1 FOR NO KEY UPDATE`, chatID).Scan(&chatID); err != nil {
			return err
		}
		if err := insertMembers(ctx, tx, chatID, members); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM chat_members WHERE chat_id = $1`, chatID).Scan(&n); err != nil {
			return err
		}
		if n > limit {
			return parley.Errorf(parley.ELimit, "a chat may have at most %d members", limit)
		}
		return nil
	})
	return wrap("add members", err)
}

// RemoveMember removes a membership, or returns ErrNotFound.
func (db *DB) RemoveMember(ctx context.Context, chatID, accountID int64) error {
	err := mustAffect(db.pool.Exec(ctx, `DELETE FROM chat_members WHERE chat_id = $1 AND account_id = $2`, chatID, accountID))
	return wrap("remove member", err)
}

// SetRole changes a member's role, or returns ErrNotFound.
func (db *DB) SetRole(ctx context.Context, chatID, accountID int64, role chat.Role) error {
	err := mustAffect(db.pool.Exec(ctx, `UPDATE chat_members SET role = $1 WHERE chat_id = $2 AND account_id = $3`,
		string(role), chatID, accountID))
	return wrap("set role", err)
}

// SharesDirectChat reports whether a and b are both members of a direct chat.
func (db *DB) SharesDirectChat(ctx context.Context, a, b int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM chat_members ma
		JOIN chat_members mb ON mb.chat_id = ma.chat_id AND mb.account_id = $1
		JOIN chats c ON c.id = ma.chat_id AND c.kind = 'direct'
		WHERE ma.account_id = $2)`, b, a).Scan(&ok)
	return ok, wrap("shares direct chat", err)
}
