package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
)

// What the ads context needs of the others (ads.Viewers, ads.Channels,
// ads.Links, ads.Billing), answered here so that ads imports none of
// them (docs/ADS.md, "Privacy"). Only these facts cross: the country of
// a viewer's phone prefix and whether they are premium; a channel's
// owner, visibility and follower count; a link's business and opening
// it; a business's wallet.

// adsViewers reads the viewer's phone prefix and premium membership.
type adsViewers struct {
	st     Store
	people *revenue.Service
}

func (v adsViewers) Viewer(ctx context.Context, accountID int64) (ads.Viewer, error) {
	a, err := v.st.GetAccount(ctx, accountID)
	if err != nil {
		return ads.Viewer{}, err
	}
	out := ads.Viewer{Country: countryOfPhone(a.Phone)}
	lim, err := v.people.Limits(ctx, accountID)
	if err != nil {
		return ads.Viewer{}, err
	}
	out.AdFree = lim.Premium
	return out, nil
}

// countryOfPhone is the ISO region of a phone number's prefix, or "".
func countryOfPhone(phone string) string {
	n, err := phonenumbers.Parse(phone, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// adsChannels answers a channel's owner, visibility and followers.
type adsChannels struct{ st Store }

func (c adsChannels) ChannelInfo(ctx context.Context, id int64) (ads.ChannelInfo, error) {
	ch, err := channel.LoadChannel(ctx, c.st, id)
	if err != nil {
		return ads.ChannelInfo{}, err
	}
	return ads.ChannelInfo{ID: ch.ID, Name: ch.Name, OwnerID: ch.OwnerID, Followers: ch.Followers,
		Public: ch.Listed && !ch.Suspended() && ch.FollowPolicy == channel.FollowAnyone}, nil
}

// adsLinks answers click-to-chat links from the business context.
type adsLinks struct {
	st    Store
	links *business.Links
}

func (l adsLinks) LinkBusiness(ctx context.Context, code string) (int64, error) {
	k, err := l.st.LinkByCode(ctx, code)
	if err != nil {
		return 0, err
	}
	return k.BusinessID, nil
}

func (l adsLinks) OpenLink(ctx context.Context, code string) (ads.OpenedLink, error) {
	k, c, n, err := l.links.Open(ctx, code)
	if err != nil {
		return ads.OpenedLink{}, err
	}
	return ads.OpenedLink{ClickID: c.ID, Prefill: k.Prefill, NumberID: n.ID, AccountID: n.AccountID}, nil
}

// adsBilling is the money side of ads: a business's wallet and the
// settlement of closed days (billing.Biller.ChargeAds: the usage ledger,
// the rated ledger, the wallet); a prepaid channel owner's spend and the
// owners' shares go to the money ledger, which statements and the
// dashboard read.
type adsBilling struct {
	st  Store
	biz *business.Service
}

func (b adsBilling) Funds(ctx context.Context, a ads.Advertiser) error {
	if a.Kind != ads.AdvertiserBusiness {
		return nil
	}
	return b.biz.Billing().FundsFor(ctx, a.ID, billing.CategoryAds)
}

func (b adsBilling) Settle(ctx context.Context, s ads.Settlement) error {
	at := time.Unix(s.Day*86400+86399, 0).UTC() // the last second of the day settled
	if s.ChannelID > 0 {
		_, err := b.st.AppendLedger(ctx, []*money.LedgerEntry{{Key: s.Key, ChannelID: s.ChannelID, Kind: "ad_owner_share",
			Minor: billing.RoundMinor(s.Share, s.Currency), Currency: s.Currency, Ref: "ads:" + ads.DayString(s.Day), At: at}})
		return err
	}
	if s.Advertiser.Kind == ads.AdvertiserBusiness {
		return b.biz.Billing().ChargeAds(ctx, billing.AdCharge{Key: s.Key, BusinessID: s.Advertiser.ID, Amount: s.Spent,
			Currency: s.Currency, Quantity: s.Quantity, Ref: "campaign:" + strconv.FormatInt(s.CampaignID, 10), At: at})
	}
	_, err := b.st.AppendLedger(ctx, []*money.LedgerEntry{{Key: s.Key, Kind: "ad_spend", Minor: billing.RoundMinor(s.Spent, s.Currency),
		Currency: s.Currency, Quantity: s.Quantity, Ref: fmt.Sprintf("campaign:%d account:%d", s.CampaignID, s.Advertiser.ID), At: at}})
	return err
}

func (b adsBilling) Name(ctx context.Context, a ads.Advertiser) string {
	if a.Kind == ads.AdvertiserBusiness {
		if biz, err := b.biz.GetBusiness(ctx, a.ID); err == nil {
			return biz.Name
		}
	} else if acct, err := b.st.GetAccount(ctx, a.ID); err == nil && acct.DisplayName != "" {
		return acct.DisplayName
	}
	return a.String()
}

// adsChat tells ads of a chat started from an ad click; set once the ads
// service exists (the business context is built first).
type adsChat struct{ svc *ads.Service }

func (c *adsChat) started(ctx context.Context, clickID string) {
	if c.svc != nil {
		_ = c.svc.ChatStarted(ctx, clickID) // counted best effort: a report is an aggregate
	}
}

var _ parley.AdsPolicy = revenue.Nonprofit(false)
