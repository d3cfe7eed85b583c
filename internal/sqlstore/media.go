package sqlstore

import (
	"context"

	"github.com/parleyhq/parley/chat"
)

// CreateMedia inserts m. It returns EConflict if m.ID is taken.
func (s *Store) CreateMedia(ctx context.Context, m chat.Media) error {
	_, err := s.w.Exec(ctx, `INSERT INTO media (id, sha256, size, content_type, owner_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, m.ID, m.SHA256, m.Size, m.ContentType, m.OwnerID, s.ts(m.CreatedAt))
	return s.wrap("create media", err)
}

// GetMedia returns the media, or ErrNotFound.
func (s *Store) GetMedia(ctx context.Context, id string) (chat.Media, error) {
	m := chat.Media{ID: id}
	err := s.r.QueryRow(ctx, `SELECT sha256, size, content_type, owner_id, created_at FROM media WHERE id = ?`, id).
		Scan(&m.SHA256, &m.Size, &m.ContentType, &m.OwnerID, tcol(&m.CreatedAt))
	if err != nil {
		return chat.Media{}, s.wrap("get media", err)
	}
	return m, nil
}

// AttachMedia makes the media downloadable by members of chatID. It
// returns ErrNotFound if the media or the chat does not exist.
func (s *Store) AttachMedia(ctx context.Context, mediaID string, chatID int64) error {
	_, err := s.w.Exec(ctx, `INSERT INTO media_chats (media_id, chat_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		mediaID, chatID)
	return s.wrap("attach media", err)
}

// MediaVisibleTo reports whether accountID is a member of a chat the media
// is attached to.
func (s *Store) MediaVisibleTo(ctx context.Context, mediaID string, accountID int64) (bool, error) {
	var ok bool
	err := s.r.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM media_chats mc
		JOIN chat_members m ON m.chat_id = mc.chat_id AND m.account_id = ?
		WHERE mc.media_id = ?)`, accountID, mediaID).Scan(&ok)
	return ok, s.wrap("media visible to", err)
}

// DeleteMedia deletes the media and its attachments, or returns
// ErrNotFound.
func (s *Store) DeleteMedia(ctx context.Context, id string) error {
	err := s.tx(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `DELETE FROM media_chats WHERE media_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM channel_media WHERE media_id = ?`, id); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM media WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(n)
	})
	return s.wrap("delete media", err)
}
