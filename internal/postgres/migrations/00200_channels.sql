-- Channels (issue 4). Posts are stored once per channel (fan-out on read).
-- Follower rows are read only by the service; no endpoint shows them.
-- Reactions and votes keep the account only to allow one per follower;
-- views keep a keyed hash, not the account. All of them go with the post.

-- +goose Up
CREATE TABLE channels (
    id               bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle           text    NOT NULL UNIQUE,
    name             text    NOT NULL,
    description      text    NOT NULL DEFAULT '',
    picture_media_id text    NOT NULL DEFAULT '',
    category         text    NOT NULL DEFAULT 'other',
    country          text    NOT NULL DEFAULT '',
    language         text    NOT NULL DEFAULT '',
    owner_id         bigint  NOT NULL REFERENCES accounts (id),
    verified         boolean NOT NULL DEFAULT false,
    listed           boolean NOT NULL DEFAULT true,
    follow_policy    text    NOT NULL DEFAULT 'anyone',
    allow_forwards   boolean NOT NULL DEFAULT true,
    allow_reactions  boolean NOT NULL DEFAULT true,
    invite_code      text    NOT NULL UNIQUE,
    suspend_reason   text    NOT NULL DEFAULT '',
    suspended_at     timestamptz,
    created_at       timestamptz,
    last_seq         bigint  NOT NULL DEFAULT 0,
    followers        bigint  NOT NULL DEFAULT 0
);
CREATE INDEX channels_followers ON channels (followers DESC, id);
CREATE INDEX channels_created_at ON channels (created_at DESC, id);

CREATE TABLE channel_admins (
    channel_id bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       text    NOT NULL,
    added_at   timestamptz,
    PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX channel_admins_account_id ON channel_admins (account_id);

CREATE TABLE channel_follows (
    channel_id  bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id  bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    muted       boolean NOT NULL DEFAULT false,
    read_seq    bigint  NOT NULL DEFAULT 0,
    followed_at timestamptz,
    PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX channel_follows_account_id ON channel_follows (account_id);

CREATE TABLE channel_follow_requests (
    id         text    PRIMARY KEY,
    channel_id bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz,
    UNIQUE (channel_id, account_id)
);

CREATE TABLE channel_posts (
    channel_id      bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq             bigint  NOT NULL,
    kind            text    NOT NULL,
    text            text    NOT NULL DEFAULT '',
    media_id        text    NOT NULL DEFAULT '',
    link            text    NOT NULL DEFAULT '',
    poll            text    NOT NULL DEFAULT '', -- JSON parley.Poll, '' for none
    subscriber_only boolean NOT NULL DEFAULT false,
    author_id       bigint  NOT NULL,
    created_at      timestamptz,
    edited_at       timestamptz,
    views           bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, seq)
);
CREATE INDEX channel_posts_created_at ON channel_posts (created_at);

CREATE TABLE channel_reactions (
    channel_id bigint  NOT NULL,
    seq        bigint  NOT NULL,
    account_id bigint  NOT NULL,
    emoji      text    NOT NULL,
    PRIMARY KEY (channel_id, seq, account_id)
);

CREATE TABLE channel_votes (
    channel_id bigint  NOT NULL,
    seq        bigint  NOT NULL,
    account_id bigint  NOT NULL,
    choice     bigint  NOT NULL,
    PRIMARY KEY (channel_id, seq, account_id, choice)
);

CREATE TABLE channel_views (
    channel_id bigint  NOT NULL,
    seq        bigint  NOT NULL,
    viewer     bytea   NOT NULL, -- keyed hash of the viewer, not the account
    PRIMARY KEY (channel_id, seq, viewer)
);

CREATE TABLE channel_days (
    channel_id bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    day        bigint  NOT NULL, -- days since 1970-01-01, UTC
    follows    bigint  NOT NULL DEFAULT 0,
    unfollows  bigint  NOT NULL DEFAULT 0,
    followers  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, day)
);

CREATE TABLE channel_reports (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id  bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    post_seq    bigint  NOT NULL DEFAULT 0,
    reporter_id bigint  NOT NULL,
    reason      text    NOT NULL DEFAULT '',
    created_at  timestamptz,
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
