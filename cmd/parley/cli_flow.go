package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// The CLI's side of WhatsApp Flows (docs/FLOWS.md): a Flow a business
// sent is shown as a sequence of prompts, screen by screen. The texts of
// a screen are printed, each input is asked on standard input (a choice
// by its number), and the screen's footer does what the Flow JSON says:
// data_exchange asks the business's endpoint for the next screen,
// navigate goes to the next screen, complete finishes the Flow and sends
// the business its nfm_reply. Answering "<" goes back a screen.

// flowScreen is a screen of a Flow JSON, as far as the prompts need it.
type flowScreen struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Terminal bool            `json:"terminal"`
	Data     json.RawMessage `json:"data"`
	Layout   struct {
		Children []map[string]any `json:"children"`
	} `json:"layout"`
}

type flowDoc struct {
	DataAPIVersion string       `json:"data_api_version"`
	Screens        []flowScreen `json:"screens"`
}

// errFlowBack is an answer of "<": go back a screen.
var errFlowBack = errors.New("back")

func (cl *cli) flow(args []string) error {
	rest, err := parse(cl.flagSet("flow", "CHAT [MESSAGE]"), args, 1, 2)
	if err != nil {
		return err
	}
	chatID, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	msg := ""
	if len(rest) == 2 {
		msg = rest[1]
	} else if msg, err = cl.waitFlowMessage(chatID); err != nil {
		return err
	}
	def, err := cl.c.OpenFlow(cl.ctx, chatID, msg)
	if err != nil {
		return fmt.Errorf("flow: %w", err)
	}
	if def.Completed {
		return fmt.Errorf("flow: you finished this Flow already")
	}
	var doc flowDoc
	if err := json.Unmarshal(def.FlowJSON, &doc); err != nil || len(doc.Screens) == 0 {
		return fmt.Errorf("flow: the Flow %q has no screens", def.Name)
	}
	fmt.Fprintf(cl.out, "Flow %q (answer < to go back)\n", def.Name)
	r := flowRun{cl: cl, chat: chatID, msg: msg, doc: doc, forms: map[string]map[string]any{}, datas: map[string]map[string]any{}}
	return r.run()
}

// waitFlowMessage prints the chat's waiting and new messages until a
// Flow message arrives, and returns its id.
func (cl *cli) waitFlowMessage(chatID int64) (string, error) {
	fmt.Fprintf(cl.errw, "waiting for a Flow in chat %d...\n", chatID)
	found := ""
	err := cl.c.Stream(cl.ctx, 0, func(ev wire.Event) error {
		if ev.Type != wire.EventEntry || ev.Entry == nil {
			return nil
		}
		e := *ev.Entry
		if e.Type == wire.EntryMessage && e.Kind != wire.KindSystem {
			// Opened once (a second open is a replay), then described.
			b, err := cl.c.OpenBody(cl.ctx, e)
			if err == nil && e.ChatID == chatID && b.Interactive != nil && b.Interactive.Type == "flow" {
				found = e.MessageID
				if b.Text != "" {
					fmt.Fprintln(cl.out, b.Text)
				}
				if err := cl.afterE2EE(false); err != nil {
					return err
				}
				return client.ErrStop
			}
			if line := cl.describeOpened(e, b, err); line != "" {
				fmt.Fprintln(cl.out, line)
			}
			return cl.afterE2EE(false)
		}
		if line := cl.describe(e); line != "" {
			fmt.Fprintln(cl.out, line)
		}
		return cl.afterE2EE(false)
	})
	if found == "" {
		if err == nil {
			err = errors.New("no Flow arrived")
		}
		return "", fmt.Errorf("flow: %w", err)
	}
	return found, nil
}

type flowRun struct {
	cl    *cli
	chat  int64
	msg   string
	doc   flowDoc
	forms map[string]map[string]any // each screen's answers, for ${screen.S.form.x}
	datas map[string]map[string]any
	path  []string // the screens shown, for going back
}

func (r *flowRun) screen(id string) (flowScreen, bool) {
	for _, s := range r.doc.Screens {
		if s.ID == id {
			return s, true
		}
	}
	return flowScreen{}, false
}

