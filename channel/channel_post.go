package channel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

func (s *Service) validText(field, text string, required bool) error {
	max := s.cfg.MaxPostText
	if err := parley.CheckText(field, text, parley.Lines); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(text); n > max {
		return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("%s is longer than %d characters", field, max), Details: map[string]any{"field": field, "limit": max}}
	}
	if required && strings.TrimSpace(text) == "" {
		return parley.InvalidField(field, "a post needs "+field)
	}
	return nil
}

func validLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(link) > 2048 {
		return parley.InvalidField("link", "link must be an http or https URL of at most 2048 bytes")
	}
	return nil
}

// validatePost checks in for its kind.
func (s *Service) validatePost(ctx context.Context, channelID int64, in *wire.PostInput) error {
	switch in.Kind {
	case PostText:
		if in.MediaID != "" || in.Link != "" || in.Poll != nil {
			return parley.InvalidField("kind", "a text post has only text")
		}
		return s.validText("text", in.Text, true)
	case PostMedia:
		if in.Link != "" || in.Poll != nil {
			return parley.InvalidField("kind", "a media post has a media_id and an optional caption")
		}
		if in.MediaID == "" {
			return parley.InvalidField("media_id", "a media post needs media_id")
		}
		if err := s.checkChannelMedia(ctx, channelID, in.MediaID); err != nil {
			return err
		}
		return s.validText("text", in.Text, false)
	case PostLink:
		if in.MediaID != "" || in.Poll != nil {
			return parley.InvalidField("kind", "a link post has a link and optional text")
		}
		if err := validLink(in.Link); err != nil {
			return err
		}
		return s.validText("text", in.Text, false)
	case PostPoll:
		if in.MediaID != "" || in.Link != "" {
			return parley.InvalidField("kind", "a poll post has a question (text) and a poll")
		}
		if err := s.validText("text", in.Text, true); err != nil {
			return err
		}
		return s.validatePoll(in.Poll)
	}
	return parley.InvalidField("kind", "kind must be text, media, link or poll")
}

// checkChannelMedia checks that a post's media was uploaded for its
// channel (POST /v1/channels/{id}/media): a post publishes to every reader
// what it refers to, so it may not refer to a chat's attachment or to
// another channel's file.
func (s *Service) checkChannelMedia(ctx context.Context, channelID int64, mediaID string) error {
	ok, err := s.store.IsChannelMedia(ctx, channelID, mediaID)
	if err != nil {
		return fmt.Errorf("is channel media: %w", err)
	}
	if !ok {
		return &parley.Error{Code: parley.EInvalid, Message: "no such media in this channel; upload it with POST /v1/channels/{id}/media",
			Details: map[string]any{"field": "media_id"}}
	}
	return nil
}

func (s *Service) validatePoll(p *wire.Poll) error {
	max := s.cfg.MaxPollOptions
	if p == nil || len(p.Options) < 2 {
		return parley.InvalidField("poll.options", "a poll needs at least 2 options")
	}
	if len(p.Options) > max {
		return &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("a poll may have at most %d options", max), Details: map[string]any{"field": "poll.options", "limit": max}}
	}
	seen := map[string]bool{}
	for i, o := range p.Options {
		o = strings.TrimSpace(o)
		if err := parley.CheckText("poll.options", o, parley.Line); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(o); n == 0 || n > 100 || !utf8.ValidString(o) {
			return &parley.Error{Code: parley.EInvalid, Message: "each poll option must be 1 to 100 characters", Details: map[string]any{"field": "poll.options", "index": i}}
		}
		key := strings.ToLower(o)
		if seen[key] {
			return &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("poll option %q appears twice", o), Details: map[string]any{"field": "poll.options", "index": i}}
		}
		seen[key] = true
		p.Options[i] = o
	}
	return nil
}

