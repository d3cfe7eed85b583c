// Package clientaddr finds who is asking: the address of the client
// behind a request and whether it came over HTTPS, honouring
// X-Forwarded-For and X-Forwarded-Proto only from the configured trusted
// proxies, and per-key token buckets (golang.org/x/time/rate) for
// limits per client address, kept in memory on each node. It imports
// nothing of Parley's.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Resolver finds the client address of a request. Its zero value trusts
// no proxy: the address is the TCP peer's.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver returns a Resolver that believes X-Forwarded-For when the
// peer is in trusted.
func NewResolver(trusted []netip.Prefix) Resolver { return Resolver{trusted: trusted} }

func (r Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client address of req. From an untrusted peer it is the
// peer, whatever the headers say. From a trusted proxy it is the
// right-most address of X-Forwarded-For (every header line, in order) that
// is not itself a trusted proxy: each proxy appends the peer it saw, so
// addresses left of the first untrusted one are the client's own claims.
// An unparsable entry stops the walk at the last address known good.
func (r Resolver) Addr(req *http.Request) netip.Addr {
	peer := peerAddr(req.RemoteAddr)
	if !r.isTrusted(peer) {
		return peer
	}
	var hops []string
	for _, h := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr
		}
		addr = a.Unmap()
		if !r.isTrusted(addr) {
			return addr
		}
	}
	return addr
}

// HTTPS reports whether req reached Parley over HTTPS: on a TLS
// connection to Parley itself, or, from a trusted proxy only, with
// X-Forwarded-Proto saying https (the last value, the one the proxy next
// to Parley set). From any other peer the header is ignored.
func (r Resolver) HTTPS(req *http.Request) bool {
	if req.TLS != nil {
		return true
	}
	if !r.isTrusted(peerAddr(req.RemoteAddr)) {
		return false
	}
	var protos []string
	for _, h := range req.Header.Values("X-Forwarded-Proto") {
		protos = append(protos, strings.Split(h, ",")...)
	}
	return len(protos) > 0 && strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Key names the requester an address stands for: an IPv4 address itself,
// an IPv6 address's /64 (one subscriber usually holds a whole /64).
func Key(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// ParsePrefixes reads a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.0.2.7").
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Limiter is a token bucket per key: burst at once, then one every
// every. A negative burst allows everything. It is safe for concurrent
// use; buckets that have refilled are forgotten once there are many.
type Limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxIdleBuckets is how many buckets a Limiter keeps before it forgets
// the full ones.
const maxIdleBuckets = 10_000

// NewLimiter returns a Limiter; now is its clock (time.Now when nil).
func NewLimiter(burst int, every time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	lim := rate.Inf
	if every > 0 {
		lim = rate.Every(every)
	}
	return &Limiter{limit: lim, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// Allow takes one token from key's bucket. When there is none it takes
// nothing and returns how long until there is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.burst < 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxIdleBuckets {
			for k, o := range l.buckets {
				if o.TokensAt(now) >= float64(l.burst) {
					delete(l.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
