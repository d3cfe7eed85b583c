package business

import (
	"maps"
	"testing"
	"time"
)

// t0 is an arbitrary instant the rule tables count from.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// wantCode checks that err is CloudError code, or nil when code is 0.
func wantCode(tb testing.TB, err error, code int) {
	tb.Helper()
	ce, ok := AsCloudError(err)
	switch {
	case code == 0 && err != nil:
		tb.Errorf("got error %v, want none", err)
	case code != 0 && !ok:
		tb.Errorf("got error %v, want CloudError %d", err, code)
	case code != 0 && ce.Code != code:
		tb.Errorf("got CloudError %d (%s), want %d", ce.Code, ce.Message, code)
	}
}

func TestCheckNumberActive(t *testing.T) {
	tests := []struct {
		status string
		want   int
	}{
		{NumberConnected, 0},
		{NumberFlagged, 0}, // YELLOW still sends
		{NumberPaused, MetaPolicyBlock},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			wantCode(t, checkNumberActive(BusinessNumber{Status: tt.status}), tt.want)
		})
	}
}

func TestRecipientPhone(t *testing.T) {
	tests := []struct {
		to      string
		want    string
		wantErr int
	}{
		{"5511987654321", "+5511987654321", 0},
		{"+55 11 98765-4321", "+5511987654321", 0},
		{"1 (415) 555-2671", "+14155552671", 0},
		{"abc", "", MetaInvalidParameter},
		{"", "", MetaInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			got, err := recipientPhone(tt.to)
			wantCode(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("recipientPhone(%q): got %q, want %q", tt.to, got, tt.want)
			}
		})
	}
}

func TestServiceWindow(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name      string
		last      time.Time // the customer's last message; zero: never wrote
		at        time.Time
		wantOpen  bool
		wantUntil time.Time
	}{
		{"never wrote", time.Time{}, t0, false, time.Time{}},
		{"just wrote", t0, t0, true, t0.Add(day)},
		{"23h59 later", t0, t0.Add(day - time.Minute), true, t0.Add(day)},
		{"exactly 24 h later: closed", t0, t0.Add(day), false, t0.Add(day)},
		{"two days later", t0, t0.Add(2 * day), false, t0.Add(day)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, until := serviceWindow(Conversation{LastInboundAt: tt.last}, tt.at, day)
			if open != tt.wantOpen || !until.Equal(tt.wantUntil) {
				t.Errorf("got open %v until %v, want open %v until %v", open, until, tt.wantOpen, tt.wantUntil)
			}
		})
	}
}

func TestCheckFreeForm(t *testing.T) {
	wantCode(t, checkFreeForm(true), 0)
	wantCode(t, checkFreeForm(false), MetaReengagement)
}

func TestFreeEntryPoint(t *testing.T) {
	const reply, length = 24 * time.Hour, 72 * time.Hour
	clicked := Conversation{EntryPointAt: t0}
	opened := Conversation{EntryPointAt: t0, Replied: true, EntryPointUntil: t0.Add(2*time.Hour + length)}
	tests := []struct {
		name      string
		c         Conversation
		at        time.Time
		in, opens bool
		until     time.Time
	}{
		{"no referral", Conversation{}, t0, false, false, time.Time{}},
		{"first reply after 23 h opens it", clicked, t0.Add(23 * time.Hour), true, true, t0.Add(23*time.Hour + length)},
		{"first reply after 25 h is too late", clicked, t0.Add(25 * time.Hour), false, false, time.Time{}},
		{"replied, but not within the reply time", Conversation{EntryPointAt: t0, Replied: true}, t0.Add(time.Hour), false, false, time.Time{}},
		{"inside the 72 h", opened, t0.Add(70 * time.Hour), true, false, opened.EntryPointUntil},
		{"at its end", opened, opened.EntryPointUntil, false, false, opened.EntryPointUntil},
		{"after the 72 h", opened, t0.Add(75 * time.Hour), false, false, opened.EntryPointUntil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, opens, until := freeEntryPoint(tt.c, tt.at, reply, length)
			if in != tt.in || opens != tt.opens || !until.Equal(tt.until) {
				t.Errorf("got in %v opens %v until %v, want in %v opens %v until %v", in, opens, until, tt.in, tt.opens, tt.until)
			}
		})
	}
}

