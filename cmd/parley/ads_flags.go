package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/parleyhq/parley/ads"
)

// adsFlags defines the operator's settings of the ads product
// (docs/ADS.md). Ads are off unless --ads.
func adsFlags(fs *flag.FlagSet, getenv func(string) string, c *ads.Config) {
	def := ads.Config{}.WithDefaults()
	fs.BoolVar(&c.Enabled, "ads", envBool(getenv, "PARLEY_ADS"), "switch the ads product on: campaigns, placements in Updates, the directory and opted-in channels, aggregate reports (env PARLEY_ADS); nonprofit mode keeps it off")
	fs.Func("ads-k", fmt.Sprintf("fewest distinct people an advertiser's report cell may count; smaller cells fold into \"other\"; default %d (env PARLEY_ADS_K)", def.K), func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 {
			return fmt.Errorf("want an integer of at least 2")
		}
		c.K = v
		return nil
	})
	fs.Func("ads-epsilon", fmt.Sprintf("privacy budget ε of one campaign-day's report (discrete Laplace noise), a decimal; default %s (env PARLEY_ADS_EPSILON)", def.Epsilon), func(s string) error {
		if _, _, err := ads.ParseEpsilon(s); err != nil {
			return err
		}
		c.Epsilon = s
		return nil
	})
	fs.Func("ads-floor", fmt.Sprintf("the auction's reserve price, micros per thousand impressions; default %d (env PARLEY_ADS_FLOOR)", def.Floor), func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("want a non-negative integer")
		}
		c.Floor = v
		return nil
	})
	if v, err := strconv.Atoi(getenv("PARLEY_ADS_K")); err == nil && v >= 2 {
		c.K = v
	}
	if v := getenv("PARLEY_ADS_EPSILON"); v != "" {
		if _, _, err := ads.ParseEpsilon(v); err == nil {
			c.Epsilon = v
		}
	}
	if v, err := strconv.ParseInt(getenv("PARLEY_ADS_FLOOR"), 10, 64); err == nil && v >= 0 {
		c.Floor = v
	}
}