// CreatePost posts to a channel (admins). Errors: EForbidden for a
// non-admin, EChannelSuspended, EInvalid for a malformed post or poll,
// ETooLarge for text over MaxPostText. The post is stored once and
// announced with one bus message to every gateway.
func (s *Service) CreatePost(ctx context.Context, p parley.Principal, id int64, in wire.PostInput) (wire.PostView, error) {
	c, _, err := s.adminChannel(ctx, p, id, false)
	if err != nil {
		return wire.PostView{}, err
	}
	if c.Suspended() {
		return wire.PostView{}, suspendedError(c)
	}
	if err := s.validatePost(ctx, id, &in); err != nil {
		return wire.PostView{}, err
	}
	post := Post{ChannelID: id, Kind: in.Kind, Text: in.Text, MediaID: in.MediaID, Link: in.Link, Poll: in.Poll,
		SubscriberOnly: in.SubscriberOnly, AuthorID: p.AccountID, CreatedAt: s.now()}
	if err := s.store.CreatePost(ctx, &post); err != nil {
		return wire.PostView{}, fmt.Errorf("create post: %w", err)
	}
	v := postView(post, PostStats{}, PostMine{}, false)
	push := v
	if post.SubscriberOnly {
		push = postView(post, PostStats{}, PostMine{}, true)
	}
	s.publishChannel(id, wire.Event{Type: wire.EventChannelPost, Post: &push})
	return v, nil
}

// postView builds a reader's view; locked withholds the content.
func postView(p Post, st PostStats, mine PostMine, locked bool) wire.PostView {
	v := wire.PostView{ChannelID: p.ChannelID, Seq: p.Seq, Kind: p.Kind, SubscriberOnly: p.SubscriberOnly, CreatedAt: p.CreatedAt, Views: p.Views}
	if !p.EditedAt.IsZero() {
		t := p.EditedAt
		v.EditedAt = &t
	}
	if locked {
		v.Locked = true
		return v
	}
	v.Text, v.MediaID, v.Link = p.Text, p.MediaID, p.Link
	v.Reactions, v.MyReaction = st.Reactions, mine.Reaction
	if p.Poll != nil {
		pv := &wire.PollView{Options: p.Poll.Options, Multiple: p.Poll.Multiple, Votes: make([]int64, len(p.Poll.Options)), Voters: st.Voters, MyVotes: mine.Votes}
		copy(pv.Votes, st.Votes)
		v.Poll = pv
	}
	return v
}

// reader is what the caller may see of a channel's posts.
type reader struct {
	admin, follower, subscriber bool
}

// readerOf checks that the caller may read the channel: its admins and
// followers may; others only if anyone may follow it (a preview).
func (s *Service) readerOf(ctx context.Context, p parley.Principal, c Channel) (reader, error) {
	var r reader
	role, err := s.adminOf(ctx, p, c.ID)
	if err != nil {
		return r, err
	}
	r.admin = role != ""
	if _, err := s.store.GetFollow(ctx, c.ID, p.AccountID); err == nil {
		r.follower = true
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return r, fmt.Errorf("get follow: %w", err)
	}
	if !r.admin && !r.follower && c.FollowPolicy != FollowAnyone {
		return r, &parley.Error{Code: parley.EForbidden, Message: "follow this channel to read it", Details: map[string]any{"channel_id": c.ID}}
	}
	r.subscriber = r.admin
	if !r.admin {
		if r.subscriber, err = s.monetization.isSubscriber(ctx, c.ID, p.AccountID); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Timeline returns up to limit posts (1..100, default 20) with Seq <
// before (the newest for 0), newest first. Subscriber-only posts appear
// locked (without content) to readers who do not subscribe.
func (s *Service) Timeline(ctx context.Context, p parley.Principal, id, before int64, limit int) (wire.TimelinePage, error) {
	if limit <= 0 {
		limit = 20
	}
	if limit > 100 {
		return wire.TimelinePage{}, parley.InvalidField("limit", "limit must be at most 100")
	}
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.TimelinePage{}, err
	}
	r, err := s.readerOf(ctx, p, c)
	if err != nil {
		return wire.TimelinePage{}, err
	}
	posts, err := s.store.Posts(ctx, id, before, limit, true)
	if err != nil {
		return wire.TimelinePage{}, fmt.Errorf("posts: %w", err)
	}
	views, err := s.postViews(ctx, p, r, id, posts)
	if err != nil {
		return wire.TimelinePage{}, err
	}
	page := wire.TimelinePage{Posts: views}
	if len(posts) == limit {
		page.Next = posts[len(posts)-1].Seq
	}
	return page, nil
}

func (s *Service) postViews(ctx context.Context, p parley.Principal, r reader, channelID int64, posts []Post) ([]wire.PostView, error) {
	seqs := make([]int64, len(posts))
	for i, post := range posts {
		seqs[i] = post.Seq
	}
	stats, err := s.store.PostStats(ctx, channelID, seqs)
	if err != nil {
		return nil, fmt.Errorf("post stats: %w", err)
	}
	mine, err := s.store.PostMine(ctx, channelID, p.AccountID, seqs)
	if err != nil {
		return nil, fmt.Errorf("post mine: %w", err)
	}
	out := make([]wire.PostView, len(posts))
	for i, post := range posts {
		out[i] = postView(post, stats[post.Seq], mine[post.Seq], post.SubscriberOnly && !r.subscriber)
	}
	return out, nil
}

// post returns a post, or ENotFound.
func (s *Service) post(ctx context.Context, channelID, seq int64) (Post, error) {
	post, err := s.store.GetPost(ctx, channelID, seq)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Post{}, &parley.Error{Code: parley.ENotFound, Message: "no such post", Details: map[string]any{"channel_id": channelID, "seq": seq}}
	} else if err != nil {
		return Post{}, fmt.Errorf("get post: %w", err)
	}
	return post, nil
}

