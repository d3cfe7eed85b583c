package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

const operatorToken = "operator-secret-for-tests"

// channelEnv is a server for channel tests, with a movable clock and the
// operator API on.
type channelEnv struct {
	srv   *servertest.Server
	clock *servertest.Clock
	op    *client.Operator
	pay   *money.SandboxPayments
}

// channelStores runs fn once per store: SQLite with embedded NATS, and
// PostgreSQL with an external NATS when configured.
func channelStores(t *testing.T, fn func(t *testing.T, env channelEnv)) {
	stores := []struct {
		name string
		opts func(t *testing.T) []servertest.Option
	}{
		{"sqlite", func(t *testing.T) []servertest.Option { return nil }},
		{"postgres", func(t *testing.T) []servertest.Option {
			return []servertest.Option{servertest.WithPostgres(t, servertest.PostgresDSN(t)), servertest.WithExternalNATS(servertest.NATSURL(t))}
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			clock := &servertest.Clock{}
			pay := money.NewSandboxPayments()
			opts := append(st.opts(t),
				servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
				servertest.WithBulkLogins(), // fans logs in up to 17 people at once
				servertest.WithOptions(func(o *server.Options) { o.Payments = pay }),
				servertest.WithClock(clock),
				servertest.WithOptions(func(o *server.Options) { o.AdminToken = operatorToken }))
			srv := servertest.Start(t, opts...)
			fn(t, channelEnv{srv: srv, clock: clock, op: client.NewOperator(srv.AdminURL, operatorToken), pay: pay})
		})
	}
}

// fans logs in n people with phones +1415555 01nn, from start.
func fans(t *testing.T, srv *servertest.Server, start, n int) []person {
	t.Helper()
	out := make([]person, n)
	for i := range n {
		out[i] = login(t, srv, fmt.Sprintf("+1415555%04d", 110+start+i), "phone")
	}
	return out
}

func newChannel(t testing.TB, p person, handle string, mods ...func(*wire.ChannelInput)) wire.ChannelView {
	t.Helper()
	in := wire.ChannelInput{Handle: handle, Name: "Channel " + handle, Category: "news", Country: "BR", Language: "pt"}
	for _, m := range mods {
		m(&in)
	}
	return must(p.CreateChannel(ctxT(t), in)).get(t)
}

// connectLive opens p's socket and reads up to "ready", skipping any
// channel events that race with the connection.
func connectLive(t testing.TB, p person, after int64) (*client.Conn, []wire.Event) {
	t.Helper()
	ctx := ctxT(t)
	conn, err := p.Connect(ctx, after)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	var skipped []wire.Event
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("read backlog: %v", err)
		}
		if ev.Type == wire.EventReady {
			return conn, skipped
		}
		skipped = append(skipped, ev)
	}
}

func textPost(text string) wire.PostInput {
	return wire.PostInput{Kind: wire.PostText, Text: text}
}

func TestChannelFollowPostPushCatchUp(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		ch := newChannel(t, owner, "daily_news")
		if ch.Role != wire.ChannelOwner || ch.InviteCode == "" {
			t.Fatalf("owner's view: got role %q, invite %q; want owner and a code", ch.Role, ch.InviteCode)
		}

		// Bob follows and is online; carol follows and is offline.
		if r := must(bob.Follow(ctx, ch.ID)).get(t); r.Status != "following" {
			t.Fatalf("follow: got status %q, want following", r.Status)
		}
		must(carol.Follow(ctx, ch.ID)).get(t)
		conn, _ := connectLive(t, bob, 0)

		post := must(owner.Post(ctx, ch.ID, textPost("hello followers"))).get(t)
		if post.Seq != 1 {
			t.Fatalf("first post: got seq %d, want 1", post.Seq)
		}
		ev := next(t, conn, isType(wire.EventChannelPost))
		if ev.ChannelID != ch.ID || ev.Post == nil || ev.Post.Text != "hello followers" || ev.Post.Seq != 1 {
			t.Fatalf("pushed post: got %+v, want seq 1 with the text", ev)
		}

		// A follow made while connected is indexed at once.
		dave := login(t, env.srv, "+14155550104", "phone")
		dconn, _ := connectLive(t, dave, 0)
		must(dave.Follow(ctx, ch.ID)).get(t)
		next(t, dconn, isType(wire.EventChannelFollow))
		must(owner.Post(ctx, ch.ID, textPost("second"))).get(t)
		if ev := next(t, dconn, isType(wire.EventChannelPost)); ev.Post.Text != "second" {
			t.Fatalf("push after a live follow: got %q, want second", ev.Post.Text)
		}
		next(t, conn, isType(wire.EventChannelPost))

		// Carol catches up from the timeline, with paging and unread counts.
		for i := 3; i <= 5; i++ {
			must(owner.Post(ctx, ch.ID, textPost(fmt.Sprint("post ", i)))).get(t)
		}
		mine := must(carol.FollowedChannels(ctx)).get(t)
		if len(mine) != 1 || mine[0].Unread != 5 || !mine[0].Following {
			t.Fatalf("carol's channels: got %+v, want one with 5 unread", mine)
		}
		var seqs []int64
		var before int64
		for {
			page := must(carol.Timeline(ctx, ch.ID, before, 2)).get(t)
			for _, p := range page.Posts {
				seqs = append(seqs, p.Seq)
			}
			if page.Next == 0 {
				break
			}
			before = page.Next
		}
		if fmt.Sprint(seqs) != "[5 4 3 2 1]" {
			t.Fatalf("timeline pages: got seqs %v, want [5 4 3 2 1]", seqs)
		}
		if err := carol.MarkChannelRead(ctx, ch.ID, 5); err != nil {
			t.Fatal(err)
		}
		if v := must(carol.Channel(ctx, ch.ID)).get(t); v.Unread != 0 || v.ReadSeq != 5 {
			t.Fatalf("after reading: got unread %d, read seq %d; want 0, 5", v.Unread, v.ReadSeq)
		}

		// Mute and unfollow.
		if err := carol.MuteChannel(ctx, ch.ID, true); err != nil {
			t.Fatal(err)
		}
		if v := must(carol.Channel(ctx, ch.ID)).get(t); !v.Muted {
			t.Fatalf("after mute: got muted false")
		}
		if err := carol.Unfollow(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		if v := must(owner.Channel(ctx, ch.ID)).get(t); v.Followers != 2 {
			t.Fatalf("followers after carol left: got %d, want 2", v.Followers)
		}
		wantCode(t, carol.MuteChannel(ctx, ch.ID, false), "forbidden")

		// Invite links open the channel; resetting one voids it.
		if v := must(carol.ChannelByInvite(ctx, ch.InviteCode)).get(t); v.ID != ch.ID || v.InviteCode != "" {
			t.Fatalf("by invite: got id %d, invite %q; want %d and no code for a non-admin", v.ID, v.InviteCode, ch.ID)
		}
		must(owner.ResetChannelInvite(ctx, ch.ID)).get(t)
		_, err := carol.ChannelByInvite(ctx, ch.InviteCode)
		wantCode(t, err, "not_found")
	})
}

