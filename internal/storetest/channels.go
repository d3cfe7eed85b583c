package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// runChannels runs the ChannelStore part of the suite.
func runChannels(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Channels", testChannels},
		{"ChannelAdmins", testChannelAdmins},
		{"ChannelAdminInvites", testChannelAdminInvites},
		{"ChannelMedia", testChannelMedia},
		{"ChannelFollows", testChannelFollows},
		{"ChannelFollowRequests", testChannelFollowRequests},
		{"ChannelPosts", testChannelPosts},
		{"ChannelPurge", testChannelPurge},
		{"ChannelReactionsVotes", testChannelReactionsVotes},
		{"ChannelVotesConcurrent", testChannelVotesConcurrent},
		{"ChannelFollowsConcurrent", testChannelFollowsConcurrent},
		{"ChannelViews", testChannelViews},
		{"ChannelDirectory", testChannelDirectory},
		{"ChannelReports", testChannelReports},
		{"ChannelSubscriptions", testChannelSubscriptions},
		{"ChannelPromotions", testChannelPromotions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each on its own database
			tt.fn(t, open(t))
		})
	}
}

func newChannel(t testing.TB, s Store, owner int64, handle string) channel.Channel {
	t.Helper()
	c := channel.Channel{Handle: handle, Name: "Channel " + handle, Category: "news", Country: "BR", Language: "pt",
		OwnerID: owner, Listed: true, FollowPolicy: channel.FollowAnyone, AllowForwards: true, AllowReactions: true,
		InviteCode: "inv-" + handle, CreatedAt: t0}
	ok(t, "create channel", s.CreateChannel(t.Context(), &c))
	return c
}

func testChannels(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	c := newChannel(t, s, a.ID, "news")
	if c.ID <= 0 {
		t.Fatalf("create channel: got ID %d, want > 0", c.ID)
	}
	got, err := s.GetChannel(ctx, c.ID)
	ok(t, "get channel", err)
	wantDiff(t, "channel", got, c)
	got, err = s.GetChannelByInvite(ctx, "inv-news")
	ok(t, "get by invite", err)
	wantDiff(t, "channel by invite", got, c)
	_, err = s.GetChannel(ctx, c.ID+100)
	wantCode(t, "get missing channel", err, parley.ENotFound)

	dup := channel.Channel{Handle: "news", Name: "x", OwnerID: a.ID, FollowPolicy: channel.FollowAnyone, InviteCode: "other", CreatedAt: t0}
	wantCode(t, "create channel with taken handle", s.CreateChannel(ctx, &dup), parley.EConflict)

	upd := c
	upd.Name, upd.Description, upd.Listed, upd.FollowPolicy, upd.AllowForwards, upd.InviteCode = "News 2", "d", false, channel.FollowApproved, false, "inv-2"
	upd.LastSeq, upd.Followers, upd.Verified = 99, 99, true // not written by UpdateChannel
	ok(t, "update channel", s.UpdateChannel(ctx, upd))
	want := upd
	want.LastSeq, want.Followers, want.Verified = 0, 0, false
	got, err = s.GetChannel(ctx, c.ID)
	ok(t, "get updated channel", err)
	wantDiff(t, "updated channel", got, want)

	ok(t, "verify", s.SetChannelVerified(ctx, c.ID, true))
	ok(t, "suspend", s.SetChannelSuspension(ctx, c.ID, "spam", at(time.Hour)))
	got, err = s.GetChannel(ctx, c.ID)
	ok(t, "GetChannel", err)
	if !got.Verified || got.SuspendReason != "spam" || !got.SuspendedAt.Equal(at(time.Hour)) {
		t.Errorf("after verify and suspend: got verified %v, reason %q, at %v", got.Verified, got.SuspendReason, got.SuspendedAt)
	}
	ok(t, "lift suspension", s.SetChannelSuspension(ctx, c.ID, "ignored", time.Time{}))
	got, err = s.GetChannel(ctx, c.ID)
	ok(t, "GetChannel", err)
	if got.Suspended() || got.SuspendReason != "" {
		t.Errorf("after lifting: got reason %q, at %v; want none", got.SuspendReason, got.SuspendedAt)
	}
	wantCode(t, "verify missing", s.SetChannelVerified(ctx, c.ID+100, true), parley.ENotFound)
}

