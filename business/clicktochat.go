package business

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Link is a click-to-chat link of a business number: opening
// /c/{Code} records a Click and opens a chat with the number, with Prefill
// as the draft. Source, when set, describes the ad or post behind it and
// becomes the referral object of the first message. Clicks, Chats and
// Replies are aggregate counters; no click is tied to a person.
type Link struct {
	ID         int64
	BusinessID int64
	NumberID   int64
	Code       string
	Prefill    string
	Source     *wire.Referral // SourceID, SourceType, SourceURL, Headline, Body, MediaType, ImageURL, VideoURL, ThumbnailURL
	Clicks     int64
	Chats      int64
	Replies    int64
	CreatedAt  time.Time
}

// Click is one opening of a link. ID is the click id (ctwa_clid) that the
// customer's first message carries back.
type Click struct {
	ID     string
	LinkID int64
	At     time.Time
}

// Links is the click-to-chat service: a business number's links, the
// clicks that open them, and the referral a click's first message
// carries. Service.Links returns it; it is safe for concurrent use.
type Links struct {
	st  linkStore
	ads parley.AdsPolicy // nonprofit mode refuses links with an ad source
	now func() time.Time
}

// linkStore is what Links reads and writes: the links and clicks, and the
// numbers they lead to.
type linkStore interface {
	LinkStore
	GetNumber(ctx context.Context, id int64) (BusinessNumber, error)
}

// Create creates a click-to-chat link for one of the business's numbers.
// In nonprofit mode a link with an ad source is refused.
func (ls *Links) Create(ctx context.Context, biz Business, numberID int64, prefill string, source *wire.Referral) (Link, error) {
	n, err := ownNumber(ctx, ls.st, biz, numberID)
	if err != nil {
		return Link{}, err
	}
	if len(prefill) > 1024 {
		return Link{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "prefilled text is longer than 1024 characters")
	}
	if source != nil && source.SourceType == "" {
		source.SourceType = "ad"
	}
	if source != nil && source.SourceType == "ad" && ls.ads.AdsOff() != nil {
		return Link{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "ads_disabled: this server runs in nonprofit mode, without ads; a link cannot have an ad source")
	}
	for range 5 {
		l := Link{BusinessID: biz.ID, NumberID: n.ID, Code: strings.ToLower(randomHex(5)), Prefill: prefill, Source: source, CreatedAt: ls.now()}
		err := ls.st.CreateLink(ctx, &l)
		if parley.ErrorCode(err) == parley.EConflict {
			continue
		}
		return l, err
	}
	return Link{}, fmt.Errorf("create link: no free code")
}

// List lists a business's links with their counters.
func (ls *Links) List(ctx context.Context, businessID int64) ([]Link, error) {
	return ls.st.ListLinks(ctx, businessID)
}

// Open records a click on the link and returns the link, the click id
// and the number to chat with. ENotFound for an unknown code,
// EAdsDisabled for a link with an ad source in nonprofit mode.
func (ls *Links) Open(ctx context.Context, code string) (Link, Click, BusinessNumber, error) {
	l, err := ls.st.LinkByCode(ctx, strings.ToLower(code))
	if parley.ErrorCode(err) == parley.ENotFound {
		return Link{}, Click{}, BusinessNumber{}, parley.Errorf(parley.ENotFound, "no such link")
	} else if err != nil {
		return Link{}, Click{}, BusinessNumber{}, err
	}
	if l.Source != nil && l.Source.SourceType == "ad" {
		if err := ls.ads.AdsOff(); err != nil { // a link made before nonprofit mode
			return Link{}, Click{}, BusinessNumber{}, err
		}
	}
	n, err := ls.st.GetNumber(ctx, l.NumberID)
	if err != nil {
		return Link{}, Click{}, BusinessNumber{}, err
	}
	c := Click{ID: "ctwa." + randomHex(12), LinkID: l.ID, At: ls.now()}
	if err := ls.st.CreateClick(ctx, c); err != nil {
		return Link{}, Click{}, BusinessNumber{}, fmt.Errorf("create click: %w", err)
	}
	return l, c, n, nil
}

// referral completes the referral a customer's first message carries (the
// client knows only the click id) from the link's source.
func (ls *Links) referral(ctx context.Context, r *wire.Referral) (*wire.Referral, error) {
	if r.CtwaClid == "" {
		return r, nil
	}
	c, err := ls.st.GetClick(ctx, r.CtwaClid)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil, nil // a forged or foreign click id: no referral
	} else if err != nil {
		return nil, err
	}
	l, err := ls.st.GetLink(ctx, c.LinkID)
	if err != nil {
		return nil, err
	}
	out := &wire.Referral{SourceType: "ad", CtwaClid: c.ID}
	if l.Source != nil {
		out = new(wire.Referral)
		*out = *l.Source
		out.CtwaClid = c.ID
	}
	return out, nil
}