func TestChannelAdminsAndApproval(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		approved := wire.FollowApproved
		ch := newChannel(t, owner, "club", func(in *wire.ChannelInput) { in.FollowPolicy = &approved })

		_, err := bob.Post(ctx, ch.ID, textPost("not mine"))
		wantCode(t, err, "forbidden")
		_, err = bob.InviteChannelAdmin(ctx, ch.ID, carol.AccountID)
		wantCode(t, err, "forbidden")
		must(owner.InviteChannelAdmin(ctx, ch.ID, bob.AccountID)).get(t)
		if err := bob.AcceptAdminInvite(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		must(bob.Post(ctx, ch.ID, textPost("now I may"))).get(t)
		wantCode(t, bob.RemoveChannelAdmin(ctx, ch.ID, owner.AccountID), "forbidden")

		// Carol asks to follow; she cannot read yet.
		r := must(carol.Follow(ctx, ch.ID)).get(t)
		if r.Status != "requested" || r.RequestID == "" {
			t.Fatalf("follow an approval channel: got %+v, want requested with an id", r)
		}
		_, err = carol.Timeline(ctx, ch.ID, 0, 10)
		wantCode(t, err, "forbidden")
		if v := must(carol.Channel(ctx, ch.ID)).get(t); !v.Requested || v.Following {
			t.Fatalf("requester's view: got requested %v, following %v", v.Requested, v.Following)
		}
		// Withdrawing (unfollowing) removes the request; asking again files a new one.
		if err := carol.Unfollow(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		if reqs := must(bob.FollowRequests(ctx, ch.ID)).get(t); len(reqs) != 0 {
			t.Fatalf("after withdrawing: got %d requests, want 0", len(reqs))
		}
		r = must(carol.Follow(ctx, ch.ID)).get(t)
		reqs := must(bob.FollowRequests(ctx, ch.ID)).get(t)
		if len(reqs) != 1 || reqs[0].ID != r.RequestID {
			t.Fatalf("requests: got %+v, want the one opaque request", reqs)
		}
		wantCode(t, carol.AnswerFollowRequest(ctx, ch.ID, r.RequestID, true), "forbidden")
		if err := bob.AnswerFollowRequest(ctx, ch.ID, r.RequestID, true); err != nil {
			t.Fatal(err)
		}
		if page := must(carol.Timeline(ctx, ch.ID, 0, 10)).get(t); len(page.Posts) != 1 {
			t.Fatalf("after approval: got %d posts, want 1", len(page.Posts))
		}

		if err := owner.RemoveChannelAdmin(ctx, ch.ID, bob.AccountID); err != nil {
			t.Fatal(err)
		}
		_, err = bob.Post(ctx, ch.ID, textPost("no longer"))
		wantCode(t, err, "forbidden")
	})
}

// recorder keeps every response body an HTTP client receives.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.bodies = append(r.bodies, req.Method+" "+req.URL.Path+" → "+string(b))
	r.mu.Unlock()
	return resp, nil
}

