-- +goose Up
-- The ads product (docs/ADS.md): campaigns, the event rows the reports
-- are made of (a pseudonym per person, campaign and day; no account, no
-- device, no time finer than the day), the clicks that conversions and
-- chats match, the spend per campaign-day and per channel-day, the
-- released reports, and the channels whose owners opted in.
CREATE TABLE ad_campaigns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    advertiser_kind TEXT    NOT NULL,
    advertiser_id   INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    objective       TEXT    NOT NULL,
    link_code       TEXT    NOT NULL DEFAULT '',
    channel_id      INTEGER NOT NULL DEFAULT 0,
    url             TEXT    NOT NULL DEFAULT '',
    creatives       TEXT    NOT NULL,
    targeting       TEXT    NOT NULL,
    bid_kind        TEXT    NOT NULL,
    bid             INTEGER NOT NULL,
    daily           INTEGER NOT NULL,
    lifetime        INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    start_at        INTEGER,
    end_at          INTEGER,
    status          TEXT    NOT NULL,
    reasons         TEXT    NOT NULL DEFAULT '[]',
    spent           INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER,
    reviewed_at     INTEGER
);
CREATE INDEX ad_campaigns_advertiser ON ad_campaigns (advertiser_kind, advertiser_id);
CREATE INDEX ad_campaigns_status ON ad_campaigns (status, id);

CREATE TABLE ad_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    kind        INTEGER NOT NULL,
    person      INTEGER NOT NULL,
    creative    INTEGER NOT NULL,
    placement   TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    billed      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, day, kind, person, creative, placement, country)
);

CREATE TABLE ad_clicks (
    click_id    TEXT    PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    person      INTEGER NOT NULL,
    creative    INTEGER NOT NULL,
    placement   TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    chatted     INTEGER NOT NULL DEFAULT 0,
    converted   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ad_spend (
    campaign_id INTEGER NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    spent       INTEGER NOT NULL,
    impressions INTEGER NOT NULL,
    clicks      INTEGER NOT NULL,
    settled     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, day)
);
CREATE INDEX ad_spend_unsettled ON ad_spend (day) WHERE settled = 0;

CREATE TABLE ad_channel_spend (
    channel_id INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    spent      INTEGER NOT NULL,
    settled    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, day)
);

CREATE TABLE ad_releases (
    campaign_id INTEGER NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    rows_json   TEXT    NOT NULL,
    suppressed  INTEGER NOT NULL,
    epsilon     TEXT    NOT NULL,
    released_at INTEGER,
    PRIMARY KEY (campaign_id, day)
);

CREATE TABLE ad_optins (
    channel_id INTEGER PRIMARY KEY,
    share_bp   INTEGER NOT NULL,
    opted_at   INTEGER
);

-- +goose Down
DROP TABLE ad_optins;
DROP TABLE ad_releases;
DROP TABLE ad_channel_spend;
DROP TABLE ad_spend;
DROP TABLE ad_clicks;
DROP TABLE ad_events;
DROP TABLE ad_campaigns;