func testChannelAdmins(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c3 := newAccount(t, s, "+15550000003")
	ch := newChannel(t, s, a.ID, "news")
	ok(t, "add admin", s.AddChannelAdmin(ctx, channel.ChannelAdminRow{ChannelID: ch.ID, AccountID: b.ID, Role: channel.ChannelAdmin, AddedAt: t0}, 2))
	ok(t, "add admin twice", s.AddChannelAdmin(ctx, channel.ChannelAdminRow{ChannelID: ch.ID, AccountID: b.ID, Role: channel.ChannelAdmin, AddedAt: t0}, 2))
	wantCode(t, "add admin over limit", s.AddChannelAdmin(ctx, channel.ChannelAdminRow{ChannelID: ch.ID, AccountID: c3.ID, Role: channel.ChannelAdmin, AddedAt: t0}, 2), parley.ELimit)
	as, err := s.ChannelAdmins(ctx, ch.ID)
	ok(t, "admins", err)
	wantDiff(t, "admins", as, []channel.ChannelAdminRow{
		{ChannelID: ch.ID, AccountID: a.ID, Role: channel.ChannelOwner, AddedAt: t0},
		{ChannelID: ch.ID, AccountID: b.ID, Role: channel.ChannelAdmin, AddedAt: t0},
	})
	cs, err := s.AdminChannels(ctx, b.ID)
	ok(t, "admin channels", err)
	if len(cs) != 1 || cs[0].ID != ch.ID {
		t.Errorf("admin channels of b: got %v, want [%d]", cs, ch.ID)
	}
	ok(t, "remove admin", s.RemoveChannelAdmin(ctx, ch.ID, b.ID))
	wantCode(t, "remove admin twice", s.RemoveChannelAdmin(ctx, ch.ID, b.ID), parley.ENotFound)
	_, err = s.GetChannelAdmin(ctx, ch.ID, b.ID)
	wantCode(t, "get removed admin", err, parley.ENotFound)
}

func testChannelAdminInvites(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c3 := newAccount(t, s, "+15550000003")
	ch := newChannel(t, s, a.ID, "news")
	other := newChannel(t, s, a.ID, "sports")
	inv := channel.AdminInvite{ChannelID: ch.ID, AccountID: b.ID, InvitedBy: a.ID, CreatedAt: t0}
	got, created, err := s.InviteChannelAdmin(ctx, inv, 3)
	ok(t, "invite", err)
	if !created {
		t.Errorf("invite: got created false, want true")
	}
	wantDiff(t, "invite", got, inv)
	again := inv
	again.CreatedAt = t0.Add(time.Hour)
	got, created, err = s.InviteChannelAdmin(ctx, again, 3)
	ok(t, "invite twice", err)
	if created {
		t.Errorf("invite twice: got created true, want false")
	}
	wantDiff(t, "invite twice", got, inv)
	_, err = s.GetChannelAdmin(ctx, ch.ID, b.ID)
	wantCode(t, "an invitee is no admin", err, parley.ENotFound)
	_, _, err = s.InviteChannelAdmin(ctx, channel.AdminInvite{ChannelID: ch.ID, AccountID: a.ID, InvitedBy: a.ID, CreatedAt: t0}, 3)
	wantCode(t, "invite an admin", err, parley.EConflict)
	// The owner and one invitation fill a limit of 2.
	_, _, err = s.InviteChannelAdmin(ctx, channel.AdminInvite{ChannelID: ch.ID, AccountID: c3.ID, InvitedBy: a.ID, CreatedAt: t0}, 2)
	wantCode(t, "invite over limit", err, parley.ELimit)
	_, _, err = s.InviteChannelAdmin(ctx, channel.AdminInvite{ChannelID: ch.ID, AccountID: 999999, InvitedBy: a.ID, CreatedAt: t0}, 3)
	wantCode(t, "invite an unknown account", err, parley.ENotFound)
	_, _, err = s.InviteChannelAdmin(ctx, channel.AdminInvite{ChannelID: 999999, AccountID: b.ID, InvitedBy: a.ID, CreatedAt: t0}, 3)
	wantCode(t, "invite to an unknown channel", err, parley.ENotFound)
	other3 := channel.AdminInvite{ChannelID: other.ID, AccountID: b.ID, InvitedBy: a.ID, CreatedAt: t0.Add(time.Minute)}
	_, _, err = s.InviteChannelAdmin(ctx, other3, 3)
	ok(t, "invite to another channel", err)

	invs, err := s.ChannelAdminInvites(ctx, ch.ID)
	ok(t, "channel admin invites", err)
	wantDiff(t, "channel admin invites", invs, []channel.AdminInvite{inv})
	invs, err = s.AdminInvitesOf(ctx, b.ID)
	ok(t, "admin invites of", err)
	wantDiff(t, "admin invites of", invs, []channel.AdminInvite{inv, other3})

	ok(t, "accept", s.AcceptChannelAdminInvite(ctx, ch.ID, b.ID, t0))
	wantCode(t, "accept twice", s.AcceptChannelAdminInvite(ctx, ch.ID, b.ID, t0), parley.ENotFound)
	adm, err := s.GetChannelAdmin(ctx, ch.ID, b.ID)
	ok(t, "accepted admin", err)
	wantDiff(t, "accepted admin", adm, channel.ChannelAdminRow{ChannelID: ch.ID, AccountID: b.ID, Role: channel.ChannelAdmin, AddedAt: t0})
	invs, err = s.ChannelAdminInvites(ctx, ch.ID)
	ok(t, "channel admin invites after accepting", err)
	if len(invs) != 0 {
		t.Errorf("invites after accepting: got %v, want none", invs)
	}

	ok(t, "decline", s.DeleteChannelAdminInvite(ctx, other.ID, b.ID))
	wantCode(t, "decline twice", s.DeleteChannelAdminInvite(ctx, other.ID, b.ID), parley.ENotFound)
	_, err = s.GetChannelAdmin(ctx, other.ID, b.ID)
	wantCode(t, "a decliner is no admin", err, parley.ENotFound)
	invs, err = s.AdminInvitesOf(ctx, b.ID)
	ok(t, "admin invites of after answering", err)
	if len(invs) != 0 {
		t.Errorf("invites of b after answering: got %v, want none", invs)
	}
}

