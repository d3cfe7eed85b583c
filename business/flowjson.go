package business

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Flow JSON validation (docs/FLOWS.md, "What Parley validates"): the
// checks Meta's Flow Builder makes before a Flow may be published, with
// errors in Meta's shape, each naming the failing path and where it is
// in the text. ValidateFlowJSON is pure and reads outside input; it is
// fuzzed (FuzzValidateFlowJSON).

// FlowValidationError is one of a Flow's validation_errors, as Meta
// reports them.
type FlowValidationError struct {
	Error       string             `json:"error"`
	ErrorType   string             `json:"error_type"`
	Message     string             `json:"message"`
	LineStart   int                `json:"line_start"`
	LineEnd     int                `json:"line_end"`
	ColumnStart int                `json:"column_start"`
	ColumnEnd   int                `json:"column_end"`
	Pointers    []FlowErrorPointer `json:"pointers,omitempty"`
}

// FlowErrorPointer locates an error at a path of the document.
type FlowErrorPointer struct {
	LineStart   int    `json:"line_start"`
	LineEnd     int    `json:"line_end"`
	ColumnStart int    `json:"column_start"`
	ColumnEnd   int    `json:"column_end"`
	Path        string `json:"path"`
}

// FlowJSONVersions are the Flow JSON versions Parley accepts: those
// Meta offers for new Flows.
var FlowJSONVersions = []string{"3.1", "4.0", "5.0", "5.1", "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2"}

// FlowDataAPIVersions are the data_api_version values of dynamic Flows.
var FlowDataAPIVersions = []string{"3.0"}

// FlowComponents are the components Parley supports, with the
// properties each may have; required ones are listed in
// flowRequiredProps. Any other type is refused as Meta refuses an
// unknown one.
var FlowComponents = map[string][]string{
	"TextHeading":       {"text", "visible"},
	"TextSubheading":    {"text", "visible"},
	"TextBody":          {"text", "visible", "font-weight", "strikethrough", "markdown"},
	"TextCaption":       {"text", "visible", "font-weight", "strikethrough", "markdown"},
	"RichText":          {"text", "visible"},
	"TextInput":         {"name", "label", "label-variant", "input-type", "pattern", "required", "min-chars", "max-chars", "helper-text", "enabled", "visible", "init-value", "error-message"},
	"TextArea":          {"name", "label", "label-variant", "required", "max-length", "helper-text", "enabled", "visible", "init-value", "error-message"},
	"Dropdown":          {"name", "label", "data-source", "required", "enabled", "visible", "init-value", "error-message", "on-select-action", "on-unselect-action"},
	"RadioButtonsGroup": {"name", "label", "description", "data-source", "required", "enabled", "visible", "init-value", "error-message", "on-select-action", "on-unselect-action", "media-size"},
	"CheckboxGroup":     {"name", "label", "description", "data-source", "required", "enabled", "visible", "init-value", "error-message", "min-selected-items", "max-selected-items", "on-select-action", "on-unselect-action", "media-size"},
	"ChipsSelector":     {"name", "label", "description", "data-source", "required", "enabled", "visible", "init-value", "error-message", "min-selected-items", "max-selected-items", "on-select-action", "on-unselect-action"},
	"DatePicker":        {"name", "label", "min-date", "max-date", "unavailable-dates", "helper-text", "required", "enabled", "visible", "init-value", "error-message", "on-select-action"},
	"CalendarPicker":    {"name", "label", "title", "description", "mode", "min-date", "max-date", "unavailable-dates", "include-days", "min-days", "max-days", "helper-text", "required", "enabled", "visible", "init-value", "error-message", "on-select-action"},
	"OptIn":             {"name", "label", "required", "visible", "init-value", "on-click-action", "on-select-action", "on-unselect-action"},
	"Image":             {"src", "width", "height", "scale-type", "aspect-ratio", "alt-text", "visible"},
	"Footer":            {"label", "on-click-action", "left-caption", "center-caption", "right-caption", "enabled"},
	"EmbeddedLink":      {"text", "on-click-action", "visible"},
	"NavigationList":    {"name", "label", "description", "list-items", "media-size", "on-click-action", "visible"},
	"If":                {"condition", "then", "else"},
	"Switch":            {"value", "cases"},
	"Form":              {"name", "children", "init-values", "error-messages"},
}

