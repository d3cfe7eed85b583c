package channel

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// DirectoryRequest is a directory browse or search.
type DirectoryRequest struct {
	Category string
	Country  string
	Language string
	Query    string // name or handle
	Sort     DirectorySort
	Offset   int
	Limit    int // 1..100, default 20
}

// Directory lists listed, unsuspended channels. Errors: EInvalid for an
// unknown sort or category, or a bad limit.
func (s *Service) Directory(ctx context.Context, p parley.Principal, r DirectoryRequest) ([]wire.ChannelView, error) {
	if r.Limit == 0 {
		r.Limit = 20
	}
	if r.Limit < 1 || r.Limit > 100 || r.Offset < 0 || r.Offset > 10000 {
		return nil, parley.InvalidField("limit", "limit must be 1 to 100 and offset 0 to 10000")
	}
	switch r.Sort {
	case "":
		r.Sort = SortPopular
	case SortPopular, SortGrowth, SortNew:
	default:
		return nil, parley.InvalidField("sort", "sort must be popular, growth or new")
	}
	if r.Category != "" && !containsString(ChannelCategories, r.Category) {
		return nil, &parley.Error{Code: parley.EInvalid, Message: "unknown category", Details: map[string]any{"field": "category", "allowed": ChannelCategories}}
	}
	q := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Query), "@"))
	if utf8.RuneCountInString(q) > 100 {
		return nil, parley.InvalidField("q", "q must be at most 100 characters")
	}
	cs, err := s.store.Directory(ctx, DirectoryQuery{
		Category: r.Category, Country: strings.ToUpper(r.Country), Language: strings.ToLower(r.Language), Search: q,
		Sort: r.Sort, Since: DayOf(s.now()) - 6, Offset: r.Offset, Limit: r.Limit,
	})
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	vs, err := s.channelViews(ctx, p, cs)
	if err != nil || r.Offset > 0 || s.policy.AdsOff() != nil { // no promoted results without ads
		return vs, err
	}
	// The first page starts with up to two promoted channels that match
	// the filters, labelled as such.
	promos, err := s.monetization.promoted(ctx, 10)
	if err != nil {
		return nil, err
	}
	var top []wire.ChannelView
	for _, pr := range promos {
		if len(top) == 2 {
			break
		}
		c, err := s.channel(ctx, pr.ChannelID)
		if err != nil {
			return nil, err
		}
		if !c.Listed || c.Suspended() || (r.Category != "" && c.Category != r.Category) ||
			(r.Country != "" && !strings.EqualFold(c.Country, r.Country)) || (r.Language != "" && !strings.EqualFold(c.Language, r.Language)) ||
			(q != "" && !strings.Contains(strings.ToLower(c.Name), strings.ToLower(q)) && !strings.Contains(c.Handle, strings.ToLower(q))) {
			continue
		}
		v, err := s.channelView(ctx, p, c)
		if err != nil {
			return nil, err
		}
		if err := s.monetization.countImpression(ctx, pr.ID); err != nil {
			return nil, err
		}
		v.Promoted = true
		top = append(top, v)
	}
	return append(top, vs...), nil
}

// Insights returns follower counts per day over the last days (1..365,
// default 30) and the reach of the newest 50 posts (admins).
func (s *Service) Insights(ctx context.Context, p parley.Principal, id int64, days int) (wire.Insights, error) {
	if days == 0 {
		days = 30
	}
	if days < 1 || days > 365 {
		return wire.Insights{}, parley.InvalidField("days", "days must be 1 to 365")
	}
	c, _, err := s.adminChannel(ctx, p, id, false)
	if err != nil {
		return wire.Insights{}, err
	}
	today := DayOf(s.now())
	rows, err := s.store.ChannelDays(ctx, id, today-int64(days)+1, today)
	if err != nil {
		return wire.Insights{}, fmt.Errorf("channel days: %w", err)
	}
	in := wire.Insights{ChannelID: id, Followers: c.Followers, Days: make([]wire.InsightDay, 0, len(rows)), Posts: []wire.PostInsight{}}
	for _, d := range rows {
		in.Days = append(in.Days, wire.InsightDay{Date: time.Unix(d.Day*86400, 0).UTC().Format(time.DateOnly),
			Follows: d.Follows, Unfollows: d.Unfollows, Net: d.Follows - d.Unfollows, Followers: d.Followers})
	}
	posts, err := s.store.Posts(ctx, id, 0, 50, true)
	if err != nil {
		return wire.Insights{}, fmt.Errorf("posts: %w", err)
	}
	seqs := make([]int64, len(posts))
	for i, post := range posts {
		seqs[i] = post.Seq
	}
	stats, err := s.store.PostStats(ctx, id, seqs)
	if err != nil {
		return wire.Insights{}, fmt.Errorf("post stats: %w", err)
	}
	for _, post := range posts {
		st := stats[post.Seq]
		pi := wire.PostInsight{Seq: post.Seq, CreatedAt: post.CreatedAt, Views: post.Views, Reactions: st.Reactions, Voters: st.Voters}
		if post.Poll != nil {
			pi.Votes = make([]int64, len(post.Poll.Options))
			copy(pi.Votes, st.Votes)
		}
		in.Posts = append(in.Posts, pi)
	}
	return in, nil
}
