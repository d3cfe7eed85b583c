package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/sqlite"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/internal/webhook"
)

// A dispatcher that stops gives back the webhooks it claimed and never
// attempted: the next process delivers them at once instead of waiting out
// a five-minute lease.
func TestShutdownGivesBackUnattemptedWebhooks(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{}, 16)
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-hold
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hold) })
	biz := &business.Business{Name: "Acme", AppSecret: "s", CallbackURL: srv.URL, PricingModel: "PMP", CreatedAt: time.Now()}
	if err := db.CreateBusiness(ctx, biz); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ws := []*business.Webhook{
		{BusinessID: biz.ID, Key: "a", ConvKey: "c1", Payload: []byte(`{}`), Status: business.WebhookPending, NextAttemptAt: now, CreatedAt: now},
		{BusinessID: biz.ID, Key: "b", ConvKey: "c2", Payload: []byte(`{}`), Status: business.WebhookPending, NextAttemptAt: now, CreatedAt: now},
	}
	if err := db.EnqueueWebhooks(ctx, ws); err != nil {
		t.Fatal(err)
	}
	// One delivery at a time: the first hangs at the endpoint, so the
	// second is claimed and waits for the business's only slot.
	d := webhook.New(db, webhook.Options{PerBusiness: 1, Poll: 10 * time.Millisecond, Timeout: time.Minute,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	select {
	case <-arrived:
	case <-time.After(testutil.Timeout):
		t.Fatal("the first webhook never reached the endpoint")
	}
	if !testutil.Within(testutil.Timeout, func() bool {
		claimed, err := db.ClaimWebhooks(ctx, time.Now(), time.Now(), 10, nil)
		return err == nil && len(claimed) == 0 // both are leased
	}) {
		t.Fatal("the dispatcher never claimed both webhooks")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimWebhooks(ctx, time.Now().Add(time.Second), time.Now().Add(time.Hour), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, w := range claimed {
		ids[w.ID] = true
	}
	// Either webhook may have won the business's one slot: the one that
	// did has one failed attempt (cut short), the other none and is due.
	var attempted, waited []int64
	for _, w := range ws {
		as, err := db.WebhookAttempts(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(as) == 1 && as[0].Error != "":
			attempted = append(attempted, w.ID)
		case len(as) == 0:
			waited = append(waited, w.ID)
		default:
			t.Errorf("webhook %d: attempts %+v, want one failed attempt or none", w.ID, as)
		}
	}
	if len(attempted) != 1 || len(waited) != 1 {
		t.Fatalf("attempted %v, never attempted %v: want one of each", attempted, waited)
	}
	if !ids[waited[0]] {
		t.Errorf("after shutdown the unattempted webhook %d is still leased; claimable: %v", waited[0], ids)
	}
}
