-- +goose Up
-- The ads product (docs/ADS.md): campaigns, the event rows the reports
-- are made of (a pseudonym per person, campaign and day; no account, no
-- device, no time finer than the day), the clicks that conversions and
-- chats match, the spend per campaign-day and per channel-day, the
-- released reports, and the channels whose owners opted in.
CREATE TABLE ad_campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    advertiser_kind text    NOT NULL,
    advertiser_id   bigint  NOT NULL,
    name            text    NOT NULL,
    objective       text    NOT NULL,
    link_code       text    NOT NULL DEFAULT '',
    channel_id      bigint  NOT NULL DEFAULT 0,
    url             text    NOT NULL DEFAULT '',
    creatives       text    NOT NULL,
    targeting       text    NOT NULL,
    bid_kind        text    NOT NULL,
    bid             bigint  NOT NULL,
    daily           bigint  NOT NULL,
    lifetime        bigint  NOT NULL,
    currency        text    NOT NULL,
    start_at        timestamptz,
    end_at          timestamptz,
    status          text    NOT NULL,
    reasons         text    NOT NULL DEFAULT '[]',
    spent           bigint  NOT NULL DEFAULT 0,
    created_at      timestamptz,
    reviewed_at     timestamptz
);
CREATE INDEX ad_campaigns_advertiser ON ad_campaigns (advertiser_kind, advertiser_id);
CREATE INDEX ad_campaigns_status ON ad_campaigns (status, id);

CREATE TABLE ad_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint  NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         bigint  NOT NULL,
    kind        bigint  NOT NULL,
    person      bigint  NOT NULL,
    creative    bigint  NOT NULL,
    placement   text    NOT NULL,
    country     text    NOT NULL,
    n           bigint  NOT NULL,
    billed      bigint  NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, day, kind, person, creative, placement, country)
);

CREATE TABLE ad_clicks (
    click_id    text    PRIMARY KEY,
    campaign_id bigint  NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         bigint  NOT NULL,
    person      bigint  NOT NULL,
    creative    bigint  NOT NULL,
    placement   text    NOT NULL,
    country     text    NOT NULL,
    chatted     bigint  NOT NULL DEFAULT 0,
    converted   bigint  NOT NULL DEFAULT 0
);

CREATE TABLE ad_spend (
    campaign_id bigint  NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         bigint  NOT NULL,
    spent       bigint  NOT NULL,
    impressions bigint  NOT NULL,
    clicks      bigint  NOT NULL,
    settled     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, day)
);
CREATE INDEX ad_spend_unsettled ON ad_spend (day) WHERE settled = 0;

CREATE TABLE ad_channel_spend (
    channel_id bigint  NOT NULL,
    day        bigint  NOT NULL,
    spent      bigint  NOT NULL,
    settled    bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, day)
);

CREATE TABLE ad_releases (
    campaign_id bigint  NOT NULL REFERENCES ad_campaigns (id) ON DELETE CASCADE,
    day         bigint  NOT NULL,
    rows_json   text    NOT NULL,
    suppressed  bigint  NOT NULL,
    epsilon     text    NOT NULL,
    released_at timestamptz,
    PRIMARY KEY (campaign_id, day)
);

CREATE TABLE ad_optins (
    channel_id bigint  PRIMARY KEY,
    share_bp   bigint  NOT NULL,
    opted_at   timestamptz
);

-- +goose Down
DROP TABLE ad_optins;
DROP TABLE ad_releases;
DROP TABLE ad_channel_spend;
DROP TABLE ad_spend;
DROP TABLE ad_clicks;
DROP TABLE ad_events;
DROP TABLE ad_campaigns;
