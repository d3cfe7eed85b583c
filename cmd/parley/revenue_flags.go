package main

import (
	"flag"
	"fmt"
	"strconv"

	revenuepkg "github.com/parleyhq/parley/revenue"
)

// revenueFlags defines the operator's switches of the people-side revenue
// models (docs/REVENUE-MODELS.md). Every model is off unless turned on.
func revenueFlags(fs *flag.FlagSet, getenv func(string) string, r *revenuepkg.Config) {
	// The prices' defaults do not depend on the free limits or currency.
	def := revenuepkg.Config{}.WithDefaults(revenuepkg.FreeLimits{}, "")
	fs.BoolVar(&r.Premium.Enabled, "premium", envBool(getenv, "PARLEY_PREMIUM"), "offer premium membership: paid plans with larger uploads, more devices and pins, a badge (env PARLEY_PREMIUM)")
	fs.Func("premium-monthly-price", fmt.Sprintf("price of the monthly premium plan in minor units; default %d (env PARLEY_PREMIUM_MONTHLY_PRICE)", def.Premium.MonthlyPrice), minorFlag(&r.Premium.MonthlyPrice))
	fs.Func("premium-yearly-price", fmt.Sprintf("price of the yearly premium plan in minor units; default %d (env PARLEY_PREMIUM_YEARLY_PRICE)", def.Premium.YearlyPrice), minorFlag(&r.Premium.YearlyPrice))
	fs.BoolVar(&r.Donations, "donations", envBool(getenv, "PARLEY_DONATIONS"), "take one-off and monthly donations and publish the transparency page /transparency (env PARLEY_DONATIONS)")
	fs.Func("min-donation", fmt.Sprintf("smallest donation in minor units; default %d (env PARLEY_MIN_DONATION)", def.MinDonation), minorFlag(&r.MinDonation))
	fs.BoolVar(&r.Nonprofit, "nonprofit", envBool(getenv, "PARLEY_NONPROFIT"), "nonprofit mode: no ads anywhere (no channel promotions, promoted results or ad links) (env PARLEY_NONPROFIT)")
	for _, e := range []struct {
		env string
		p   *int64
	}{{"PARLEY_PREMIUM_MONTHLY_PRICE", &r.Premium.MonthlyPrice}, {"PARLEY_PREMIUM_YEARLY_PRICE", &r.Premium.YearlyPrice}, {"PARLEY_MIN_DONATION", &r.MinDonation}} {
		if v, err := strconv.ParseInt(getenv(e.env), 10, 64); err == nil && v > 0 {
			*e.p = v
		}
	}
}

// minorFlag parses a positive amount in minor units into p.
func minorFlag(p *int64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			return strconv.ErrSyntax
		}
		*p = v
		return nil
	}
}

// envBool reports whether the environment value of key is true (1, t, true, ...).
func envBool(getenv func(string) string, key string) bool {
	v, _ := strconv.ParseBool(getenv(key))
	return v
}
