package server_test

// The abuse suite of the login and lookup limits (docs/SECURITY.md, "Login
// codes and rate limits"): each attack from issue 13 against a real server
// over HTTP, asserting that the limit holds and that a well-behaved client
// is unaffected. The daily limits live in the database, so each test runs
// on SQLite and, when configured, on PostgreSQL.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// abuseStores runs fn on each store with a clock the test can move.
func abuseStores(t *testing.T, fn func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock)) {
	for _, st := range []string{"sqlite", "postgres"} {
		t.Run(st, func(t *testing.T) {
			clock := &servertest.Clock{}
			// The daily limits count per UTC day: keep the test inside one.
			now := time.Now().UTC()
			if until := now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now); until < 3*time.Hour {
				clock.Advance(until + time.Minute)
			}
			start := func(opts ...servertest.Option) *servertest.Server {
				all := []servertest.Option{servertest.WithClock(clock)}
				if st == "postgres" {
					all = append(all, servertest.WithPostgres(t, servertest.PostgresDSN(t)), servertest.WithExternalNATS(servertest.NATSURL(t)))
				}
				return servertest.Start(t, append(all, opts...)...)
			}
			fn(t, start, clock)
		})
	}
}

// trustLoopback makes 127.0.0.1 a trusted proxy, so a test speaks for any
// client address through X-Forwarded-For.
func trustLoopback() servertest.Option {
	return servertest.WithOptions(func(o *server.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
}

// answer is one HTTP answer: status, Retry-After and the error code.
type answer struct {
	status     int
	retryAfter string
	code       string
	body       map[string]any
}

// postJSON POSTs body as JSON to path, with X-Forwarded-For xff when not "".
func postJSON(t *testing.T, srv *servertest.Server, path, xff, token string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: map[string]any{}}
	_ = json.NewDecoder(resp.Body).Decode(&a.body)
	if e, ok := a.body["error"].(map[string]any); ok {
		a.code, _ = e["code"].(string)
	}
	return a
}

func requestCode(t *testing.T, srv *servertest.Server, phone, xff string) answer {
	t.Helper()
	return postJSON(t, srv, "/v1/auth/code", xff, "", map[string]string{"phone": phone})
}

func verify(t *testing.T, srv *servertest.Server, phone, code, xff string) answer {
	t.Helper()
	return postJSON(t, srv, "/v1/auth/verify", xff, "", map[string]string{"phone": phone, "code": code})
}

// wantLimited checks a 429 rate_limited with a Retry-After of whole
// seconds that matches retry_after_seconds.
func wantLimited(t *testing.T, what string, a answer) {
	t.Helper()
	if a.status != http.StatusTooManyRequests || a.code != "rate_limited" {
		t.Fatalf("%s: got %d %q, want 429 rate_limited", what, a.status, a.code)
	}
	secs, err := strconv.Atoi(a.retryAfter)
	if err != nil || secs < 1 {
		t.Fatalf("%s: got Retry-After %q, want whole seconds ≥ 1", what, a.retryAfter)
	}
	details, _ := a.body["error"].(map[string]any)["details"].(map[string]any)
	if got, _ := details["retry_after_seconds"].(float64); int(got) != secs {
		t.Errorf("%s: got retry_after_seconds %v, want %d (the Retry-After header)", what, details["retry_after_seconds"], secs)
	}
}

// wrongCode is a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// guessUntilRefused requests codes for phone from xff and guesses wrong
// until the server refuses with the daily cap, and returns how many
// guesses it judged (answered code_invalid).
func guessUntilRefused(t *testing.T, srv *servertest.Server, clock *servertest.Clock, phone, xff string, limit int) int {
	t.Helper()
	judged := 0
	for round := 0; round < limit; round++ {
		a := requestCode(t, srv, phone, xff)
		for a.status == http.StatusTooManyRequests && a.code == "rate_limited" {
			// The resend gap (doubling): wait it out.
			secs, _ := strconv.Atoi(a.retryAfter)
			if secs > 3600 {
				t.Fatalf("round %d: code request refused for %ds", round, secs)
			}
			clock.Advance(time.Duration(secs) * time.Second)
			a = requestCode(t, srv, phone, xff)
		}
		if a.status != http.StatusAccepted {
			t.Fatalf("round %d: request code: got %d %q, want 202", round, a.status, a.code)
		}
		code := srv.Code(phone)
		for range 5 {
			g := verify(t, srv, phone, wrongCode(code), xff)
			switch {
			case g.code == "code_invalid":
				judged++
			case g.status == http.StatusTooManyRequests && g.body["error"].(map[string]any)["message"] == "too many codes tried for this number today; try again tomorrow":
				wantLimited(t, "guess past the daily cap", g)
				return judged
			case g.code == "rate_limited":
				// This code's five attempts are spent; ask for another.
			default:
				t.Fatalf("guess: got %d %q", g.status, g.code)
			}
		}
	}
	t.Fatalf("no daily cap after %d rounds: %d guesses judged", limit, judged)
	return judged
}

// Code guessing across re-requests: each new code brings five attempts,
// but the attempts on one number a day are capped, per requester and in
// total, whatever the number of codes and addresses.
func TestAbuseCodeGuessingStopsAtDailyCap(t *testing.T) {
	t.Parallel()
	abuseStores(t, func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock) {
		srv := start(trustLoopback())
		def := chat.Config{}.WithDefaults()
		const victim = "+14155550170"

		// One address: capped at CodeGuessesPerRequester.
		if got := guessUntilRefused(t, srv, clock, victim, "198.51.100.1", 100); got != def.CodeGuessesPerRequester {
			t.Errorf("guesses from one address: got %d judged, want %d", got, def.CodeGuessesPerRequester)
		}
		// Many addresses: capped at CodeGuessesPerNumber in all.
		total := def.CodeGuessesPerRequester
		for i := 2; ; i++ {
			if i > 40 {
				t.Fatalf("no cap per number after %d addresses: %d guesses judged", i, total)
			}
			n := guessUntilRefused(t, srv, clock, victim, fmt.Sprintf("198.51.100.%d", i), 100)
			total += n
			if n < def.CodeGuessesPerRequester {
				break
			}
		}
		if total != def.CodeGuessesPerNumber {
			t.Errorf("guesses from every address: got %d judged, want %d", total, def.CodeGuessesPerNumber)
		}
		// The next day the owner logs in again.
		clock.Advance(24 * time.Hour)
		if a := requestCode(t, srv, victim, "203.0.113.9"); a.status != http.StatusAccepted {
			t.Fatalf("next day: request code: got %d %q, want 202", a.status, a.code)
		}
		if a := verify(t, srv, victim, srv.Code(victim), "203.0.113.9"); a.status != http.StatusOK {
			t.Fatalf("next day: verify: got %d %q, want 200", a.status, a.code)
		}
	})
}

