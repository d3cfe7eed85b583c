package business

import (
	"testing"

	"pgregory.net/rapid"
)

// TestOrderTransition: Meta's order statuses move forward only, and
// completed and canceled are final.
func TestOrderTransition(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{OrderPending, OrderProcessing, true},
		{OrderPending, OrderCanceled, true},
		{OrderProcessing, OrderPending, false},
		{OrderPartiallyShipped, OrderPartiallyShipped, true},
		{OrderShipped, OrderPartiallyShipped, false},
		{OrderShipped, OrderCompleted, true},
		{OrderCompleted, OrderCanceled, false},
		{OrderCanceled, OrderProcessing, false},
		{OrderPending, "lost", false},
	} {
		if got := OrderTransition(c.from, c.to); got != c.want {
			t.Errorf("%s → %s: got %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// TestCommerceFee: the fee is the basis points rounded half up plus the
// fixed part, never negative and never more than the payment.
func TestCommerceFee(t *testing.T) {
	if got := (CommerceConfig{FeeBP: 290, FeeFixedMinor: 30}).Fee(2080); got != 90 { // 60.32 → 60, + 30
		t.Errorf("fee of 2080 at 290 bp + 30: got %d, want 90", got)
	}
	rapid.Check(t, func(t *rapid.T) {
		c := CommerceConfig{FeeBP: rapid.IntRange(0, 10000).Draw(t, "bp"), FeeFixedMinor: rapid.Int64Range(0, 10000).Draw(t, "fixed")}
		amount := rapid.Int64Range(0, 1e12).Draw(t, "amount")
		fee := c.Fee(amount)
		if fee < 0 || fee > amount {
			t.Fatalf("fee %d of %d", fee, amount)
		}
		if fee < amount && fee != (amount*int64(c.FeeBP)+5000)/10000+c.FeeFixedMinor {
			t.Fatalf("fee %d of %d at %+v is not the rounded share plus the fixed part", fee, amount, c)
		}
	})
}