// identifiers walks a JSON value and returns every number found under a
// key that names an account, and every string.
func identifiers(v any, key string, nums *[]int64, strs *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			identifiers(e, k, nums, strs)
		}
	case []any:
		for _, e := range x {
			identifiers(e, key, nums, strs)
		}
	case float64:
		if strings.Contains(key, "account") || strings.Contains(key, "follower_id") || strings.Contains(key, "user") || key == "owner_id" {
			*nums = append(*nums, int64(x))
		}
	case string:
		*strs = append(*strs, x)
	}
}

// TestChannelFollowerPrivacy calls every channel endpoint with an admin's
// token, after followers followed, reacted, voted, viewed, asked to follow
// and reported, and checks that no response names a follower.
func TestChannelFollowerPrivacy(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		rec := &recorder{}
		admin := login(t, env.srv, alicePhone, "phone", client.WithHTTPClient(&http.Client{Transport: rec}))
		followers := fans(t, env.srv, 0, 3)
		ch := newChannel(t, admin, "privacy")
		approved := wire.FollowApproved
		closed := newChannel(t, admin, "closed", func(in *wire.ChannelInput) { in.FollowPolicy = &approved })
		poll := must(admin.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"a", "b"}}})).get(t)
		for _, f := range followers {
			must(f.Follow(ctx, ch.ID)).get(t)
			must(f.Follow(ctx, closed.ID)).get(t)
			if err := f.ReactToPost(ctx, ch.ID, poll.Seq, "👍"); err != nil {
				t.Fatal(err)
			}
			must(f.Vote(ctx, ch.ID, poll.Seq, 1)).get(t)
			if err := f.RecordViews(ctx, ch.ID, poll.Seq); err != nil {
				t.Fatal(err)
			}
			if err := f.ReportChannel(ctx, ch.ID, poll.Seq, "test"); err != nil {
				t.Fatal(err)
			}
		}

		// Every endpoint an admin can call.
		must(admin.Channel(ctx, ch.ID)).get(t)
		must(admin.AdminChannels(ctx)).get(t)
		must(admin.FollowedChannels(ctx)).get(t)
		must(admin.ChannelAdmins(ctx, ch.ID)).get(t)
		must(admin.Timeline(ctx, ch.ID, 0, 50)).get(t)
		must(admin.ChannelPost(ctx, ch.ID, poll.Seq)).get(t)
		must(admin.ChannelInsights(ctx, ch.ID, 30)).get(t)
		must(admin.Directory(ctx, client.DirectoryQuery{})).get(t)
		must(admin.ChannelByInvite(ctx, must(admin.Channel(ctx, ch.ID)).get(t).InviteCode)).get(t)
		reqs := must(admin.FollowRequests(ctx, closed.ID)).get(t)
		if len(reqs) != len(followers) {
			t.Fatalf("requests: got %d, want %d", len(reqs), len(followers))
		}
		if err := admin.AnswerFollowRequest(ctx, closed.ID, reqs[0].ID, true); err != nil {
			t.Fatal(err)
		}
		must(admin.Channel(ctx, closed.ID)).get(t)
		must(admin.UpdateChannel(ctx, ch.ID, wire.ChannelUpdate{})).get(t)
		must(admin.EditPost(ctx, ch.ID, poll.Seq, wire.PostEdit{})).get(t)
		must(admin.ForwardPost(ctx, ch.ID, poll.Seq)).get(t)
		must(admin.Post(ctx, ch.ID, textPost("after"))).get(t)
		// The admin's WebSocket sees the channel's pushes too.
		if v := must(admin.Channel(ctx, ch.ID)).get(t); v.Followers != 3 {
			t.Fatalf("followers: got %d, want 3", v.Followers)
		}

		ids := map[int64]bool{}
		var phones []string
		for _, f := range followers {
			ids[f.AccountID] = true
			phones = append(phones, f.phone, strings.TrimPrefix(f.phone, "+"))
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.bodies) < 15 {
			t.Fatalf("recorded %d responses, want every endpoint's", len(rec.bodies))
		}
		for _, body := range rec.bodies {
			for _, ph := range phones {
				if strings.Contains(body, ph) {
					t.Errorf("a follower's phone %s appears in %s", ph, body)
				}
			}
			_, js, _ := strings.Cut(body, " → ")
			var v any
			if json.Unmarshal([]byte(js), &v) != nil {
				continue
			}
			var nums []int64
			var strs []string
			identifiers(v, "", &nums, &strs)
			for _, n := range nums {
				if ids[n] {
					t.Errorf("a follower's account id %d appears in %s", n, body)
				}
			}
			for _, s := range strs {
				for id := range ids {
					if s == strconv.FormatInt(id, 10) {
						t.Errorf("a follower's account id %d appears as a string in %s", id, body)
					}
				}
			}
		}
		// The operator sees reports, not reporters.
		rs := must(env.op.Reports(ctx)).get(t)
		if len(rs) != 3 {
			t.Errorf("reports: got %d, want 3 (one per reporter)", len(rs))
		}
		b, _ := json.Marshal(rs)
		for _, f := range followers {
			if bytes.Contains(b, []byte(f.phone)) || bytes.Contains(b, []byte(`"reporter`)) {
				t.Errorf("reports name a reporter: %s", b)
			}
		}
	})
}

