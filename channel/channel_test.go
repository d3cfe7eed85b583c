package channel

import (
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

func TestNormalizeHandle(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"news", "news", true},
		{"@Daily_News", "daily_news", true},
		{"  abc  ", "abc", true},
		{"ab", "", false},         // too short
		{"1news", "", false},      // must start with a letter
		{"news-today", "", false}, // no hyphens
		{"ñews", "", false},       // ASCII only
		{string(make([]byte, 33)), "", false},
		{"a234567890123456789012345678901", "a234567890123456789012345678901", true}, // 31
	}
	for _, tt := range tests {
		got, err := NormalizeHandle(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeHandle(%q): got %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("NormalizeHandle(%q): got code %q, want %q", tt.in, parley.ErrorCode(err), parley.EInvalid)
		}
	}
}

// TestRevenueShare checks the one rounding rule: half up, and the share
// and the creator's net always add up to the charge.
func TestRevenueShare(t *testing.T) {
	tests := []struct {
		amount int64
		bp     int
		want   int64
	}{
		{499, 3000, 150}, // 149.7
		{100, 3000, 30},
		{5, 1000, 1}, // 0.5 rounds up
		{4, 1000, 0}, // 0.4 rounds down
		{0, 3000, 0},
		{99_999, 10000, 99_999},
		{99_999, 0, 0},
	}
	for _, tt := range tests {
		if got := money.RevenueShare(tt.amount, tt.bp); got != tt.want {
			t.Errorf("RevenueShare(%d, %d): got %d, want %d", tt.amount, tt.bp, got, tt.want)
		}
	}
	for amount := int64(0); amount <= 100_000; amount += 7 {
		for _, bp := range []int{0, 1, 1500, 3000, 3333, 9999, 10000} {
			share := money.RevenueShare(amount, bp)
			exact := float64(amount) * float64(bp) / 10000
			if share < 0 || share > amount || float64(share) < exact-0.5 || float64(share) > exact+0.5 {
				t.Fatalf("RevenueShare(%d, %d) = %d, exact %.2f: off by more than half a unit", amount, bp, share, exact)
			}
		}
	}
}

func TestChannelConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.EditWindow != 30*24*time.Hour || c.Retention != 30*24*time.Hour || c.MaxPollOptions != 12 ||
		c.RevenueShareBP != 3000 || c.Currency != "USD" || c.TierMinPrice >= c.TierMaxPrice {
		t.Errorf("defaults: got %+v", c)
	}
	c = Config{EditWindow: time.Hour, Currency: "BRL"}.WithDefaults()
	if c.EditWindow != time.Hour || c.Currency != "BRL" {
		t.Errorf("set fields were overridden: got %+v", c)
	}
}

func TestValidatePoll(t *testing.T) {
	s := &Service{cfg: Config{}.WithDefaults()}
	tests := []struct {
		name string
		poll *wire.Poll
		ok   bool
	}{
		{"none", nil, false},
		{"one option", &wire.Poll{Options: []string{"a"}}, false},
		{"duplicates ignoring case and spaces", &wire.Poll{Options: []string{"Yes", " yes"}}, false},
		{"empty option", &wire.Poll{Options: []string{"a", " "}}, false},
		{"too many", &wire.Poll{Options: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"}}, false},
		{"two", &wire.Poll{Options: []string{"a", "b"}}, true},
		{"twelve", &wire.Poll{Options: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}, Multiple: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.validatePoll(tt.poll)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if err != nil && parley.ErrorCode(err) != parley.EInvalid {
				t.Fatalf("got code %q, want %q", parley.ErrorCode(err), parley.EInvalid)
			}
		})
	}
}