func (r *flowRun) run() error {
	cur := r.doc.Screens[0].ID
	var data map[string]any
	if r.doc.DataAPIVersion != "" {
		a, err := r.cl.c.ExchangeFlow(r.cl.ctx, client.FlowStep{ChatID: r.chat, MessageID: r.msg, Action: "INIT"})
		if err != nil {
			return fmt.Errorf("flow: open: %w", err)
		}
		cur, data = a.Screen, decodeObject(a.Data)
	}
	for {
		s, ok := r.screen(cur)
		if !ok {
			return fmt.Errorf("flow: the business answered the unknown screen %q", cur)
		}
		r.datas[cur] = data
		r.path = append(r.path, cur)
		action, payload, err := r.show(s, data)
		if errors.Is(err, errFlowBack) {
			if len(r.path) < 2 {
				fmt.Fprintln(r.cl.out, "(this is the first screen)")
				r.path = r.path[:len(r.path)-1]
				continue
			}
			prev := r.path[len(r.path)-2]
			r.path = r.path[:len(r.path)-2]
			if r.doc.DataAPIVersion != "" {
				a, err := r.cl.c.ExchangeFlow(r.cl.ctx, client.FlowStep{ChatID: r.chat, MessageID: r.msg, Action: "BACK", Screen: cur})
				if err != nil {
					return fmt.Errorf("flow: back: %w", err)
				}
				cur, data = a.Screen, decodeObject(a.Data)
				continue
			}
			cur, data = prev, r.datas[prev]
			continue
		} else if err != nil {
			return err
		}
		name, _ := action["name"].(string)
		switch name {
		case "navigate":
			next, _ := action["next"].(map[string]any)
			cur, _ = next["name"].(string)
			data = payload
		case "data_exchange":
			raw, _ := json.Marshal(payload)
			a, err := r.cl.c.ExchangeFlow(r.cl.ctx, client.FlowStep{ChatID: r.chat, MessageID: r.msg, Action: "data_exchange", Screen: cur, Data: raw})
			if err != nil {
				return fmt.Errorf("flow: %w", err)
			}
			if a.Completed {
				return r.finish(json.RawMessage(a.ResponseJSON), true)
			}
			if a.Screen == cur { // the same screen again: the business has something to say
				r.path = r.path[:len(r.path)-1]
			}
			cur, data = a.Screen, decodeObject(a.Data)
			if msg, ok := data["error_message"].(string); ok && msg != "" {
				fmt.Fprintln(r.cl.out, "! "+msg)
			}
		case "complete":
			raw, _ := json.Marshal(payload)
			return r.finish(raw, false)
		default:
			return fmt.Errorf("flow: the screen %s has an action the CLI cannot do (%q)", cur, name)
		}
	}
}

// finish sends the business the finished Flow: response is the endpoint's
// response_json (sent as it is) or the complete action's payload.
func (r *flowRun) finish(response json.RawMessage, fromEndpoint bool) error {
	var id string
	var err error
	if fromEndpoint {
		id = client.NewMessageID()
		_, err = r.cl.c.SendBody(r.cl.ctx, r.chat, id, wire.KindMessage, "", client.Body{Text: "Sent", ReplyTo: r.msg,
			Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "flow", Body: "Sent", ResponseJSON: string(response)}})
	} else {
		id, err = r.cl.c.CompleteFlow(r.cl.ctx, r.chat, r.msg, response, "")
	}
	if err != nil {
		return fmt.Errorf("flow: finish: %w", err)
	}
	fmt.Fprintf(r.cl.out, "Flow finished: sent to the business (id %s)\n", id)
	return nil
}

// show prints a screen, asks its inputs, and returns its footer's action
// with the payload resolved.
func (r *flowRun) show(s flowScreen, data map[string]any) (map[string]any, map[string]any, error) {
	title := s.Title
	if title == "" {
		title = s.ID
	}
	fmt.Fprintf(r.cl.out, "== %s ==\n", r.text(title, s.ID, data))
	form := map[string]any{}
	r.forms[s.ID] = form
	var footer map[string]any
	var walk func(cs []map[string]any) error
	walk = func(cs []map[string]any) error {
		for _, c := range cs {
			if v, ok := c["visible"].(bool); ok && !v {
				continue
			}
			typ, _ := c["type"].(string)
			label := r.text(str(c["label"]), s.ID, data)
			name := str(c["name"])
			required, _ := c["required"].(bool)
			switch typ {
			case "Form":
				if err := walk(children(c["children"])); err != nil {
					return err
				}
			case "If":
				if err := walk(children(c["then"])); err != nil {
					return err
				}
			case "TextHeading", "TextSubheading", "TextBody", "TextCaption", "RichText":
				for _, line := range lines(c["text"]) {
					if t := r.text(line, s.ID, data); t != "" {
						fmt.Fprintln(r.cl.out, t)
					}
				}
			case "Image":
				fmt.Fprintln(r.cl.out, "[image]")
			case "EmbeddedLink":
				fmt.Fprintf(r.cl.out, "[link] %s\n", r.text(str(c["text"]), s.ID, data))
			case "TextInput", "TextArea", "DatePicker", "CalendarPicker":
				v, err := r.ask(label, required)
				if err != nil {
					return err
				}
				if v != "" {
					form[name] = v
				}
			case "OptIn":
				v, err := r.ask(label+" [y/N]", false)
				if err != nil {
					return err
				}
				form[name] = strings.HasPrefix(strings.ToLower(v), "y")
			case "Dropdown", "RadioButtonsGroup", "ChipsSelector", "CheckboxGroup", "NavigationList":
				src := c["data-source"]
				if typ == "NavigationList" {
					src = c["list-items"]
				}
				items := r.items(src, s.ID, data)
				multi := typ == "ChipsSelector" || typ == "CheckboxGroup"
				picked, err := r.choose(cmpStr(label, name), items, required, multi)
				if err != nil {
					return err
				}
				if typ == "NavigationList" && len(picked) == 1 {
					if a, ok := picked[0]["on-click-action"].(map[string]any); ok {
						footer = map[string]any{"on-click-action": a}
						return nil
					}
				}
				switch {
				case multi:
					ids := []any{}
					for _, p := range picked {
						ids = append(ids, p["id"])
					}
					form[name] = ids
				case len(picked) == 1:
					form[name] = picked[0]["id"]
				}
			case "Footer":
				footer = c
			}
		}
		return nil
	}
	if err := walk(s.Layout.Children); err != nil {
		return nil, nil, err
	}
	if footer == nil {
		return nil, nil, fmt.Errorf("flow: the screen %s has no footer", s.ID)
	}
	if l := str(footer["label"]); l != "" {
		fmt.Fprintf(r.cl.out, "[%s]\n", r.text(l, s.ID, data))
	}
	action, _ := footer["on-click-action"].(map[string]any)
	payload, _ := r.resolve(action["payload"], s.ID, data).(map[string]any)
	if payload == nil {
		payload = map[string]any{}
	}
	return action, payload, nil
}

