-- +goose Up
-- Channel media belongs to its channel (issue 13, defect 1): a file
-- uploaded through POST /v1/channels/{id}/media is served only by that
-- channel's media route. The media posts already refer to are recorded
-- for their channel.
CREATE TABLE channel_media (
    media_id   text   NOT NULL PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
    channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE
);
CREATE INDEX channel_media_channel_id ON channel_media (channel_id);
INSERT INTO channel_media (media_id, channel_id)
    SELECT media_id, MIN(channel_id) FROM channel_posts
    WHERE media_id <> '' AND media_id IN (SELECT id FROM media) GROUP BY media_id;

-- Becoming a channel admin takes the person's acceptance: the owner
-- invites, the invitee accepts or declines.
CREATE TABLE channel_admin_invites (
    channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    invited_by bigint NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX channel_admin_invites_account_id ON channel_admin_invites (account_id);

-- +goose Down
DROP TABLE channel_admin_invites;
DROP TABLE channel_media;
