// Package storetest is the conformance suite for parley.Store. Every store
// (internal/sqlite, internal/postgres) runs Run from its own tests, so the
// behaviour documented on parley.Store is specified once, here. It imports
// only parley and test libraries.
//
// Times are compared to the microsecond: that is PostgreSQL's precision,
// and the coarsest a Store may keep. The fixtures use whole microseconds.
package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/chat/push"
	"github.com/parleyhq/parley/revenue"
)

// Run runs the conformance suite against the stores that open returns.
// Each subtest calls open once; open must return an empty, migrated store
// Store is every context's store: what each database adapter implements.
type Store interface {
	chat.Store
	channel.Store
	business.Store
	revenue.Store
	ads.Store
	push.Store
}

// of its own and close it when t ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Ping", testPing},
		{"OTP", testOTP},
		{"Quotas", testQuotas},
		{"Accounts", testAccounts},
		{"LookupPhones", testLookupPhones},
		{"TimePrecision", testTimePrecision},
		{"Blocks", testBlocks},
		{"Devices", testDevices},
		{"DeviceLimit", testDeviceLimit},
		{"DeviceLimitConcurrent", testDeviceLimitConcurrent},
		{"DeleteDevice", testDeleteDevice},
		{"DeviceKeys", testDeviceKeys},
		{"ClaimOneTimeKeyConcurrent", testClaimConcurrent},
		{"DeviceLists", testDeviceLists},
		{"KeyBackups", testKeyBackups},
		{"Chats", testChats},
		{"DirectChats", testDirectChats},
		{"Members", testMembers},
		{"AddMembersLimit", testAddMembersLimit},
		{"AddMembersLimitConcurrent", testAddMembersLimitConcurrent},
		{"ListChats", testListChats},
		{"Commit", testCommit},
		{"CommitSequences", testCommitSequences},
		{"CommitUnsequenced", testCommitUnsequenced},
		{"CommitDedupe", testCommitDedupe},
		{"CommitDedupeInBatch", testCommitDedupeInBatch},
		{"CommitUnknownChat", testCommitUnknownChat},
		{"CommitEntryIDsGrow", testCommitEntryIDsGrow},
		{"CommitManyEntries", testCommitManyEntries},
		{"CommitConcurrent", testCommitConcurrent},
		{"Pending", testPending},
		{"Ack", testAck},
		{"AckMany", testAckMany},
		{"AckDelivered", testAckDelivered},
		{"RaiseReceipts", testRaiseReceipts},
		{"Expire", testExpire},
		{"ExpireLimit", testExpireLimit},
		{"PruneMessages", testPruneMessages},
		{"PurgeChatEntries", testPurgeChatEntries},
		{"ShortenChatExpiry", testShortenChatExpiry},
		{"SharedBodies", testSharedBodies},
		{"SharedRefs", testSharedRefs},
		{"Media", testMedia},
		{"MediaVisibility", testMediaVisibility},
		{"DeleteMedia", testDeleteMedia},
		{"MediaUsage", testMediaUsage},
		{"DeleteUnreferencedMedia", testDeleteUnreferencedMedia},
		{"MissingReferences", testMissingReferences},
		{"PushVAPID", testPushVAPID},
		{"PushQueue", testPushQueue},
	}
	tests = append(tests, businessTests...)
	tests = append(tests, billingTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each on its own database
			tt.fn(t, open(t))
		})
	}
	runChannels(t, open)
	runPeople(t, open)
	runAds(t, open)
}

// t0 is the fixtures' clock: an arbitrary instant with whole microseconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// equateEmpty treats nil and empty slices (bodies, keys, results) alike.
var equateEmpty = cmpopts.EquateEmpty()

// wantDiff fails t if got and want differ, showing the difference.
func wantDiff(t testing.TB, what string, got, want any, opts ...gocmp.Option) {
	t.Helper()
	if d := gocmp.Diff(want, got, append(opts, equateEmpty)...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantCode fails t unless err has the code want.
func wantCode(t testing.TB, what string, err error, want parley.Code) {
	t.Helper()
	if got := parley.ErrorCode(err); got != want {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, want)
	}
}

// ok fails t now if err is not nil.
func ok(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got error %v, want nil", what, err)
	}
}

// newAccount creates an account with that phone.
func newAccount(t testing.TB, s Store, phone string) chat.Account {
	t.Helper()
	a := chat.Account{
		Phone:              phone,
		DisplayName:        "user " + phone,
		LastSeenVisibility: chat.VisibleEveryone,
		AvatarVisibility:   chat.VisibleContacts,
		ReadReceipts:       true,
		CreatedAt:          t0,
	}
	ok(t, "create account", s.CreateAccount(context.Background(), &a))
	return a
}