func TestChannelPollsAndReactionsConcurrent(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		const n = 16
		voters := fans(t, env.srv, 0, n)
		ch := newChannel(t, owner, "polls")
		single := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "one?", Poll: &wire.Poll{Options: []string{"red", "green", "blue"}}})).get(t)
		multi := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "many?", Poll: &wire.Poll{Options: []string{"a", "b", "c"}, Multiple: true}})).get(t)
		for _, v := range voters {
			must(v.Follow(ctx, ch.ID)).get(t)
		}
		var wg sync.WaitGroup
		for i, v := range voters {
			wg.Go(func() {
				ctx := context.Background()
				// Everyone votes red, then changes to green (odd) or blue (even).
				if _, err := v.Vote(ctx, ch.ID, single.Seq, 0); err != nil {
					t.Errorf("vote: %v", err)
				}
				if _, err := v.Vote(ctx, ch.ID, single.Seq, 1+i%2); err != nil {
					t.Errorf("change vote: %v", err)
				}
				if _, err := v.Vote(ctx, ch.ID, multi.Seq, 0, 2); err != nil {
					t.Errorf("multi vote: %v", err)
				}
				for _, e := range []string{"👍", "❤️"} {
					if err := v.ReactToPost(ctx, ch.ID, single.Seq, e); err != nil {
						t.Errorf("react: %v", err)
					}
				}
				if i < 4 {
					if err := v.ReactToPost(ctx, ch.ID, single.Seq, ""); err != nil {
						t.Errorf("unreact: %v", err)
					}
				}
			})
		}
		wg.Wait()
		got := must(owner.ChannelPost(ctx, ch.ID, single.Seq)).get(t)
		if fmt.Sprint(got.Poll.Votes) != fmt.Sprint([]int64{0, n / 2, n / 2}) || got.Poll.Voters != n {
			t.Errorf("single-choice counts: got %v from %d voters, want [0 %d %d] from %d", got.Poll.Votes, got.Poll.Voters, n/2, n/2, n)
		}
		if got.Reactions["❤️"] != n-4 || len(got.Reactions) != 1 {
			t.Errorf("reactions: got %v, want ❤️: %d only", got.Reactions, n-4)
		}
		m := must(voters[0].ChannelPost(ctx, ch.ID, multi.Seq)).get(t)
		if fmt.Sprint(m.Poll.Votes) != fmt.Sprint([]int64{n, 0, n}) || fmt.Sprint(m.Poll.MyVotes) != "[0 2]" {
			t.Errorf("multi-choice counts: got %v, mine %v; want [%d 0 %d], [0 2]", m.Poll.Votes, m.Poll.MyVotes, n, n)
		}
		// Bad votes.
		_, err := voters[0].Vote(ctx, ch.ID, single.Seq, 0, 1)
		wantCode(t, err, "invalid_argument")
		_, err = voters[0].Vote(ctx, ch.ID, single.Seq, 7)
		wantCode(t, err, "invalid_argument")
		outsider := login(t, env.srv, carolPhone, "phone")
		_, err = outsider.Vote(ctx, ch.ID, single.Seq, 0)
		wantCode(t, err, "forbidden")
		// Reactions off.
		off := false
		must(owner.UpdateChannel(ctx, ch.ID, wire.ChannelUpdate{AllowReactions: &off})).get(t)
		wantCode(t, voters[0].ReactToPost(ctx, ch.ID, single.Seq, "🔥"), "forbidden")
	})
}

func TestChannelEditDeleteRetention(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		ch := newChannel(t, owner, "edits")
		must(bob.Follow(ctx, ch.ID)).get(t)
		conn, _ := connectLive(t, bob, 0)
		p1 := must(owner.Post(ctx, ch.ID, textPost("typo"))).get(t)
		next(t, conn, isType(wire.EventChannelPost))
		fixed := "fixed"
		got := must(owner.EditPost(ctx, ch.ID, p1.Seq, wire.PostEdit{Text: &fixed})).get(t)
		if got.Text != "fixed" || got.EditedAt == nil {
			t.Fatalf("edited post: got %+v", got)
		}
		if ev := next(t, conn, isType(wire.EventChannelPostEdited)); ev.Post.Text != "fixed" {
			t.Fatalf("edit push: got %+v", ev.Post)
		}
		p2 := must(owner.Post(ctx, ch.ID, textPost("to delete"))).get(t)
		if err := owner.DeletePost(ctx, ch.ID, p2.Seq); err != nil {
			t.Fatal(err)
		}
		if ev := next(t, conn, isType(wire.EventChannelPostDeleted)); ev.Post.Seq != p2.Seq {
			t.Fatalf("delete push: got %+v", ev.Post)
		}
		_, err := bob.ChannelPost(ctx, ch.ID, p2.Seq)
		wantCode(t, err, "not_found")
		wantCode(t, bob.DeletePost(ctx, ch.ID, p1.Seq), "forbidden")

		// After 30 days the window is closed; after the retention the post is gone.
		env.clock.Advance(30*24*time.Hour + time.Minute)
		_, err = owner.EditPost(ctx, ch.ID, p1.Seq, wire.PostEdit{Text: &fixed})
		wantCode(t, err, "window_closed")
		wantCode(t, owner.DeletePost(ctx, ch.ID, p1.Seq), "window_closed")
		fresh := must(owner.Post(ctx, ch.ID, textPost("fresh"))).get(t)
		if err := env.srv.SweepChannels(ctx); err != nil {
			t.Fatal(err)
		}
		page := must(bob.Timeline(ctx, ch.ID, 0, 10)).get(t)
		if len(page.Posts) != 1 || page.Posts[0].Seq != fresh.Seq {
			t.Fatalf("after retention: got %+v, want only the fresh post", page.Posts)
		}
	})
}