// GetPost returns one post with its counts.
func (s *Service) GetPost(ctx context.Context, p parley.Principal, id, seq int64) (wire.PostView, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.PostView{}, err
	}
	r, err := s.readerOf(ctx, p, c)
	if err != nil {
		return wire.PostView{}, err
	}
	post, err := s.post(ctx, id, seq)
	if err != nil {
		return wire.PostView{}, err
	}
	vs, err := s.postViews(ctx, p, r, id, []Post{post})
	if err != nil {
		return wire.PostView{}, err
	}
	return vs[0], nil
}

// adminPost returns a post for an admin to change within the edit window.
func (s *Service) adminPost(ctx context.Context, p parley.Principal, id, seq int64) (Post, error) {
	if _, _, err := s.adminChannel(ctx, p, id, false); err != nil {
		return Post{}, err
	}
	post, err := s.post(ctx, id, seq)
	if err != nil {
		return Post{}, err
	}
	if w := s.cfg.EditWindow; s.now().Sub(post.CreatedAt) > w {
		return Post{}, &parley.Error{Code: parley.EWindowClosed, Message: fmt.Sprintf("posts can be changed for %s after posting", w),
			Details: map[string]any{"window_seconds": int64(w / time.Second)}}
	}
	return post, nil
}

// EditPost changes a post's text or link (admins, within EditWindow).
// Errors: EForbidden, ENotFound, EWindowClosed, EInvalid, ETooLarge.
func (s *Service) EditPost(ctx context.Context, p parley.Principal, id, seq int64, e wire.PostEdit) (wire.PostView, error) {
	post, err := s.adminPost(ctx, p, id, seq)
	if err != nil {
		return wire.PostView{}, err
	}
	if e.Text != nil {
		if err := s.validText("text", *e.Text, post.Kind == PostText || post.Kind == PostPoll); err != nil {
			return wire.PostView{}, err
		}
		post.Text = *e.Text
	}
	if e.Link != nil {
		if post.Kind != PostLink {
			return wire.PostView{}, parley.InvalidField("link", "only a link post has a link")
		}
		if err := validLink(*e.Link); err != nil {
			return wire.PostView{}, err
		}
		post.Link = *e.Link
	}
	post.EditedAt = s.now()
	if err := s.store.UpdatePost(ctx, post); err != nil {
		return wire.PostView{}, fmt.Errorf("update post: %w", err)
	}
	push := postView(post, PostStats{}, PostMine{}, post.SubscriberOnly)
	s.publishChannel(id, wire.Event{Type: wire.EventChannelPostEdited, Post: &push})
	return s.GetPost(ctx, p, id, seq)
}

// DeletePost deletes a post with its reactions, votes and views (admins,
// within EditWindow).
func (s *Service) DeletePost(ctx context.Context, p parley.Principal, id, seq int64) error {
	if _, err := s.adminPost(ctx, p, id, seq); err != nil {
		return err
	}
	if err := s.store.DeletePost(ctx, id, seq); err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return fmt.Errorf("delete post: %w", err)
	}
	s.publishChannel(id, wire.Event{Type: wire.EventChannelPostDeleted, Post: &wire.PostView{ChannelID: id, Seq: seq}})
	return nil
}

