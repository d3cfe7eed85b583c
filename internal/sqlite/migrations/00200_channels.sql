-- Channels (issue 4). Posts are stored once per channel (fan-out on read).
-- Follower rows are read only by the service; no endpoint shows them.
-- Reactions and votes keep the account only to allow one per follower;
-- views keep a keyed hash, not the account. All of them go with the post.

-- +goose Up
CREATE TABLE channels (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    handle           TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    picture_media_id TEXT    NOT NULL DEFAULT '',
    category         TEXT    NOT NULL DEFAULT 'other',
    country          TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL DEFAULT '',
    owner_id         INTEGER NOT NULL REFERENCES accounts (id),
    verified         INTEGER NOT NULL DEFAULT 0,
    listed           INTEGER NOT NULL DEFAULT 1,
    follow_policy    TEXT    NOT NULL DEFAULT 'anyone',
    allow_forwards   INTEGER NOT NULL DEFAULT 1,
    allow_reactions  INTEGER NOT NULL DEFAULT 1,
    invite_code      TEXT    NOT NULL UNIQUE,
    suspend_reason   TEXT    NOT NULL DEFAULT '',
    suspended_at     INTEGER,
    created_at       INTEGER,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    followers        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX channels_followers ON channels (followers DESC, id);
CREATE INDEX channels_created_at ON channels (created_at DESC, id);

CREATE TABLE channel_admins (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    added_at   INTEGER,
    PRIMARY KEY (channel_id, account_id)
) WITHOUT ROWID;
CREATE INDEX channel_admins_account_id ON channel_admins (account_id);

CREATE TABLE channel_follows (
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    muted       INTEGER NOT NULL DEFAULT 0,
    read_seq    INTEGER NOT NULL DEFAULT 0,
    followed_at INTEGER,
    PRIMARY KEY (channel_id, account_id)
) WITHOUT ROWID;
CREATE INDEX channel_follows_account_id ON channel_follows (account_id);

CREATE TABLE channel_follow_requests (
    id         TEXT    PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER,
    UNIQUE (channel_id, account_id)
);

CREATE TABLE channel_posts (
    channel_id      INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    text            TEXT    NOT NULL DEFAULT '',
    media_id        TEXT    NOT NULL DEFAULT '',
    link            TEXT    NOT NULL DEFAULT '',
    poll            TEXT    NOT NULL DEFAULT '', -- JSON parley.Poll, '' for none
    subscriber_only INTEGER NOT NULL DEFAULT 0,
    author_id       INTEGER NOT NULL,
    created_at      INTEGER,
    edited_at       INTEGER,
    views           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, seq)
) WITHOUT ROWID;
CREATE INDEX channel_posts_created_at ON channel_posts (created_at);

CREATE TABLE channel_reactions (
    channel_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    emoji      TEXT    NOT NULL,
    PRIMARY KEY (channel_id, seq, account_id)
) WITHOUT ROWID;

CREATE TABLE channel_votes (
    channel_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    choice     INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq, account_id, choice)
) WITHOUT ROWID;

CREATE TABLE channel_views (
    channel_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    viewer     BLOB    NOT NULL, -- keyed hash of the viewer, not the account
    PRIMARY KEY (channel_id, seq, viewer)
) WITHOUT ROWID;

CREATE TABLE channel_days (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL, -- days since 1970-01-01, UTC
    follows    INTEGER NOT NULL DEFAULT 0,
    unfollows  INTEGER NOT NULL DEFAULT 0,
    followers  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, day)
) WITHOUT ROWID;

CREATE TABLE channel_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    post_seq    INTEGER NOT NULL DEFAULT 0,
    reporter_id INTEGER NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER,
    UNIQUE (channel_id, post_seq, reporter_id)
);

-- +goose Down
DROP TABLE channel_reports;
DROP TABLE channel_days;
DROP TABLE channel_views;
DROP TABLE channel_votes;
DROP TABLE channel_reactions;
DROP TABLE channel_posts;
DROP TABLE channel_follow_requests;
DROP TABLE channel_follows;
DROP TABLE channel_admins;
DROP TABLE channels;
