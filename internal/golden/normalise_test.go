package golden

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// normaliser replaces what genuinely varies between runs with stable
// placeholders, and nothing else: the bytes around a replaced value are
// kept as they are. It knows three kinds of varying value:
//
//   - secrets and random ids found under a JSON key of secretKeys (tokens,
//     app secrets, fbtrace ids, invite codes): each distinct value becomes
//     <key#N>, N counting distinct values of that key in order of first
//     appearance, and is then replaced wherever it appears later (in
//     paths, in webhooks), so equal values stay visibly equal;
//   - random values recognised by their shape: wamids (wamid.<hex>) and
//     32-hex media ids, numbered the same way;
//   - times: RFC 3339 timestamps become <time>, Unix-second timestamps
//     under a *timestamp key become <unix>, loopback ports <port>.
//
// One normaliser serves a whole run, so placeholders are numbered across
// every golden file of the run.
type normaliser struct {
	seen  map[string]string // value → placeholder
	count map[string]int    // kind → values seen
}

func newNormaliser() *normaliser {
	return &normaliser{seen: map[string]string{}, count: map[string]int{}}
}

// secretKeys are the JSON keys whose string values are random per run.
var secretKeys = []string{"token", "app_secret", "fbtrace_id", "invite_code", "invite_link", "verify_token", "challenge"}

var (
	reKeyed    = regexp.MustCompile(`"(` + strings.Join(secretKeys, "|") + `)":\s*"([^"]+)"`)
	reWamid    = regexp.MustCompile(`wamid\.[0-9A-Za-z_-]+`)
	reHex32    = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	reMediaID  = regexp.MustCompile(`\b1[0-9]{39}\b`) // business.MediaGraphID
	reRFC3339  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	reUnix     = regexp.MustCompile(`("[a-z_]*timestamp":\s*"?)\d{9,10}("?)`)
	reLoopPort = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
)

// learn registers the varying values found in s.
func (n *normaliser) learn(s string) {
	for _, m := range reKeyed.FindAllStringSubmatch(s, -1) {
		n.register(m[1], m[2])
	}
	for _, v := range reWamid.FindAllString(s, -1) {
		n.register("wamid", v)
	}
	// A wamid's hex is part of the wamid, not a media id.
	for _, v := range reHex32.FindAllString(reWamid.ReplaceAllString(s, ""), -1) {
		n.register("hex32", v)
	}
	for _, v := range reMediaID.FindAllString(s, -1) {
		n.register("media", v)
	}
}

func (n *normaliser) register(kind, v string) {
	if _, ok := n.seen[v]; ok || v == "" {
		return
	}
	n.count[kind]++
	n.seen[v] = fmt.Sprintf("<%s#%d>", kind, n.count[kind])
}

// apply learns s's varying values and returns s with every known one
// replaced.
func (n *normaliser) apply(s string) string {
	n.learn(s)
	vals := make([]string, 0, len(n.seen))
	for v := range n.seen {
		vals = append(vals, v)
	}
	// Longest first, so that a value containing another is replaced whole.
	sort.Slice(vals, func(i, j int) bool {
		if len(vals[i]) != len(vals[j]) {
			return len(vals[i]) > len(vals[j])
		}
		return vals[i] < vals[j]
	})
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, n.seen[v])
	}
	s = strings.NewReplacer(pairs...).Replace(s)
	s = reRFC3339.ReplaceAllString(s, "<time>")
	s = reUnix.ReplaceAllString(s, "${1}<unix>${2}")
	s = reLoopPort.ReplaceAllString(s, "${1}:<port>")
	return s
}

func TestNormaliser(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"keyed secret, then reused in a path",
			`{"token":"abc","x":1}` + "\nGET /v1/x?t=abc",
			`{"token":"<token#1>","x":1}` + "\nGET /v1/x?t=<token#1>"},
		{"wamid and media id",
			`{"id":"wamid.0123456789abcdef0123456789abcdef","media":"fedcba9876543210fedcba9876543210"}`,
			`{"id":"<wamid#1>","media":"<hex32#1>"}`},
		{"sha256 kept", `"sha256":"` + strings.Repeat("ab", 32) + `"`, `"sha256":"` + strings.Repeat("ab", 32) + `"`},
		{"times and ports",
			`{"created_at":"2025-01-02T03:04:05.123456789Z","timestamp":"1712345678","url":"http://127.0.0.1:41234/x"}`,
			`{"created_at":"<time>","timestamp":"<unix>","url":"http://127.0.0.1:<port>/x"}`},
		{"ids and numbers kept", `{"id":12,"seq":3,"message_id":"golden-1"}`, `{"id":12,"seq":3,"message_id":"golden-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newNormaliser().apply(tt.in); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