// ask asks one line; a required answer is asked again while empty.
func (r *flowRun) ask(label string, required bool) (string, error) {
	for {
		v, err := r.cl.prompt(label + ": ")
		if err != nil {
			return "", err
		}
		if v == "<" {
			return "", errFlowBack
		}
		if v != "" || !required {
			return v, nil
		}
		fmt.Fprintln(r.cl.out, "! an answer is required")
	}
}

// choose lists items by number and asks for one (several, comma-separated,
// when multi); a disabled item cannot be picked.
func (r *flowRun) choose(label string, items []map[string]any, required, multi bool) ([]map[string]any, error) {
	fmt.Fprintf(r.cl.out, "%s:\n", label)
	for i, it := range items {
		line := fmt.Sprintf("  %d) %s", i+1, str(it["title"]))
		if d := str(it["description"]); d != "" {
			line += " - " + d
		}
		if e, ok := it["enabled"].(bool); ok && !e {
			line += " (unavailable)"
		}
		fmt.Fprintln(r.cl.out, line)
	}
	for {
		v, err := r.ask(fmt.Sprintf("%s [1-%d]", label, len(items)), required)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, nil
		}
		var out []map[string]any
		bad := ""
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			switch {
			case err != nil || n < 1 || n > len(items):
				bad = fmt.Sprintf("! %q is not a number from 1 to %d", strings.TrimSpace(part), len(items))
			case items[n-1]["enabled"] == false:
				bad = fmt.Sprintf("! %s is unavailable", str(items[n-1]["title"]))
			default:
				out = append(out, items[n-1])
			}
		}
		if bad == "" && len(out) > 1 && !multi {
			bad = "! pick one"
		}
		if bad == "" {
			return out, nil
		}
		fmt.Fprintln(r.cl.out, bad)
	}
}

// items resolves a data-source: an array in the Flow JSON, or ${data.x}.
func (r *flowRun) items(src any, screen string, data map[string]any) []map[string]any {
	v := r.resolve(src, screen, data)
	arr, _ := v.([]any)
	var out []map[string]any
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

var flowRef = regexp.MustCompile(`\$\{([^}]+)\}`)

// lookup reads a dynamic reference: data.x, form.x, screen.S.data.x or
// screen.S.form.x.
func (r *flowRun) lookup(ref, screen string, data map[string]any) (any, bool) {
	parts := strings.Split(ref, ".")
	if len(parts) == 4 && parts[0] == "screen" {
		screen, parts = parts[1], parts[2:]
		data = r.datas[screen]
	}
	if len(parts) != 2 {
		return nil, false
	}
	switch parts[0] {
	case "data":
		v, ok := data[parts[1]]
		return v, ok
	case "form":
		v, ok := r.forms[screen][parts[1]]
		return v, ok
	}
	return nil, false
}

// resolve replaces references in v: a string that is one reference takes
// its value (any type), references inside text are written in.
func (r *flowRun) resolve(v any, screen string, data map[string]any) any {
	switch x := v.(type) {
	case string:
		if m := flowRef.FindStringSubmatch(x); m != nil && m[0] == x {
			got, _ := r.lookup(m[1], screen, data)
			return got
		}
		return r.text(x, screen, data)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = r.resolve(e, screen, data)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.resolve(e, screen, data)
		}
		return out
	}
	return v
}

// text writes the references of s in.
func (r *flowRun) text(s, screen string, data map[string]any) string {
	return flowRef.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := r.lookup(m[2:len(m)-1], screen, data)
		if !ok || v == nil {
			return ""
		}
		if t, ok := v.(string); ok {
			return t
		}
		b, _ := json.Marshal(v)
		return string(b)
	})
}

func decodeObject(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func children(v any) []map[string]any {
	arr, _ := v.([]any)
	var out []map[string]any
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// lines is a text property: a string, or RichText's array of lines.
func lines(v any) []string {
	switch x := v.(type) {
	case string:
		return strings.Split(x, "\n")
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}