func testChannelMedia(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "news")
	other := newChannel(t, s, a.ID, "sports")
	for _, id := range []string{"med_ch", "med_chat"} {
		ok(t, "create media", s.CreateMedia(ctx, chat.Media{ID: id, SHA256: "00", ContentType: "image/png", OwnerID: a.ID, CreatedAt: t0}))
	}
	ok(t, "add channel media", s.AddChannelMedia(ctx, ch.ID, "med_ch"))
	ok(t, "add channel media twice", s.AddChannelMedia(ctx, ch.ID, "med_ch"))
	wantCode(t, "add another channel's media", s.AddChannelMedia(ctx, other.ID, "med_ch"), parley.EConflict)
	wantCode(t, "add unknown media", s.AddChannelMedia(ctx, ch.ID, "med_nope"), parley.ENotFound)
	for _, tt := range []struct {
		channel int64
		media   string
		want    bool
	}{
		{ch.ID, "med_ch", true},
		{other.ID, "med_ch", false},
		{ch.ID, "med_chat", false},
		{ch.ID, "med_nope", false},
	} {
		got, err := s.IsChannelMedia(ctx, tt.channel, tt.media)
		ok(t, "is channel media", err)
		if got != tt.want {
			t.Errorf("IsChannelMedia(%d, %s): got %v, want %v", tt.channel, tt.media, got, tt.want)
		}
	}
	ok(t, "delete media", s.DeleteMedia(ctx, "med_ch"))
	got, err := s.IsChannelMedia(ctx, ch.ID, "med_ch")
	ok(t, "is deleted channel media", err)
	if got {
		t.Errorf("IsChannelMedia after delete: got true, want false")
	}
}

func testChannelFollows(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	ch := newChannel(t, s, a.ID, "news")
	day := at(0)
	added, err := s.AddFollow(ctx, channel.Follow{ChannelID: ch.ID, AccountID: b.ID, FollowedAt: day})
	ok(t, "follow", err)
	again, err := s.AddFollow(ctx, channel.Follow{ChannelID: ch.ID, AccountID: b.ID, FollowedAt: day})
	ok(t, "follow again", err)
	if !added || again {
		t.Errorf("follow then follow again: got %v, %v, want true, false", added, again)
	}
	_, err = s.AddFollow(ctx, channel.Follow{ChannelID: ch.ID + 100, AccountID: b.ID, FollowedAt: day})
	wantCode(t, "follow missing channel", err, parley.ENotFound)
	got, err := s.GetChannel(ctx, ch.ID)
	ok(t, "GetChannel", err)
	if got.Followers != 1 {
		t.Errorf("followers: got %d, want 1", got.Followers)
	}
	ok(t, "mute", s.SetFollowMuted(ctx, ch.ID, b.ID, true))
	ok(t, "read", s.RaiseReadSeq(ctx, ch.ID, b.ID, 5))
	ok(t, "read lower", s.RaiseReadSeq(ctx, ch.ID, b.ID, 3))
	f, err := s.GetFollow(ctx, ch.ID, b.ID)
	ok(t, "get follow", err)
	wantDiff(t, "follow", f, channel.Follow{ChannelID: ch.ID, AccountID: b.ID, Muted: true, ReadSeq: 5, FollowedAt: day})
	fs, cs, err := s.FollowedChannels(ctx, b.ID)
	ok(t, "followed channels", err)
	if len(fs) != 1 || len(cs) != 1 || cs[0].ID != ch.ID || fs[0] != f {
		t.Errorf("followed channels: got %v %v", fs, cs)
	}
	removed, err := s.RemoveFollow(ctx, ch.ID, b.ID, at(48*time.Hour))
	ok(t, "unfollow", err)
	removedAgain, err := s.RemoveFollow(ctx, ch.ID, b.ID, at(48*time.Hour))
	ok(t, "unfollow again", err)
	if !removed || removedAgain {
		t.Errorf("unfollow twice: got %v, %v, want true, false", removed, removedAgain)
	}
	wantCode(t, "mute after unfollow", s.SetFollowMuted(ctx, ch.ID, b.ID, false), parley.ENotFound)
	d0 := channel.DayOf(t0)
	days, err := s.ChannelDays(ctx, ch.ID, d0, d0+10)
	ok(t, "channel days", err)
	wantDiff(t, "days", days, []channel.ChannelDay{
		{ChannelID: ch.ID, Day: d0, Follows: 1, Followers: 1},
		{ChannelID: ch.ID, Day: d0 + 2, Unfollows: 1, Followers: 0},
	})
}

func testChannelFollowsConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	owner := newAccount(t, s, "+15550000100")
	ch := newChannel(t, s, owner.ID, "news")
	const n = 20
	var accts []chat.Account
	for i := range n {
		accts = append(accts, newAccount(t, s, fmt.Sprintf("+155500010%02d", i)))
	}
	var wg sync.WaitGroup
	for i := range n {
		for range 2 { // each follows twice, concurrently
			wg.Go(func() {
				if _, err := s.AddFollow(ctx, channel.Follow{ChannelID: ch.ID, AccountID: accts[i].ID, FollowedAt: t0}); err != nil {
					t.Errorf("follow: %v", err)
				}
			})
		}
	}
	wg.Wait()
	got, err := s.GetChannel(ctx, ch.ID)
	ok(t, "GetChannel", err)
	if got.Followers != n {
		t.Errorf("followers after concurrent follows: got %d, want %d", got.Followers, n)
	}
	days, err := s.ChannelDays(ctx, ch.ID, 0, 1<<40)
	ok(t, "ChannelDays", err)
	if len(days) != 1 || days[0].Follows != n {
		t.Errorf("days after concurrent follows: got %+v, want one day with %d follows", days, n)
	}
}

func testChannelFollowRequests(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	ch := newChannel(t, s, a.ID, "news")
	r, err := s.PutFollowRequest(ctx, channel.FollowRequest{ID: "req1", ChannelID: ch.ID, AccountID: b.ID, CreatedAt: t0})
	ok(t, "put request", err)
	r2, err := s.PutFollowRequest(ctx, channel.FollowRequest{ID: "req2", ChannelID: ch.ID, AccountID: b.ID, CreatedAt: at(time.Second)})
	ok(t, "put request again", err)
	want := channel.FollowRequest{ID: "req1", ChannelID: ch.ID, AccountID: b.ID, CreatedAt: t0}
	wantDiff(t, "request", r, want)
	wantDiff(t, "repeated request", r2, want)
	rs, err := s.FollowRequests(ctx, ch.ID, 10)
	ok(t, "requests", err)
	wantDiff(t, "requests", rs, []channel.FollowRequest{want})
	n, err := s.CountFollowRequests(ctx, ch.ID)
	ok(t, "count requests", err)
	if n != 1 {
		t.Errorf("count requests: got %d, want 1", n)
	}
	got, err := s.GetFollowRequest(ctx, ch.ID, "req1")
	ok(t, "get request", err)
	wantDiff(t, "got request", got, want)
	got, err = s.FollowRequestOf(ctx, ch.ID, b.ID)
	ok(t, "request of", err)
	wantDiff(t, "request of", got, want)
	_, err = s.FollowRequestOf(ctx, ch.ID, a.ID)
	wantCode(t, "request of one who did not ask", err, parley.ENotFound)
	ok(t, "delete request", s.DeleteFollowRequest(ctx, ch.ID, "req1"))
	wantCode(t, "delete request twice", s.DeleteFollowRequest(ctx, ch.ID, "req1"), parley.ENotFound)
}