var flowRequiredProps = map[string][]string{
	"TextHeading": {"text"}, "TextSubheading": {"text"}, "TextBody": {"text"}, "TextCaption": {"text"}, "RichText": {"text"},
	"TextInput": {"name", "label"}, "TextArea": {"name", "label"}, "Dropdown": {"name", "label", "data-source"},
	"RadioButtonsGroup": {"name", "data-source"}, "CheckboxGroup": {"name", "data-source"},
	"ChipsSelector": {"name", "label", "data-source"}, "DatePicker": {"name", "label"}, "CalendarPicker": {"name", "label"},
	"OptIn": {"name", "label"}, "Image": {"src"}, "Footer": {"label", "on-click-action"}, "EmbeddedLink": {"text", "on-click-action"},
	"NavigationList": {"name", "list-items"}, "If": {"condition", "then"}, "Switch": {"value", "cases"}, "Form": {"name", "children"},
}

// flowInputs are the components whose value the person enters: their
// names are what ${form.x} may refer to.
var flowInputs = []string{"TextInput", "TextArea", "Dropdown", "RadioButtonsGroup", "CheckboxGroup", "ChipsSelector",
	"DatePicker", "CalendarPicker", "OptIn"}

// FlowActions are the actions of on-click-action and on-select-action.
var FlowActions = []string{"navigate", "data_exchange", "complete", "update_data", "open_url"}

var (
	screenIDPattern = regexp.MustCompile(`^[A-Za-z_]+$`)
	dynamicRef      = regexp.MustCompile(`\$\{(data|form|screen)\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+))?`)
)

// FlowJSONCheck is the outcome of ValidateFlowJSON: the versions it
// declares (as written, when they are strings) and its errors.
type FlowJSONCheck struct {
	Version        string
	DataAPIVersion string
	Errors         []FlowValidationError
}

// ValidateFlowJSON checks a Flow JSON document and returns its versions
// and every error found, in the order of the text; Errors is empty (not
// nil) for a valid document.
func ValidateFlowJSON(doc []byte) FlowJSONCheck {
	v := &flowValidator{li: newLineIndex(doc), errs: []FlowValidationError{}}
	root, off, err := parseJNode(doc)
	if err != nil {
		line, col := v.li.pos(off)
		v.errs = append(v.errs, FlowValidationError{Error: "INVALID_JSON", ErrorType: "JSON_SYNTAX_ERROR",
			Message: "The Flow JSON is not valid JSON: " + err.Error(), LineStart: line, LineEnd: line, ColumnStart: col, ColumnEnd: col})
		return FlowJSONCheck{Errors: v.errs}
	}
	v.root(root)
	return FlowJSONCheck{Version: v.version, DataAPIVersion: v.dataAPI, Errors: v.errs}
}

type flowValidator struct {
	li      lineIndex
	errs    []FlowValidationError
	version string
	dataAPI string
	screens map[string]*jnode // by id
}

func (v *flowValidator) add(code string, n *jnode, path jpath, format string, args ...any) {
	if len(v.errs) >= 100 { // enough to fix a document; bounds the answer
		return
	}
	ls, cs := v.li.pos(n.start)
	le, ce := v.li.pos(max(n.start, n.end-1))
	v.errs = append(v.errs, FlowValidationError{Error: code, ErrorType: "FLOW_JSON_ERROR", Message: fmt.Sprintf(format, args...),
		LineStart: ls, LineEnd: le, ColumnStart: cs, ColumnEnd: ce + 1,
		Pointers: []FlowErrorPointer{{LineStart: ls, LineEnd: le, ColumnStart: cs, ColumnEnd: ce + 1, Path: string(path)}}})
}

func (v *flowValidator) missing(n *jnode, path jpath, prop string) {
	v.add("MISSING_REQUIRED_PROPERTY", n, path, "Missing required property '%s'.", prop)
}

func (v *flowValidator) badValue(n *jnode, path jpath, prop, why string) {
	v.add("INVALID_PROPERTY_VALUE", n, path, "Invalid value found for property '%s': %s", prop, why)
}

