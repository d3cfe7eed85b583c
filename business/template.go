package business

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// TemplateCategory is MARKETING, UTILITY or AUTHENTICATION.
type TemplateCategory string

// The template categories.
const (
	CategoryMarketing      TemplateCategory = "MARKETING"
	CategoryUtility        TemplateCategory = "UTILITY"
	CategoryAuthentication TemplateCategory = "AUTHENTICATION"
)

// TemplateStatus is the review state of a template.
type TemplateStatus string

// The template statuses.
const (
	TemplatePending  TemplateStatus = "PENDING"
	TemplateApproved TemplateStatus = "APPROVED"
	TemplateRejected TemplateStatus = "REJECTED"
	TemplatePaused   TemplateStatus = "PAUSED"   // low quality: refused for a while (132015)
	TemplateDisabled TemplateStatus = "DISABLED" // paused three times (132016)
)

// Template is a message template of a business, in Meta's shape: its
// Components are kept as the business sent them.
type Template struct {
	ID         int64
	BusinessID int64
	Name       string
	Language   string
	Category   TemplateCategory
	// PreviousCategory is the category before review or the operator
	// changed it (Meta's previous_category); empty when it never changed.
	PreviousCategory TemplateCategory
	ParameterFormat  string // named | positional
	Components       []TemplateComponent
	Status           TemplateStatus
	Reason           string    // for REJECTED: INCORRECT_CATEGORY, INVALID_FORMAT, PROMOTIONAL, ...; LOW_QUALITY for PAUSED, DISABLED
	PausedUntil      time.Time // PAUSED: sends are refused (132015) until then
	Pauses           int       // times paused; the third pause disables
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// AllowCategoryChange is the create request's allow_category_change:
	// nil when absent. Only an explicit false stops review from changing
	// the category (the template is rejected instead). It is not stored.
	AllowCategoryChange *bool
}

// TemplateComponent is one component of a template definition.
type TemplateComponent struct {
	Type    string           `json:"type"`             // HEADER | BODY | FOOTER | BUTTONS
	Format  string           `json:"format,omitempty"` // HEADER: TEXT | IMAGE | VIDEO | DOCUMENT | LOCATION
	Text    string           `json:"text,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	Example json.RawMessage  `json:"example,omitempty"`
}

// TemplateButton is a button of a template definition.
type TemplateButton struct {
	Type        string `json:"type"` // QUICK_REPLY | URL | PHONE_NUMBER | COPY_CODE | OTP | FLOW
	Text        string `json:"text"`
	URL         string `json:"url,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	// A FLOW button names a Flow of the business (flow_id or flow_name)
	// and how it opens (flow_action navigate with navigate_screen, or
	// data_exchange).
	FlowID         string `json:"flow_id,omitempty"`
	FlowName       string `json:"flow_name,omitempty"`
	FlowAction     string `json:"flow_action,omitempty"`
	NavigateScreen string `json:"navigate_screen,omitempty"`
}