func testChannelPosts(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "news")
	var posts []channel.Post
	for i := range 5 {
		p := channel.Post{ChannelID: ch.ID, Kind: channel.PostText, Text: fmt.Sprint("post ", i), AuthorID: a.ID,
			CreatedAt: at(time.Duration(i) * time.Second), SubscriberOnly: i == 3}
		if i == 4 {
			p.Kind, p.Poll = channel.PostPoll, &wire.Poll{Options: []string{"yes", "no"}, Multiple: true}
		}
		ok(t, "create post", s.CreatePost(ctx, &p))
		if p.Seq != int64(i+1) {
			t.Fatalf("post %d: got seq %d, want %d", i, p.Seq, i+1)
		}
		posts = append(posts, p)
	}
	p := channel.Post{ChannelID: ch.ID + 100, Kind: channel.PostText, Text: "x", AuthorID: a.ID, CreatedAt: t0}
	wantCode(t, "post to missing channel", s.CreatePost(ctx, &p), parley.ENotFound)
	got, err := s.GetChannel(ctx, ch.ID)
	ok(t, "GetChannel", err)
	if got.LastSeq != 5 {
		t.Errorf("last seq: got %d, want 5", got.LastSeq)
	}
	gp, err := s.GetPost(ctx, ch.ID, 5)
	ok(t, "get post", err)
	wantDiff(t, "poll post", gp, posts[4])

	page, err := s.Posts(ctx, ch.ID, 0, 2, true)
	ok(t, "first page", err)
	wantDiff(t, "first page", page, []channel.Post{posts[4], posts[3]})
	page, err = s.Posts(ctx, ch.ID, 4, 10, false)
	ok(t, "second page without subscriber posts", err)
	wantDiff(t, "second page", page, []channel.Post{posts[2], posts[1], posts[0]})

	upd := posts[0]
	upd.Text, upd.Link, upd.EditedAt = "edited", "https://example.com", at(time.Hour)
	upd.Kind = channel.PostPoll // not written
	ok(t, "update post", s.UpdatePost(ctx, upd))
	gp, err = s.GetPost(ctx, ch.ID, 1)
	ok(t, "GetPost", err)
	upd.Kind = channel.PostText
	wantDiff(t, "updated post", gp, upd)

	ok(t, "delete post", s.DeletePost(ctx, ch.ID, 2))
	wantCode(t, "delete post twice", s.DeletePost(ctx, ch.ID, 2), parley.ENotFound)
	_, err = s.GetPost(ctx, ch.ID, 2)
	wantCode(t, "get deleted post", err, parley.ENotFound)
}

func testChannelPurge(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "news")
	for i := range 5 {
		p := channel.Post{ChannelID: ch.ID, Kind: channel.PostText, Text: "x", AuthorID: a.ID, CreatedAt: at(time.Duration(i) * time.Hour)}
		ok(t, "create post", s.CreatePost(ctx, &p))
	}
	ok(t, "react", s.SetReaction(ctx, ch.ID, 1, a.ID, "👍"))
	n, err := s.PurgePosts(ctx, at(3*time.Hour), 2)
	ok(t, "purge", err)
	if n != 2 {
		t.Errorf("purge with limit 2: got %d, want 2", n)
	}
	n, err = s.PurgePosts(ctx, at(3*time.Hour), 10)
	ok(t, "purge rest", err)
	if n != 1 {
		t.Errorf("purge rest: got %d, want 1", n)
	}
	ps, err := s.Posts(ctx, ch.ID, 0, 10, true)
	ok(t, "Posts", err)
	if len(ps) != 2 || ps[0].Seq != 5 || ps[1].Seq != 4 {
		t.Errorf("after purge: got %d posts, want seqs 5 and 4", len(ps))
	}
	st, err := s.PostStats(ctx, ch.ID, []int64{1})
	ok(t, "PostStats", err)
	if len(st) != 0 {
		t.Errorf("stats of purged post: got %v, want none", st)
	}
}

func testChannelReactionsVotes(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	ch := newChannel(t, s, a.ID, "news")
	p := channel.Post{ChannelID: ch.ID, Kind: channel.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"a", "b", "c"}}, AuthorID: a.ID, CreatedAt: t0}
	ok(t, "create post", s.CreatePost(ctx, &p))
	ok(t, "react a", s.SetReaction(ctx, ch.ID, 1, a.ID, "👍"))
	ok(t, "react b", s.SetReaction(ctx, ch.ID, 1, b.ID, "👍"))
	ok(t, "change b", s.SetReaction(ctx, ch.ID, 1, b.ID, "❤️"))
	ok(t, "vote a", s.SetVotes(ctx, ch.ID, 1, a.ID, []int{0, 2}))
	ok(t, "vote b", s.SetVotes(ctx, ch.ID, 1, b.ID, []int{2}))
	ok(t, "revote b", s.SetVotes(ctx, ch.ID, 1, b.ID, []int{1}))
	wantCode(t, "react to missing post", s.SetReaction(ctx, ch.ID, 9, a.ID, "👍"), parley.ENotFound)
	wantCode(t, "vote on missing post", s.SetVotes(ctx, ch.ID, 9, a.ID, []int{0}), parley.ENotFound)
	st, err := s.PostStats(ctx, ch.ID, []int64{1, 9})
	ok(t, "stats", err)
	wantDiff(t, "stats", st, map[int64]channel.PostStats{1: {Reactions: map[string]int64{"👍": 1, "❤️": 1}, Votes: []int64{1, 1, 1}, Voters: 2}})
	mine, err := s.PostMine(ctx, ch.ID, a.ID, []int64{1})
	ok(t, "mine", err)
	wantDiff(t, "mine", mine, map[int64]channel.PostMine{1: {Reaction: "👍", Votes: []int{0, 2}}})
	ok(t, "unreact", s.SetReaction(ctx, ch.ID, 1, a.ID, ""))
	ok(t, "unvote", s.SetVotes(ctx, ch.ID, 1, a.ID, nil))
	st, err = s.PostStats(ctx, ch.ID, []int64{1})
	ok(t, "PostStats", err)
	wantDiff(t, "stats after removal", st, map[int64]channel.PostStats{1: {Reactions: map[string]int64{"❤️": 1}, Votes: []int64{0, 1}, Voters: 1}})
}

