package stripe_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/stripe"
	"github.com/parleyhq/parley/internal/stripe/stripefake"
	"github.com/parleyhq/parley/money"
)

func newPayments(t *testing.T, fake *stripefake.Server, key string, retries int) *stripe.Payments {
	t.Helper()
	p, err := stripe.New(stripe.Options{Key: key, URL: fake.URL, Retries: retries})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func charge(key, method string, minor int64) money.PaymentCharge {
	return money.PaymentCharge{Key: key, AccountID: 7, Method: method, Amount: money.Money{Minor: minor, Currency: "USD"}, Description: "premium monthly"}
}

func TestChargeIsIdempotent(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	p := newPayments(t, fake, "sk_test_1", -1)
	ctx := context.Background()
	ref1, err := p.Charge(ctx, charge("premium:7:1", "pm_card_visa", 499))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref1, "pi_") {
		t.Fatalf("got ref %q, want a PaymentIntent id", ref1)
	}
	ref2, err := p.Charge(ctx, charge("premium:7:1", "pm_card_visa", 499))
	if err != nil {
		t.Fatal(err)
	}
	if ref2 != ref1 {
		t.Fatalf("retry got %q, want the first intent %q", ref2, ref1)
	}
	if n, amount := fake.Succeeded(); n != 1 || amount != 499 {
		t.Fatalf("got %d intents of %d, want 1 of 499", n, amount)
	}
	// The same key with another amount is a conflict, not a second charge.
	if _, err := p.Charge(ctx, charge("premium:7:1", "pm_card_visa", 999)); parley.ErrorCode(err) != parley.EConflict {
		t.Fatalf("got %v, want %s", err, parley.EConflict)
	}
}

func TestConcurrentRetriesChargeOnce(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	p := newPayments(t, fake, "sk_test_1", -1)
	var wg sync.WaitGroup
	refs := make([]string, 8)
	for i := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref, err := p.Charge(context.Background(), charge("donation:1", "pm_card_visa", 1000))
			if err != nil {
				t.Error(err)
			}
			refs[i] = ref
		}()
	}
	wg.Wait()
	for _, r := range refs {
		if r != refs[0] {
			t.Fatalf("got refs %v, want one", refs)
		}
	}
	if n, _ := fake.Succeeded(); n != 1 {
		t.Fatalf("got %d intents, want 1", n)
	}
}

func TestChargeErrors(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	p := newPayments(t, fake, "sk_test_1", -1)
	wrongKey := newPayments(t, fake, "sk_test_wrong", -1)
	tests := []struct {
		name    string
		p       *stripe.Payments
		c       money.PaymentCharge
		code    parley.Code
		decline string
	}{
		{"declined", p, charge("k1", "pm_card_chargeDeclined", 500), parley.EPaymentDeclined, "generic_decline"},
		{"insufficient funds", p, charge("k2", "pm_card_chargeDeclinedInsufficientFunds", 500), parley.EPaymentDeclined, "insufficient_funds"},
		{"needs action", p, charge("k3", "pm_card_authenticationRequired", 500), parley.EPaymentDeclined, ""},
		{"unknown method", p, charge("k4", "tok_nonsense", 500), parley.EInvalid, ""},
		{"no method", p, charge("k5", "", 500), parley.EInvalid, ""},
		{"zero amount", p, charge("k6", "pm_card_visa", 0), parley.EInvalid, ""},
		{"bad key", wrongKey, charge("k7", "pm_card_visa", 500), parley.EUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Charge(context.Background(), tt.c)
			if got := parley.ErrorCode(err); got != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if tt.decline != "" && parley.ErrorDetails(err)["decline_code"] != tt.decline {
				t.Fatalf("got details %v, want decline_code %s", parley.ErrorDetails(err), tt.decline)
			}
		})
	}
	if n, _ := fake.Succeeded(); n != 0 {
		t.Fatalf("got %d succeeded intents, want 0", n)
	}
}

func TestRetriesAfterLostAnswerChargeOnce(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	p := newPayments(t, fake, "sk_test_1", 1)
	fake.DropNext(1) // charged, but the answer is lost
	if _, err := p.Charge(context.Background(), charge("k-retry", "pm_card_visa", 700)); err != nil {
		t.Fatal(err)
	}
	if got := fake.Requests(); got != 2 {
		t.Fatalf("got %d requests, want 2 (one lost answer, one retry)", got)
	}
	noRetry := newPayments(t, fake, "sk_test_1", -1)
	fake.FailNext(1)
	if _, err := noRetry.Charge(context.Background(), charge("k-fail", "pm_card_visa", 700)); parley.ErrorCode(err) != parley.EUnavailable {
		t.Fatalf("got %v, want %s", err, parley.EUnavailable)
	}
	if n, amount := fake.Succeeded(); n != 1 || amount != 700 {
		t.Fatalf("got %d intents of %d, want 1 of 700", n, amount)
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	p := newPayments(t, fake, "sk_test_1", -1)
	ctx := context.Background()
	ref, err := p.Charge(ctx, charge("k", "pm_card_visa", 1000))
	if err != nil {
		t.Fatal(err)
	}
	usd := func(n int64) money.Money { return money.Money{Minor: n, Currency: "USD"} }
	if _, err := p.Refund(ctx, "refund:1", ref, usd(400)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refund(ctx, "refund:1", ref, usd(400)); err != nil { // a retry
		t.Fatal(err)
	}
	if got := fake.Refunded(); got != 400 {
		t.Fatalf("got %d refunded, want 400", got)
	}
	if _, err := p.Refund(ctx, "refund:2", ref, usd(601)); parley.ErrorCode(err) != parley.EInvalid {
		t.Fatalf("over-refund: got %v, want %s", err, parley.EInvalid)
	}
	if _, err := p.Refund(ctx, "refund:3", "pi_missing", usd(1)); parley.ErrorCode(err) != parley.EInvalid {
		t.Fatalf("unknown intent: got %v, want %s", err, parley.EInvalid)
	}
}

// TestFakeSpeaksStripe checks the fake's wire format directly, as a
// client other than stripe-go would see it.
func TestFakeSpeaksStripe(t *testing.T) {
	t.Parallel()
	fake := stripefake.Start(t, "sk_test_1")
	post := func(key, body string) *http.Response {
		req, _ := http.NewRequest("POST", fake.URL+"/v1/payment_intents", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk_test_1")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	body := url.Values{"amount": {"100"}, "currency": {"usd"}, "payment_method": {"pm_card_visa"}, "confirm": {"true"}}.Encode()
	if r := post("a", body); r.StatusCode != 200 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: got %d %q", r.StatusCode, r.Header.Get("Idempotent-Replayed"))
	}
	if r := post("a", body); r.StatusCode != 200 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: got %d %q", r.StatusCode, r.Header.Get("Idempotent-Replayed"))
	}
	if r := post("b", "amount=100"); r.StatusCode != 400 {
		t.Fatalf("no currency: got %d, want 400", r.StatusCode)
	}
}
