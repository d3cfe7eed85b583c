package money

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func TestRevenueShare(t *testing.T) {
	tests := []struct {
		amount int64
		bp     int
		want   int64
	}{
		{1000, 3000, 300},
		{999, 3000, 300}, // 299.7 rounds up
		{5, 1000, 1},     // 0.5 rounds half up
		{4, 1000, 0},     // 0.4 rounds down
		{1, 5000, 1},     // 0.5 rounds half up
		{0, 3000, 0},
		{1234, 0, 0},
		{1234, 10000, 1234},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			if got := RevenueShare(tt.amount, tt.bp); got != tt.want {
				t.Errorf("RevenueShare(%d, %d): got %d, want %d", tt.amount, tt.bp, got, tt.want)
			}
		})
	}
}

// maxAmount keeps amount*bp within int64 (RevenueShare multiplies first).
const maxAmount = math.MaxInt64/10000 - 1

// TestPropRevenueShare: a share is never negative nor more than the
// amount, is the exact share rounded half up, and grows with the rate and
// the amount.
func TestPropRevenueShare(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		amount := rapid.Int64Range(0, maxAmount).Draw(t, "amount")
		bp := rapid.IntRange(0, 10000).Draw(t, "bp")
		s := RevenueShare(amount, bp)
		if s < 0 || s > amount {
			t.Fatalf("RevenueShare(%d, %d) = %d, want within [0, %d]", amount, bp, s, amount)
		}
		// Half up: s*10000 - amount*bp is in (-5000, 5000].
		if d := s*10000 - amount*int64(bp); d <= -5000 || d > 5000 {
			t.Fatalf("RevenueShare(%d, %d) = %d: %d ten-thousandths from the exact share", amount, bp, s, d)
		}
		bp2 := rapid.IntRange(bp, 10000).Draw(t, "bp2")
		if s2 := RevenueShare(amount, bp2); s2 < s {
			t.Fatalf("RevenueShare(%d, %d) = %d < RevenueShare(%d, %d) = %d", amount, bp2, s2, amount, bp, s)
		}
		amount2 := rapid.Int64Range(amount, maxAmount).Draw(t, "amount2")
		if s2 := RevenueShare(amount2, bp); s2 < s {
			t.Fatalf("RevenueShare(%d, %d) = %d < RevenueShare(%d, %d) = %d", amount2, bp, s2, amount, bp, s)
		}
	})
}

// TestPropRevenueShareSplit: a charge splits into the operator's share and
// the rest (amount - share), which sum back to the amount. Rounding both
// sides half up instead (RevenueShare at 10000-bp for the rest) pays one
// minor unit too many when the exact share ends in exactly one half, so
// the rest must be the subtraction.
func TestPropRevenueShareSplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		amount := rapid.Int64Range(0, maxAmount).Draw(t, "amount")
		bp := rapid.IntRange(0, 10000).Draw(t, "bp")
		share := RevenueShare(amount, bp)
		rest := amount - share
		if rest < 0 || share+rest != amount {
			t.Fatalf("split of %d at %d bp: share %d, rest %d", amount, bp, share, rest)
		}
		over := share + RevenueShare(amount, 10000-bp) - amount
		half := amount*int64(bp)%10000 == 5000
		if (half && over != 1) || (!half && over != 0) {
			t.Fatalf("both sides of %d at %d bp rounded: %d over the amount, want %d", amount, bp, over, map[bool]int{true: 1, false: 0}[half])
		}
	})
}