func TestChannelBadInput(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		ch := newChannel(t, owner, "inputs")
		long := strings.Repeat("x", 4097)
		tests := []struct {
			name string
			call func() error
			code string
		}{
			{"empty post", func() error { _, err := owner.Post(ctx, ch.ID, textPost("  ")); return err }, "invalid_argument"},
			{"oversized post", func() error { _, err := owner.Post(ctx, ch.ID, textPost(long)); return err }, "too_large"},
			{"unknown kind", func() error {
				_, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: "story", Text: "x"})
				return err
			}, "invalid_argument"},
			{"poll with one option", func() error {
				_, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"only"}}})
				return err
			}, "invalid_argument"},
			{"poll with duplicate options", func() error {
				_, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"Yes", "yes "}}})
				return err
			}, "invalid_argument"},
			{"bad link", func() error {
				_, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostLink, Link: "javascript:alert(1)"})
				return err
			}, "invalid_argument"},
			{"media of someone else", func() error {
				_, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostMedia, MediaID: "nope"})
				return err
			}, "invalid_argument"},
			{"post by a non-admin", func() error { _, err := bob.Post(ctx, ch.ID, textPost("hi")); return err }, "forbidden"},
			{"settings by a non-admin", func() error { _, err := bob.UpdateChannel(ctx, ch.ID, wire.ChannelUpdate{}); return err }, "forbidden"},
			{"insights by a non-admin", func() error { _, err := bob.ChannelInsights(ctx, ch.ID, 7); return err }, "forbidden"},
			{"bad handle", func() error {
				_, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "a!", Name: "x"})
				return err
			}, "invalid_argument"},
			{"taken handle", func() error {
				_, err := bob.CreateChannel(ctx, wire.ChannelInput{Handle: "@Inputs", Name: "x"})
				return err
			}, "conflict"},
			{"unknown category", func() error {
				_, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "cat", Name: "x", Category: "gossip"})
				return err
			}, "invalid_argument"},
			{"missing channel", func() error { _, err := bob.Follow(ctx, ch.ID+1000); return err }, "not_found"},
			{"operator without token", func() error {
				_, err := client.NewOperator(env.srv.AdminURL, "wrong").Suspend(ctx, ch.ID, "x")
				return err
			}, "unauthenticated"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
		}
	})
}

