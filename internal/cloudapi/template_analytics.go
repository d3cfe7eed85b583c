package cloudapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
)

// listParam reads a Graph list parameter: a JSON array (of strings or
// numbers) or a comma-separated list. ok is false for a malformed array.
func listParam(s string) (out []string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	if strings.HasPrefix(s, "[") {
		var vs []any
		if json.Unmarshal([]byte(s), &vs) != nil {
			return nil, false
		}
		for _, v := range vs {
			switch v := v.(type) {
			case string:
				out = append(out, v)
			case float64:
				out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
			default:
				return nil, false
			}
		}
		return out, true
	}
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out, true
}

// templateAnalytics is Meta's GET /{waba-id}/template_analytics:
// start and end (Unix seconds), granularity DAILY, template_ids (at most
// 10), metric_types (SENT, DELIVERED, READ, CLICKED, COST; default all).
func templateAnalytics(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		q := r.URL.Query()
		unix := func(name string) (time.Time, error) {
			v := q.Get(name)
			if v == "" {
				return time.Time{}, invalid("The parameter %s is required.", name)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return time.Time{}, invalid("%s must be a Unix timestamp in seconds", name)
			}
			return time.Unix(n, 0).UTC(), nil
		}
		start, err := unix("start")
		if err != nil {
			return err
		}
		end, err := unix("end")
		if err != nil {
			return err
		}
		if g := q.Get("granularity"); g != "DAILY" {
			return invalid("granularity %q: template analytics take DAILY", g)
		}
		metrics, ok := listParam(q.Get("metric_types"))
		if !ok {
			return invalid("metric_types must be a list")
		}
		if len(metrics) == 0 {
			metrics = business.TemplateMetrics
		}
		for i, m := range metrics {
			metrics[i] = strings.ToUpper(m)
			if !slices.Contains(business.TemplateMetrics, metrics[i]) {
				return invalid("metric_types: %q is not one of %s", m, strings.Join(business.TemplateMetrics, ", "))
			}
		}
		raw, ok := listParam(q.Get("template_ids"))
		if !ok {
			return invalid("template_ids must be a list")
		}
		ids, err := business.ParseTemplateIDs(raw)
		if err != nil {
			return err
		}
		ps, err := b.TemplateAnalytics(r.Context(), biz, ids, start, end)
		if err != nil {
			return err
		}
		points := []map[string]any{}
		for _, p := range ps {
			pt := map[string]any{"template_id": strconv.FormatInt(p.TemplateID, 10), "start": p.Start.Unix(), "end": p.End.Unix()}
			if slices.Contains(metrics, "SENT") {
				pt["sent"] = p.Sent
			}
			if slices.Contains(metrics, "DELIVERED") {
				pt["delivered"] = p.Delivered
			}
			if slices.Contains(metrics, "COST") {
				spent, _ := strconv.ParseFloat(billing.FormatMicros(p.CostMicros), 64)
				cost := []map[string]any{{"type": "amount_spent", "value": spent}}
				if p.Delivered > 0 {
					per, _ := strconv.ParseFloat(billing.FormatMicros(p.CostMicros/p.Delivered), 64)
					cost = append(cost, map[string]any{"type": "cost_per_delivered", "value": per})
				}
				pt["cost"] = cost
			}
			points = append(points, pt)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"data":   []map[string]any{{"granularity": "DAILY", "product_type": "cloud_api", "data_points": points}},
			"paging": map[string]any{"cursors": map[string]string{"before": "", "after": ""}},
		})
		return nil
	}
}
