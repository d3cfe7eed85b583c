package client_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/stripe"
	"github.com/parleyhq/parley/internal/stripe/stripefake"
)

// revenueEnv is a server for the people-side revenue models, with a
// movable clock, the operator API and a payment provider.
type revenueEnv struct {
	srv   *servertest.Server
	clock *servertest.Clock
	op    *client.Operator
	pay   *parley.SandboxPayments // nil when Stripe takes the payments
}

// revenueStores runs fn once per store (SQLite with embedded NATS;
// PostgreSQL with external NATS when configured) on a server whose
// options edit changes.
func revenueStores(t *testing.T, edit func(t *testing.T, o *server.Options), fn func(t *testing.T, env revenueEnv)) {
	t.Helper()
	stores := []struct {
		name string
		opts func(t *testing.T) []servertest.Option
	}{
		{"sqlite", func(t *testing.T) []servertest.Option { return nil }},
		{"postgres", func(t *testing.T) []servertest.Option {
			return []servertest.Option{servertest.WithPostgres(t, servertest.PostgresDSN(t)), servertest.WithExternalNATS(servertest.NATSURL(t))}
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			clock := &servertest.Clock{}
			var pay *parley.SandboxPayments
			opts := append(st.opts(t), servertest.WithClock(clock), servertest.WithOptions(func(o *server.Options) {
				o.AdminToken = operatorToken
				o.Config.CodeResend = time.Millisecond
				if edit != nil {
					edit(t, o)
				}
				if o.Stripe.Key == "" && o.Config.Channels.Payments == nil {
					pay = parley.NewSandboxPayments()
					o.Config.Channels.Payments = pay
				}
			}))
			srv := servertest.Start(t, opts...)
			fn(t, revenueEnv{srv: srv, clock: clock, op: client.NewOperator(srv.URL, operatorToken), pay: pay})
		})
	}
}

// TestStripeEndToEnd takes channel subscriptions through the Stripe
// adapter against the local fake of Stripe's API.
func TestStripeEndToEnd(t *testing.T) {
	var fake *stripefake.Server
	revenueStores(t, func(t *testing.T, o *server.Options) {
		fake = stripefake.Start(t, "sk_test_e2e")
		o.Stripe = stripe.Options{Key: "sk_test_e2e", URL: fake.URL, Retries: -1}
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		ch := newChannel(t, owner, "stripe_news")
		tier := must(owner.CreateTier(ctx, ch.ID, "Gold", 499)).get(t)
		must(bob.Follow(ctx, ch.ID)).get(t)
		n0, sum0 := fake.Succeeded()
		_, err := bob.Subscribe(ctx, ch.ID, tier.ID, "pm_card_chargeDeclined")
		wantCode(t, err, "payment_declined")
		_, err = bob.Subscribe(ctx, ch.ID, tier.ID, "not-a-method")
		wantCode(t, err, "unavailable") // the channel layer reports provider refusals as unavailable
		sub := must(bob.Subscribe(ctx, ch.ID, tier.ID, "pm_card_visa")).get(t)
		if sub.Status != parley.SubActive {
			t.Fatalf("got %+v, want active", sub)
		}
		if n, sum := fake.Succeeded(); n-n0 != 1 || sum-sum0 != 499 {
			t.Fatalf("stripe took %d payments of %d, want 1 of 499", n-n0, sum-sum0)
		}
	})
}
