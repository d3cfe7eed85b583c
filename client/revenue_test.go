package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/stripe"
	"github.com/parleyhq/parley/internal/stripe/stripefake"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// revenueEnv is a server for the people-side revenue models, with a
// movable clock, the operator API and a payment provider.
type revenueEnv struct {
	srv   *servertest.Server
	clock *servertest.Clock
	op    *client.Operator
	pay   *money.SandboxPayments // nil when Stripe takes the payments
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
			var pay *money.SandboxPayments
			opts := append(st.opts(t), servertest.WithClock(clock), servertest.WithOptions(func(o *server.Options) {
				o.AdminToken = operatorToken
				o.Config.CodeResend = time.Millisecond
				if edit != nil {
					edit(t, o)
				}
				if o.Stripe.Key == "" && o.Payments == nil {
					pay = money.NewSandboxPayments()
					o.Payments = pay
				}
			}))
			srv := servertest.Start(t, opts...)
			fn(t, revenueEnv{srv: srv, clock: clock, op: client.NewOperator(srv.AdminURL, operatorToken), pay: pay})
		})
	}
}

// TestStripeEndToEnd takes channel subscriptions through the Stripe
// adapter against the local fake of Stripe's API.
func TestStripeEndToEnd(t *testing.T) {
	t.Parallel()
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
		if sub.Status != wire.SubActive {
			t.Fatalf("got %+v, want active", sub)
		}
		if n, sum := fake.Succeeded(); n-n0 != 1 || sum-sum0 != 499 {
			t.Fatalf("stripe took %d payments of %d, want 1 of 499", n-n0, sum-sum0)
		}
	})
}

// licenseFiles writes a vendor key pair and a licence signed with it,
// and returns the licence and public key paths.
func licenseFiles(t *testing.T, l revenue.License) (file, pub string) {
	t.Helper()
	privPEM, pubPEM, err := revenue.NewLicenseKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := revenue.ParseLicenseSigningKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	data, err := revenue.SignLicense(key, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file, pub = filepath.Join(dir, "parley.license"), filepath.Join(dir, "vendor.pub")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, pub
}

// TestLicenseSeats: over the seat limit no new account is created,
// existing people keep working (and linking devices), the operator sees
// the seats, and past expiry nobody new gets in.
func TestLicenseSeats(t *testing.T) {
	t.Parallel()
	revenueStores(t, func(t *testing.T, o *server.Options) {
		file, pub := licenseFiles(t, revenue.License{ID: "lic_e2e", Customer: "Acme", Seats: 2,
			ExpiresAt: time.Now().Add(30 * 24 * time.Hour), Features: []string{"sso"}})
		o.License = server.LicenseOptions{File: file, PublicKeyFile: pub}
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		c := client.New(env.srv.URL)
		if err := c.RequestCode(ctx, carolPhone); err != nil {
			t.Fatal(err)
		}
		_, err := c.Verify(ctx, carolPhone, env.srv.Code(carolPhone), "phone", nil)
		wantCode(t, err, "license_seats_exhausted")

		// Existing people keep working: a message, a second device.
		chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		if _, err := alice.SendText(ctx, chat.ID, "still here"); err != nil {
			t.Fatal(err)
		}
		login(t, env.srv, alicePhone, "laptop")

		st := must(env.op.License(ctx)).get(t)
		if !st.Licensed || st.Customer != "Acme" || st.Seats != 2 || st.SeatsUsed != 2 || !st.OverLimit || st.Expired {
			t.Fatalf("licence status: got %+v", st)
		}
		metrics := getText(t, env.srv.AdminURL+"/metrics")
		for _, want := range []string{"parley_license_seats_used 2", "parley_license_seats 2"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}

		// Past expiry: still no new accounts (now for expiry), old ones work.
		env.clock.Advance(31 * 24 * time.Hour)
		if err := c.RequestCode(ctx, "+14155550104"); err != nil {
			t.Fatal(err)
		}
		_, err = c.Verify(ctx, "+14155550104", env.srv.Code("+14155550104"), "phone", nil)
		wantCode(t, err, "license_expired")
		if _, err := alice.SendText(ctx, chat.ID, "after expiry"); err != nil {
			t.Fatalf("an existing account after expiry: %v", err)
		}
		if st := must(env.op.License(ctx)).get(t); !st.Expired {
			t.Fatalf("after expiry: got %+v, want expired", st)
		}
	})
}

// TestLicenseRefusedAtStart: a tampered licence stops the server with a
// clear message.
func TestLicenseRefusedAtStart(t *testing.T) {
	t.Parallel()
	file, pub := licenseFiles(t, revenue.License{Customer: "Acme", Seats: 5, ExpiresAt: time.Now().Add(time.Hour)})
	data, _ := os.ReadFile(file)
	var f map[string]string
	_ = json.Unmarshal(data, &f)
	payload, _ := base64.StdEncoding.DecodeString(f["payload"])
	f["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"seats":5`, `"seats":500`, 1)))
	data, _ = json.Marshal(f)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := server.Start(context.Background(), server.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(),
		License: server.LicenseOptions{File: file, PublicKeyFile: pub}})
	if err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("got %v, want a refusal naming the bad signature", err)
	}
	// The built-in vendor key refuses a licence signed by another vendor.
	_, err = server.Start(context.Background(), server.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(),
		License: server.LicenseOptions{File: file}})
	if err == nil || !strings.Contains(err.Error(), "licence refused") {
		t.Fatalf("got %v, want a refusal", err)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