func TestEntryPointStarts(t *testing.T) {
	const window = 24 * time.Hour
	tests := []struct {
		name string
		c    Conversation
		at   time.Time
		want bool
	}{
		{"first message ever", Conversation{}, t0, true},
		{"no entry point yet, window open", Conversation{LastInboundAt: t0}, t0.Add(time.Hour), true},
		{"entry point, window open", Conversation{EntryPointAt: t0, LastInboundAt: t0}, t0.Add(time.Hour), false},
		{"entry point, window closed", Conversation{EntryPointAt: t0, LastInboundAt: t0}, t0.Add(window), true},
		{"entry point, customer never wrote", Conversation{EntryPointAt: t0}, t0.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := entryPointStarts(tt.c, tt.at, window); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConversationOpens(t *testing.T) {
	until := map[string]time.Time{"marketing": t0.Add(24 * time.Hour)}
	tests := []struct {
		name     string
		until    map[string]time.Time
		category string
		at       time.Time
		want     bool
	}{
		{"no conversation yet", nil, "marketing", t0, true},
		{"inside its conversation", until, "marketing", t0.Add(time.Hour), false},
		{"at its end", until, "marketing", t0.Add(24 * time.Hour), true},
		{"another category", until, "utility", t0.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conversationOpens(maps.Clone(tt.until), tt.category, tt.at); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckMarketingOptOut(t *testing.T) {
	wantCode(t, checkMarketingOptOut(false), 0)
	wantCode(t, checkMarketingOptOut(true), MetaUserStoppedMarketing)
}

func TestCheckMarketingCap(t *testing.T) {
	tests := []struct {
		sent, limit int
		want        int
	}{
		{0, 2, 0},
		{1, 2, 0},
		{2, 2, MetaEcosystemHealth},
		{5, 2, MetaEcosystemHealth},
		{0, 1, 0},
		{1, 1, MetaEcosystemHealth},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			t.Logf("%d sent in 24 h, cap %d", tt.sent, tt.limit)
			wantCode(t, checkMarketingCap(tt.sent, tt.limit), tt.want)
		})
	}
}

// numbers returns a portfolio with one number per tier limit, all GREEN.
func numbers(limits ...int) []BusinessNumber {
	ns := make([]BusinessNumber, len(limits))
	for i, l := range limits {
		ns[i] = BusinessNumber{ID: int64(i + 1), TierLimit: l, Quality: QualityGreen}
	}
	return ns
}

func TestPortfolioTier(t *testing.T) {
	tests := []struct {
		name string
		ns   []BusinessNumber
		want int
	}{
		{"no numbers", nil, 0},
		{"one number", numbers(1000), 1000},
		{"shared", numbers(1000, 1000), 1000},
		{"older numbers differ: the highest", numbers(250, 10000, 1000), 10000},
		{"one unlimited: unlimited", numbers(250, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := portfolioTier(tt.ns); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNewNumberTier(t *testing.T) {
	tests := []struct {
		name        string
		defaultTier int
		verified    bool
		portfolio   []BusinessNumber
		want        int
	}{
		{"verified, first number", 1000, true, nil, 1000},
		{"unverified, first number", 1000, false, nil, 250},
		{"unverified, lower default", 100, false, nil, 100},
		{"takes the portfolio's", 1000, false, numbers(10000), 10000},
		{"takes an unlimited portfolio's", 1000, true, numbers(0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newNumberTier(tt.defaultTier, tt.verified, tt.portfolio); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckMessagingLimit(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		already bool
		reached int
		want    int
	}{
		{"unlimited", 0, false, 1_000_000, 0},
		{"below the limit", 250, false, 249, 0},
		{"at the limit: a new customer is refused", 250, false, 250, MetaSpamRateLimit},
		{"at the limit: a customer already reached is not", 250, true, 250, 0},
		{"over the limit (the limit dropped)", 250, false, 900, MetaSpamRateLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, checkMessagingLimit(tt.limit, tt.already, tt.reached), tt.want)
		})
	}
}

func TestTierUpgradeable(t *testing.T) {
	yellow := numbers(1000, 1000)
	yellow[1].Quality = QualityYellow
	tests := []struct {
		name      string
		ns        []BusinessNumber
		wantLimit int
		wantOK    bool
	}{
		{"all GREEN", numbers(1000, 1000), 1000, true},
		{"one YELLOW", yellow, 1000, false},
		{"unlimited", numbers(0), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit, ok := tierUpgradeable(tt.ns)
			if limit != tt.wantLimit || ok != tt.wantOK {
				t.Errorf("got %d %v, want %d %v", limit, ok, tt.wantLimit, tt.wantOK)
			}
		})
	}
}

func TestTierAfterReach(t *testing.T) {
	tests := []struct {
		limit, reached int
		want           int
		wantOK         bool
	}{
		{250, 124, 250, false},
		{250, 125, 1000, true},
		{1000, 500, 10000, true},
		{10000, 5000, 100000, true},
		{100000, 50000, 0, true}, // the last step is unlimited
		{0, 1_000_000, 0, false},
		{500, 400, 500, false}, // a limit off the steps stays where the operator set it
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			got, ok := tierAfterReach(tt.limit, tt.reached)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("tierAfterReach(%d, %d): got %d %v, want %d %v", tt.limit, tt.reached, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestTierAfterRed(t *testing.T) {
	tests := []struct {
		limit  int
		want   int
		wantOK bool
	}{
		{250, 250, false}, // the lowest step
		{1000, 250, true},
		{10000, 1000, true},
		{100000, 10000, true},
		{0, 100000, true}, // unlimited drops to the highest limit
		{500, 500, false},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			got, ok := tierAfterRed(tt.limit)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("tierAfterRed(%d): got %d %v, want %d %v", tt.limit, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestQualityRating(t *testing.T) {
	tests := []struct {
		signals               int
		wantQuality, wantStat string
	}{
		{0, QualityGreen, NumberConnected},
		{4, QualityGreen, NumberConnected},
		{5, QualityYellow, NumberFlagged},
		{19, QualityYellow, NumberFlagged},
		{20, QualityRed, NumberPaused},
		{100, QualityRed, NumberPaused},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			q, st := qualityRating(tt.signals, 5, 20)
			if q != tt.wantQuality || st != tt.wantStat {
				t.Errorf("qualityRating(%d, 5, 20): got %s %s, want %s %s", tt.signals, q, st, tt.wantQuality, tt.wantStat)
			}
		})
	}
}

func TestThroughputRate(t *testing.T) {
	tests := []struct {
		limit, nodes int
		want         float64
	}{
		{80, 1, 80},
		{80, 2, 40},
		{80, 3, 80.0 / 3},
		{2, 4, 1}, // at least 1/s per node
		{0, 1, 1},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			if got := throughputRate(tt.limit, tt.nodes); got != tt.want {
				t.Errorf("throughputRate(%d, %d): got %v, want %v", tt.limit, tt.nodes, got, tt.want)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	// Each step takes one token after `after` has passed since the last.
	type step struct {
		after time.Duration
		want  bool
	}
	tests := []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"a burst of the rate", 3, []step{{0, true}, {0, true}, {0, true}, {0, false}}},
		{"a token back after 1/rate", 3, []step{{0, true}, {0, true}, {0, true}, {0, false}, {400 * time.Millisecond, true}, {0, false}}},
		{"no more than the burst after idling", 2, []step{{time.Hour, true}, {0, true}, {0, false}}},
		{"one a second at 1/s", 1, []step{{0, true}, {500 * time.Millisecond, false}, {500 * time.Millisecond, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			bk := newBucket(tt.rate, now)
			for i, s := range tt.steps {
				now = now.Add(s.after)
				if got := bk.take(now); got != s.want {
					t.Fatalf("step %d (+%v): got %v, want %v", i, s.after, got, s.want)
				}
			}
		})
	}
}