// followerPost checks that the caller follows the channel and may see the
// post, and returns both.
func (s *Service) followerPost(ctx context.Context, p parley.Principal, id, seq int64) (Channel, Post, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return Channel{}, Post{}, err
	}
	if _, err := s.follow(ctx, p, id); err != nil {
		return Channel{}, Post{}, err
	}
	post, err := s.post(ctx, id, seq)
	if err != nil {
		return Channel{}, Post{}, err
	}
	if post.SubscriberOnly {
		ok, err := s.monetization.isSubscriber(ctx, id, p.AccountID)
		if err != nil {
			return Channel{}, Post{}, err
		}
		if !ok {
			return Channel{}, Post{}, &parley.Error{Code: parley.ESubscriptionRequired, Message: "this post is for subscribers", Details: map[string]any{"channel_id": id, "seq": seq}}
		}
	}
	return c, post, nil
}

// React sets the caller's one reaction on a post; "" removes it.
// Errors: EForbidden (not following, or reactions are off), ENotFound,
// EInvalid for something that is not a short emoji.
func (s *Service) React(ctx context.Context, p parley.Principal, id, seq int64, emoji string) error {
	if emoji != "" && (utf8.RuneCountInString(emoji) > 8 || len(emoji) > 32 || !utf8.ValidString(emoji) || strings.TrimSpace(emoji) != emoji) {
		return parley.InvalidField("emoji", "emoji must be one emoji")
	}
	c, _, err := s.followerPost(ctx, p, id, seq)
	if err != nil {
		return err
	}
	if !c.AllowReactions && emoji != "" {
		return parley.Errorf(parley.EForbidden, "reactions are turned off in this channel")
	}
	if err := s.store.SetReaction(ctx, id, seq, p.AccountID, emoji); err != nil {
		return fmt.Errorf("set reaction: %w", err)
	}
	return nil
}

// Vote replaces the caller's votes on a poll; an empty list withdraws
// them. A single-choice poll takes one option. Votes may be changed.
func (s *Service) Vote(ctx context.Context, p parley.Principal, id, seq int64, options []int) (wire.PostView, error) {
	_, post, err := s.followerPost(ctx, p, id, seq)
	if err != nil {
		return wire.PostView{}, err
	}
	if post.Poll == nil {
		return wire.PostView{}, parley.InvalidField("options", "this post is not a poll")
	}
	opts := slices.Clone(options)
	slices.Sort(opts)
	opts = slices.Compact(opts)
	if len(opts) != len(options) {
		return wire.PostView{}, parley.InvalidField("options", "an option is chosen twice")
	}
	if len(opts) > 1 && !post.Poll.Multiple {
		return wire.PostView{}, parley.InvalidField("options", "this poll takes one option")
	}
	for _, o := range opts {
		if o < 0 || o >= len(post.Poll.Options) {
			return wire.PostView{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("option %d does not exist", o), Details: map[string]any{"field": "options"}}
		}
	}
	if err := s.store.SetVotes(ctx, id, seq, p.AccountID, opts); err != nil {
		return wire.PostView{}, fmt.Errorf("set votes: %w", err)
	}
	return s.GetPost(ctx, p, id, seq)
}

// viewerHash is the keyed hash that dedupes a follower's views of one
// post without storing who viewed: it cannot be reversed without the
// server secret, differs per post (so views cannot be joined across
// posts), and is deleted with the post.
func (s *Service) viewerHash(channelID, seq, accountID int64) []byte {
	m := hmac.New(sha256.New, s.secret)
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(channelID))
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	binary.BigEndian.PutUint64(b[16:], uint64(accountID))
	m.Write([]byte("channel-view\x00"))
	m.Write(b[:])
	return m.Sum(nil)[:16]
}

