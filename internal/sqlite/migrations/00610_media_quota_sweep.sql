-- +goose Up
-- The media quota sums an account's kept uploads; the media sweep finds
-- old media, checks what still refers to it, and whether another media
-- shares its blob (docs/SECURITY.md, "Media quotas and clean-up").
CREATE INDEX media_owner_id ON media (owner_id);
CREATE INDEX media_sha256 ON media (sha256);
CREATE INDEX media_created_at ON media (created_at);
CREATE INDEX accounts_avatar_media_id ON accounts (avatar_media_id) WHERE avatar_media_id <> '';
CREATE INDEX channels_picture_media_id ON channels (picture_media_id) WHERE picture_media_id <> '';
CREATE INDEX channel_posts_media_id ON channel_posts (media_id) WHERE media_id <> '';

-- +goose Down
DROP INDEX channel_posts_media_id;
DROP INDEX channels_picture_media_id;
DROP INDEX accounts_avatar_media_id;
DROP INDEX media_created_at;
DROP INDEX media_sha256;
DROP INDEX media_owner_id;