// testChannelVotesConcurrent has many voters vote and change their votes
// at once: the counts must be exact.
func testChannelVotesConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	owner := newAccount(t, s, "+15550000100")
	ch := newChannel(t, s, owner.ID, "news")
	p := channel.Post{ChannelID: ch.ID, Kind: channel.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"a", "b"}}, AuthorID: owner.ID, CreatedAt: t0}
	ok(t, "create post", s.CreatePost(ctx, &p))
	const n = 30
	var accts []chat.Account
	for i := range n {
		a := newAccount(t, s, fmt.Sprintf("+155500010%02d", i))
		if _, err := s.AddFollow(ctx, channel.Follow{ChannelID: ch.ID, AccountID: a.ID, FollowedAt: t0}); err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Vote b, then a, concurrently with everyone else; twice a reaction.
			for _, opt := range []int{1, 0} {
				if err := s.SetVotes(ctx, ch.ID, p.Seq, accts[i].ID, []int{opt}); err != nil {
					t.Errorf("vote: %v", err)
				}
			}
			for _, e := range []string{"👍", "🔥"} {
				if err := s.SetReaction(ctx, ch.ID, p.Seq, accts[i].ID, e); err != nil {
					t.Errorf("react: %v", err)
				}
			}
		})
	}
	wg.Wait()
	st, err := s.PostStats(ctx, ch.ID, []int64{p.Seq})
	ok(t, "stats", err)
	wantDiff(t, "stats after concurrent votes", st[p.Seq], channel.PostStats{Reactions: map[string]int64{"🔥": n}, Votes: []int64{n}, Voters: n})
}

func testChannelViews(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "news")
	p := channel.Post{ChannelID: ch.ID, Kind: channel.PostText, Text: "x", AuthorID: a.ID, CreatedAt: t0}
	ok(t, "create post", s.CreatePost(ctx, &p))
	for i, v := range []string{"h1", "h2", "h1"} {
		added, err := s.AddView(ctx, ch.ID, p.Seq, []byte(v))
		ok(t, "view", err)
		if want := i < 2; added != want {
			t.Errorf("view %d (%s): got new %v, want %v", i, v, added, want)
		}
	}
	_, err := s.AddView(ctx, ch.ID, 99, []byte("h1"))
	wantCode(t, "view missing post", err, parley.ENotFound)
	gp, err := s.GetPost(ctx, ch.ID, p.Seq)
	ok(t, "GetPost", err)
	if gp.Views != 2 {
		t.Errorf("views: got %d, want 2", gp.Views)
	}
}

