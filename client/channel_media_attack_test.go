package client_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/parleyhq/parley/wire"
)

// The attack of issue 13, defect 1: Mallory creates a channel, makes the
// victim its admin without asking, and fetches the victim's 1:1 and group
// attachments through the channel's media route. Channel media belongs to
// its channel now, and nobody becomes an admin without accepting.

const malloryPhone = "+14155550109"

// wantNoMedia fails unless fetching media through channel id answers
// not_found without a byte of it.
func wantNoMedia(t *testing.T, who person, channelID int64, mediaID, what string) {
	t.Helper()
	d, err := who.ChannelMedia(ctxT(t), channelID, mediaID)
	if err == nil {
		b, _ := io.ReadAll(d.Body)
		d.Body.Close()
		t.Fatalf("%s through channel %d: got %d bytes, want not_found", what, channelID, len(b))
	}
	wantCode(t, err, "not_found")
}

func TestChannelMediaAttack(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		mallory := login(t, env.srv, malloryPhone, "phone")

		// Alice's 1:1 attachment (to Bob) and group attachment (Bob, Carol).
		direct := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		dm := must(alice.UploadMedia(ctx, direct.ID, "image/png", bytes.NewReader(pngBytes))).get(t)
		group := must(alice.CreateGroup(ctx, "Family", bob.AccountID, carol.AccountID)).get(t)
		gm := must(alice.UploadMedia(ctx, group.ID, "image/png", bytes.NewReader(pngBytes))).get(t)

		// Mallory's channel, with Alice "made" its admin.
		ch := newChannel(t, mallory, "trap")
		inv := must(mallory.InviteChannelAdmin(ctx, ch.ID, alice.AccountID)).get(t)
		if inv.ChannelID != ch.ID || inv.AccountID != alice.AccountID || inv.InvitedBy != mallory.AccountID {
			t.Fatalf("invitation: got %+v", inv)
		}
		if as := must(mallory.ChannelAdmins(ctx, ch.ID)).get(t); len(as) != 1 {
			t.Fatalf("admins before Alice accepts: got %+v, want the owner only", as)
		}
		if invs := must(mallory.ChannelAdminInvites(ctx, ch.ID)).get(t); len(invs) != 1 || invs[0].AccountID != alice.AccountID {
			t.Fatalf("pending invitations: got %+v, want Alice's", invs)
		}
		if _, err := alice.Post(ctx, ch.ID, textPost("not yet")); err == nil {
			t.Fatal("Alice posted before accepting")
		}
		wantNoMedia(t, mallory, ch.ID, dm.ID, "a 1:1 attachment")
		wantNoMedia(t, mallory, ch.ID, gm.ID, "a group attachment")

		// Even once Alice accepts, her chat attachments are not the channel's.
		if err := alice.AcceptAdminInvite(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		wantNoMedia(t, mallory, ch.ID, dm.ID, "a 1:1 attachment (victim accepted)")
		wantNoMedia(t, mallory, ch.ID, gm.ID, "a group attachment (victim accepted)")
		_, err := mallory.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostMedia, MediaID: gm.ID})
		wantCode(t, err, "invalid_argument")

		// A removed group member keeps the id but cannot fetch it through
		// a channel of her own, whoever administers it.
		if err := alice.RemoveMember(ctx, group.ID, carol.AccountID); err != nil {
			t.Fatal(err)
		}
		own := newChannel(t, carol, "carols")
		must(carol.InviteChannelAdmin(ctx, own.ID, alice.AccountID)).get(t)
		if err := alice.AcceptAdminInvite(ctx, own.ID); err != nil {
			t.Fatal(err)
		}
		wantNoMedia(t, carol, own.ID, gm.ID, "a group attachment (removed member)")

		// Channel media is served by its own channel only.
		cm := must(mallory.UploadChannelMedia(ctx, ch.ID, "image/png", bytes.NewReader(pngBytes))).get(t)
		d := must(mallory.ChannelMedia(ctx, ch.ID, cm.ID)).get(t)
		d.Body.Close()
		wantNoMedia(t, carol, own.ID, cm.ID, "another channel's media")
		_, err = carol.Post(ctx, own.ID, wire.PostInput{Kind: wire.PostMedia, MediaID: cm.ID})
		wantCode(t, err, "invalid_argument")
		must(mallory.Post(ctx, ch.ID, wire.PostInput{Kind: wire.PostMedia, MediaID: cm.ID})).get(t)
	})
}

func TestChannelAdminInvitations(t *testing.T) {
	t.Parallel()
	channelStores(t, func(t *testing.T, env channelEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		ch := newChannel(t, owner, "invites")

		ws := must(bob.Connect(ctx, 0)).get(t)
		defer ws.Close()
		must(owner.InviteChannelAdmin(ctx, ch.ID, bob.AccountID)).get(t)
		// Inviting again is the same invitation.
		must(owner.InviteChannelAdmin(ctx, ch.ID, bob.AccountID)).get(t)
		for {
			ev := must(ws.Next(ctx)).get(t)
			if ev.Type == wire.EventChannelAdminInvite {
				if ev.ChannelID != ch.ID || ev.AccountID != owner.AccountID || ev.State != "invited" {
					t.Fatalf("invite event: got %+v", ev)
				}
				break
			}
		}
		invs := must(bob.AdminInvites(ctx)).get(t)
		if len(invs) != 1 || invs[0].ChannelID != ch.ID || invs[0].Channel == nil || invs[0].Channel.Handle != "invites" {
			t.Fatalf("Bob's invitations: got %+v, want the one to @invites with its channel", invs)
		}
		if invs := must(carol.AdminInvites(ctx)).get(t); len(invs) != 0 {
			t.Fatalf("Carol's invitations: got %+v, want none", invs)
		}
		wantCode(t, carol.AcceptAdminInvite(ctx, ch.ID), "not_found")

		// Decline: Bob is no admin and the invitation is gone.
		if err := bob.DeclineAdminInvite(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, bob.AcceptAdminInvite(ctx, ch.ID), "not_found")
		if as := must(owner.ChannelAdmins(ctx, ch.ID)).get(t); len(as) != 1 {
			t.Fatalf("admins after declining: got %+v, want the owner only", as)
		}
		_, err := bob.ChannelAdmins(ctx, ch.ID)
		wantCode(t, err, "forbidden")

		// Withdraw: the owner takes a pending invitation back.
		must(owner.InviteChannelAdmin(ctx, ch.ID, carol.AccountID)).get(t)
		if err := owner.RemoveChannelAdmin(ctx, ch.ID, carol.AccountID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, carol.AcceptAdminInvite(ctx, ch.ID), "not_found")

		// Accept: Bob is an admin, and inviting him again changes nothing.
		must(owner.InviteChannelAdmin(ctx, ch.ID, bob.AccountID)).get(t)
		if err := bob.AcceptAdminInvite(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		as := must(owner.ChannelAdmins(ctx, ch.ID)).get(t)
		if len(as) != 2 || as[1].AccountID != bob.AccountID || as[1].Role != wire.ChannelAdmin {
			t.Fatalf("admins after accepting: got %+v", as)
		}
		if v := must(owner.InviteChannelAdmin(ctx, ch.ID, bob.AccountID)).get(t); v.AccountID != 0 {
			t.Fatalf("inviting an admin: got %+v, want no invitation", v)
		}
		if invs := must(bob.AdminInvites(ctx)).get(t); len(invs) != 0 {
			t.Fatalf("after accepting: got %+v, want no invitations", invs)
		}
		must(bob.Post(ctx, ch.ID, textPost("an admin now"))).get(t)
	})
}
