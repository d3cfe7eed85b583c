package postgres

import (
	"context"

	"github.com/parleyhq/parley/chat"
)

// CreateMedia inserts m. It returns EConflict if m.ID is taken.
func (db *DB) CreateMedia(ctx context.Context, m chat.Media) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO media (id, sha256, size, content_type, owner_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, m.SHA256, m.Size, m.ContentType, m.OwnerID, ts(m.CreatedAt))
	return wrap("create media", err)
}

// GetMedia returns the media, or ErrNotFound.
func (db *DB) GetMedia(ctx context.Context, id string) (chat.Media, error) {
	m := chat.Media{ID: id}
	err := db.pool.QueryRow(ctx, `SELECT sha256, size, content_type, owner_id, created_at FROM media WHERE id = $1`, id).
		Scan(&m.SHA256, &m.Size, &m.ContentType, &m.OwnerID, tcol(&m.CreatedAt))
	if err != nil {
		return chat.Media{}, wrap("get media", err)
	}
	return m, nil
}

// AttachMedia makes the media downloadable by members of chatID. It
// returns ErrNotFound if the media or the chat does not exist.
func (db *DB) AttachMedia(ctx context.Context, mediaID string, chatID int64) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO media_chats (media_id, chat_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		mediaID, chatID)
	return wrap("attach media", err)
}

// MediaVisibleTo reports whether accountID is a member of a chat the media
// is attached to.
func (db *DB) MediaVisibleTo(ctx context.Context, mediaID string, accountID int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM media_chats mc
		JOIN chat_members m ON m.chat_id = mc.chat_id AND m.account_id = $1
		WHERE mc.media_id = $2)`, accountID, mediaID).Scan(&ok)
	return ok, wrap("media visible to", err)
}

// DeleteMedia deletes the media and (by cascade) its attachments, or
// returns ErrNotFound.
func (db *DB) DeleteMedia(ctx context.Context, id string) error {
	return wrap("delete media", affected(db.bexec(ctx, `DELETE FROM media WHERE id = $1`, id)))
}
