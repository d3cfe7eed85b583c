package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/ads"
)

// The ads context's store (ads.Store), written once for both databases.

const adCampaignCols = `id, advertiser_kind, advertiser_id, name, objective, link_code, channel_id, url, creatives, targeting,
	bid_kind, bid, daily, lifetime, currency, start_at, end_at, status, reasons, spent, created_at, reviewed_at`

func scanAdCampaign(sc Row) (ads.Campaign, error) {
	var c ads.Campaign
	var creatives, targeting, reasons string
	err := sc.Scan(&c.ID, &c.Advertiser.Kind, &c.Advertiser.ID, &c.Name, &c.Objective, &c.LinkCode, &c.ChannelID, &c.URL,
		&creatives, &targeting, &c.BidKind, &c.Bid, &c.Daily, &c.Lifetime, &c.Currency, tcol(&c.Start), tcol(&c.End),
		&c.Status, &reasons, &c.Spent, tcol(&c.CreatedAt), tcol(&c.ReviewedAt))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(creatives), &c.Creatives); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(targeting), &c.Targeting); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(reasons), &c.Reasons)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // the values are plain structs and slices
	return string(b)
}

// CreateAdCampaign inserts c and sets its ID.
func (s *Store) CreateAdCampaign(ctx context.Context, c *ads.Campaign) error {
	reasons := c.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	err := s.w.QueryRow(ctx, `INSERT INTO ad_campaigns (advertiser_kind, advertiser_id, name, objective, link_code, channel_id, url,
			creatives, targeting, bid_kind, bid, daily, lifetime, currency, start_at, end_at, status, reasons, spent, created_at, reviewed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Advertiser.Kind, c.Advertiser.ID, c.Name, c.Objective, c.LinkCode, c.ChannelID, c.URL, jsonText(c.Creatives), jsonText(c.Targeting),
		c.BidKind, c.Bid, c.Daily, c.Lifetime, c.Currency, s.ts(c.Start), s.ts(c.End), c.Status, jsonText(reasons), c.Spent,
		s.ts(c.CreatedAt), s.ts(c.ReviewedAt)).Scan(&c.ID)
	return s.wrap("create ad campaign", err)
}

// GetAdCampaign returns a campaign.
func (s *Store) GetAdCampaign(ctx context.Context, id int64) (ads.Campaign, error) {
	c, err := scanAdCampaign(s.r.QueryRow(ctx, `SELECT `+adCampaignCols+` FROM ad_campaigns WHERE id = ?`, id))
	return c, s.wrap("get ad campaign", err)
}

// UpdateAdCampaignStatus sets a campaign's status, reasons and review time.
func (s *Store) UpdateAdCampaignStatus(ctx context.Context, id int64, status string, reasons []string, reviewed time.Time) error {
	if reasons == nil {
		reasons = []string{}
	}
	n, err := s.w.Exec(ctx, `UPDATE ad_campaigns SET status = ?, reasons = ?, reviewed_at = ? WHERE id = ?`,
		status, jsonText(reasons), s.ts(reviewed), id)
	return s.wrap("update ad campaign", affected(n, err))
}

// AdCampaigns returns the advertiser's campaigns, newest first.
func (s *Store) AdCampaigns(ctx context.Context, adv ads.Advertiser) ([]ads.Campaign, error) {
	out, err := queryAll(ctx, s.r, `SELECT `+adCampaignCols+` FROM ad_campaigns WHERE advertiser_kind = ? AND advertiser_id = ?
		ORDER BY id DESC`, scanAdCampaign, adv.Kind, adv.ID)
	return nonNil(out), s.wrap("ad campaigns", err)
}

// AdCampaignsByStatus returns campaigns in the statuses with id > after.
func (s *Store) AdCampaignsByStatus(ctx context.Context, statuses []string, after int64, limit int) ([]ads.Campaign, error) {
	list, err := s.d.List(statuses)
	if err != nil {
		return nil, err
	}
	out, err := queryAll(ctx, s.r, `SELECT `+adCampaignCols+` FROM ad_campaigns WHERE `+s.d.In("status")+` AND id > ?
		ORDER BY id LIMIT ?`, scanAdCampaign, list, after, limit)
	return out, s.wrap("ad campaigns by status", err)
}

// RecordAdEvent stores an event and bills it within the budgets.
func (s *Store) RecordAdEvent(ctx context.Context, r ads.EventRecord) (int64, error) {
	var billed int64
	err := s.tx(ctx, func(tx Querier) error {
		billed = 0
		e := r.Event
		var rowID int64
		if err := tx.QueryRow(ctx, `INSERT INTO ad_events (campaign_id, day, kind, person, creative, placement, country, n)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (campaign_id, day, kind, person, creative, placement, country) DO UPDATE SET n = ad_events.n + 1
			RETURNING id`, e.Campaign, e.Day, int(e.Kind), int64(e.Person), e.Cell.Creative, e.Cell.Placement, e.Cell.Country).Scan(&rowID); err != nil {
			return err
		}
		if r.ClickID != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO ad_clicks (click_id, campaign_id, day, person, creative, placement, country)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ClickID, e.Campaign, e.Day, int64(e.Person), e.Cell.Creative, e.Cell.Placement, e.Cell.Country); err != nil {
				return err
			}
		}
		if r.Cost <= 0 {
			return nil
		}
		// The campaign's row lock serializes its spenders (PostgreSQL;
		// SQLite has one writer).
		if err := s.lockRow(ctx, tx, "ad_campaigns", e.Campaign); err != nil {
			return err
		}
		var spent, lifetime, daily, personBilled, daySpent int64
		if err := tx.QueryRow(ctx, `SELECT spent, lifetime, daily FROM ad_campaigns WHERE id = ?`, e.Campaign).Scan(&spent, &lifetime, &daily); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(billed), 0) FROM ad_events WHERE campaign_id = ? AND day = ? AND kind = ? AND person = ?`,
			e.Campaign, e.Day, int(e.Kind), int64(e.Person)).Scan(&personBilled); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(spent), 0) FROM ad_spend WHERE campaign_id = ? AND day = ?`,
			e.Campaign, e.Day).Scan(&daySpent); err != nil {
			return err
		}
		if personBilled >= int64(r.MaxBilled) || spent+r.Cost > lifetime || daySpent+r.Cost > daily {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE ad_events SET billed = billed + 1 WHERE id = ?`, rowID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ad_campaigns SET spent = spent + ? WHERE id = ?`, r.Cost, e.Campaign); err != nil {
			return err
		}
		imps, clicks := 0, 0
		if e.Kind == ads.KindImpression {
			imps = 1
		} else {
			clicks = 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ad_spend (campaign_id, day, spent, impressions, clicks) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (campaign_id, day) DO UPDATE SET spent = ad_spend.spent + excluded.spent,
				impressions = ad_spend.impressions + excluded.impressions, clicks = ad_spend.clicks + excluded.clicks`,
			e.Campaign, e.Day, r.Cost, imps, clicks); err != nil {
			return err
		}
		if r.ChannelID > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO ad_channel_spend (channel_id, day, spent) VALUES (?, ?, ?)
				ON CONFLICT (channel_id, day) DO UPDATE SET spent = ad_channel_spend.spent + excluded.spent`,
				r.ChannelID, e.Day, r.Cost); err != nil {
				return err
			}
		}
		billed = r.Cost
		return nil
	})
	return billed, s.wrap("record ad event", err)
}

// AdClick returns a stored click.
func (s *Store) AdClick(ctx context.Context, id string) (ads.Click, error) {
	var c ads.Click
	var person int64
	err := s.r.QueryRow(ctx, `SELECT click_id, campaign_id, day, person, creative, placement, country FROM ad_clicks WHERE click_id = ?`, id).
		Scan(&c.ID, &c.CampaignID, &c.Day, &person, &c.Cell.Creative, &c.Cell.Placement, &c.Cell.Country)
	c.Person = uint64(person)
	return c, s.wrap("ad click", err)
}

// MarkAdClick sets a click's chat or conversion flag once.
func (s *Store) MarkAdClick(ctx context.Context, id string, kind ads.Kind) (bool, error) {
	col := "converted"
	if kind == ads.KindChat {
		col = "chatted"
	}
	n, err := s.w.Exec(ctx, `UPDATE ad_clicks SET `+col+` = 1 WHERE click_id = ? AND `+col+` = 0`, id)
	if err != nil {
		return false, s.wrap("mark ad click", err)
	}
	if n == 0 {
		if _, err := s.AdClick(ctx, id); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

func scanDaySpend(sc Row) (ads.DaySpend, error) {
	var d ads.DaySpend
	err := sc.Scan(&d.CampaignID, &d.Day, &d.Spent, &d.Impressions, &d.Clicks)
	return d, err
}

// AdDaySpend returns every campaign's spend of day.
func (s *Store) AdDaySpend(ctx context.Context, day int64) ([]ads.DaySpend, error) {
	out, err := queryAll(ctx, s.r, `SELECT campaign_id, day, spent, impressions, clicks FROM ad_spend WHERE day = ?`, scanDaySpend, day)
	return out, s.wrap("ad day spend", err)
}

// AdCampaignSpend returns a campaign's spend per day.
func (s *Store) AdCampaignSpend(ctx context.Context, campaignID int64) ([]ads.DaySpend, error) {
	out, err := queryAll(ctx, s.r, `SELECT campaign_id, day, spent, impressions, clicks FROM ad_spend WHERE campaign_id = ? ORDER BY day`,
		scanDaySpend, campaignID)
	return out, s.wrap("ad campaign spend", err)
}

// AdEvents calls fn with a campaign-day's events in id order.
func (s *Store) AdEvents(ctx context.Context, campaignID, day int64, fn func(ads.Event)) error {
	rows, err := s.r.Query(ctx, `SELECT kind, person, creative, placement, country FROM ad_events WHERE campaign_id = ? AND day = ? ORDER BY id`,
		campaignID, day)
	if err != nil {
		return s.wrap("ad events", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := ads.Event{Campaign: campaignID, Day: day}
		var kind int
		var person int64
		if err := rows.Scan(&kind, &person, &e.Cell.Creative, &e.Cell.Placement, &e.Cell.Country); err != nil {
			return s.wrap("ad events", err)
		}
		e.Kind, e.Person = ads.Kind(kind), uint64(person)
		fn(e)
	}
	return s.wrap("ad events", rows.Err())
}

func scanRelease(sc Row) (ads.Released, error) {
	var r ads.Released
	var sup int
	err := sc.Scan(&r.CampaignID, &r.Day, &r.Rows, &sup, &r.Epsilon, tcol(&r.At))
	r.Suppressed = sup != 0
	return r, err
}

// PutAdRelease stores a release once and deletes the day's events.
func (s *Store) PutAdRelease(ctx context.Context, r ads.Released) (ads.Released, error) {
	var out ads.Released
	err := s.tx(ctx, func(tx Querier) error {
		sup := 0
		if r.Suppressed {
			sup = 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ad_releases (campaign_id, day, rows_json, suppressed, epsilon, released_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, day) DO NOTHING`, r.CampaignID, r.Day, r.Rows, sup, r.Epsilon, s.ts(r.At)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ad_events WHERE campaign_id = ? AND day = ?`, r.CampaignID, r.Day); err != nil {
			return err
		}
		var err error
		out, err = scanRelease(tx.QueryRow(ctx, `SELECT campaign_id, day, rows_json, suppressed, epsilon, released_at FROM ad_releases
			WHERE campaign_id = ? AND day = ?`, r.CampaignID, r.Day))
		return err
	})
	return out, s.wrap("put ad release", err)
}

// AdReleases returns a campaign's releases by day.
func (s *Store) AdReleases(ctx context.Context, campaignID int64) ([]ads.Released, error) {
	out, err := queryAll(ctx, s.r, `SELECT campaign_id, day, rows_json, suppressed, epsilon, released_at FROM ad_releases
		WHERE campaign_id = ? ORDER BY day`, scanRelease, campaignID)
	return out, s.wrap("ad releases", err)
}

// UnsettledAdSpend returns unsettled campaign-days and channel-days before day.
func (s *Store) UnsettledAdSpend(ctx context.Context, before int64, limit int) ([]ads.DaySpend, []ads.ChannelSpend, error) {
	ds, err := queryAll(ctx, s.r, `SELECT campaign_id, day, spent, impressions, clicks FROM ad_spend WHERE settled = 0 AND day < ?
		ORDER BY day, campaign_id LIMIT ?`, scanDaySpend, before, limit)
	if err != nil {
		return nil, nil, s.wrap("unsettled ad spend", err)
	}
	cs, err := queryAll(ctx, s.r, `SELECT channel_id, day, spent FROM ad_channel_spend WHERE settled = 0 AND day < ?
		ORDER BY day, channel_id LIMIT ?`, func(sc Row) (ads.ChannelSpend, error) {
		var c ads.ChannelSpend
		return c, sc.Scan(&c.ChannelID, &c.Day, &c.Spent)
	}, before, limit)
	return ds, cs, s.wrap("unsettled channel ad spend", err)
}

// MarkAdSpendSettled marks a campaign-day, or a channel-day, settled.
func (s *Store) MarkAdSpendSettled(ctx context.Context, campaignID, channelID, day int64) error {
	var n int64
	var err error
	if channelID > 0 {
		n, err = s.w.Exec(ctx, `UPDATE ad_channel_spend SET settled = 1 WHERE channel_id = ? AND day = ?`, channelID, day)
	} else {
		n, err = s.w.Exec(ctx, `UPDATE ad_spend SET settled = 1 WHERE campaign_id = ? AND day = ?`, campaignID, day)
	}
	return s.wrap("mark ad spend settled", affected(n, err))
}

// PutAdOptIn records a channel's opt-in.
func (s *Store) PutAdOptIn(ctx context.Context, o ads.OptIn) error {
	_, err := s.w.Exec(ctx, `INSERT INTO ad_optins (channel_id, share_bp, opted_at) VALUES (?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET share_bp = excluded.share_bp, opted_at = excluded.opted_at`, o.ChannelID, o.ShareBP, s.ts(o.At))
	return s.wrap("put ad opt-in", err)
}

// DeleteAdOptIn removes a channel's opt-in.
func (s *Store) DeleteAdOptIn(ctx context.Context, channelID int64) error {
	n, err := s.w.Exec(ctx, `DELETE FROM ad_optins WHERE channel_id = ?`, channelID)
	return s.wrap("delete ad opt-in", affected(n, err))
}

// AdOptIn returns a channel's opt-in.
func (s *Store) AdOptIn(ctx context.Context, channelID int64) (ads.OptIn, error) {
	var o ads.OptIn
	err := s.r.QueryRow(ctx, `SELECT channel_id, share_bp, opted_at FROM ad_optins WHERE channel_id = ?`, channelID).
		Scan(&o.ChannelID, &o.ShareBP, tcol(&o.At))
	return o, s.wrap("ad opt-in", err)
}
