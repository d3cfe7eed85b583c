package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

func testMedia(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	m := chat.Media{ID: "med_1", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Size: 1234, ContentType: "image/jpeg", OwnerID: a.ID, CreatedAt: t0}
	ok(t, "create media", s.CreateMedia(ctx, m))
	got, err := s.GetMedia(ctx, m.ID)
	ok(t, "get media", err)
	wantDiff(t, "media", got, m)
	_, err = s.GetMedia(ctx, "med_missing")
	wantCode(t, "get missing media", err, parley.ENotFound)

	// Blobs are content-addressed: two media may share one.
	twin := m
	twin.ID = "med_2"
	ok(t, "create media with the same blob", s.CreateMedia(ctx, twin))
}

func testMediaVisibility(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	carol := newAccount(t, s, "+15550000003")
	other := newGroup(t, s, carol.ID)
	m := chat.Media{ID: "med_1", SHA256: "00", Size: 1, ContentType: "image/png", OwnerID: f.alice.ID, CreatedAt: t0}
	ok(t, "create media", s.CreateMedia(ctx, m))

	visible := func(t *testing.T, mediaID string, account int64, want bool) {
		t.Helper()
		got, err := s.MediaVisibleTo(ctx, mediaID, account)
		ok(t, "media visible to", err)
		if got != want {
			t.Errorf("MediaVisibleTo(%q, %d): got %v, want %v", mediaID, account, got, want)
		}
	}
	visible(t, m.ID, f.alice.ID, false) // not attached: not even the owner
	ok(t, "attach media", s.AttachMedia(ctx, m.ID, f.chat.ID))
	ok(t, "attach media twice", s.AttachMedia(ctx, m.ID, f.chat.ID))

	tests := []struct {
		name    string
		media   string
		account int64
		want    bool
	}{
		{"member", m.ID, f.alice.ID, true},
		{"other member", m.ID, f.bob.ID, true},
		{"non-member", m.ID, carol.ID, false},
		{"unknown media", "med_missing", f.alice.ID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { visible(t, tt.media, tt.account, tt.want) })
	}

	ok(t, "remove member", s.RemoveMember(ctx, f.chat.ID, f.bob.ID))
	visible(t, m.ID, f.bob.ID, false)
	ok(t, "attach media to another chat", s.AttachMedia(ctx, m.ID, other.ID))
	visible(t, m.ID, carol.ID, true)
	visible(t, m.ID, f.alice.ID, true)
}

// testMissingReferences checks that writes naming an account, chat or media
// that does not exist fail with ENotFound, and write nothing.
func testMissingReferences(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	const nobody, noChat = 1 << 40, 1 << 40
	ok(t, "create media", s.CreateMedia(ctx, chat.Media{ID: "med_1", SHA256: "00", ContentType: "image/png", OwnerID: f.alice.ID}))

	tests := []struct {
		name string
		do   func() error
	}{
		{"CreateDevice", func() error {
			d := chat.Device{AccountID: nobody, Name: "x"}
			return s.CreateDevice(ctx, &d, []byte("x"), 10)
		}},
		{"Block", func() error { return s.Block(ctx, f.alice.ID, nobody) }},
		{"CreateChat", func() error {
			c := chat.Chat{Kind: chat.ChatGroup, CreatedBy: f.alice.ID}
			return s.CreateChat(ctx, &c, []chat.Member{{AccountID: f.alice.ID, Role: chat.RoleAdmin}, {AccountID: nobody, Role: chat.RoleMember}})
		}},
		{"AddMembers", func() error {
			return s.AddMembers(ctx, f.chat.ID, []chat.Member{{AccountID: nobody, Role: chat.RoleMember}}, 10)
		}},
		{"AttachMedia to missing chat", func() error { return s.AttachMedia(ctx, "med_1", noChat) }},
		{"AttachMedia of missing media", func() error { return s.AttachMedia(ctx, "med_missing", f.chat.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.name, tt.do(), parley.ENotFound)
		})
	}
	chats, err := s.ListChats(ctx, f.alice.ID)
	ok(t, "list chats", err)
	if len(chats) != 1 {
		t.Errorf("alice's chats after refused CreateChat: got %d, want 1", len(chats))
	}
	ms, err := s.Members(ctx, f.chat.ID)
	ok(t, "members", err)
	if len(ms) != 2 {
		t.Errorf("members after refused AddMembers: got %d, want 2", len(ms))
	}
}