// A stranger's wrong guesses and new codes do not keep the owner out: the
// owner's code is the owner's, and only the owner's attempts count on it.
func TestAbuseStrangerCannotLockOut(t *testing.T) {
	t.Parallel()
	abuseStores(t, func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock) {
		srv := start(trustLoopback())
		const victim, home, attacker = "+14155550171", "203.0.113.5", "198.51.100.66"
		if a := requestCode(t, srv, victim, home); a.status != http.StatusAccepted {
			t.Fatalf("owner's code: got %d %q, want 202", a.status, a.code)
		}
		mine := srv.Code(victim)

		// The stranger asks for codes and guesses until refused for the day.
		guessUntilRefused(t, srv, clock, victim, attacker, 100)
		if a := verify(t, srv, victim, mine, attacker); a.status == http.StatusOK {
			t.Fatalf("the owner's code from the stranger's address: got 200, want refused")
		}

		if a := verify(t, srv, victim, mine, home); a.status != http.StatusOK {
			t.Fatalf("owner's own code after the stranger's guesses: got %d %q, want 200", a.status, a.code)
		}
	})
}

// SMS pumping: many numbers from one address are refused with 429 and
// Retry-After; the budget per country calling code holds for everyone,
// and other countries still get codes.
func TestAbuseSMSPumping(t *testing.T) {
	t.Parallel()
	abuseStores(t, func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock) {
		srv := start()
		def := chat.Config{}.WithDefaults()
		sent := 0
		var last answer
		for i := range 50 {
			last = requestCode(t, srv, fmt.Sprintf("+1415555%04d", 200+i), "")
			if last.status != http.StatusAccepted {
				break
			}
			sent++
		}
		if sent != def.CodeRequestsPerAddress.Burst {
			t.Errorf("codes to different numbers from one address: got %d sent, want %d", sent, def.CodeRequestsPerAddress.Burst)
		}
		wantLimited(t, "code past the address's bucket", last)

		budget := start(trustLoopback(), servertest.WithConfig(chat.Config{CodeBudgetPerPrefix: 5}))
		for i := range 5 {
			// Each from its own address: the budget is the country's.
			if a := requestCode(t, budget, fmt.Sprintf("+4479111234%02d", i), fmt.Sprintf("198.51.100.%d", i+1)); a.status != http.StatusAccepted {
				t.Fatalf("code %d to +44: got %d %q, want 202", i, a.status, a.code)
			}
		}
		a := requestCode(t, budget, "+447911123499", "198.51.100.99")
		wantLimited(t, "code past the +44 budget", a)
		if secs, _ := strconv.Atoi(a.retryAfter); secs > 24*3600 {
			t.Errorf("budget Retry-After: got %ds, want at most a day", secs)
		}
		if a := requestCode(t, budget, "+14155550172", "198.51.100.99"); a.status != http.StatusAccepted {
			t.Errorf("code to +1 while +44 is spent: got %d %q, want 202", a.status, a.code)
		}
	})
}

