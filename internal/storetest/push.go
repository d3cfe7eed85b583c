package storetest

import (
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat/push"
)

// The push state (push.Store): VAPID keys, subscriptions, the queue with
// its coalescing window, mutes and do-not-disturb.

func testPushVAPID(t *testing.T, s Store) {
	ctx := t.Context()
	priv, pub, err := s.PushVAPID(ctx, "priv1", "pub1")
	ok(t, "first keys", err)
	if priv != "priv1" || pub != "pub1" {
		t.Errorf("first node: got %q %q, want priv1 pub1", priv, pub)
	}
	priv, pub, err = s.PushVAPID(ctx, "priv2", "pub2")
	ok(t, "second keys", err)
	if priv != "priv1" || pub != "pub1" {
		t.Errorf("second node: got %q %q, want the first node's keys", priv, pub)
	}
}

func testPushQueue(t *testing.T, s Store) {
	ctx := t.Context()
	bob := newAccount(t, s, "+15550000201")
	alice := newAccount(t, s, "+15550000202")
	d := newDevice(t, s, bob.ID, "phone")
	const chatID, window = 77, 5 * time.Second
	sub := push.Subscription{DeviceID: d.ID, AccountID: bob.ID, Kind: push.KindWebPush, Endpoint: "https://push.example/1",
		P256dh: "key", Auth: "auth", CreatedAt: t0.Truncate(time.Millisecond)} // times are kept to the millisecond
	wantCode(t, "subscribe an unknown device", s.PutPushSubscription(ctx, push.Subscription{DeviceID: d.ID + 100, AccountID: bob.ID,
		Kind: "webpush", Endpoint: "https://x", P256dh: "k", Auth: "a"}), parley.ENotFound)

	queued, err := s.EnqueuePush(ctx, d.ID, chatID, alice.ID, "message", t0, window)
	ok(t, "enqueue without a subscription", err)
	if queued {
		t.Error("queued a push for a device without a subscription")
	}
	ok(t, "subscribe", s.PutPushSubscription(ctx, sub))
	if queued, _ := s.EnqueuePush(ctx, d.ID, chatID, bob.ID, "message", t0, window); queued {
		t.Error("queued a push for the sender's own device")
	}
	claim := func(now time.Time) []push.Job {
		t.Helper()
		jobs, err := s.ClaimPushes(ctx, now, now.Add(time.Minute), 10)
		ok(t, "claim", err)
		return jobs
	}
	for range 2 {
		queued, err = s.EnqueuePush(ctx, d.ID, chatID, alice.ID, "message", t0, window)
		ok(t, "enqueue", err)
		if !queued {
			t.Fatal("not queued")
		}
	}
	jobs := claim(t0)
	wantDiff(t, "claimed", jobs, []push.Job{{Sub: sub, ChatID: chatID, Kind: "message", FirstAt: t0.Truncate(time.Millisecond)}})
	if jobs := claim(t0); len(jobs) != 0 {
		t.Errorf("claimed a leased push again: %v", jobs)
	}
	ok(t, "retry", s.FinishPush(ctx, d.ID, chatID, 1, time.Time{}, at(2*time.Second), "503"))
	if jobs := claim(at(time.Second)); len(jobs) != 0 {
		t.Errorf("claimed before the retry is due: %v", jobs)
	}
	if jobs := claim(at(2 * time.Second)); len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Errorf("got %v, want the push with 1 attempt", jobs)
	}
	ok(t, "sent", s.FinishPush(ctx, d.ID, chatID, 2, at(2*time.Second), time.Time{}, ""))

	// A message within the window after a push is due when it ends.
	_, err = s.EnqueuePush(ctx, d.ID, chatID, alice.ID, "reaction", at(3*time.Second), window)
	ok(t, "enqueue in the window", err)
	if jobs := claim(at(6 * time.Second)); len(jobs) != 0 {
		t.Errorf("claimed within the window: %v", jobs)
	}
	if jobs := claim(at(7 * time.Second)); len(jobs) != 1 || jobs[0].Kind != "reaction" || jobs[0].Attempts != 0 {
		t.Errorf("got %v, want the reaction's push, due when the window ends", jobs)
	}
	ok(t, "drop", s.DropPush(ctx, d.ID, chatID, "given up"))
	if jobs := claim(at(time.Hour)); len(jobs) != 0 {
		t.Errorf("claimed a dropped push: %v", jobs)
	}

	// Mutes: a chat, then do-not-disturb; the claim reports a mute set
	// after the push was queued.
	ok(t, "mute", s.SetMute(ctx, bob.ID, chatID, at(time.Hour)))
	if until, on, err := s.Mute(ctx, bob.ID, chatID, at(time.Minute)); err != nil || !on || !until.Equal(at(time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("mute: got %v %v %v, want %v true", until, on, err, at(time.Hour))
	}
	if queued, _ := s.EnqueuePush(ctx, d.ID, chatID, alice.ID, "message", at(time.Minute), window); queued {
		t.Error("queued a push for a muted chat")
	}
	if queued, _ := s.EnqueuePush(ctx, d.ID, chatID, alice.ID, "message", at(2*time.Hour), window); !queued {
		t.Error("not queued after the mute ended")
	}
	ok(t, "do not disturb", s.SetMute(ctx, bob.ID, 0, push.Always))
	if jobs := claim(at(2 * time.Hour)); len(jobs) != 1 || !jobs[0].Muted {
		t.Errorf("got %v, want one push marked muted", jobs)
	}
	if _, on, _ := s.Mute(ctx, bob.ID, 0, at(1000*time.Hour)); !on {
		t.Error("do-not-disturb always is not on")
	}
	ok(t, "end do not disturb", s.DeleteMute(ctx, bob.ID, 0))
	wantCode(t, "end it twice", s.DeleteMute(ctx, bob.ID, 0), parley.ENotFound)

	// Unsubscribing, and deleting the device, drop the subscription and
	// the queue.
	wantCode(t, "expire another endpoint", s.DeletePushSubscription(ctx, d.ID, "https://push.example/old"), parley.ENotFound)
	ok(t, "expire this endpoint", s.DeletePushSubscription(ctx, d.ID, sub.Endpoint))
	ok(t, "subscribe again", s.PutPushSubscription(ctx, sub))
	ok(t, "unsubscribe", s.DeletePushSubscription(ctx, d.ID, ""))
	wantCode(t, "unsubscribe twice", s.DeletePushSubscription(ctx, d.ID, ""), parley.ENotFound)
	ok(t, "subscribe again", s.PutPushSubscription(ctx, sub))
	_, err = s.EnqueuePush(ctx, d.ID, chatID+1, alice.ID, "message", at(3*time.Hour), window)
	ok(t, "enqueue", err)
	ok(t, "delete the device", s.DeleteDevice(ctx, bob.ID, d.ID))
	wantCode(t, "unsubscribe a deleted device", s.DeletePushSubscription(ctx, d.ID, ""), parley.ENotFound)
	if jobs := claim(at(4 * time.Hour)); len(jobs) != 0 {
		t.Errorf("claimed a deleted device's push: %v", jobs)
	}
}