func TestChannelDirectory(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		people := fans(t, env.srv, 0, 4)
		big := newChannel(t, owner, "big_news")
		env.clock.Advance(10 * 24 * time.Hour)
		mid := newChannel(t, owner, "mid_sports", func(in *wire.ChannelInput) { in.Category = "sports" })
		tech := newChannel(t, owner, "tech_daily", func(in *wire.ChannelInput) {
			in.Name, in.Category, in.Country, in.Language = "Gadget Weekly", "technology", "US", "en"
		})
		unlisted := false
		newChannel(t, owner, "hidden", func(in *wire.ChannelInput) { in.Listed = &unlisted })
		// Big got 3 followers ten days ago; mid gets 2 now.
		env.clock.Advance(-10 * 24 * time.Hour)
		for _, p := range people[:3] {
			must(p.Follow(ctx, big.ID)).get(t)
		}
		env.clock.Advance(10 * 24 * time.Hour)
		for _, p := range people[:2] {
			must(p.Follow(ctx, mid.ID)).get(t)
		}
		ids := func(q client.DirectoryQuery) []int64 {
			t.Helper()
			var out []int64
			for _, c := range must(people[3].Directory(ctx, q)).get(t) {
				out = append(out, c.ID)
			}
			return out
		}
		tests := []struct {
			name string
			q    client.DirectoryQuery
			want []int64
		}{
			{"popular", client.DirectoryQuery{}, []int64{big.ID, mid.ID, tech.ID}},
			{"growth this week", client.DirectoryQuery{Sort: "growth"}, []int64{mid.ID, big.ID, tech.ID}},
			{"new", client.DirectoryQuery{Sort: "new"}, []int64{tech.ID, mid.ID, big.ID}},
			{"category", client.DirectoryQuery{Category: "sports"}, []int64{mid.ID}},
			{"country and language", client.DirectoryQuery{Country: "us", Language: "EN"}, []int64{tech.ID}},
			{"search by name", client.DirectoryQuery{Q: "gadget"}, []int64{tech.ID}},
			{"search by handle", client.DirectoryQuery{Q: "@mid_"}, []int64{mid.ID}},
			{"paging", client.DirectoryQuery{Limit: 1, Offset: 2}, []int64{tech.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := ids(tt.q); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
		_, err := people[0].Directory(ctx, client.DirectoryQuery{Sort: "random"})
		wantCode(t, err, "invalid_argument")

		// Verified badge by the operator.
		must(env.op.SetVerified(ctx, big.ID, true)).get(t)
		if v := must(people[0].Channel(ctx, big.ID)).get(t); !v.Verified {
			t.Errorf("after verification: got verified false")
		}
	})
}

func TestChannelInsights(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		people := fans(t, env.srv, 0, 3)
		ch := newChannel(t, owner, "stats")
		for _, p := range people {
			must(p.Follow(ctx, ch.ID)).get(t)
		}
		env.clock.Advance(24 * time.Hour)
		if err := people[0].Unfollow(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		post := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostPoll, Text: "?", Poll: &wire.Poll{Options: []string{"x", "y"}}})).get(t)
		for _, p := range people[1:] {
			for range 2 { // views count once per follower
				if err := p.RecordViews(ctx, ch.ID, post.Seq); err != nil {
					t.Fatal(err)
				}
			}
			must(p.Vote(ctx, ch.ID, post.Seq, 1)).get(t)
			if err := p.ReactToPost(ctx, ch.ID, post.Seq, "🎉"); err != nil {
				t.Fatal(err)
			}
		}
		in := must(owner.ChannelInsights(ctx, ch.ID, 7)).get(t)
		if in.Followers != 2 || len(in.Days) != 2 {
			t.Fatalf("insights: got %d followers, %d days; want 2 and 2", in.Followers, len(in.Days))
		}
		if d := in.Days[0]; d.Follows != 3 || d.Net != 3 || d.Followers != 3 {
			t.Errorf("day 1: got %+v, want 3 follows", d)
		}
		if d := in.Days[1]; d.Unfollows != 1 || d.Net != -1 || d.Followers != 2 {
			t.Errorf("day 2: got %+v, want 1 unfollow, 2 followers", d)
		}
		if len(in.Posts) != 1 || in.Posts[0].Views != 2 || fmt.Sprint(in.Posts[0].Votes) != "[0 2]" || in.Posts[0].Reactions["🎉"] != 2 {
			t.Errorf("post insight: got %+v, want 2 views, votes [0 2], 2 🎉", in.Posts)
		}
	})
}

func TestChannelSuspension(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		ch := newChannel(t, owner, "shady")
		must(bob.Follow(ctx, ch.ID)).get(t)
		conn, _ := connectLive(t, bob, 0)
		post := must(owner.Post(ctx, ch.ID, textPost("buy now"))).get(t)
		next(t, conn, isType(wire.EventChannelPost))
		if err := bob.ReportChannel(ctx, ch.ID, post.Seq, "scam"); err != nil {
			t.Fatal(err)
		}
		if rs := must(env.op.Reports(ctx)).get(t); len(rs) != 1 || rs[0].PostSeq != post.Seq || rs[0].Reason != "scam" {
			t.Fatalf("reports: got %+v", rs)
		}

		must(env.op.Suspend(ctx, ch.ID, "scam reports")).get(t)
		if ev := next(t, conn, isType(wire.EventChannelSuspended)); ev.Reason != "scam reports" {
			t.Fatalf("suspension push: got reason %q", ev.Reason)
		}
		v := must(bob.Channel(ctx, ch.ID)).get(t)
		if !v.Suspended || v.SuspendReason != "scam reports" {
			t.Fatalf("follower's view: got suspended %v, reason %q", v.Suspended, v.SuspendReason)
		}
		_, err := owner.Post(ctx, ch.ID, textPost("still here"))
		wantCode(t, err, "channel_suspended")
		_, err = carol.Follow(ctx, ch.ID)
		wantCode(t, err, "channel_suspended")
		if cs := must(carol.Directory(ctx, client.DirectoryQuery{Q: "shady"})).get(t); len(cs) != 0 {
			t.Errorf("directory lists a suspended channel: %+v", cs)
		}

		must(env.op.Unsuspend(ctx, ch.ID)).get(t)
		must(owner.Post(ctx, ch.ID, textPost("back"))).get(t)
		must(carol.Follow(ctx, ch.ID)).get(t)
	})
}