var (
	templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	placeholder  = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9_]+)\s*\}\}`)
	// promotionalWords flag a UTILITY or AUTHENTICATION template as
	// marketing in disguise.
	promotionalWords = []string{"sale", "discount", "% off", "offer", "promo", "coupon", "deal", "buy now", "limited time", "free gift", "shop now"}
)

// placeholders returns the distinct parameter names in text, in order of
// first appearance.
func placeholders(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

func (t Template) component(typ string) *TemplateComponent {
	for i := range t.Components {
		if strings.EqualFold(t.Components[i].Type, typ) {
			return &t.Components[i]
		}
	}
	return nil
}

// validate checks a template definition. It returns the rejection reason
// INVALID_FORMAT for definitions Meta would refuse at review, and EInvalid
// (CloudError 100) for requests it would refuse outright.
func (t *Template) validate() error {
	if !templateName.MatchString(t.Name) {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "name must be lower-case letters, digits and underscores")
	}
	switch t.Category {
	case CategoryMarketing, CategoryUtility, CategoryAuthentication:
	default:
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "category must be MARKETING, UTILITY or AUTHENTICATION")
	}
	if t.Language == "" {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "language is required")
	}
	if t.ParameterFormat == "" {
		t.ParameterFormat = "positional"
	}
	if t.ParameterFormat != "named" && t.ParameterFormat != "positional" {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "parameter_format must be named or positional")
	}
	body := t.component("BODY")
	if body == nil || strings.TrimSpace(body.Text) == "" {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "a template needs a BODY component with text")
	}
	if len(body.Text) > 1024 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "the BODY text is longer than 1024 characters")
	}
	for i := range t.Components {
		c := &t.Components[i]
		c.Type = strings.ToUpper(c.Type)
		switch c.Type {
		case "HEADER", "BODY", "FOOTER", "BUTTONS":
		default:
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("unknown component type %q", c.Type))
		}
		if c.Type == "FOOTER" && len(placeholders(c.Text)) > 0 {
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "a FOOTER cannot have parameters")
		}
		for _, name := range placeholders(c.Text) {
			positional := strings.Trim(name, "0123456789") == ""
			if (t.ParameterFormat == "positional") != positional {
				return cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
					fmt.Sprintf("parameter {{%s}} does not match parameter_format %s", name, t.ParameterFormat))
			}
		}
	}
	return nil
}

// Templates is the service of a business's message templates: creating,
// listing and deleting them, their review (the automatic rules, or the
// operator's queue), their categories, and the pauses that low quality
// brings. Its status and category webhooks go to the outbox through
// enqueue. Service.Templates returns it; it is safe for concurrent use.
type Templates struct {
	st      TemplateStore
	cfg     Config // the review policy, promotional words and pause rules
	now     func() time.Time
	enqueue func(ctx context.Context, ws ...*Webhook) error // the business outbox (Service.enqueue)
	flows   *Flows                                          // FLOW buttons name the business's Flows
}

// review applies the operator's automatic rules (reviewTemplate) under
// the service's configuration.
func (ts *Templates) review(t Template) (TemplateStatus, string, TemplateCategory) {
	return reviewTemplate(t, ts.cfg.TemplatePolicy, ts.cfg.TemplateRecategorize, ts.cfg.PromotionalWords)
}

// reviewTemplate is the operator's automatic review: it returns APPROVED,
// REJECTED with a reason, or PENDING for the manual queue (policy
// "manual"), and the category the template should have. A UTILITY
// template with promotional wording becomes MARKETING when recategorize
// (the operator's TemplateRecategorize) is on and the business did not
// send allow_category_change: false, as Meta has done since April 2025;
// otherwise, and always for AUTHENTICATION (which never becomes
// marketing), it is REJECTED with INCORRECT_CATEGORY. Positional
// parameters with a gap are REJECTED with INVALID_FORMAT.
func reviewTemplate(t Template, policy string, recategorize bool, words []string) (TemplateStatus, string, TemplateCategory) {
	category := t.Category
	if (t.Category == CategoryUtility || t.Category == CategoryAuthentication) && promotional(t, words) {
		if t.Category != CategoryUtility || !recategorize || (t.AllowCategoryChange != nil && !*t.AllowCategoryChange) {
			return TemplateRejected, "INCORRECT_CATEGORY", t.Category
		}
		category = CategoryMarketing
	}
	// Positional parameters must be 1..n without gaps.
	if t.ParameterFormat == "positional" {
		for _, c := range t.Components {
			ps := placeholders(c.Text)
			for i, p := range ps {
				if p != fmt.Sprint(i+1) && !slices.Contains(ps, fmt.Sprint(i+1)) {
					return TemplateRejected, "INVALID_FORMAT", t.Category
				}
			}
		}
	}
	if policy == "manual" {
		return TemplatePending, "", category
	}
	return TemplateApproved, "", category
}

// promotional reports whether a template's text or buttons have any of
// the operator's promotional words, in any case.
func promotional(t Template, words []string) bool {
	var text strings.Builder
	for _, c := range t.Components {
		text.WriteString(strings.ToLower(c.Text))
		text.WriteByte(' ')
		for _, btn := range c.Buttons {
			text.WriteString(strings.ToLower(btn.Text))
			text.WriteByte(' ')
		}
	}
	for _, w := range words {
		if strings.Contains(text.String(), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// Create creates a template and reviews it by the operator's
// policy; a category changed by review is announced with a
// template_category_update webhook, and a decided status with a
// message_template_status_update webhook. It returns CloudError 100 for
// a malformed definition and for a duplicate name and language.
func (ts *Templates) Create(ctx context.Context, biz Business, t Template) (Template, error) {
	t.BusinessID = biz.ID
	t.Category = TemplateCategory(strings.ToUpper(string(t.Category)))
	if err := t.validate(); err != nil {
		return Template{}, err
	}
	if err := ts.flowButtons(ctx, biz, &t); err != nil {
		return Template{}, err
	}
	now := ts.now()
	t.Status, t.Reason, t.CreatedAt, t.UpdatedAt = TemplatePending, "", now, now
	if err := ts.st.CreateTemplate(ctx, &t); parley.ErrorCode(err) == parley.EConflict {
		return Template{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("Content in this language already exists for template %s (%s)", t.Name, t.Language))
	} else if err != nil {
		return Template{}, fmt.Errorf("create template: %w", err)
	}
	status, reason, category := ts.review(t)
	if category != t.Category {
		if err := ts.SetCategory(ctx, t.ID, category); err != nil {
			return Template{}, err
		}
		t.Category, t.PreviousCategory = category, t.Category
	}
	if status != TemplatePending {
		if err := ts.SetStatus(ctx, t.ID, status, reason); err != nil {
			return Template{}, err
		}
		t.Status, t.Reason = status, reason
	}
	return t, nil
}

// SetStatus records a review decision (the operator's manual
// queue, or the automatic rules) and enqueues the
// message_template_status_update webhook.
func (ts *Templates) SetStatus(ctx context.Context, id int64, status TemplateStatus, reason string) error {
	switch status {
	case TemplateApproved, TemplateRejected, TemplatePending, TemplatePaused, TemplateDisabled:
	default:
		return &parley.Error{Code: parley.EInvalid, Message: "status must be APPROVED, REJECTED, PENDING, PAUSED or DISABLED", Details: map[string]any{"field": "status"}}
	}
	t, err := ts.st.GetTemplate(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such template", Details: map[string]any{"template_id": id}}
	} else if err != nil {
		return err
	}
	if status == TemplatePaused || status == TemplateDisabled || (status == TemplateApproved && (t.Status == TemplatePaused || t.Status == TemplateDisabled)) {
		if reason == "" {
			reason = "OPERATOR"
		}
		return ts.pause(ctx, t, status, reason)
	}
	if status == TemplateRejected && reason == "" {
		reason = "INVALID_FORMAT"
	}
	if status != TemplateRejected {
		reason = ""
	}
	now := ts.now()
	if err := ts.st.SetTemplateStatus(ctx, id, status, reason, now); err != nil {
		return fmt.Errorf("set template status: %w", err)
	}
	r := reason
	if r == "" {
		r = "NONE"
	}
	value := map[string]any{"event": string(status), "message_template_id": t.ID, "message_template_name": t.Name,
		"message_template_language": t.Language, "reason": r}
	w := newWebhook(ts.now(), t.BusinessID, fmt.Sprintf("tmpl:%d:%s:%d", t.ID, status, now.UnixNano()), fmt.Sprintf("tmpl:%d", t.ID),
		"message_template_status_update", value)
	return ts.enqueue(ctx, w)
}

// SetCategory changes a template's category (by review, or by the
// operator), keeps the old one as PreviousCategory, and enqueues Meta's
// template_category_update webhook with previous_category and
// new_category. Sends of the template are then priced, capped and
// refused on opt-out by the new category. Setting the category it has
// is a no-op. EInvalid for an unknown category, ENotFound for no such
// template.
func (ts *Templates) SetCategory(ctx context.Context, id int64, category TemplateCategory) error {
	category = TemplateCategory(strings.ToUpper(string(category)))
	switch category {
	case CategoryMarketing, CategoryUtility, CategoryAuthentication:
	default:
		return &parley.Error{Code: parley.EInvalid, Message: "category must be MARKETING, UTILITY or AUTHENTICATION", Details: map[string]any{"field": "category"}}
	}
	t, err := ts.st.GetTemplate(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such template", Details: map[string]any{"template_id": id}}
	} else if err != nil {
		return err
	}
	if t.Category == category {
		return nil
	}
	now := ts.now()
	if err := ts.st.SetTemplateCategory(ctx, id, category, t.Category, now); err != nil {
		return fmt.Errorf("set template category: %w", err)
	}
	value := map[string]any{"message_template_id": t.ID, "message_template_name": t.Name,
		"message_template_language": t.Language, "previous_category": string(t.Category), "new_category": string(category)}
	w := newWebhook(ts.now(), t.BusinessID, fmt.Sprintf("tmplcat:%d:%s:%d", t.ID, category, now.UnixNano()), fmt.Sprintf("tmpl:%d", t.ID),
		"template_category_update", value)
	return ts.enqueue(ctx, w)
}

// List lists a business's templates with id > after.
func (ts *Templates) List(ctx context.Context, businessID int64, status TemplateStatus, after int64, limit int) ([]Template, error) {
	return ts.st.ListTemplates(ctx, businessID, status, after, limit)
}

// Delete deletes the business's templates named name. CloudError
// 100 if there are none.
func (ts *Templates) Delete(ctx context.Context, biz Business, name string) error {
	n, err := ts.st.DeleteTemplates(ctx, biz.ID, name)
	if err != nil {
		return fmt.Errorf("delete templates: %w", err)
	}
	if n == 0 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("template %q does not exist", name))
	}
	return nil
}

// TemplateParam is one parameter given at send time.
type TemplateParam struct {
	Name  string // parameter_name, for named templates
	Text  string
	Media *wire.TemplateMedia // an image, video or document parameter (a media header's)
	// Action is a FLOW button's parameter (type action): the flow token
	// and the first screen's data of a navigate Flow.
	Action *FlowButtonAction
}

// FlowButtonAction is a FLOW button's send-time parameter.
type FlowButtonAction struct {
	FlowToken      string
	FlowActionData json.RawMessage // a JSON object, or nil
}

// unusedFlowToken is the flow token of a FLOW button sent without one,
// as Meta fills it in.
const unusedFlowToken = "unused"

// TemplateSendComponent is one component's parameters at send time.
type TemplateSendComponent struct {
	Type    string // header | body | button
	SubType string // quick_reply | url, for buttons
	Index   int
	Params  []TemplateParam
}

// render checks the parameters against the definition (CloudError 132000
// on a count or name mismatch) and returns the rendered template.
func (t Template) render(comps []TemplateSendComponent) (*wire.RenderedTemplate, error) {
	given := map[string][]TemplateParam{}
	buttonParams := map[int][]TemplateParam{}
	for _, c := range comps {
		switch strings.ToLower(c.Type) {
		case "button":
			buttonParams[c.Index] = c.Params
		default:
			given[strings.ToUpper(c.Type)] = append(given[strings.ToUpper(c.Type)], c.Params...)
		}
	}
	fill := func(kind, text string) (string, error) {
		names := placeholders(text)
		ps := given[kind]
		if len(ps) != len(names) {
			return "", cloudErrDetails(MetaTemplateParams, "Number of parameters does not match the expected number of params",
				fmt.Sprintf("%s: number of localizable_params (%d) does not match the expected number of params (%d)", strings.ToLower(kind), len(ps), len(names)))
		}
		values := map[string]string{}
		for i, name := range names {
			p := ps[i]
			if t.ParameterFormat == "named" {
				idx := slices.IndexFunc(ps, func(p TemplateParam) bool { return p.Name == name })
				if idx < 0 {
					return "", cloudErrDetails(MetaTemplateParams, "Number of parameters does not match the expected number of params",
						fmt.Sprintf("%s: parameter %q is missing", strings.ToLower(kind), name))
				}
				p = ps[idx]
			}
			values[name] = p.Text
		}
		return placeholder.ReplaceAllStringFunc(text, func(m string) string {
			return values[placeholder.FindStringSubmatch(m)[1]]
		}), nil
	}
	out := &wire.RenderedTemplate{Name: t.Name, Language: t.Language, Category: string(t.Category)}
	var err error
	if h := t.component("HEADER"); h != nil && (h.Format == "" || strings.EqualFold(h.Format, "TEXT")) {
		if out.Header, err = fill("HEADER", h.Text); err != nil {
			return nil, err
		}
	} else if h != nil && slices.Contains([]string{"IMAGE", "VIDEO", "DOCUMENT"}, strings.ToUpper(h.Format)) {
		kind := strings.ToLower(h.Format)
		ps := given["HEADER"]
		if len(ps) != 1 || ps[0].Media == nil || ps[0].Media.Kind != kind || (ps[0].Media.ID == "" && ps[0].Media.Link == "") {
			return nil, cloudErrDetails(MetaTemplateParams, "Number of parameters does not match the expected number of params",
				fmt.Sprintf("header: the template's header is %s: give one %s parameter with an id or a link", kind, kind))
		}
		m := *ps[0].Media
		out.HeaderMedia = &m
	}
	if out.Body, err = fill("BODY", t.component("BODY").Text); err != nil {
		return nil, err
	}
	if f := t.component("FOOTER"); f != nil {
		out.Footer = f.Text
	}
	if bs := t.component("BUTTONS"); bs != nil {
		for i, btn := range bs.Buttons {
			o := wire.TemplateButtonOut{Type: btn.Type, Text: btn.Text, URL: btn.URL, Phone: btn.PhoneNumber, FlowID: btn.FlowID}
			if strings.EqualFold(btn.Type, "FLOW") {
				flowButton(&o, btn, buttonParams[i])
			} else if ps := buttonParams[i]; len(ps) > 0 {
				if strings.EqualFold(btn.Type, "URL") {
					o.URL = placeholder.ReplaceAllString(btn.URL, ps[0].Text)
				} else {
					o.Payload = ps[0].Text
				}
			}
			out.Buttons = append(out.Buttons, o)
		}
	}
	return out, nil
}

// flowButton renders a FLOW button: how the Flow opens, with the send's
// flow token and first-screen data when the send gave an action
// parameter.
func flowButton(o *wire.TemplateButtonOut, btn TemplateButton, ps []TemplateParam) {
	o.FlowAction, o.FlowToken = btn.FlowAction, unusedFlowToken
	if o.FlowAction == "" {
		o.FlowAction = "navigate"
	}
	var data json.RawMessage
	for _, p := range ps {
		if p.Action != nil {
			if p.Action.FlowToken != "" {
				o.FlowToken = p.Action.FlowToken
			}
			data = p.Action.FlowActionData
		}
	}
	if o.FlowAction == "navigate" {
		o.FlowActionPayload = &wire.FlowActionPayload{Screen: btn.NavigateScreen, Data: data}
	}
}

// plainTemplate is a plain-text rendering of a template for clients that
// show only Text.
func plainTemplate(r *wire.RenderedTemplate) string {
	parts := []string{}
	for _, s := range []string{r.Header, r.Body, r.Footer} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// The Meta codes of paused and disabled templates.
const (
	MetaTemplatePaused   = 132015
	MetaTemplateDisabled = 132016
)

// pause moves a template to PAUSED (for TemplatePause × the
// number of pauses so far: 3 h, then 6 h), DISABLED, or back to APPROVED,
// and announces it with a message_template_status_update webhook. A third
// pause disables the template, as Meta does.
func (ts *Templates) pause(ctx context.Context, t Template, status TemplateStatus, reason string) error {
	now := ts.now()
	var until time.Time
	status, pauses, pause := nextPause(status, t.Pauses, ts.cfg.TemplatePause)
	info := map[string]any{}
	switch status {
	case TemplatePaused:
		until = now.Add(pause)
		info["title"] = map[int]string{1: "FIRST_PAUSE", 2: "SECOND_PAUSE"}[pauses]
		info["description"] = fmt.Sprintf("Your template has been paused for %s due to low quality, so it can't be sent to customers.",
			until.Sub(now).Round(time.Minute))
	case TemplateApproved:
		reason = "NONE"
		info["title"] = "UNPAUSED"
		info["description"] = "Your template may be sent to customers again."
	}
	if status == TemplateDisabled {
		info["title"] = "DISABLED"
		info["description"] = "Your template has been disabled because of repeated low quality, so it can't be sent to customers."
	}
	if err := ts.st.PauseTemplate(ctx, t.ID, status, reason, until, pauses, now); err != nil {
		return fmt.Errorf("pause template: %w", err)
	}
	value := map[string]any{"event": string(status), "message_template_id": t.ID, "message_template_name": t.Name,
		"message_template_language": t.Language, "reason": reason, "other_info": info}
	w := newWebhook(ts.now(), t.BusinessID, fmt.Sprintf("tmpl:%d:%s:%d", t.ID, status, now.UnixNano()), fmt.Sprintf("tmpl:%d", t.ID),
		"message_template_status_update", value)
	return ts.enqueue(ctx, w)
}

// nextPause is the template pause rule: pausing a template for the
// pauses+1-th time pauses it for that many times step (3 h, then 6 h),
// and the third pause disables it, as Meta does. Other statuses pass
// through with pauses unchanged and no pause.
func nextPause(status TemplateStatus, pauses int, step time.Duration) (TemplateStatus, int, time.Duration) {
	if status != TemplatePaused {
		return status, pauses, 0
	}
	pauses++
	if pauses >= 3 {
		return TemplateDisabled, pauses, 0
	}
	return TemplatePaused, pauses, time.Duration(pauses) * step
}

// find finds the template a send names and checks that it may be
// sent (templateSendable); a pause that has ended reinstates it (when
// reinstate is set: not in a dry run).
func (ts *Templates) find(ctx context.Context, biz Business, send TemplateSend, now time.Time, reinstate bool) (Template, error) {
	t, err := ts.st.FindTemplate(ctx, biz.ID, send.Name, send.Language)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Template{}, templateMissing(send)
	} else if err != nil {
		return Template{}, fmt.Errorf("find template: %w", err)
	}
	ended, err := templateSendable(t, now)
	if err != nil {
		return Template{}, err
	}
	if ended {
		if reinstate {
			if err := ts.pause(ctx, t, TemplateApproved, ""); err != nil {
				return Template{}, err
			}
		}
		t.Status = TemplateApproved
	}
	if t.Status != TemplateApproved {
		return Template{}, templateMissing(send)
	}
	return t, nil
}

// templateMissing is CloudError 132001: no APPROVED template of that
// name in that language.
func templateMissing(ts TemplateSend) error {
	return cloudErrDetails(MetaTemplateMissing, "Template name does not exist in the translation",
		fmt.Sprintf("template name (%s) does not exist in %s", ts.Name, ts.Language))
}

// templateSendable refuses a DISABLED template (132016) and one PAUSED
// until after now (132015); pauseEnded reports a PAUSED template whose
// pause is over, which is APPROVED again. Any status but APPROVED is
// then refused as missing (132001, by the caller).
func templateSendable(t Template, now time.Time) (pauseEnded bool, err error) {
	switch t.Status {
	case TemplateDisabled:
		return false, cloudErrDetails(MetaTemplateDisabled, "Template is Disabled",
			fmt.Sprintf("template %s (%s) is disabled because of repeated low quality", t.Name, t.Language))
	case TemplatePaused:
		if now.Before(t.PausedUntil) {
			return false, cloudErrDetails(MetaTemplatePaused, "Template is Paused",
				fmt.Sprintf("template %s (%s) is paused for low quality until %s", t.Name, t.Language, t.PausedUntil.UTC().Format(time.RFC3339)))
		}
		return true, nil
	}
	return false, nil
}

// signal counts a customer's block or report against the last
// template the number sent them in 7 days; TemplatePauseSignals of them
// pause an approved template.
func (ts *Templates) signal(ctx context.Context, n BusinessNumber, customerID int64, kind string) error {
	now := ts.now()
	id, count, err := ts.st.AddTemplateSignal(ctx, n.ID, customerID, kind, now.Add(-7*24*time.Hour), now)
	if err != nil || id == 0 || count < ts.cfg.TemplatePauseSignals {
		return err
	}
	t, err := ts.st.GetTemplate(ctx, id)
	if err != nil || t.Status != TemplateApproved {
		return err
	}
	return ts.pause(ctx, t, TemplatePaused, "LOW_QUALITY")
}