// str returns the member key of n if it is a string; it reports a
// missing or non-string member when required.
func (v *flowValidator) str(n *jnode, path jpath, key string, required bool) (string, bool) {
	m := n.get(key)
	if m == nil {
		if required {
			v.missing(n, path, key)
		}
		return "", false
	}
	if m.kind != jString {
		v.badValue(m, path.key(key), key, "expected a string")
		return "", false
	}
	return m.str, true
}

func (v *flowValidator) root(n *jnode) {
	if n.kind != jObject {
		v.add("INVALID_PROPERTY_VALUE", n, "", "The Flow JSON must be an object.")
		return
	}
	for _, f := range n.fields {
		switch f.key {
		case "version", "data_api_version", "routing_model", "screens", "data_channel_uri":
		default:
			v.add("INVALID_PROPERTY", f.val, jpath(f.key), "The property '%s' cannot be specified at '$root'.", f.key)
		}
	}
	if s, ok := v.str(n, "", "version", true); ok {
		v.version = s
		if !slices.Contains(FlowJSONVersions, s) {
			v.badValue(n.get("version"), "version", "version", fmt.Sprintf("%q is not a supported Flow JSON version (%s)", s, strings.Join(FlowJSONVersions, ", ")))
		}
	}
	if s, ok := v.str(n, "", "data_api_version", false); ok {
		v.dataAPI = s
		if !slices.Contains(FlowDataAPIVersions, s) {
			v.badValue(n.get("data_api_version"), "data_api_version", "data_api_version", fmt.Sprintf("%q is not a supported data_api_version (3.0)", s))
		}
	}
	screens := n.get("screens")
	if screens == nil {
		v.missing(n, "", "screens")
		return
	}
	if screens.kind != jArray || len(screens.items) == 0 {
		v.badValue(screens, "screens", "screens", "expected a non-empty array of screens")
		return
	}
	v.screens = map[string]*jnode{}
	for i, s := range screens.items {
		p := jpath("screens").index(i)
		if s.kind != jObject {
			v.badValue(s, p, "screens", "a screen must be an object")
			continue
		}
		id, ok := v.str(s, p, "id", true)
		if !ok {
			continue
		}
		switch {
		case !screenIDPattern.MatchString(id) || id == "SUCCESS":
			v.badValue(s.get("id"), p.key("id"), "id", "a screen id has letters and underscores only, and SUCCESS is reserved")
		case v.screens[id] != nil:
			v.add("DUPLICATE_SCREEN_ID", s.get("id"), p.key("id"), "Screen id '%s' is used by more than one screen.", id)
		default:
			v.screens[id] = s
		}
	}
	terminal := 0
	for i, s := range screens.items {
		if s.kind == jObject {
			if v.screen(s, jpath("screens").index(i)) {
				terminal++
			}
		}
	}
	if terminal == 0 {
		v.add("MISSING_TERMINAL_SCREEN", screens, "screens", "At least one screen must be terminal (\"terminal\": true).")
	}
	if rm := n.get("routing_model"); rm != nil {
		v.routing(rm)
	} else if v.dataAPI != "" {
		v.missing(n, "", "routing_model")
	}
}

