package storetest

import (
	"cmp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

func testPing(t *testing.T, s Store) {
	ok(t, "ping", s.Ping(t.Context()))
}

// putOTP stores otp with no counters.
func putOTP(t *testing.T, s Store, otp chat.OTP) error {
	t.Helper()
	refused, err := s.PutOTPCounted(t.Context(), otp, day0, nil)
	if refused != -1 {
		t.Errorf("put otp with no counters: refused %d, want -1", refused)
	}
	return err
}

// incrOTP counts an attempt with no counters.
func incrOTP(t *testing.T, s Store, phone, requester string) (int, error) {
	t.Helper()
	n, refused, err := s.CountOTPAttempt(t.Context(), phone, requester, day0, nil)
	if refused != -1 {
		t.Errorf("count otp attempt with no counters: refused %d, want -1", refused)
	}
	return n, err
}

// day0 is the daily window of t0.
var day0 = t0.UTC().Truncate(24 * time.Hour)

func testOTP(t *testing.T, s Store) {
	ctx := t.Context()
	const phone, me, stranger = "+15550000001", "192.0.2.1", "198.51.100.7"

	_, err := s.GetOTP(ctx, phone, me)
	wantCode(t, "get missing otp", err, parley.ENotFound)
	_, _, err = s.CountOTPAttempt(ctx, phone, me, day0, nil)
	wantCode(t, "incr missing otp", err, parley.ENotFound)
	ok(t, "delete missing otp", s.DeleteOTP(ctx, phone, me))

	first := chat.OTP{Phone: phone, Requester: me, CodeHash: []byte("h1"), CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	ok(t, "put otp", putOTP(t, s, first))
	got, err := s.GetOTP(ctx, phone, me)
	ok(t, "get otp", err)
	wantDiff(t, "otp", got, first)

	// A stranger's code for the same number is apart: its attempts never
	// touch mine.
	theirs := chat.OTP{Phone: phone, Requester: stranger, CodeHash: []byte("hx"), CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	ok(t, "put stranger's otp", putOTP(t, s, theirs))
	for want := 1; want <= 3; want++ {
		n, err := incrOTP(t, s, phone, stranger)
		ok(t, "incr stranger's otp", err)
		if n != want {
			t.Errorf("incr stranger's otp attempts: got %d, want %d", n, want)
		}
	}
	for want := 1; want <= 2; want++ {
		n, err := incrOTP(t, s, phone, me)
		ok(t, "incr otp", err)
		if n != want {
			t.Errorf("incr otp attempts: got %d, want %d", n, want)
		}
	}

	second := chat.OTP{Phone: phone, Requester: me, CodeHash: []byte("h2"), CreatedAt: at(time.Minute), ExpiresAt: at(11 * time.Minute)}
	ok(t, "replace otp", putOTP(t, s, second))
	got, err = s.GetOTP(ctx, phone, me)
	ok(t, "get replaced otp", err)
	wantDiff(t, "replaced otp (attempts start again)", got, second)

	// Deleting one requester's code (it expired) leaves the others.
	ok(t, "delete stranger's otp", s.DeleteOTP(ctx, phone, stranger))
	_, err = s.GetOTP(ctx, phone, stranger)
	wantCode(t, "get deleted otp", err, parley.ENotFound)
	got, err = s.GetOTP(ctx, phone, me)
	ok(t, "get otp after another's delete", err)
	wantDiff(t, "otp after another's delete", got, second)

	// A login voids every code of the number, and only of that number.
	ok(t, "put stranger's otp again", putOTP(t, s, theirs))
	other := chat.OTP{Phone: "+15550000002", Requester: me, CodeHash: []byte("h3"), CreatedAt: t0, ExpiresAt: at(time.Minute)}
	ok(t, "put other otp", putOTP(t, s, other))
	ok(t, "delete otps", s.DeleteOTPs(ctx, phone))
	for _, r := range []string{me, stranger} {
		_, err = s.GetOTP(ctx, phone, r)
		wantCode(t, "get otp after delete otps", err, parley.ENotFound)
	}
	got, err = s.GetOTP(ctx, other.Phone, me)
	ok(t, "get other otp", err)
	wantDiff(t, "other otp after delete", got, other)

	// Pruning drops codes that expired before the cut-off.
	_, err = s.PruneQuotas(ctx, at(2*time.Minute))
	ok(t, "prune expired otps", err)
	_, err = s.GetOTP(ctx, other.Phone, me)
	wantCode(t, "get pruned otp", err, parley.ENotFound)
}

func testQuotas(t *testing.T, s Store) {
	ctx := t.Context()
	day := t0.UTC().Truncate(24 * time.Hour)
	take := func(name string, window time.Time, n, max int) (int, bool) {
		t.Helper()
		used, taken, err := s.TakeQuota(ctx, name, window, n, max)
		ok(t, "take quota", err)
		return used, taken
	}
	for want := 1; want <= 3; want++ {
		if used, taken := take("guess:+15550000001", day, 1, 3); !taken || used != want {
			t.Errorf("take %d of 3: got (%d, %v), want (%d, true)", want, used, taken, want)
		}
	}
	if _, taken := take("guess:+15550000001", day, 1, 3); taken {
		t.Errorf("take past the limit: got taken, want refused")
	}
	if used, taken := take("guess:+15550000001", day, 0, 3); !taken || used != 3 {
		t.Errorf("read a full counter: got (%d, %v), want (3, true)", used, taken)
	}
	// Counters are apart, and one that would pass max at once counts nothing.
	if _, taken := take("lookup:1", day, 300, 256); taken {
		t.Errorf("take 300 of 256: got taken, want refused")
	}
	if used, taken := take("lookup:1", day, 256, 256); !taken || used != 256 {
		t.Errorf("take 256 of 256: got (%d, %v), want (256, true)", used, taken)
	}
	// The next window starts from zero.
	next := day.Add(24 * time.Hour)
	if used, taken := take("guess:+15550000001", next, 1, 3); !taken || used != 1 {
		t.Errorf("take in the next window: got (%d, %v), want (1, true)", used, taken)
	}

	// Concurrent takers never pass the limit together.
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, taken, err := s.TakeQuota(ctx, "prefix:+44", day, 1, 7)
			if err != nil {
				t.Errorf("concurrent take: %v", err)
				return
			}
			if taken {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 7 {
		t.Errorf("concurrent takes of 7: got %d granted, want 7", granted)
	}

	// Pruning drops the windows that started before the cut-off.
	_, err := s.PruneQuotas(ctx, next)
	ok(t, "prune quotas", err)
	if used, taken := take("prefix:+44", day, 1, 7); !taken || used != 1 {
		t.Errorf("take after prune: got (%d, %v), want (1, true)", used, taken)
	}
	if used, taken := take("guess:+15550000001", next, 1, 3); !taken || used != 2 {
		t.Errorf("take in a window prune kept: got (%d, %v), want (2, true)", used, taken)
	}

	// A code and its counters are one commit: all or nothing.
	otp := chat.OTP{Phone: "+15550000009", Requester: "192.0.2.9", CodeHash: []byte("h"), CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	takes := []chat.QuotaTake{{Name: "code:a", N: 1, Max: 5}, {Name: "prefix:+1", N: 1, Max: 1}}
	refused, err := s.PutOTPCounted(ctx, otp, day, takes)
	ok(t, "put otp counted", err)
	if refused != -1 {
		t.Errorf("put otp counted: refused %d, want -1", refused)
	}
	refused, err = s.PutOTPCounted(ctx, otp, day, takes)
	ok(t, "put otp past a limit", err)
	if refused != 1 {
		t.Errorf("put otp past the second limit: refused %d, want 1", refused)
	}
	if used, err := s.QuotaUsed(ctx, "code:a", day); err != nil || used != 1 {
		t.Errorf("first counter after a refused put: got (%d, %v), want 1: a refusal counts nothing", used, err)
	}
	if used, err := s.QuotaUsed(ctx, "code:a", next); err != nil || used != 0 {
		t.Errorf("counter in another window: got (%d, %v), want 0", used, err)
	}
	guesses := []chat.QuotaTake{{Name: "guess:a", N: 1, Max: 1}}
	n, refused, err := s.CountOTPAttempt(ctx, otp.Phone, otp.Requester, day, guesses)
	ok(t, "count otp attempt", err)
	if n != 1 || refused != -1 {
		t.Errorf("count otp attempt: got (%d, %d), want (1, -1)", n, refused)
	}
	n, refused, err = s.CountOTPAttempt(ctx, otp.Phone, otp.Requester, day, guesses)
	ok(t, "count otp attempt past the limit", err)
	if refused != 0 {
		t.Errorf("count otp attempt past the limit: refused %d, want 0", refused)
	}
	if got, err := s.GetOTP(ctx, otp.Phone, otp.Requester); err != nil || got.Attempts != 1 {
		t.Errorf("attempts after a refused count: got (%d, %v), want 1", got.Attempts, err)
	}
	_, _, err = s.CountOTPAttempt(ctx, otp.Phone, "192.0.2.10", day, []chat.QuotaTake{{Name: "guess:b", N: 1, Max: 5}})
	wantCode(t, "count attempt on a missing code", err, parley.ENotFound)
	if used, err := s.QuotaUsed(ctx, "guess:b", day); err != nil || used != 0 {
		t.Errorf("counter after a missing code: got (%d, %v), want 0", used, err)
	}
}

func testAccounts(t *testing.T, s Store) {
	ctx := t.Context()
	a := chat.Account{
		Phone: "+15550000001", DisplayName: "Alice", About: "hi", AvatarMediaID: "m1",
		LastSeenVisibility: chat.VisibleContacts, AvatarVisibility: chat.VisibleNobody,
		ReadReceipts: true, CreatedAt: t0,
	}
	ok(t, "create account", s.CreateAccount(ctx, &a))
	if a.ID <= 0 {
		t.Fatalf("create account: got ID %d, want > 0", a.ID)
	}
	b := chat.Account{Phone: "+15550000002", CreatedAt: t0}
	ok(t, "create second account", s.CreateAccount(ctx, &b))
	if b.ID == a.ID || b.ID <= 0 {
		t.Errorf("second account: got ID %d, want a positive ID other than %d", b.ID, a.ID)
	}

	dup := chat.Account{Phone: a.Phone, CreatedAt: t0}
	wantCode(t, "create account with taken phone", s.CreateAccount(ctx, &dup), parley.EConflict)

	// Usernames: unique among accounts; "" is none, for any number of them.
	ok(t, "set username", s.SetUsername(ctx, a.ID, "alice"))
	wantCode(t, "taken username", s.SetUsername(ctx, b.ID, "alice"), parley.EConflict)
	ok(t, "set own username again", s.SetUsername(ctx, a.ID, "alice"))
	ok(t, "no username", s.SetUsername(ctx, b.ID, ""))
	wantCode(t, "username of no account", s.SetUsername(ctx, 1<<40, "nobody"), parley.ENotFound)
	if got, err := s.GetAccount(ctx, a.ID); err != nil || got.Username != "alice" {
		t.Errorf("username: got %q %v, want alice", got.Username, err)
	}
	ok(t, "remove username", s.SetUsername(ctx, a.ID, ""))
	ok(t, "username freed", s.SetUsername(ctx, b.ID, "alice"))
	ok(t, "reset", s.SetUsername(ctx, b.ID, ""))

	got, err := s.GetAccount(ctx, a.ID)
	ok(t, "get account", err)
	wantDiff(t, "account", got, a)
	got, err = s.GetAccountByPhone(ctx, a.Phone)
	ok(t, "get account by phone", err)
	wantDiff(t, "account by phone", got, a)

	_, err = s.GetAccount(ctx, a.ID+b.ID+100)
	wantCode(t, "get missing account", err, parley.ENotFound)
	if !isNotFound(err) {
		t.Errorf("get missing account: got %v, want parley.ErrNotFound", err)
	}
	_, err = s.GetAccountByPhone(ctx, "+15559999999")
	wantCode(t, "get missing account by phone", err, parley.ENotFound)

	// UpdateAccount writes the profile and privacy fields only.
	upd := a
	upd.Phone = "+15557777777"
	upd.CreatedAt = at(time.Hour)
	upd.DisplayName, upd.About, upd.AvatarMediaID = "Alice B", "busy", "m2"
	upd.LastSeenVisibility, upd.AvatarVisibility, upd.ReadReceipts = chat.VisibleNobody, chat.VisibleEveryone, false
	ok(t, "update account", s.UpdateAccount(ctx, upd))
	want := upd
	want.Phone, want.CreatedAt = a.Phone, a.CreatedAt
	got, err = s.GetAccount(ctx, a.ID)
	ok(t, "get updated account", err)
	wantDiff(t, "updated account", got, want)
	got, err = s.GetAccount(ctx, b.ID)
	ok(t, "get other account", err)
	wantDiff(t, "other account after update", got, b)

	missing := upd
	missing.ID = a.ID + b.ID + 100
	wantCode(t, "update missing account", s.UpdateAccount(ctx, missing), parley.ENotFound)

	ok(t, "touch last seen", s.TouchLastSeen(ctx, a.ID, at(time.Minute)))
	got, err = s.GetAccount(ctx, a.ID)
	ok(t, "get touched account", err)
	want.LastSeenAt = at(time.Minute)
	wantDiff(t, "account after touch", got, want)
	wantCode(t, "touch last seen of missing account", s.TouchLastSeen(ctx, missing.ID, t0), parley.ENotFound)
}

func testLookupPhones(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	newAccount(t, s, "+15550000003")

	tests := []struct {
		name   string
		phones []string
		want   []chat.Account
	}{
		{"none", nil, nil},
		{"unknown", []string{"+15559999999"}, nil},
		{"some", []string{"+15550000002", "+15559999999", "+15550000001"}, []chat.Account{a, b}},
		{"repeated", []string{"+15550000001", "+15550000001"}, []chat.Account{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.LookupPhones(ctx, tt.phones)
			ok(t, "lookup phones", err)
			slices.SortFunc(got, func(x, y chat.Account) int { return cmp.Compare(x.ID, y.ID) })
			wantDiff(t, "accounts", got, tt.want)
		})
	}
}

// testTimePrecision checks that times keep at least microseconds.
func testTimePrecision(t *testing.T, s Store) {
	ctx := t.Context()
	created := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	a := chat.Account{Phone: "+15550000001", CreatedAt: created}
	ok(t, "create account", s.CreateAccount(ctx, &a))
	got, err := s.GetAccount(ctx, a.ID)
	ok(t, "get account", err)
	if !got.CreatedAt.Equal(created) && !got.CreatedAt.Equal(created.Truncate(time.Microsecond)) {
		t.Errorf("created at: got %v, want %v to the microsecond", got.CreatedAt, created)
	}
	if !got.LastSeenAt.IsZero() {
		t.Errorf("last seen of new account: got %v, want the zero time", got.LastSeenAt)
	}
}

func testBlocks(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c := newAccount(t, s, "+15550000003")

	ok(t, "block", s.Block(ctx, a.ID, c.ID))
	ok(t, "block", s.Block(ctx, a.ID, b.ID))
	ok(t, "block twice", s.Block(ctx, a.ID, b.ID))

	for _, tt := range []struct {
		who, other int64
		want       bool
	}{
		{a.ID, b.ID, true},
		{a.ID, c.ID, true},
		{b.ID, a.ID, false}, // blocking is one-way
		{c.ID, b.ID, false},
	} {
		got, err := s.IsBlocked(ctx, tt.who, tt.other)
		ok(t, "is blocked", err)
		if got != tt.want {
			t.Errorf("IsBlocked(%d, %d): got %v, want %v", tt.who, tt.other, got, tt.want)
		}
	}
	ids, err := s.ListBlocked(ctx, a.ID)
	ok(t, "list blocked", err)
	wantDiff(t, "blocked", ids, []int64{b.ID, c.ID})
	ids, err = s.ListBlocked(ctx, b.ID)
	ok(t, "list blocked", err)
	wantDiff(t, "blocked by b", ids, []int64(nil))

	ok(t, "unblock", s.Unblock(ctx, a.ID, b.ID))
	ok(t, "unblock again", s.Unblock(ctx, a.ID, b.ID))
	blocked, err := s.IsBlocked(ctx, a.ID, b.ID)
	ok(t, "is blocked", err)
	if blocked {
		t.Errorf("IsBlocked after unblock: got true, want false")
	}
	ids, err = s.ListBlocked(ctx, a.ID)
	ok(t, "list blocked", err)
	wantDiff(t, "blocked after unblock", ids, []int64{c.ID})
}

func testDevices(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	b := newAccount(t, s, "+15550000002")
	c := newAccount(t, s, "+15550000003")
	a1 := newDevice(t, s, a.ID, "a1")
	b1 := newDevice(t, s, b.ID, "b1")
	a2 := newDevice(t, s, a.ID, "a2")
	c1 := newDevice(t, s, c.ID, "c1")
	if !(a1.ID > 0 && b1.ID > a1.ID && a2.ID > b1.ID) {
		t.Errorf("device ids: got %d, %d, %d, want positive and growing", a1.ID, b1.ID, a2.ID)
	}

	got, err := s.DeviceByTokenHash(ctx, tokenHash(a.ID, "a2"))
	ok(t, "device by token hash", err)
	wantDiff(t, "device by token hash", got, a2)
	_, err = s.DeviceByTokenHash(ctx, []byte("no such token"))
	wantCode(t, "device by unknown token hash", err, parley.ENotFound)

	list, err := s.ListDevices(ctx, a.ID)
	ok(t, "list devices", err)
	wantDiff(t, "devices of a", list, []chat.Device{a1, a2})

	tests := []struct {
		name     string
		accounts []int64
		want     []chat.Device
	}{
		{"none", nil, nil},
		{"one", []int64{c.ID}, []chat.Device{c1}},
		{"several", []int64{c.ID, a.ID, b.ID}, []chat.Device{a1, b1, a2, c1}},
		{"unknown", []int64{c.ID + 100}, nil},
	}
	for _, tt := range tests {
		t.Run("DevicesOf/"+tt.name, func(t *testing.T) {
			got, err := s.DevicesOf(ctx, tt.accounts)
			ok(t, "devices of", err)
			wantDiff(t, "devices", got, tt.want)
		})
	}

	ok(t, "touch device", s.TouchDevice(ctx, a1.ID, at(time.Hour)))
	got, err = s.DeviceByTokenHash(ctx, tokenHash(a.ID, "a1"))
	ok(t, "device by token hash", err)
	want := a1
	want.LastActiveAt = at(time.Hour)
	wantDiff(t, "touched device", got, want)
	wantCode(t, "touch missing device", s.TouchDevice(ctx, c1.ID+100, t0), parley.ENotFound)
}

func testDeviceLimit(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	const limit = 2
	var made []chat.Device
	for i, name := range []string{"d1", "d2", "d3"} {
		d := chat.Device{AccountID: a.ID, Name: name, CreatedAt: t0}
		err := s.CreateDevice(ctx, &d, tokenHash(a.ID, name), limit)
		if i < limit {
			ok(t, "create device under limit", err)
			made = append(made, d)
			continue
		}
		wantCode(t, "create device over limit", err, parley.ELimit)
	}
	got, err := s.ListDevices(ctx, a.ID)
	ok(t, "list devices", err)
	wantDiff(t, "devices after refused create", got, made)
	_, err = s.DeviceByTokenHash(ctx, tokenHash(a.ID, "d3"))
	wantCode(t, "token of refused device", err, parley.ENotFound)

	// Deleting one makes room again.
	ok(t, "delete device", s.DeleteDevice(ctx, a.ID, made[0].ID))
	d := chat.Device{AccountID: a.ID, Name: "d4", CreatedAt: t0}
	ok(t, "create device after delete", s.CreateDevice(ctx, &d, tokenHash(a.ID, "d4"), limit))
}

func testDeviceLimitConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	const limit, tries = 3, 8
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			d := chat.Device{AccountID: a.ID, Name: "d", CreatedAt: t0}
			errs[i] = s.CreateDevice(ctx, &d, tokenHash(a.ID, string(rune('a'+i))), limit)
		})
	}
	wg.Wait()
	var created int
	for _, err := range errs {
		switch parley.ErrorCode(err) {
		case "":
			created++
		case parley.ELimit:
		default:
			t.Errorf("concurrent create device: got error %v, want nil or code %q", err, parley.ELimit)
		}
	}
	if created != limit {
		t.Errorf("concurrent create device: got %d created, want %d", created, limit)
	}
	got, err := s.ListDevices(ctx, a.ID)
	ok(t, "list devices", err)
	if len(got) != limit {
		t.Errorf("devices after concurrent create: got %d, want %d", len(got), limit)
	}
}

func testDeleteDevice(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob2 := newDevice(t, s, f.bob.ID, "bob-laptop")
	m := f.message(f.chat.ID, "m1", t0, f.aliceDev, f.bobDev, bob2)
	commit(t, s, m)

	wantCode(t, "delete device of another account", s.DeleteDevice(ctx, f.alice.ID, f.bobDev.ID), parley.ENotFound)
	wantCode(t, "delete missing device", s.DeleteDevice(ctx, f.bob.ID, bob2.ID+100), parley.ENotFound)
	ok(t, "delete device", s.DeleteDevice(ctx, f.bob.ID, f.bobDev.ID))
	wantCode(t, "delete device twice", s.DeleteDevice(ctx, f.bob.ID, f.bobDev.ID), parley.ENotFound)

	list, err := s.ListDevices(ctx, f.bob.ID)
	ok(t, "list devices", err)
	wantDiff(t, "bob's devices", list, []chat.Device{bob2})
	_, err = s.DeviceByTokenHash(ctx, tokenHash(f.bob.ID, "bob-phone"))
	wantCode(t, "token of deleted device", err, parley.ENotFound)

	wantDiff(t, "inbox of deleted device", pending(t, s, f.bobDev.ID), []chat.Entry(nil))
	wantDiff(t, "inbox of other device", pending(t, s, bob2.ID), entriesOf(bob2.ID, m))
	wantDiff(t, "inbox of other account", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, m))
}