func TestChannelSubscriberOnlyAndForwards(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		ch := newChannel(t, owner, "premium")
		must(bob.Follow(ctx, ch.ID)).get(t)
		conn, _ := connectLive(t, bob, 0)
		paid := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostText, Text: "secret tip", SubscriberOnly: true})).get(t)
		ev := next(t, conn, isType(wire.EventChannelPost))
		if !ev.Post.Locked || ev.Post.Text != "" {
			t.Fatalf("subscriber-only push to a non-subscriber: got %+v, want locked without text", ev.Post)
		}
		got := must(bob.ChannelPost(ctx, ch.ID, paid.Seq)).get(t)
		if !got.Locked || got.Text != "" {
			t.Fatalf("non-subscriber's view: got %+v, want locked", got)
		}
		if got := must(owner.ChannelPost(ctx, ch.ID, paid.Seq)).get(t); got.Text != "secret tip" {
			t.Fatalf("admin's view: got %q, want the text", got.Text)
		}
		wantCode(t, bob.ReactToPost(ctx, ch.ID, paid.Seq, "👍"), "subscription_required")
		_, err := bob.ForwardPost(ctx, ch.ID, paid.Seq)
		wantCode(t, err, "subscription_required")

		free := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostLink, Link: "https://example.com/a", Text: "read"})).get(t)
		snap := must(bob.ForwardPost(ctx, ch.ID, free.Seq)).get(t)
		if snap.ChannelHandle != "premium" || snap.Link != "https://example.com/a" {
			t.Fatalf("forward snapshot: got %+v", snap)
		}
		off := false
		must(owner.UpdateChannel(ctx, ch.ID, wire.ChannelUpdate{AllowForwards: &off})).get(t)
		_, err = bob.ForwardPost(ctx, ch.ID, free.Seq)
		wantCode(t, err, "forbidden")
	})
}

func TestChannelSubscriptions(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		rec := &recorder{}
		owner := login(t, env.srv, alicePhone, "phone", client.WithHTTPClient(&http.Client{Transport: rec}))
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		ch := newChannel(t, owner, "premium_tips")
		_, err := owner.CreateTier(ctx, ch.ID, "too cheap", 1)
		wantCode(t, err, "invalid_argument")
		_, err = bob.CreateTier(ctx, ch.ID, "x", 500)
		wantCode(t, err, "forbidden")
		tier := must(owner.CreateTier(ctx, ch.ID, "Gold", 499)).get(t)
		for _, p := range []person{bob, carol} {
			must(p.Follow(ctx, ch.ID)).get(t)
		}
		paid := must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostText, Text: "members only", SubscriberOnly: true})).get(t)

		// Declined payment, then a good one.
		_, err = bob.Subscribe(ctx, ch.ID, tier.ID, "decline")
		wantCode(t, err, "payment_declined")
		sub := must(bob.Subscribe(ctx, ch.ID, tier.ID, "card")).get(t)
		if sub.Status != wire.SubActive || sub.Price.Minor != 499 {
			t.Fatalf("subscription: got %+v", sub)
		}
		_, err = bob.Subscribe(ctx, ch.ID, tier.ID, "card")
		wantCode(t, err, "conflict")
		must(carol.Subscribe(ctx, ch.ID, tier.ID, "card")).get(t)

		// Subscribers see subscriber-only posts; others do not.
		if got := must(bob.ChannelPost(ctx, ch.ID, paid.Seq)).get(t); got.Locked || got.Text != "members only" {
			t.Fatalf("subscriber's view: got %+v", got)
		}
		dave := login(t, env.srv, "+14155550104", "phone")
		must(dave.Follow(ctx, ch.ID)).get(t)
		if got := must(dave.ChannelPost(ctx, ch.ID, paid.Seq)).get(t); !got.Locked {
			t.Fatalf("non-subscriber's view: got unlocked %+v", got)
		}

		// Carol cancels: she keeps the paid month, then it ends. Bob's card
		// fails at renewal: his subscription lapses.
		must(carol.CancelSubscription(ctx, ch.ID)).get(t)
		env.pay.Decline(bob.AccountID, true)
		env.clock.Advance(30*24*time.Hour + time.Minute)
		if err := env.srv.SweepChannels(ctx); err != nil {
			t.Fatal(err)
		}
		if s := must(bob.Subscription(ctx, ch.ID)).get(t); s.Status != wire.SubLapsed {
			t.Errorf("bob after a declined renewal: got %s, want lapsed", s.Status)
		}
		if s := must(carol.Subscription(ctx, ch.ID)).get(t); s.Status != wire.SubCancelled {
			t.Errorf("carol after cancelling: got %s, want cancelled", s.Status)
		}
		// (The first post is past its retention now.)
		paid = must(owner.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostText, Text: "more", SubscriberOnly: true})).get(t)
		if got := must(bob.ChannelPost(ctx, ch.ID, paid.Seq)).get(t); !got.Locked {
			t.Errorf("lapsed subscriber still sees subscriber-only content")
		}
		// Bob pays again and renews the next month.
		env.pay.Decline(bob.AccountID, false)
		must(bob.Subscribe(ctx, ch.ID, tier.ID, "card")).get(t)
		env.clock.Advance(30*24*time.Hour + time.Minute)
		for range 2 { // a second sweep must not charge twice
			if err := env.srv.SweepChannels(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s := must(bob.Subscription(ctx, ch.ID)).get(t)
		if s.Status != wire.SubActive || !s.PeriodEnd.After(env.clock.Now()) {
			t.Errorf("bob after a paid renewal: got %+v", s)
		}

		// Four charges: bob, carol, bob again, bob's renewal; each with
		// the operator's 30% share, rounded half up (499 → 150).
		rev := must(owner.ChannelRevenue(ctx, ch.ID)).get(t)
		if rev.Subscribers != 1 || rev.Gross.Minor != 4*499 || rev.OperatorShare.Minor != 4*150 || rev.Net.Minor != 4*349 {
			t.Errorf("revenue: got %d subscribers, gross %d, share %d, net %d", rev.Subscribers, rev.Gross.Minor, rev.OperatorShare.Minor, rev.Net.Minor)
		}
		es := must(env.op.Ledger(ctx, 0)).get(t)
		keys := map[string]bool{}
		subEntries := 0
		for _, e := range es {
			if keys[e.Key] {
				t.Errorf("ledger key %s twice", e.Key)
			}
			keys[e.Key] = true
			if e.Kind == "subscription_charge" || e.Kind == "operator_share" {
				subEntries++ // the sweeper also records owner_payout entries of closed months
			}
		}
		if subEntries != 8 || env.pay.Charges() != 4 {
			t.Errorf("ledger: got %d subscription entries and %d charges, want 8 and 4", subEntries, env.pay.Charges())
		}

		// The owner's responses never name a subscriber.
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, body := range rec.bodies {
			for _, p := range []person{bob, carol, dave} {
				if strings.Contains(body, p.phone) || strings.Contains(body, fmt.Sprintf(`"account_id":%d`, p.AccountID)) {
					t.Errorf("a subscriber appears in %s", body)
				}
			}
		}
	})
}