// screen checks one screen and reports whether it is terminal.
func (v *flowValidator) screen(s *jnode, p jpath) bool {
	for _, f := range s.fields {
		switch f.key {
		case "id", "title", "terminal", "success", "data", "layout", "refresh_on_back", "sensitive":
		default:
			v.add("INVALID_PROPERTY", f.val, p.key(f.key), "The property '%s' cannot be specified at '%s'.", f.key, p)
		}
	}
	v.str(s, p, "title", false)
	terminal := false
	for _, k := range []string{"terminal", "success", "refresh_on_back"} {
		if b := s.get(k); b != nil {
			if b.kind != jBool {
				v.badValue(b, p.key(k), k, "expected a boolean")
			} else if k == "terminal" {
				terminal = b.b
			}
		}
	}
	data := map[string]bool{}
	if d := s.get("data"); d != nil {
		if d.kind != jObject {
			v.badValue(d, p.key("data"), "data", "expected an object of declared fields")
		}
		for _, f := range d.fields {
			data[f.key] = true
			fp := p.key("data").key(f.key)
			if f.val.kind != jObject || f.val.get("type") == nil {
				v.add("MISSING_REQUIRED_PROPERTY", f.val, fp, "Missing required property 'type' of data field '%s'.", f.key)
			} else if v.dataAPI != "" && f.val.get("__example__") == nil {
				v.add("MISSING_REQUIRED_PROPERTY", f.val, fp, "Missing required property '__example__' of data field '%s'.", f.key)
			}
		}
	}
	layout := s.get("layout")
	if layout == nil {
		v.missing(s, p, "layout")
		return terminal
	}
	lp := p.key("layout")
	if t, ok := v.str(layout, lp, "type", true); ok && t != "SingleColumnLayout" {
		v.badValue(layout.get("type"), lp.key("type"), "type", "the layout must be SingleColumnLayout")
	}
	children := layout.get("children")
	if children == nil || children.kind != jArray {
		v.missing(layout, lp, "children")
		return terminal
	}
	sc := &screenCheck{data: data, forms: map[string]bool{}}
	v.collectNames(children, sc)
	v.children(children, lp.key("children"), sc)
	if terminal && !sc.completes {
		id := "" // a screen without an id is reported where the ids are checked
		if n := s.get("id"); n != nil {
			id = n.str
		}
		v.add("MISSING_FOOTER", layout, lp, "Terminal screen '%s' must have a Footer whose on-click-action is complete.", id)
	}
	return terminal
}

// screenCheck is what a screen's components may refer to, and whether
// one of its Footers completes the Flow.
type screenCheck struct {
	data      map[string]bool
	forms     map[string]bool
	completes bool
}

// collectNames gathers the names of the screen's input components (at
// any depth), which ${form.x} refers to.
func (v *flowValidator) collectNames(n *jnode, sc *screenCheck) {
	if n == nil {
		return
	}
	switch n.kind {
	case jArray:
		for _, c := range n.items {
			v.collectNames(c, sc)
		}
	case jObject:
		if t := n.get("type"); t != nil && t.kind == jString && slices.Contains(flowInputs, t.str) {
			if nm := n.get("name"); nm != nil && nm.kind == jString {
				sc.forms[nm.str] = true
			}
		}
		for _, f := range n.fields {
			if f.val.kind == jArray || f.val.kind == jObject {
				v.collectNames(f.val, sc)
			}
		}
	}
}

func (v *flowValidator) children(n *jnode, p jpath, sc *screenCheck) {
	if n.kind != jArray {
		v.badValue(n, p, "children", "expected an array of components")
		return
	}
	for i, c := range n.items {
		v.component(c, p.index(i), sc)
	}
}

func (v *flowValidator) component(c *jnode, p jpath, sc *screenCheck) {
	if c.kind != jObject {
		v.badValue(c, p, "children", "a component must be an object")
		return
	}
	t, ok := v.str(c, p, "type", true)
	if !ok {
		return
	}
	allowed, known := FlowComponents[t]
	if !known {
		v.add("INVALID_PROPERTY_VALUE", c.get("type"), p.key("type"), "Invalid value found for property 'type': component '%s' is not supported.", t)
		return
	}
	for _, r := range flowRequiredProps[t] {
		if c.get(r) == nil {
			v.missing(c, p, r)
		}
	}
	for _, f := range c.fields {
		fp := p.key(f.key)
		if f.key != "type" && !slices.Contains(allowed, f.key) {
			v.add("INVALID_PROPERTY", f.val, fp, "The property '%s' cannot be specified at '%s'.", f.key, p)
			continue
		}
		switch f.key {
		case "children", "then", "else":
			v.children(f.val, fp, sc)
		case "cases":
			if f.val.kind != jObject {
				v.badValue(f.val, fp, "cases", "expected an object of arrays of components")
				continue
			}
			for _, cf := range f.val.fields {
				v.children(cf.val, fp.key(cf.key), sc)
			}
		case "on-click-action", "on-select-action", "on-unselect-action":
			v.action(f.val, fp, f.key, t, sc)
		case "name":
			if f.val.kind != jString || f.val.str == "" {
				v.badValue(f.val, fp, "name", "expected a non-empty string")
			}
		case "data-source", "list-items":
			if f.val.kind != jArray && !(f.val.kind == jString && strings.HasPrefix(f.val.str, "${")) {
				v.badValue(f.val, fp, f.key, "expected an array or a dynamic reference")
			}
			v.refs(f.val, fp, sc)
		default:
			v.refs(f.val, fp, sc)
		}
	}
}

