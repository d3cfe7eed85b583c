package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// LicenseOptions name the licence of a self-hosted enterprise deployment.
type LicenseOptions struct {
	File string // the licence file; none when empty (no seat limit)
	// PublicKeyFile is the vendor's public key (PEM) to verify it with;
	// default parley.DefaultLicensePublicKey.
	PublicKeyFile string
}

// loadLicense reads and verifies the licence, offline. A licence that
// does not verify stops the server with a message that says why.
func loadLicense(o LicenseOptions) (*revenue.License, error) {
	if o.File == "" {
		return nil, nil
	}
	pemKey := []byte(revenue.DefaultLicensePublicKey)
	if o.PublicKeyFile != "" {
		b, err := os.ReadFile(o.PublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read licence public key: %w", err)
		}
		pemKey = b
	}
	pub, err := revenue.ParseLicensePublicKey(pemKey)
	if err != nil {
		return nil, fmt.Errorf("licence public key %s: %w", o.PublicKeyFile, err)
	}
	data, err := os.ReadFile(o.File)
	if err != nil {
		return nil, fmt.Errorf("read licence: %w", err)
	}
	l, err := revenue.VerifyLicense(data, pub)
	if err != nil {
		return nil, fmt.Errorf("licence %s: %s", o.File, parley.ErrorMessage(err))
	}
	return &l, nil
}

// watchLicense logs the licence and the seats in use at start, and
// exports them as metrics.
func watchLicense(startCtx context.Context, log *slog.Logger, m *metrics, svc *revenue.Service) {
	ctx := context.WithoutCancel(startCtx)
	status := func() wire.LicenseStatus {
		st, err := svc.LicenseStatus(ctx)
		if err != nil {
			log.Warn("licence status", "err", err)
		}
		return st
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_license_seats_used", Help: "Accounts of people: the seats a licence counts."},
			func() float64 { return float64(status().SeatsUsed) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_license_seats", Help: "Seats the licence allows; 0 without a licence."},
			func() float64 { return float64(status().Seats) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_license_expires_timestamp_seconds", Help: "When the licence expires; 0 without a licence."},
			func() float64 {
				if st := status(); st.ExpiresAt != nil {
					return float64(st.ExpiresAt.Unix())
				}
				return 0
			}),
	)
	st := status()
	if !st.Licensed {
		return
	}
	args := []any{"customer", st.Customer, "id", st.ID, "seats", st.Seats, "seats_used", st.SeatsUsed, "expires_at", st.ExpiresAt, "features", st.Features}
	switch {
	case st.Expired:
		log.Warn("licence expired: existing accounts keep working, no new accounts", args...)
	case st.OverLimit:
		log.Warn("licence seats all taken: existing accounts keep working, no new accounts", args...)
	default:
		log.Info("licence verified", args...)
	}
}