// Lookup scraping: one account looks up at most LookupsPerAccount numbers
// a day; a few contacts are always fine.
func TestAbuseLookupScraping(t *testing.T) {
	t.Parallel()
	abuseStores(t, func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock) {
		const limit = 300
		srv := start(servertest.WithConfig(chat.Config{LookupsPerAccount: limit}))
		scraper := login(t, srv, "+14155550173")
		batch := func(from int) []string {
			ps := make([]string, 256)
			for i := range ps {
				ps[i] = fmt.Sprintf("+1415555%04d", 1000+from+i)
			}
			return ps
		}
		lookup := func(phones []string) answer {
			return postJSON(t, srv, "/v1/contacts/lookup", "", scraper.Token, map[string]any{"phones": phones})
		}
		if a := lookup(batch(0)); a.status != http.StatusOK {
			t.Fatalf("first 256: got %d %q, want 200", a.status, a.code)
		}
		wantLimited(t, "256 more past 300 a day", lookup(batch(256)))
		if a := lookup(batch(256)[:limit-256]); a.status != http.StatusOK {
			t.Fatalf("up to the limit: got %d %q, want 200", a.status, a.code)
		}
		wantLimited(t, "one past the limit", lookup([]string{"+14155550101"}))
		clock.Advance(24 * time.Hour)
		if a := lookup(batch(0)); a.status != http.StatusOK {
			t.Fatalf("next day: got %d %q, want 200", a.status, a.code)
		}
	})
}

// A well-behaved client is unaffected by the defaults: a few people log
// in (one retries a mistyped code) and look up their contacts now and then.
func TestAbuseWellBehavedClientUnaffected(t *testing.T) {
	t.Parallel()
	abuseStores(t, func(t *testing.T, start func(...servertest.Option) *servertest.Server, clock *servertest.Clock) {
		srv := start()
		phones := []string{"+14155550181", "+14155550182", "+14155550183"}
		if a := requestCode(t, srv, phones[0], ""); a.status != http.StatusAccepted {
			t.Fatalf("request code: got %d %q", a.status, a.code)
		}
		if a := verify(t, srv, phones[0], wrongCode(srv.Code(phones[0])), ""); a.code != "code_invalid" {
			t.Fatalf("mistyped code: got %d %q, want code_invalid", a.status, a.code)
		}
		if a := verify(t, srv, phones[0], srv.Code(phones[0]), ""); a.status != http.StatusOK {
			t.Fatalf("retyped code: got %d %q, want 200", a.status, a.code)
		}
		p := login(t, srv, phones[1])
		login(t, srv, phones[2])
		for range 20 {
			if a := postJSON(t, srv, "/v1/contacts/lookup", "", p.Token, map[string]any{"phones": phones}); a.status != http.StatusOK {
				t.Fatalf("lookup of three contacts: got %d %q, want 200", a.status, a.code)
			}
		}
	})
}

// X-Forwarded-For is a claim of the client unless the peer is a trusted
// proxy: from an untrusted peer every claimed address counts as the peer.
func TestAbuseForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	def := chat.Config{}.WithDefaults()
	burst := def.CodeRequestsPerAddress.Burst
	for _, tc := range []struct {
		name    string
		opts    []servertest.Option
		limited bool
	}{
		{"untrusted peer", nil, true},
		{"trusted proxy", []servertest.Option{trustLoopback()}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := servertest.Start(t, tc.opts...)
			var last answer
			for i := range burst + 1 {
				last = requestCode(t, srv, fmt.Sprintf("+1415555%04d", 300+i), fmt.Sprintf("198.51.100.%d", i+1))
			}
			if tc.limited {
				wantLimited(t, "rotating X-Forwarded-For from an untrusted peer", last)
				return
			}
			if last.status != http.StatusAccepted {
				t.Fatalf("a new client behind the proxy: got %d %q, want 202", last.status, last.code)
			}
			// One client behind the proxy is still one client.
			for i := range burst {
				last = requestCode(t, srv, fmt.Sprintf("+1415555%04d", 400+i), "203.0.113.1")
			}
			if last.status != http.StatusAccepted {
				t.Fatalf("code %d from one client behind the proxy: got %d %q", burst, last.status, last.code)
			}
			wantLimited(t, "one client past its bucket behind the proxy", requestCode(t, srv, "+14155550499", "203.0.113.1"))
		})
	}
}
