package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

func testChats(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")

	c := chat.Chat{Kind: chat.ChatGroup, Subject: "trip", OnlyAdminsSend: true,
		DisappearAfter: 24 * time.Hour, CreatedBy: a.ID, CreatedAt: t0}
	members := []chat.Member{
		{AccountID: b.ID, Role: chat.RoleMember, JoinedAt: at(time.Second)},
		{AccountID: a.ID, Role: chat.RoleAdmin, JoinedAt: t0},
	}
	ok(t, "create chat", s.CreateChat(ctx, &c, members))
	if c.ID <= 0 {
		t.Fatalf("create chat: got ID %d, want > 0", c.ID)
	}
	got, err := s.GetChat(ctx, c.ID)
	ok(t, "get chat", err)
	wantDiff(t, "chat", got, c)
	_, err = s.GetChat(ctx, c.ID+100)
	wantCode(t, "get missing chat", err, parley.ENotFound)

	ms, err := s.Members(ctx, c.ID)
	ok(t, "members", err)
	wantDiff(t, "members", ms, []chat.Member{
		{ChatID: c.ID, AccountID: a.ID, Role: chat.RoleAdmin, JoinedAt: t0},
		{ChatID: c.ID, AccountID: b.ID, Role: chat.RoleMember, JoinedAt: at(time.Second)},
	})

	// UpdateChat writes Subject, OnlyAdminsSend and DisappearAfter only.
	upd := c
	upd.Subject, upd.OnlyAdminsSend, upd.DisappearAfter = "trip 2", false, 0
	upd.Kind, upd.CreatedBy, upd.CreatedAt, upd.LastSeq = chat.ChatDirect, b.ID, at(time.Hour), 99
	ok(t, "update chat", s.UpdateChat(ctx, upd))
	want := c
	want.Subject, want.OnlyAdminsSend, want.DisappearAfter = "trip 2", false, 0
	got, err = s.GetChat(ctx, c.ID)
	ok(t, "get updated chat", err)
	wantDiff(t, "updated chat", got, want)

	upd.ID = c.ID + 100
	wantCode(t, "update missing chat", s.UpdateChat(ctx, upd), parley.ENotFound)
}