func (v *flowValidator) action(a *jnode, p jpath, prop, component string, sc *screenCheck) {
	if a.kind != jObject {
		v.badValue(a, p, prop, "expected an action object")
		return
	}
	name, ok := v.str(a, p, "name", true)
	if !ok {
		return
	}
	if !slices.Contains(FlowActions, name) {
		v.badValue(a.get("name"), p.key("name"), "name", fmt.Sprintf("unknown action %q (%s)", name, strings.Join(FlowActions, ", ")))
		return
	}
	switch name {
	case "navigate":
		next := a.get("next")
		if next == nil || next.kind != jObject {
			v.missing(a, p, "next")
			break
		}
		if s, ok := v.str(next, p.key("next"), "name", true); ok && v.screens[s] == nil {
			v.badValue(next.get("name"), p.key("next").key("name"), "name", fmt.Sprintf("screen '%s' does not exist", s))
		}
	case "complete":
		if component == "Footer" {
			sc.completes = true
		}
	case "open_url":
		if u, ok := v.str(a, p, "url", true); ok && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "${") {
			v.badValue(a.get("url"), p.key("url"), "url", "expected an https URL")
		}
	case "data_exchange":
		if v.dataAPI == "" {
			v.badValue(a.get("name"), p.key("name"), "name", "data_exchange needs data_api_version (a Flow with an endpoint)")
		}
	}
	if pl := a.get("payload"); pl != nil {
		v.refs(pl, p.key("payload"), sc)
	}
}

// refs checks the dynamic references in a property value: ${data.x}
// must be declared in the screen's data, ${form.x} must be an input of
// the screen, ${screen.S.data.x} must name an existing screen S.
func (v *flowValidator) refs(n *jnode, p jpath, sc *screenCheck) {
	switch n.kind {
	case jString:
		for _, m := range dynamicRef.FindAllStringSubmatch(n.str, 8) {
			switch m[1] {
			case "data":
				if !sc.data[m[2]] {
					v.add("INVALID_DYNAMIC_REFERENCE", n, p, "'${data.%s}' refers to data the screen does not declare.", m[2])
				}
			case "form":
				if !sc.forms[m[2]] {
					v.add("INVALID_DYNAMIC_REFERENCE", n, p, "'${form.%s}' refers to no input component of the screen.", m[2])
				}
			case "screen":
				if v.screens[m[2]] == nil {
					v.add("INVALID_DYNAMIC_REFERENCE", n, p, "'${screen.%s...}' refers to a screen that does not exist.", m[2])
				}
			}
		}
	case jArray:
		for i, c := range n.items {
			v.refs(c, p.index(i), sc)
		}
	case jObject:
		for _, f := range n.fields {
			v.refs(f.val, p.key(f.key), sc)
		}
	}
}

// routing checks the routing model: an object from screen ids to the
// screen ids each may go to, all of which must exist.
func (v *flowValidator) routing(rm *jnode) {
	p := jpath("routing_model")
	if rm.kind != jObject {
		v.badValue(rm, p, "routing_model", "expected an object of screen ids to arrays of screen ids")
		return
	}
	for _, f := range rm.fields {
		fp := p.key(f.key)
		if v.screens[f.key] == nil {
			v.add("INVALID_ROUTING_MODEL", f.val, fp, "Routing model names screen '%s', which does not exist.", f.key)
		}
		if f.val.kind != jArray {
			v.badValue(f.val, fp, f.key, "expected an array of screen ids")
			continue
		}
		for i, t := range f.val.items {
			if t.kind != jString || v.screens[t.str] == nil {
				v.add("INVALID_ROUTING_MODEL", t, fp.index(i), "Routing model edge from '%s' goes to a screen that does not exist.", f.key)
			} else if t.str == f.key {
				v.add("INVALID_ROUTING_MODEL", t, fp.index(i), "Routing model edge from '%s' goes to itself.", f.key)
			}
		}
	}
}
