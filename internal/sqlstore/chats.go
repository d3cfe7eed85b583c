package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

const chatCols = `id, kind, subject, only_admins_send, disappear_after, COALESCE(direct_key, ''),
	created_by, created_at, last_seq`

func scanChat(sc Row) (chat.Chat, error) {
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
func (s *Store) CreateChat(ctx context.Context, c *chat.Chat, members []chat.Member) error {
	err := s.tx(ctx, func(tx Querier) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO chats (kind, subject, only_admins_send, disappear_after, direct_key, created_by, created_at, last_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING
			RETURNING id`,
			string(c.Kind), c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), nullString(c.DirectKey),
			c.CreatedBy, s.ts(c.CreatedAt), c.LastSeq).Scan(&id)
		if noRows(err) {
			return parley.Errorf(parley.EConflict, "direct chat already exists")
		}
		if err != nil {
			return err
		}
		if err := s.insertMembers(ctx, tx, id, members); err != nil {
			return err
		}
		c.ID = id
		return nil
	})
	return s.wrap("create chat", err)
}

// insertMembers inserts members into chatID, leaving existing ones as they
// are. Rows go in account order, so that concurrent inserts lock the
// accounts they reference in the same order, a few hundred a statement.
func (s *Store) insertMembers(ctx context.Context, tx Querier, chatID int64, members []chat.Member) error {
	ms := slices.SortedFunc(slices.Values(members), func(a, b chat.Member) int { return cmp.Compare(a.AccountID, b.AccountID) })
	for chunk := range slices.Chunk(ms, 256) {
		args := make([]any, 0, 4*len(chunk))
		for _, m := range chunk {
			args = append(args, chatID, m.AccountID, string(m.Role), s.ts(m.JoinedAt))
		}
		_, err := tx.Exec(ctx, `INSERT INTO chat_members (chat_id, account_id, role, joined_at) VALUES `+
			values(len(chunk), 4)+` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// GetChat returns the chat, or ErrNotFound.
func (s *Store) GetChat(ctx context.Context, id int64) (chat.Chat, error) {
	c, err := scanChat(s.r.QueryRow(ctx, `SELECT `+chatCols+` FROM chats WHERE id = ?`, id))
	if err != nil {
		return chat.Chat{}, s.wrap("get chat", err)
	}
	return c, nil
}

// GetDirectChat returns the direct chat with that key, or ErrNotFound.
func (s *Store) GetDirectChat(ctx context.Context, key string) (chat.Chat, error) {
	c, err := scanChat(s.r.QueryRow(ctx, `SELECT `+chatCols+` FROM chats WHERE direct_key = ?`, key))
	if err != nil {
		return chat.Chat{}, s.wrap("get direct chat", err)
	}
	return c, nil
}

// UpdateChat writes Subject, OnlyAdminsSend and DisappearAfter, or returns
// ErrNotFound.
func (s *Store) UpdateChat(ctx context.Context, c chat.Chat) error {
	err := affected(s.w.Exec(ctx, `UPDATE chats SET subject = ?, only_admins_send = ?, disappear_after = ? WHERE id = ?`,
		c.Subject, c.OnlyAdminsSend, int64(c.DisappearAfter), c.ID))
	return s.wrap("update chat", err)
}

// ListChats returns the chats accountID is a member of, highest LastSeq
// (then ID) first.
func (s *Store) ListChats(ctx context.Context, accountID int64) ([]chat.Chat, error) {
	rows, err := s.r.Query(ctx, `SELECT `+chatCols+` FROM chats
		WHERE id IN (SELECT chat_id FROM chat_members WHERE account_id = ?)
		ORDER BY last_seq DESC, id DESC`, accountID)
	cs, err := collect(rows, err, scanChat)
	return cs, s.wrap("list chats", err)
}

const memberCols = `chat_id, account_id, role, joined_at`

func scanMember(sc Row) (chat.Member, error) {
	var m chat.Member
	err := sc.Scan(&m.ChatID, &m.AccountID, &m.Role, tcol(&m.JoinedAt))
	return m, err
}

// Members returns the chat's members, ascending by account id.
func (s *Store) Members(ctx context.Context, chatID int64) ([]chat.Member, error) {
	rows, err := s.r.Query(ctx, `SELECT `+memberCols+` FROM chat_members WHERE chat_id = ? ORDER BY account_id`, chatID)
	ms, err := collect(rows, err, scanMember)
	return ms, s.wrap("members", err)
}

// GetMember returns one membership, or ErrNotFound.
func (s *Store) GetMember(ctx context.Context, chatID, accountID int64) (chat.Member, error) {
	m, err := scanMember(s.r.QueryRow(ctx, `SELECT `+memberCols+` FROM chat_members
		WHERE chat_id = ? AND account_id = ?`, chatID, accountID))
	if err != nil {
		return chat.Member{}, s.wrap("get member", err)
	}
	return m, nil
}

// AddMembers adds members, leaving existing ones as they are. It returns
// ELimit if the chat would exceed limit members, and ErrNotFound if the chat
// or an account does not exist; either way nothing is added.
func (s *Store) AddMembers(ctx context.Context, chatID int64, members []chat.Member, limit int) error {
	err := s.tx(ctx, func(tx Querier) error {
		// Locking the chat row serializes membership changes that count.
		if err := s.lockRow(ctx, tx, "chats", chatID); err != nil {
			return err
		}
		if err := s.insertMembers(ctx, tx, chatID, members); err != nil {
			return err
		}
		// Counting after the insert handles existing members and
		// duplicates in members; the lock makes it atomic, and the error
		// rolls the insert back.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM chat_members WHERE chat_id = ?`, chatID).Scan(&n); err != nil {
			return err
		}
		if n > limit {
			return parley.Errorf(parley.ELimit, "a chat may have at most %d members", limit)
		}
		return nil
	})
	return s.wrap("add members", err)
}

// RemoveMember removes a membership, or returns ErrNotFound.
func (s *Store) RemoveMember(ctx context.Context, chatID, accountID int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM chat_members WHERE chat_id = ? AND account_id = ?`, chatID, accountID))
	return s.wrap("remove member", err)
}

// SetRole changes a member's role, or returns ErrNotFound.
func (s *Store) SetRole(ctx context.Context, chatID, accountID int64, role chat.Role) error {
	err := affected(s.w.Exec(ctx, `UPDATE chat_members SET role = ? WHERE chat_id = ? AND account_id = ?`,
		string(role), chatID, accountID))
	return s.wrap("set role", err)
}

// SharesDirectChat reports whether a and b are both members of a direct chat.
func (s *Store) SharesDirectChat(ctx context.Context, a, b int64) (bool, error) {
	var ok bool
	err := s.r.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM chat_members ma
		JOIN chat_members mb ON mb.chat_id = ma.chat_id AND mb.account_id = ?
		JOIN chats c ON c.id = ma.chat_id AND c.kind = 'direct'
		WHERE ma.account_id = ?)`, b, a).Scan(&ok)
	return ok, s.wrap("shares direct chat", err)
}