func testDirectChats(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c := newAccount(t, s, "+15550000003")
	key := fmt.Sprintf("%d:%d", a.ID, b.ID)

	direct := func(key string, x, y int64) (chat.Chat, error) {
		ch := chat.Chat{Kind: chat.ChatDirect, DirectKey: key, CreatedBy: x, CreatedAt: t0}
		err := s.CreateChat(ctx, &ch, []chat.Member{
			{AccountID: x, Role: chat.RoleMember, JoinedAt: t0},
			{AccountID: y, Role: chat.RoleMember, JoinedAt: t0},
		})
		return ch, err
	}
	ab, err := direct(key, a.ID, b.ID)
	ok(t, "create direct chat", err)
	_, err = direct(key, b.ID, a.ID)
	wantCode(t, "create direct chat with taken key", err, parley.EConflict)
	chats, err := s.ListChats(ctx, b.ID)
	ok(t, "list chats", err)
	wantDiff(t, "b's chats after refused create", chats, []chat.Chat{ab})

	// Group chats have no key and never conflict.
	g1 := newGroup(t, s, a.ID, c.ID)
	g2 := newGroup(t, s, a.ID, c.ID)
	if g1.ID == g2.ID {
		t.Errorf("two group chats: got the same ID %d twice", g1.ID)
	}

	got, err := s.GetDirectChat(ctx, key)
	ok(t, "get direct chat", err)
	wantDiff(t, "direct chat", got, ab)
	_, err = s.GetDirectChat(ctx, fmt.Sprintf("%d:%d", a.ID, c.ID))
	wantCode(t, "get missing direct chat", err, parley.ENotFound)

	tests := []struct {
		name string
		x, y int64
		want bool
	}{
		{"direct", a.ID, b.ID, true},
		{"direct reversed", b.ID, a.ID, true},
		{"group only", a.ID, c.ID, false},
		{"nothing shared", b.ID, c.ID, false},
	}
	for _, tt := range tests {
		t.Run("SharesDirectChat/"+tt.name, func(t *testing.T) {
			got, err := s.SharesDirectChat(ctx, tt.x, tt.y)
			ok(t, "shares direct chat", err)
			if got != tt.want {
				t.Errorf("SharesDirectChat(%d, %d): got %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func testMembers(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c := newAccount(t, s, "+15550000003")
	ch := newGroup(t, s, a.ID, b.ID)

	got, err := s.GetMember(ctx, ch.ID, a.ID)
	ok(t, "get member", err)
	wantDiff(t, "member", got, chat.Member{ChatID: ch.ID, AccountID: a.ID, Role: chat.RoleAdmin, JoinedAt: t0})
	_, err = s.GetMember(ctx, ch.ID, c.ID)
	wantCode(t, "get non-member", err, parley.ENotFound)
	_, err = s.GetMember(ctx, ch.ID+100, a.ID)
	wantCode(t, "get member of missing chat", err, parley.ENotFound)

	// Existing members are left as they are.
	ok(t, "add members", s.AddMembers(ctx, ch.ID, []chat.Member{
		{AccountID: c.ID, Role: chat.RoleMember, JoinedAt: at(time.Hour)},
		{AccountID: a.ID, Role: chat.RoleMember, JoinedAt: at(time.Hour)},
	}, 10))
	ms, err := s.Members(ctx, ch.ID)
	ok(t, "members", err)
	wantDiff(t, "members after add", ms, []chat.Member{
		{ChatID: ch.ID, AccountID: a.ID, Role: chat.RoleAdmin, JoinedAt: t0},
		{ChatID: ch.ID, AccountID: b.ID, Role: chat.RoleMember, JoinedAt: t0},
		{ChatID: ch.ID, AccountID: c.ID, Role: chat.RoleMember, JoinedAt: at(time.Hour)},
	})

	ok(t, "set role", s.SetRole(ctx, ch.ID, c.ID, chat.RoleAdmin))
	got, err = s.GetMember(ctx, ch.ID, c.ID)
	ok(t, "get member", err)
	if got.Role != chat.RoleAdmin {
		t.Errorf("role after SetRole: got %q, want %q", got.Role, chat.RoleAdmin)
	}
	wantCode(t, "set role of non-member", s.SetRole(ctx, ch.ID, c.ID+100, chat.RoleAdmin), parley.ENotFound)

	ok(t, "remove member", s.RemoveMember(ctx, ch.ID, b.ID))
	wantCode(t, "remove member twice", s.RemoveMember(ctx, ch.ID, b.ID), parley.ENotFound)
	_, err = s.GetMember(ctx, ch.ID, b.ID)
	wantCode(t, "get removed member", err, parley.ENotFound)
	ms, err = s.Members(ctx, ch.ID)
	ok(t, "members", err)
	if len(ms) != 2 {
		t.Errorf("members after remove: got %d, want 2", len(ms))
	}
	chats, err := s.ListChats(ctx, b.ID)
	ok(t, "list chats", err)
	wantDiff(t, "chats of removed member", chats, []chat.Chat(nil))

	ms, err = s.Members(ctx, ch.ID+100)
	ok(t, "members of missing chat", err)
	wantDiff(t, "members of missing chat", ms, []chat.Member(nil))
}

func testAddMembersLimit(t *testing.T, s Store) {
	ctx := t.Context()
	var accts []chat.Account
	for i := range 5 {
		accts = append(accts, newAccount(t, s, fmt.Sprintf("+1555000000%d", i)))
	}
	ch := newGroup(t, s, accts[0].ID, accts[1].ID)
	member := func(a chat.Account) chat.Member {
		return chat.Member{AccountID: a.ID, Role: chat.RoleMember, JoinedAt: t0}
	}

	tests := []struct {
		name    string
		add     []chat.Member
		limit   int
		want    parley.Code
		wantLen int
	}{
		{"over limit", []chat.Member{member(accts[2]), member(accts[3])}, 3, parley.ELimit, 2},
		{"existing do not count", []chat.Member{member(accts[0]), member(accts[1]), member(accts[2])}, 3, "", 3},
		{"exactly at limit", []chat.Member{member(accts[3])}, 4, "", 4},
		{"one over", []chat.Member{member(accts[4])}, 4, parley.ELimit, 4},
		{"unknown chat", []chat.Member{member(accts[4])}, 10, parley.ENotFound, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chatID := ch.ID
			if tt.want == parley.ENotFound {
				chatID += 100
			}
			wantCode(t, "add members", s.AddMembers(ctx, chatID, tt.add, tt.limit), tt.want)
			ms, err := s.Members(ctx, ch.ID)
			ok(t, "members", err)
			if len(ms) != tt.wantLen {
				t.Errorf("members after add: got %d, want %d", len(ms), tt.wantLen)
			}
		})
	}
}

func testAddMembersLimitConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	const tries, limit = 8, 4
	owner := newAccount(t, s, "+15550000100")
	ch := newGroup(t, s, owner.ID)
	var accts []chat.Account
	for i := range tries {
		accts = append(accts, newAccount(t, s, fmt.Sprintf("+1555000000%d", i)))
	}
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			errs[i] = s.AddMembers(ctx, ch.ID, []chat.Member{{AccountID: accts[i].ID, Role: chat.RoleMember, JoinedAt: t0}}, limit)
		})
	}
	wg.Wait()
	var added int
	for _, err := range errs {
		switch parley.ErrorCode(err) {
		case "":
			added++
		case parley.ELimit:
		default:
			t.Errorf("concurrent add members: got error %v, want nil or code %q", err, parley.ELimit)
		}
	}
	if added != limit-1 {
		t.Errorf("concurrent add members: got %d added, want %d", added, limit-1)
	}
	ms, err := s.Members(ctx, ch.ID)
	ok(t, "members", err)
	if len(ms) != limit {
		t.Errorf("members after concurrent add: got %d, want %d", len(ms), limit)
	}
}

