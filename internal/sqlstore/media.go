package sqlstore

import (
	"context"
	"time"

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

// MediaUsage returns the bytes of the media ownerID uploaded that are
// still kept.
func (s *Store) MediaUsage(ctx context.Context, ownerID int64) (int64, error) {
	var n int64
	err := s.r.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM media WHERE owner_id = ?`, ownerID).Scan(&n)
	return n, s.wrap("media usage", err)
}

// unreferencedMedia selects media created before a time that nothing
// refers to: no avatar, channel picture, channel post or channel_media
// row, and no inbox entry pending in a chat it is attached to since it
// was uploaded (a message that may carry it).
const unreferencedMedia = `SELECT m.id, m.sha256 FROM media m
	WHERE m.created_at < ?
	AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_media_id = m.id)
	AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.picture_media_id = m.id)
	AND NOT EXISTS (SELECT 1 FROM channel_media cm WHERE cm.media_id = m.id)
	AND NOT EXISTS (SELECT 1 FROM channel_posts p WHERE p.media_id = m.id)
	AND NOT EXISTS (SELECT 1 FROM media_chats mc JOIN inbox i ON i.chat_id = mc.chat_id
		WHERE mc.media_id = m.id AND i.created_at >= m.created_at)
	AND NOT EXISTS (SELECT 1 FROM media_chats mc JOIN message_bodies b ON b.chat_id = mc.chat_id
		WHERE mc.media_id = m.id AND b.created_at >= m.created_at
		AND EXISTS (SELECT 1 FROM inbox_refs r WHERE r.body_id = b.id))
	ORDER BY m.created_at, m.id LIMIT ?`

// DeleteUnreferencedMedia deletes up to limit media created before
// before that nothing refers to any more, in one transaction, and
// reports which of their blobs no remaining media shares.
func (s *Store) DeleteUnreferencedMedia(ctx context.Context, before time.Time, limit int) ([]chat.SweptMedia, error) {
	var swept []chat.SweptMedia
	err := s.tx(ctx, func(tx Querier) error {
		swept = nil
		rows, err := tx.Query(ctx, unreferencedMedia, s.ts(before), limit)
		found, err := collect(rows, err, func(r Row) (chat.SweptMedia, error) {
			var m chat.SweptMedia
			return m, r.Scan(&m.ID, &m.SHA256)
		})
		if err != nil {
			return err
		}
		for _, m := range found {
			if _, err := tx.Exec(ctx, `DELETE FROM media_chats WHERE media_id = ?`, m.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM media WHERE id = ?`, m.ID); err != nil {
				return err
			}
		}
		for _, m := range found {
			var inUse bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?)`, m.SHA256).Scan(&inUse); err != nil {
				return err
			}
			m.Orphan = !inUse
			swept = append(swept, m)
		}
		return nil
	})
	return swept, s.wrap("delete unreferenced media", err)
}

// MediaBlobInUse reports whether any media refers to the blob sha256.
func (s *Store) MediaBlobInUse(ctx context.Context, sha256 string) (bool, error) {
	var ok bool
	err := s.r.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?)`, sha256).Scan(&ok)
	return ok, s.wrap("media blob in use", err)
}
