package cloudapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/business"
)

// The analytics fields of a business account (business/analytics.go):
// GET /{waba-id}?fields=analytics.start(..).end(..).granularity(..),
// conversation_analytics...(..) and pricing_analytics...(..), in Meta's
// shapes.

// analyticsFields are the fields addAnalytics answers.
var analyticsFields = []string{"analytics", "conversation_analytics", "pricing_analytics"}

// addAnalytics puts into obj every analytics field that ?fields= asks
// for. CloudError 100 for a field without start, end or granularity, or
// with a modifier it does not take.
func addAnalytics(r *http.Request, b *business.Service, biz business.Business, obj map[string]any) error {
	for _, sel := range fieldSelections(r.URL.Query().Get("fields")) {
		name, mods, err := parseSelection(sel)
		if err != nil {
			return invalid("fields: %s", err)
		}
		var field string
		for _, f := range analyticsFields {
			if name == f {
				field = f
			}
		}
		if field == "" {
			continue
		}
		q, err := analyticsQuery(field, mods)
		if err != nil {
			return err
		}
		conv := field == "conversation_analytics"
		points, err := b.Analytics(r.Context(), biz, q, conv, field == "analytics")
		if err != nil {
			return err
		}
		switch field {
		case "analytics":
			dps := []map[string]any{}
			for _, p := range points {
				dps = append(dps, map[string]any{"start": p.Start.Unix(), "end": p.End.Unix(), "sent": p.Count, "delivered": p.Count})
			}
			phones, countries := q.PhoneNumbers, q.CountryCodes
			if phones == nil {
				phones = []string{}
			}
			if countries == nil {
				countries = []string{}
			}
			obj[field] = map[string]any{"phone_numbers": phones, "country_codes": countries, "granularity": q.Granularity, "data_points": dps}
		default:
			count, category := "volume", "pricing_category"
			if conv {
				count, category = "conversation", "conversation_category"
			}
			dps := []map[string]any{}
			for _, p := range points {
				dp := map[string]any{"start": p.Start.Unix(), "end": p.End.Unix(), count: p.Count, "cost": microsToFloat(p.CostMicros)}
				for k, v := range map[string]string{category: p.Category, "pricing_type": p.PricingType, "country": p.Country, "phone_number": p.Phone} {
					if v != "" {
						dp[k] = v
					}
				}
				dps = append(dps, dp)
			}
			obj[field] = map[string]any{"data": []any{map[string]any{"data_points": dps}}}
		}
	}
	return nil
}

// microsToFloat is an amount in micro-units as the decimal number Meta's
// cost is; the exact amounts are in GET /{waba-id}/charges.
func microsToFloat(m int64) float64 { return math.Round(float64(m)) / 1e6 }

// analyticsDimensions are the dimensions each field takes.
var analyticsDimensions = map[string][]string{
	"conversation_analytics": {"CONVERSATION_CATEGORY", "CONVERSATION_TYPE", "COUNTRY", "PHONE"},
	"pricing_analytics":      {"PRICING_CATEGORY", "PRICING_TYPE", "COUNTRY", "PHONE"},
}

func analyticsQuery(field string, mods map[string]string) (business.AnalyticsQuery, error) {
	var q business.AnalyticsQuery
	for _, m := range []string{"start", "end", "granularity"} {
		if mods[m] == "" {
			return q, invalid("%s: %s(...) is required", field, m)
		}
	}
	unix := func(m string) (time.Time, error) {
		v, err := strconv.ParseInt(mods[m], 10, 64)
		if err != nil || v < 0 || v > 1<<40 {
			return time.Time{}, invalid("%s: %s must be a UNIX timestamp", field, m)
		}
		return time.Unix(v, 0).UTC(), nil
	}
	var err error
	if q.Start, err = unix("start"); err != nil {
		return q, err
	}
	if q.End, err = unix("end"); err != nil {
		return q, err
	}
	q.Granularity = strings.ToUpper(mods["granularity"])
	for m, v := range mods {
		switch m {
		case "start", "end", "granularity":
		case "phone_numbers":
			q.PhoneNumbers = listArg(v)
		case "country_codes":
			q.CountryCodes = listArg(v)
		case "dimensions":
			if field == "analytics" {
				return q, invalid("%s does not take dimensions", field)
			}
			for _, d := range listArg(v) {
				d = strings.ToUpper(d)
				ok := false
				for _, want := range analyticsDimensions[field] {
					ok = ok || d == want
				}
				if !ok {
					return q, invalid("%s: dimension %q: use %s", field, d, strings.Join(analyticsDimensions[field], ", "))
				}
				q.Dimensions = append(q.Dimensions, d)
			}
		case "metric_types", "product_types", "conversation_types", "conversation_directions", "pricing_types", "pricing_categories":
			// Filters Parley answers whole: every metric is in each point.
		default:
			return q, invalid("%s does not take %s(...)", field, m)
		}
	}
	for i, p := range q.PhoneNumbers {
		q.PhoneNumbers[i] = strings.TrimPrefix(p, "+")
	}
	return q, nil
}

// parseSelection splits a field selection into its name and modifiers:
// `analytics.start(1).end(2).phone_numbers(["1555"])` is analytics with
// start 1, end 2 and phone_numbers ["1555"]. An argument may hold
// brackets, parentheses and quoted strings; a modifier named twice, one
// without parentheses or with unbalanced ones is an error.
func parseSelection(sel string) (name string, mods map[string]string, err error) {
	i := strings.IndexAny(sel, ".{(")
	if i < 0 {
		return sel, nil, nil
	}
	name, rest := sel[:i], sel[i:]
	mods = map[string]string{}
	for rest != "" {
		if rest[0] == '{' {
			return name, mods, nil // nested fields: not modifiers
		}
		if rest[0] != '.' {
			return "", nil, fmt.Errorf("%q: want .modifier(argument)", sel)
		}
		rest = rest[1:]
		open := strings.IndexByte(rest, '(')
		if open <= 0 {
			return "", nil, fmt.Errorf("%q: a modifier needs an argument in parentheses", sel)
		}
		mod := rest[:open]
		depth, inQuote, end := 0, false, -1
		for j := open; j < len(rest) && end < 0; j++ {
			switch c := rest[j]; {
			case c == '"' && (j == 0 || rest[j-1] != '\\'):
				inQuote = !inQuote
			case inQuote:
			case c == '(' || c == '[':
				depth++
			case c == ')' || c == ']':
				depth--
				if depth == 0 {
					end = j
				}
			}
		}
		if end < 0 || rest[end] != ')' {
			return "", nil, fmt.Errorf("%q: unbalanced parentheses", sel)
		}
		if _, dup := mods[mod]; dup {
			return "", nil, fmt.Errorf("%q: %s given twice", sel, mod)
		}
		mods[mod] = strings.TrimSpace(rest[open+1 : end])
		rest = rest[end+1:]
	}
	return name, mods, nil
}

// listArg reads a list argument: ["A","B"], [A,B] or A,B.
func listArg(v string) []string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.Trim(strings.TrimSpace(s), `"'`); s != "" {
			out = append(out, s)
		}
	}
	return out
}