func testListChats(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	carol := newAccount(t, s, "+15550000003")
	c2 := newGroup(t, s, f.alice.ID, f.bob.ID)
	c3 := newGroup(t, s, f.alice.ID)
	c4 := newGroup(t, s, f.alice.ID)
	newGroup(t, s, carol.ID)

	// Activity: c2 has 3 messages, chat 1, c3 has 1 each; c4 none.
	commit(t, s,
		&chat.Append{ChatID: c2.ID, Sequenced: true},
		&chat.Append{ChatID: f.chat.ID, Sequenced: true},
		&chat.Append{ChatID: c2.ID, Sequenced: true},
		&chat.Append{ChatID: c3.ID, Sequenced: true},
		&chat.Append{ChatID: c2.ID, Sequenced: true},
	)
	ids := func(cs []chat.Chat) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name    string
		account int64
		want    []int64
	}{
		{"alice", f.alice.ID, []int64{c2.ID, c3.ID, f.chat.ID, c4.ID}},
		{"bob", f.bob.ID, []int64{c2.ID, f.chat.ID}},
		{"nobody", carol.ID + 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListChats(ctx, tt.account)
			ok(t, "list chats", err)
			wantDiff(t, "chat ids, newest activity first", ids(got), tt.want)
		})
	}
	got, err := s.ListChats(ctx, f.bob.ID)
	ok(t, "list chats", err)
	want := c2
	want.LastSeq = 3
	if len(got) > 0 {
		wantDiff(t, "listed chat", got[0], want)
	}
}
