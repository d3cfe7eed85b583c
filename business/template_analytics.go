package business

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
)

// Template analytics (Meta's GET /{waba-id}/template_analytics), computed
// from the usage ledger, the message records (which template a message
// was) and the rated charges, as the other analytics are
// (docs/CLOUD-API-ENDPOINTS.md, "Analytics").

// TemplateMetrics are the metric types Meta names; Parley computes SENT,
// DELIVERED and COST and takes READ and CLICKED without answering them.
var TemplateMetrics = []string{"SENT", "DELIVERED", "READ", "CLICKED", "COST"}

// maxTemplateIDs and maxTemplateDays are Meta's limits on one query.
const (
	maxTemplateIDs  = 10
	maxTemplateDays = 90
)

// TemplatePoint is one template's day.
type TemplatePoint struct {
	TemplateID int64
	Start, End time.Time
	Sent       int64 // the ledger records a message when delivered: sent counts the delivered ones
	Delivered  int64
	CostMicros int64
	Currency   string
}

// TemplateAnalytics answers the daily points of templateIDs (at most 10,
// all the business's) from start to end (at most 90 days). Days without
// deliveries are answered with zeros, as Meta does. CloudError 100 for an
// id that is not one of the business's templates or a bad range.
func (b *Service) TemplateAnalytics(ctx context.Context, biz Business, templateIDs []int64, start, end time.Time) ([]TemplatePoint, error) {
	bad := func(format string, args ...any) error {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf(format, args...))
	}
	switch {
	case len(templateIDs) == 0:
		return nil, bad("template_ids is required")
	case len(templateIDs) > maxTemplateIDs:
		return nil, bad("at most %d template_ids in one query", maxTemplateIDs)
	case end.Before(start):
		return nil, bad("end must not be before start")
	case end.Sub(start) > maxTemplateDays*24*time.Hour:
		return nil, bad("at most %d days in one query", maxTemplateDays)
	}
	for _, id := range templateIDs {
		t, err := b.st.GetTemplate(ctx, id)
		if parley.ErrorCode(err) == parley.ENotFound || (err == nil && t.BusinessID != biz.ID) {
			return nil, bad("template_ids: %d is not a template of this business account", id)
		} else if err != nil {
			return nil, fmt.Errorf("get template: %w", err)
		}
	}
	step, _ := granularityStep("DAILY")
	costs, currency, err := b.chargesIn(ctx, biz.ID, start, end)
	if err != nil {
		return nil, err
	}
	type cell struct {
		tpl   int64
		start time.Time
	}
	cells := map[cell]*TemplatePoint{}
	for _, id := range templateIDs {
		for s, e := step(start); !s.After(end); s, e = e, e.AddDate(0, 0, 1) {
			cells[cell{id, s}] = &TemplatePoint{TemplateID: id, Start: s, End: e, Currency: currency}
		}
	}
	for after := int64(0); ; {
		us, err := b.st.ListUsage(ctx, biz.ID, after, 10000)
		if err != nil {
			return nil, fmt.Errorf("list usage: %w", err)
		}
		if len(us) == 0 {
			break
		}
		after = us[len(us)-1].ID
		for _, u := range us {
			if !u.Event.Messaging() || u.MessageID == "" || u.Category == "service" || u.Key != "msg:"+u.MessageID ||
				u.At.Before(start) || u.At.After(end) {
				continue
			}
			// Which template: the message's record (kept RecordTTL).
			m, err := b.st.GetBusinessMessage(ctx, u.NumberID, u.MessageID)
			if parley.ErrorCode(err) == parley.ENotFound {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("get business message: %w", err)
			}
			if !slices.Contains(templateIDs, m.TemplateID) {
				continue
			}
			s, _ := step(u.At)
			p := cells[cell{m.TemplateID, s}]
			if p == nil {
				continue
			}
			p.Sent++
			p.Delivered++
			p.CostMicros += costs[u.Key] + costs["conv:"+u.MessageID]
		}
	}
	out := make([]TemplatePoint, 0, len(cells))
	for _, p := range cells {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TemplateID != out[j].TemplateID {
			return out[i].TemplateID < out[j].TemplateID
		}
		return out[i].Start.Before(out[j].Start)
	})
	return out, nil
}

// ParseTemplateIDs reads Meta's template_ids: a JSON array of ids (numbers
// or strings) or a comma-separated list.
func ParseTemplateIDs(raw []string) ([]int64, error) {
	var out []int64
	for _, s := range raw {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("template_ids: %q is not a template id", s))
		}
		out = append(out, id)
	}
	return out, nil
}