// newDevice links a device with a token hash derived from name.
func newDevice(t testing.TB, s Store, accountID int64, name string) chat.Device {
	t.Helper()
	d := chat.Device{AccountID: accountID, Name: name, PublicKey: []byte("pk-" + name), CreatedAt: t0, LastActiveAt: t0}
	ok(t, "create device", s.CreateDevice(context.Background(), &d, tokenHash(accountID, name), 100))
	return d
}

func tokenHash(accountID int64, name string) []byte {
	return fmt.Appendf(nil, "hash-%d-%s", accountID, name)
}

// newGroup creates a group chat of the given accounts, the first as admin.
func newGroup(t testing.TB, s Store, accountIDs ...int64) chat.Chat {
	t.Helper()
	c := chat.Chat{Kind: chat.ChatGroup, Subject: "group", CreatedBy: accountIDs[0], CreatedAt: t0}
	var ms []chat.Member
	for i, id := range accountIDs {
		role := chat.RoleMember
		if i == 0 {
			role = chat.RoleAdmin
		}
		ms = append(ms, chat.Member{AccountID: id, Role: role, JoinedAt: t0})
	}
	ok(t, "create chat", s.CreateChat(context.Background(), &c, ms))
	return c
}

// fixture is two accounts with a device each and a group chat between them.
type fixture struct {
	s          Store
	alice, bob chat.Account
	aliceDev   chat.Device
	bobDev     chat.Device
	chat       chat.Chat
}

func newFixture(t testing.TB, s Store) *fixture {
	t.Helper()
	f := &fixture{s: s}
	f.alice = newAccount(t, s, "+15550000001")
	f.bob = newAccount(t, s, "+15550000002")
	f.aliceDev = newDevice(t, s, f.alice.ID, "alice-phone")
	f.bobDev = newDevice(t, s, f.bob.ID, "bob-phone")
	f.chat = newGroup(t, s, f.alice.ID, f.bob.ID)
	return f
}

// message returns a sequenced append of a message from alice's device in
// chat, with one envelope for each device, created at created.
func (f *fixture) message(chatID int64, id string, created time.Time, devices ...chat.Device) *chat.Append {
	a := &chat.Append{
		ChatID:    chatID,
		Sequenced: true,
		Meta: &chat.MessageMeta{
			ChatID: chatID, ID: id, SenderAccount: f.alice.ID, SenderDevice: f.aliceDev.ID,
			Kind: chat.KindMessage, CreatedAt: created,
		},
	}
	for _, d := range devices {
		a.Entries = append(a.Entries, chat.Entry{
			DeviceID: d.ID, Type: chat.EntryMessage, ChatID: chatID, MessageID: id, Kind: chat.KindMessage,
			SenderAccount: f.alice.ID, SenderDevice: f.aliceDev.ID,
			Body: []byte("ciphertext of " + id + " for " + d.Name), CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour),
			NotifyExpiry: true,
		})
	}
	return a
}

// commit commits appends and fails t on error.
func commit(t testing.TB, s Store, appends ...*chat.Append) {
	t.Helper()
	ok(t, "commit", s.Commit(context.Background(), appends))
}

// pending returns all of a device's entries.
func pending(t testing.TB, s Store, deviceID int64) []chat.Entry {
	t.Helper()
	es, err := s.Pending(context.Background(), deviceID, 0, 1_000_000)
	ok(t, "pending", err)
	return es
}

// entriesOf returns the entries of appends that went to deviceID, in
// commit order.
func entriesOf(deviceID int64, appends ...*chat.Append) []chat.Entry {
	var es []chat.Entry
	for _, a := range appends {
		for _, e := range a.Entries {
			if e.DeviceID == deviceID {
				es = append(es, e)
			}
		}
	}
	return es
}

// withoutBodies returns es with Body, Shared and Key cleared, as Ack and
// Expire return them.
func withoutBodies(es []chat.Entry) []chat.Entry {
	out := slices.Clone(es)
	for i := range out {
		out[i].Body, out[i].Shared, out[i].Key = nil, false, nil
	}
	return out
}

func byID(a, b chat.Entry) int { return cmp.Compare(a.ID, b.ID) }

func isNotFound(err error) bool {
	return errors.Is(err, parley.ErrNotFound) || parley.ErrorCode(err) == parley.ENotFound
}