func TestChannelPromotion(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		big := newChannel(t, owner, "big_one")
		small := newChannel(t, owner, "small_one")
		must(owner.Follow(ctx, big.ID)).get(t)
		_, err := bob.Promote(ctx, small.ID, 7, 100, "card")
		wantCode(t, err, "forbidden")
		must(owner.Promote(ctx, small.ID, 7, 2, "card")).get(t)

		// The promoted channel leads the first page, labelled, while the budget lasts.
		for i := range 3 {
			cs := must(bob.Directory(ctx, client.DirectoryQuery{})).get(t)
			promoted := len(cs) > 0 && cs[0].Promoted && cs[0].ID == small.ID
			if want := i < 2; promoted != want {
				t.Errorf("directory %d: got promoted first %v, want %v", i, promoted, want)
			}
		}
		must(bob.Follow(ctx, small.ID)).get(t)
		ps := must(owner.Promotions(ctx, small.ID)).get(t)
		if len(ps) != 1 || ps[0].Impressions != 2 || ps[0].Spent.Minor != 2 || ps[0].Follows != 1 {
			t.Fatalf("promotion: got %+v, want 2 impressions, 2 spent, 1 follow", ps)
		}
		env.clock.Advance(8 * 24 * time.Hour)
		if err := env.srv.SweepChannels(ctx); err != nil {
			t.Fatal(err)
		}
		es := must(env.op.Ledger(ctx, 0)).get(t)
		kinds := map[string]int64{}
		for _, e := range es {
			kinds[e.Kind] += e.Minor
		}
		if kinds["promotion_charge"] != 2 || kinds["promotion_settled"] != 2 {
			t.Errorf("ledger: got %v, want a charge of 2 and a settlement of 2", kinds)
		}
	})
}

// TestChannelPushAcrossNodes runs two nodes on one PostgreSQL and one NATS:
// a post made on one reaches a follower connected to the other.
func TestChannelPushAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
	natsURL := servertest.NATSURL(t)
	secret := []byte("a secret both nodes share, 32 bytes!")
	bus := servertest.WithExternalNATS(natsURL) // one Option: one deployment's subject prefix
	node := func() *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), bus,
			servertest.WithOptions(func(o *server.Options) { o.PostgresDSN, o.Secret = dsn, secret }))
	}
	a, b := node(), node()
	ctx := ctxT(t)
	owner := login(t, a, alicePhone, "phone")
	bob := login(t, a, bobPhone, "phone")
	ch := newChannel(t, owner, "two_nodes")
	must(bob.Follow(ctx, ch.ID)).get(t)

	// Bob's socket is on node b.
	bobOnB := person{Client: client.New(b.URL, client.WithToken(bob.Session.Token)), Session: bob.Session, phone: bob.phone}
	conn, _ := connectLive(t, bobOnB, 0)
	must(owner.Post(ctx, ch.ID, textPost("from node a"))).get(t)
	if ev := next(t, conn, isType(wire.EventChannelPost)); ev.Post.Text != "from node a" {
		t.Fatalf("push across nodes: got %+v", ev.Post)
	}
	// A follow made through node a is indexed on node b too.
	carol := login(t, a, carolPhone, "phone")
	carolOnB := person{Client: client.New(b.URL, client.WithToken(carol.Session.Token)), Session: carol.Session, phone: carol.phone}
	cconn, _ := connectLive(t, carolOnB, 0)
	must(carol.Follow(ctx, ch.ID)).get(t)
	next(t, cconn, isType(wire.EventChannelFollow))
	must(owner.Post(ctx, ch.ID, textPost("second"))).get(t)
	if ev := next(t, cconn, isType(wire.EventChannelPost)); ev.Post.Text != "second" {
		t.Fatalf("push after a follow on the other node: got %+v", ev.Post)
	}
}