// RecordViews counts the caller's views of posts, once per post. Unknown
// posts are skipped.
func (s *Service) RecordViews(ctx context.Context, p parley.Principal, id int64, seqs []int64) error {
	if len(seqs) == 0 || len(seqs) > 100 {
		return parley.InvalidField("seqs", "seqs must list 1 to 100 posts")
	}
	c, err := s.channel(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.readerOf(ctx, p, c); err != nil {
		return err
	}
	for _, seq := range seqs {
		if _, err := s.store.AddView(ctx, id, seq, s.viewerHash(id, seq, p.AccountID)); err != nil && parley.ErrorCode(err) != parley.ENotFound {
			return fmt.Errorf("add view: %w", err)
		}
	}
	return nil
}

// ForwardPost returns a forwardable snapshot of a post. Errors:
// EForbidden if forwards are off or the caller may not read the channel,
// ESubscriptionRequired for a subscriber-only post.
func (s *Service) ForwardPost(ctx context.Context, p parley.Principal, id, seq int64) (wire.ForwardSnapshot, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.ForwardSnapshot{}, err
	}
	if _, err := s.readerOf(ctx, p, c); err != nil {
		return wire.ForwardSnapshot{}, err
	}
	if !c.AllowForwards {
		return wire.ForwardSnapshot{}, parley.Errorf(parley.EForbidden, "forwarding is turned off in this channel")
	}
	post, err := s.post(ctx, id, seq)
	if err != nil {
		return wire.ForwardSnapshot{}, err
	}
	if post.SubscriberOnly {
		// Subscriber content is paid for; it is not forwarded, even by subscribers.
		return wire.ForwardSnapshot{}, &parley.Error{Code: parley.ESubscriptionRequired, Message: "subscriber-only posts cannot be forwarded", Details: map[string]any{"channel_id": id, "seq": seq}}
	}
	return wire.ForwardSnapshot{ChannelID: c.ID, ChannelHandle: c.Handle, ChannelName: c.Name, Verified: c.Verified,
		Seq: post.Seq, Kind: post.Kind, Text: post.Text, MediaID: post.MediaID, Link: post.Link, Poll: post.Poll, CreatedAt: post.CreatedAt}, nil
}

// SweepChannels purges posts older than the channel retention, with their
// reactions, votes and views, renews subscriptions, premium memberships
// and monthly donations, and records owner payouts. RunChannels calls it.
func (s *Service) SweepChannels(ctx context.Context) error {
	before := s.now().Add(-s.cfg.Retention)
	for {
		n, err := s.store.PurgePosts(ctx, before, 1000)
		if err != nil {
			return fmt.Errorf("purge posts: %w", err)
		}
		if n < 1000 {
			break
		}
	}
	return s.monetization.renewSubscriptions(ctx)
}

// RunChannels runs the channel sweeper every ChannelConfig.SweepInterval
// until ctx is done.
func (s *Service) RunChannels(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		if err := s.SweepChannels(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep channels", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// UploadChannelMedia stores a file for a channel's posts or picture
// (admins). Errors as UploadMedia.
func (s *Service) UploadChannelMedia(ctx context.Context, p parley.Principal, id int64, contentType string, r io.Reader) (chat.Media, error) {
	if _, _, err := s.adminChannel(ctx, p, id, false); err != nil {
		return chat.Media{}, err
	}
	m, err := s.chat.StoreMedia(ctx, p, contentType, r)
	if err != nil {
		return chat.Media{}, err
	}
	if err := s.store.AddChannelMedia(ctx, id, m.ID); err != nil {
		return chat.Media{}, fmt.Errorf("add channel media: %w", err)
	}
	return m, nil
}

// OpenChannelMedia opens media recorded for the channel (uploaded through
// UploadChannelMedia for this channel), or the channel's picture, for
// anyone who may read the channel. Any other media id, a chat's
// attachment or another channel's file, is ENotFound whoever uploaded it:
// who administers a channel says nothing about which files it publishes.
func (s *Service) OpenChannelMedia(ctx context.Context, p parley.Principal, id int64, mediaID string) (chat.Media, io.ReadSeekCloser, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return chat.Media{}, nil, err
	}
	if _, err := s.readerOf(ctx, p, c); err != nil {
		return chat.Media{}, nil, err
	}
	notFound := &parley.Error{Code: parley.ENotFound, Message: "no such media in this channel", Details: map[string]any{"media_id": mediaID}}
	if mediaID != c.PictureMediaID {
		ok, err := s.store.IsChannelMedia(ctx, id, mediaID)
		if err != nil {
			return chat.Media{}, nil, fmt.Errorf("is channel media: %w", err)
		} else if !ok {
			return chat.Media{}, nil, notFound
		}
	}
	m, rc, err := s.chat.MediaBytes(ctx, mediaID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return chat.Media{}, nil, notFound
	}
	return m, rc, err
}

// MediaLimit returns the largest upload the account may make now: the
// chat core's limit, which premium raises.
func (s *Service) MediaLimit(ctx context.Context, accountID int64) int64 {
	return s.chat.MediaLimit(ctx, accountID)
}

// MediaTooLarge is the error for an upload over the account's limit.
func (s *Service) MediaTooLarge(ctx context.Context, accountID int64) error {
	return s.chat.MediaTooLarge(ctx, accountID)
}
