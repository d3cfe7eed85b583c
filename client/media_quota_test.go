package client_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/revenue"
)

// TestMediaQuota (issue 13, defect 6): an account's kept uploads are
// capped; past the cap an upload is refused with premium_required (both
// limits and what is used in the details) while premium is offered, and
// a premium member may keep more. Another account is unaffected. Before
// the fix every upload was accepted.
func TestMediaQuota(t *testing.T) {
	t.Parallel()
	revenueStores(t, func(t *testing.T, o *server.Options) {
		o.Config.MaxMedia = 1000
		o.Config.MediaQuota = 2500
		o.Revenue.Premium = revenue.PremiumConfig{Enabled: true, MaxMedia: 1000, MediaQuota: 10000}
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		c := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)
		must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)
		_, err := alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900))) // 2700 > 2500
		wantCode(t, err, "premium_required")
		var ce *client.Error
		if !errors.As(err, &ce) {
			t.Fatalf("got %v, want a *client.Error", err)
		}
		if d := ce.Details; d["limit"] != float64(2500) || d["premium_limit"] != float64(10000) || d["used"] != float64(1800) {
			t.Errorf("quota details: got %v, want limit 2500, premium_limit 10000, used 1800", d)
		}
		must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(600)))).get(t) // what is left fits
		must(bob.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)   // bob is unaffected

		must(alice.SubscribePremium(ctx, "month", "card")).get(t)
		must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)
	})
}

// TestMediaQuotaWithoutPremium: with no premium offered the quota answers
// limit_exceeded.
func TestMediaQuotaWithoutPremium(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.Config.CodeResend = time.Millisecond
		o.Config.MaxMedia = 1000
		o.Config.MediaQuota = 1500
	}))
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	c := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)
	_, err := alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(pngOf(900)))
	wantCode(t, err, "limit_exceeded")
}

// TestMediaSweep (issue 13, defect 6): once the retention has passed and
// every envelope that could carry it is gone, an attachment's record and
// its blob are removed; an avatar, and a blob another kept media shares,
// stay.
func TestMediaSweep(t *testing.T) {
	t.Parallel()
	var dataDir string
	revenueStores(t, func(t *testing.T, o *server.Options) {
		dataDir = o.DataDir
		o.Config.Retention = time.Hour
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		c := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
		blobOf := func(b []byte) string {
			sum := sha256.Sum256(b)
			h := hex.EncodeToString(sum[:])
			return filepath.Join(dataDir, "media", h[0:2], h[2:4], h)
		}
		exists := func(path string) bool { _, err := os.Stat(path); return err == nil }

		gone, kept, shared := pngOf(700), pngOf(800), pngOf(900)
		old := must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(gone))).get(t)
		oldShared := must(alice.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(shared))).get(t)
		must(alice.SetAvatar(ctx, "image/png", bytes.NewReader(kept))).get(t)
		if !exists(blobOf(gone)) {
			t.Fatalf("blob of the upload not at %s", blobOf(gone))
		}
		env.clock.Advance(2 * time.Hour)
		recent := must(bob.UploadMedia(ctx, c.ID, "image/png", bytes.NewReader(shared))).get(t) // the same bytes, later
		env.srv.Sweep(t)

		for _, id := range []string{old.ID, oldShared.ID} {
			_, err := alice.Media(ctx, id)
			wantCode(t, err, "not_found")
		}
		if exists(blobOf(gone)) {
			t.Errorf("the unreferenced upload's blob is still on disk")
		}
		if !exists(blobOf(shared)) || !exists(blobOf(kept)) {
			t.Errorf("a blob still referred to was removed (shared %v, avatar %v)", exists(blobOf(shared)), exists(blobOf(kept)))
		}
		for what, get := range map[string]func() (*client.Download, error){
			"recent upload": func() (*client.Download, error) { return bob.Media(ctx, recent.ID) },
			"avatar":        func() (*client.Download, error) { return bob.Avatar(ctx, alice.AccountID) },
		} {
			d, err := get()
			if err != nil {
				t.Errorf("%s after the sweep: %v", what, err)
				continue
			}
			d.Body.Close()
		}
	})
}