func testChannelDirectory(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	var fans []chat.Account
	for i := range 4 {
		fans = append(fans, newAccount(t, s, fmt.Sprintf("+155500010%02d", i)))
	}
	old := newChannel(t, s, a.ID, "old_news")  // 3 followers, all long ago
	mid := newChannel(t, s, a.ID, "mid_sport") // 2 followers, this week
	hidden := newChannel(t, s, a.ID, "hidden_news")
	c := channel.Channel{Handle: "newest", Name: "Newest Tech", Category: "technology", Country: "US", Language: "en",
		OwnerID: a.ID, Listed: true, FollowPolicy: channel.FollowAnyone, InviteCode: "inv-newest", CreatedAt: at(time.Hour)}
	ok(t, "create newest", s.CreateChannel(ctx, &c))
	hidden.Listed = false
	ok(t, "unlist", s.UpdateChannel(ctx, hidden))
	susp := newChannel(t, s, a.ID, "suspended")
	ok(t, "suspend", s.SetChannelSuspension(ctx, susp.ID, "spam", t0))
	week := at(30 * 24 * time.Hour)
	for i := range 3 {
		_, err := s.AddFollow(ctx, channel.Follow{ChannelID: old.ID, AccountID: fans[i].ID, FollowedAt: t0})
		ok(t, "follow old", err)
	}
	for i := range 2 {
		_, err := s.AddFollow(ctx, channel.Follow{ChannelID: mid.ID, AccountID: fans[i].ID, FollowedAt: week})
		ok(t, "follow mid", err)
	}
	ids := func(cs []channel.Channel) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	q := func(q channel.DirectoryQuery) []int64 {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 10
		}
		cs, err := s.Directory(ctx, q)
		ok(t, "directory", err)
		return ids(cs)
	}
	wantDiff(t, "popular", q(channel.DirectoryQuery{Sort: channel.SortPopular}), []int64{old.ID, mid.ID, c.ID})
	wantDiff(t, "growth", q(channel.DirectoryQuery{Sort: channel.SortGrowth, Since: channel.DayOf(week) - 6}), []int64{mid.ID, old.ID, c.ID})
	wantDiff(t, "new", q(channel.DirectoryQuery{Sort: channel.SortNew}), []int64{c.ID, mid.ID, old.ID})
	wantDiff(t, "category", q(channel.DirectoryQuery{Category: "technology"}), []int64{c.ID})
	wantDiff(t, "country and language", q(channel.DirectoryQuery{Country: "BR", Language: "pt"}), []int64{old.ID, mid.ID})
	wantDiff(t, "search name", q(channel.DirectoryQuery{Search: "TECH"}), []int64{c.ID})
	wantDiff(t, "search handle", q(channel.DirectoryQuery{Search: "_sport"}), []int64{mid.ID})
	wantDiff(t, "search is literal", q(channel.DirectoryQuery{Search: "%"}), []int64(nil))
	wantDiff(t, "paging", q(channel.DirectoryQuery{Limit: 1, Offset: 1}), []int64{mid.ID})
}

func testChannelReports(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "news")
	r1 := channel.ChannelReport{ChannelID: ch.ID, ReporterID: a.ID, Reason: "spam", CreatedAt: t0}
	ok(t, "report", s.AddChannelReport(ctx, &r1))
	r2 := channel.ChannelReport{ChannelID: ch.ID, PostSeq: 3, ReporterID: a.ID, Reason: "violence", CreatedAt: t0}
	ok(t, "report post", s.AddChannelReport(ctx, &r2))
	again := channel.ChannelReport{ChannelID: ch.ID, ReporterID: a.ID, Reason: "again", CreatedAt: t0}
	ok(t, "report again", s.AddChannelReport(ctx, &again))
	if again.ID != r1.ID {
		t.Errorf("repeated report: got id %d, want %d", again.ID, r1.ID)
	}
	rs, err := s.ChannelReports(ctx, 10)
	ok(t, "reports", err)
	wantDiff(t, "reports", rs, []channel.ChannelReport{r2, r1})
}

