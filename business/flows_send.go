package business

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/wire"
)

// Sending Flows: an interactive flow message and a template's FLOW
// button must name a real Flow of the business, as Meta requires.

// FlowMessage checks an interactive flow message's Flow (Sendable) and
// sets its flow_id to the Flow's id, so that the customer's client can
// open it whether the business named it by id or by name. Other
// messages pass unchanged.
func (fs *Flows) FlowMessage(ctx context.Context, biz Business, in *wire.Interactive) error {
	if in == nil || in.Type != "flow" || in.Action.Parameters == nil {
		return nil
	}
	p := in.Action.Parameters
	f, err := fs.Sendable(ctx, biz, p.FlowID, p.FlowName, p.Mode)
	if err != nil {
		return err
	}
	p.FlowID = strconv.FormatInt(f.ID, 10)
	return nil
}

// flowButtons checks a template's FLOW buttons: each names one of the
// business's Flows by flow_id or flow_name (not DEPRECATED or BLOCKED),
// with flow_action navigate (and a navigate_screen) or data_exchange.
// The button keeps the Flow's id. CloudError 100 otherwise; a Flow JSON
// inline in the button (Meta's flow_json) is not taken: create the Flow
// first.
func (ts *Templates) flowButtons(ctx context.Context, biz Business, t *Template) error {
	flows := 0
	for ci := range t.Components {
		c := &t.Components[ci]
		for bi := range c.Buttons {
			b := &c.Buttons[bi]
			if !strings.EqualFold(b.Type, "FLOW") {
				continue
			}
			bad := func(format string, args ...any) error {
				return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("buttons[%d]: ", bi)+fmt.Sprintf(format, args...))
			}
			// One Flow per message: the person's session is keyed by it.
			if flows++; flows > 1 {
				return bad("a template has at most one FLOW button")
			}
			if (b.FlowID == "") == (b.FlowName == "") {
				return bad("a FLOW button names its Flow with flow_id or flow_name (create the Flow first)")
			}
			var f Flow
			var err error
			if b.FlowID != "" {
				id, perr := strconv.ParseInt(b.FlowID, 10, 64)
				if perr != nil {
					return bad("flow_id must be a Flow id")
				}
				f, err = ts.flows.own(ctx, biz, id)
			} else {
				f, err = ts.flows.ByName(ctx, biz, b.FlowName)
			}
			if err != nil {
				return bad("the business has no such Flow")
			}
			if f.Status == FlowDeprecated || f.Status == FlowBlocked {
				return bad("the Flow is %s", f.Status)
			}
			switch b.FlowAction {
			case "", "navigate":
				if b.NavigateScreen == "" {
					return bad("a navigate FLOW button needs navigate_screen")
				}
			case "data_exchange":
			default:
				return bad("flow_action must be navigate or data_exchange")
			}
			b.FlowID, b.FlowName = strconv.FormatInt(f.ID, 10), ""
		}
	}
	return nil
}