func testMediaUsage(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	used := func(id int64, want int64) {
		t.Helper()
		got, err := s.MediaUsage(ctx, id)
		ok(t, "media usage", err)
		if got != want {
			t.Errorf("MediaUsage(%d): got %d, want %d", id, got, want)
		}
	}
	used(a.ID, 0)
	for i, size := range []int64{100, 250} {
		ok(t, "create media", s.CreateMedia(ctx, chat.Media{ID: fmt.Sprintf("med_%d", i), SHA256: "00", Size: size, ContentType: "image/png", OwnerID: a.ID, CreatedAt: t0}))
	}
	used(a.ID, 350) // each upload counts, a shared blob too
	used(b.ID, 0)
	ok(t, "delete media", s.DeleteMedia(ctx, "med_0"))
	used(a.ID, 250)
}

// testDeleteUnreferencedMedia: media older than the cut-off that nothing
// refers to goes, with word of whether its blob is now unused; media an
// avatar, a channel or a pending message may still need stays.
func testDeleteUnreferencedMedia(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	ch := newChannel(t, s, f.alice.ID, "news")
	other := newGroup(t, s, f.alice.ID, f.bob.ID)
	media := func(id, sha string, created time.Time) {
		t.Helper()
		ok(t, "create media", s.CreateMedia(ctx, chat.Media{ID: id, SHA256: sha, Size: 1, ContentType: "image/png", OwnerID: f.alice.ID, CreatedAt: created}))
	}
	old, cutoff := at(time.Hour), at(10*time.Hour)
	media("med_unattached", "aa", old)                  // never sent: goes, blob orphaned
	media("med_delivered", "bb", old)                   // sent, every envelope since acked: goes
	media("med_delivered_twin", "bb", at(20*time.Hour)) // new, shares the blob: stays
	media("med_pending", "cc", old)                     // a message in its chat is still pending: stays
	media("med_avatar", "dd", old)
	media("med_channel", "ee", old)
	media("med_new", "ff", at(20*time.Hour))

	ok(t, "attach delivered", s.AttachMedia(ctx, "med_delivered", f.chat.ID))
	ok(t, "attach pending", s.AttachMedia(ctx, "med_pending", other.ID))
	commit(t, s, f.message(other.ID, "m1", at(2*time.Hour), f.bobDev))
	commit(t, s, f.message(f.chat.ID, "m0", at(30*time.Minute), f.bobDev)) // before the upload: no matter
	alice := f.alice
	alice.AvatarMediaID = "med_avatar"
	ok(t, "set avatar", s.UpdateAccount(ctx, alice))
	ok(t, "add channel media", s.AddChannelMedia(ctx, ch.ID, "med_channel"))

	swept, err := s.DeleteUnreferencedMedia(ctx, cutoff, 100)
	ok(t, "delete unreferenced media", err)
	slices.SortFunc(swept, func(a, b chat.SweptMedia) int { return cmp.Compare(a.ID, b.ID) })
	wantDiff(t, "swept media", swept, []chat.SweptMedia{
		{ID: "med_delivered", SHA256: "bb", Orphan: false},
		{ID: "med_unattached", SHA256: "aa", Orphan: true},
	})
	for _, id := range []string{"med_delivered", "med_unattached"} {
		_, err := s.GetMedia(ctx, id)
		wantCode(t, "get swept "+id, err, parley.ENotFound)
	}
	for _, id := range []string{"med_delivered_twin", "med_pending", "med_avatar", "med_channel", "med_new"} {
		_, err := s.GetMedia(ctx, id)
		ok(t, "get kept "+id, err)
	}
	for sha, want := range map[string]bool{"aa": false, "bb": true, "cc": true} {
		got, err := s.MediaBlobInUse(ctx, sha)
		ok(t, "media blob in use", err)
		if got != want {
			t.Errorf("MediaBlobInUse(%s): got %v, want %v", sha, got, want)
		}
	}

	// Once bob's device takes the pending message, its media goes too.
	es := pending(t, s, f.bobDev.ID)
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	_, err = s.Ack(ctx, f.bobDev.ID, ids)
	ok(t, "ack", err)
	swept, err = s.DeleteUnreferencedMedia(ctx, cutoff, 100)
	ok(t, "delete unreferenced media again", err)
	wantDiff(t, "swept after ack", swept, []chat.SweptMedia{{ID: "med_pending", SHA256: "cc", Orphan: true}})
}