func testChannelSubscriptions(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	ch := newChannel(t, s, a.ID, "paid")
	gold := channel.Tier{ChannelID: ch.ID, Name: "gold", PriceMinor: 500, Currency: "USD", Active: true, CreatedAt: t0}
	ok(t, "create tier", s.CreateTier(ctx, &gold))
	basic := channel.Tier{ChannelID: ch.ID, Name: "basic", PriceMinor: 100, Currency: "USD", Active: true, CreatedAt: t0}
	ok(t, "create tier", s.CreateTier(ctx, &basic))
	ts, err := s.Tiers(ctx, ch.ID)
	ok(t, "tiers", err)
	wantDiff(t, "tiers by price", ts, []channel.Tier{basic, gold})
	ok(t, "close tier", s.SetTierActive(ctx, ch.ID, gold.ID, false))
	got, err := s.GetTier(ctx, ch.ID, gold.ID)
	ok(t, "get tier", err)
	if got.Active {
		t.Errorf("closed tier: got active")
	}
	wantCode(t, "close missing tier", s.SetTierActive(ctx, ch.ID+1, gold.ID, false), parley.ENotFound)

	sub := channel.Subscription{ChannelID: ch.ID, AccountID: b.ID, TierID: basic.ID, PriceMinor: 100, Currency: "USD", Method: "m",
		Status: channel.SubActive, Period: 1, PeriodEnd: at(30 * 24 * time.Hour), CreatedAt: t0}
	ok(t, "put subscription", s.PutSubscription(ctx, &sub))
	gs, err := s.GetSubscription(ctx, ch.ID, b.ID)
	ok(t, "get subscription", err)
	wantDiff(t, "subscription", gs, sub)
	next := sub
	next.Period, next.PeriodEnd = 2, at(60*24*time.Hour)
	ok(t, "renew", s.PutSubscription(ctx, &next))
	if next.ID != sub.ID {
		t.Errorf("replacing a subscription: got id %d, want %d", next.ID, sub.ID)
	}
	n, err := s.CountSubscribers(ctx, ch.ID)
	ok(t, "count", err)
	if n != 1 {
		t.Errorf("subscribers: got %d, want 1", n)
	}
	due, err := s.DueSubscriptions(ctx, at(59*24*time.Hour), 10)
	ok(t, "due early", err)
	if len(due) != 0 {
		t.Errorf("due before the period end: got %d, want 0", len(due))
	}
	due, err = s.DueSubscriptions(ctx, at(60*24*time.Hour), 10)
	ok(t, "due", err)
	wantDiff(t, "due", due, []channel.Subscription{next})

	es := []*money.LedgerEntry{
		{Key: "k1", ChannelID: ch.ID, Kind: "subscription_charge", Minor: 100, Currency: "USD", Ref: "s", At: t0},
		{Key: "k2", ChannelID: ch.ID, Kind: "operator_share", Minor: 30, Currency: "USD", Ref: "s", At: t0},
	}
	added, err := s.AppendLedger(ctx, es)
	ok(t, "append ledger", err)
	again, err := s.AppendLedger(ctx, []*money.LedgerEntry{{Key: "k1", ChannelID: ch.ID, Kind: "x", Minor: 1, Currency: "USD", At: t0}})
	ok(t, "append ledger again", err)
	if added != 2 || again != 0 {
		t.Errorf("ledger appends: got %d then %d, want 2 then 0", added, again)
	}
	got2, err := s.ChannelLedger(ctx, ch.ID, 0, 10)
	ok(t, "ledger", err)
	wantDiff(t, "ledger", got2, []money.LedgerEntry{*es[0], *es[1]})
	all, err := s.ChannelLedger(ctx, 0, es[0].ID, 10)
	ok(t, "ledger after", err)
	wantDiff(t, "ledger after the first", all, []money.LedgerEntry{*es[1]})
	// Each money entry is in the usage ledger too, once, with its amount.
	us, err := s.ListUsage(ctx, 0, 0, 100)
	ok(t, "list usage", err)
	var mirrored []billing.UsageEntry
	for _, u := range us {
		if u.ChannelID == ch.ID {
			u.ID = 0
			mirrored = append(mirrored, u)
		}
	}
	wantDiff(t, "usage ledger mirror", mirrored, []billing.UsageEntry{
		{Key: "ledger:k1", Event: "subscription_charge", Billable: true, At: t0, AmountMinor: 100, Currency: "USD", ChannelID: ch.ID, Ref: "s"},
		{Key: "ledger:k2", Event: "operator_share", Billable: true, At: t0, AmountMinor: 30, Currency: "USD", ChannelID: ch.ID, Ref: "s"},
	})
}

func testChannelPromotions(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	ch := newChannel(t, s, a.ID, "promo")
	p := channel.Promotion{ChannelID: ch.ID, BudgetMinor: 3, Currency: "USD", Start: t0, End: at(24 * time.Hour), CreatedAt: t0}
	ok(t, "create promotion", s.CreatePromotion(ctx, &p))
	live, err := s.LivePromotions(ctx, at(time.Hour), 10)
	ok(t, "live", err)
	if len(live) != 1 {
		t.Fatalf("live promotions: got %d, want 1", len(live))
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if err := s.AddPromotionImpression(ctx, p.ID, 1); err != nil {
				t.Errorf("impression: %v", err)
			}
		})
	}
	wg.Wait()
	ok(t, "follow", s.AddPromotionFollow(ctx, p.ID))
	got, err := s.GetPromotion(ctx, p.ID)
	ok(t, "get", err)
	if got.Impressions != 3 || got.SpentMinor != 3 || got.Follows != 1 {
		t.Errorf("promotion: got %d impressions, %d spent, %d follows; want 3, 3 (the budget), 1", got.Impressions, got.SpentMinor, got.Follows)
	}
	live, err = s.LivePromotions(ctx, at(time.Hour), 10)
	ok(t, "LivePromotions", err)
	if len(live) != 0 {
		t.Errorf("a spent promotion is still live")
	}
	ended, err := s.EndedPromotions(ctx, at(25*time.Hour), 10)
	ok(t, "ended", err)
	if len(ended) != 1 {
		t.Fatalf("ended: got %d, want 1", len(ended))
	}
	ok(t, "settle", s.SettlePromotion(ctx, p.ID))
	ended, err = s.EndedPromotions(ctx, at(25*time.Hour), 10)
	ok(t, "EndedPromotions", err)
	ps, err := s.Promotions(ctx, ch.ID)
	ok(t, "Promotions", err)
	if len(ended) != 0 || len(ps) != 1 || !ps[0].Settled {
		t.Errorf("after settling: got %d ended, promotions %+v", len(ended), ps)
	}
}
