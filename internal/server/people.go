package server

import (
	"log/slog"

	"github.com/parleyhq/parley/revenue"
)

// logRevenue logs which people-side revenue models the operator turned
// on (docs/REVENUE-MODELS.md), with the effective prices.
func logRevenue(log *slog.Logger, r revenue.Config) {
	if !r.Premium.Enabled && !r.Donations && !r.Nonprofit {
		return
	}
	log.Info("revenue models", "premium", r.Premium.Enabled, "premium_monthly_minor", r.Premium.MonthlyPrice,
		"premium_yearly_minor", r.Premium.YearlyPrice, "donations", r.Donations, "min_donation_minor", r.MinDonation,
		"nonprofit", r.Nonprofit, "currency", r.Currency)
}
