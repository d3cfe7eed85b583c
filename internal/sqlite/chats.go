package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

const chatCols = `id, kind, subject, only_admins_send, disappear_after, COALESCE(direct_key, ''),
	created_by, created_at, last_seq`

func scanChat(sc interface{ Scan(...any) error }) (chat.Chat, error) {
	var c chat.Chat
	var after int64
	err := sc.Scan(&c.ID, &c.Kind, &c.Subject, &c.OnlyAdminsSend, &after, &c.DirectKey,
		&c.CreatedBy, tcol(&c.CreatedAt), &c.LastSeq)
	c.DisappearAfter = time.Duration(after)
	return c, err
}

// nullString is NULL for "" so that only direct chats take part in the
// unique index on direct_key.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateChat inserts c with its members and sets c.ID. It returns EConflict
// if c.DirectKey is taken, and ErrNotFound if a member's account does not
// exist.
func (db *DB) CreateChat(ctx context.Context, c *chat.Chat, members []chat.Member) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
			INSERT INTO chats (kind, subject, only_admins_send, disappear_after, direct_key, created_by, created_at, last_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING
			RETURNING id`,
			c.Kind, c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), nullString(c.DirectKey),
			c.CreatedBy, ns(c.CreatedAt), c.LastSeq).Scan(&id)
		if err == sql.ErrNoRows {
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
func insertMembers(ctx context.Context, tx *sql.Tx, chatID int64, members []chat.Member) error {
	if len(members) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO chat_members (chat_id, account_id, role, joined_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, m := range members {
		if _, err := st.ExecContext(ctx, chatID, m.AccountID, m.Role, ns(m.JoinedAt)); err != nil {
			return err
		}
	}
	return nil
}

// GetChat returns the chat, or ErrNotFound.
func (db *DB) GetChat(ctx context.Context, id int64) (chat.Chat, error) {
	c, err := scanChat(db.r.QueryRowContext(ctx, `SELECT `+chatCols+` FROM chats WHERE id = ?`, id))
	if err != nil {
		return chat.Chat{}, wrap("get chat", err)
	}
	return c, nil
}

// GetDirectChat returns the direct chat with that key, or ErrNotFound.
func (db *DB) GetDirectChat(ctx context.Context, key string) (chat.Chat, error) {
	c, err := scanChat(db.r.QueryRowContext(ctx, `SELECT `+chatCols+` FROM chats WHERE direct_key = ?`, key))
	if err != nil {
		return chat.Chat{}, wrap("get direct chat", err)
	}
	return c, nil
}

// UpdateChat writes Subject, OnlyAdminsSend and DisappearAfter, or returns
// ErrNotFound.
func (db *DB) UpdateChat(ctx context.Context, c chat.Chat) error {
	res, err := db.w.ExecContext(ctx, `UPDATE chats SET subject = ?, only_admins_send = ?, disappear_after = ? WHERE id = ?`,
		c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), c.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("update chat", err)
}

// ListChats returns the chats accountID is a member of, highest LastSeq
// (then ID) first.
func (db *DB) ListChats(ctx context.Context, accountID int64) ([]chat.Chat, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+chatCols+` FROM chats
		WHERE id IN (SELECT chat_id FROM chat_members WHERE account_id = ?)
		ORDER BY last_seq DESC, id DESC`, accountID)
	if err != nil {
		return nil, wrap("list chats", err)
	}
	cs, err := collect(rows, scanChat)
	return cs, wrap("list chats", err)
}

const memberCols = `chat_id, account_id, role, joined_at`

func scanMember(sc interface{ Scan(...any) error }) (chat.Member, error) {
	var m chat.Member
	err := sc.Scan(&m.ChatID, &m.AccountID, &m.Role, tcol(&m.JoinedAt))
	return m, err
}

// Members returns the chat's members, ascending by account id.
func (db *DB) Members(ctx context.Context, chatID int64) ([]chat.Member, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+memberCols+` FROM chat_members WHERE chat_id = ? ORDER BY account_id`, chatID)
	if err != nil {
		return nil, wrap("members", err)
	}
	ms, err := collect(rows, scanMember)
	return ms, wrap("members", err)
}

// GetMember returns one membership, or ErrNotFound.
func (db *DB) GetMember(ctx context.Context, chatID, accountID int64) (chat.Member, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM chat_members
		WHERE chat_id = ? AND account_id = ?`, chatID, accountID))
	if err != nil {
		return chat.Member{}, wrap("get member", err)
	}
	return m, nil
}

// AddMembers adds members, leaving existing ones as they are. It returns
// ELimit if the chat would exceed limit members, and ErrNotFound if the chat
// or an account does not exist; either way nothing is added.
func (db *DB) AddMembers(ctx context.Context, chatID int64, members []chat.Member, limit int) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var exists bool
		var n int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM chats WHERE id = ?),
			(SELECT count(*) FROM chat_members WHERE chat_id = ?)`, chatID, chatID).Scan(&exists, &n)
		if err != nil {
			return err
		}
		if !exists {
			return parley.ErrNotFound
		}
		if err := insertMembers(ctx, tx, chatID, members); err != nil {
			return err
		}
		// Counting after the insert handles existing members and
		// duplicates in members; the write lock makes it atomic, and the
		// error rolls the insert back.
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_members WHERE chat_id = ?`, chatID).Scan(&n); err != nil {
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
	res, err := db.w.ExecContext(ctx, `DELETE FROM chat_members WHERE chat_id = ? AND account_id = ?`, chatID, accountID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("remove member", err)
}

// SetRole changes a member's role, or returns ErrNotFound.
func (db *DB) SetRole(ctx context.Context, chatID, accountID int64, role chat.Role) error {
	res, err := db.w.ExecContext(ctx, `UPDATE chat_members SET role = ? WHERE chat_id = ? AND account_id = ?`,
		role, chatID, accountID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("set role", err)
}

// SharesDirectChat reports whether a and b are both members of a direct chat.
func (db *DB) SharesDirectChat(ctx context.Context, a, b int64) (bool, error) {
	var ok bool
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS (
		SELECT 1 FROM chat_members ma
		JOIN chat_members mb ON mb.chat_id = ma.chat_id AND mb.account_id = ?
		JOIN chats c ON c.id = ma.chat_id AND c.kind = 'direct'
		WHERE ma.account_id = ?)`, b, a).Scan(&ok)
	return ok, wrap("shares direct chat", err)
}
