package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Guard keeps webhook requests off the operator's own network (SSRF): a
// connection is allowed only to a public unicast address, or to one in
// Allow. It checks the address actually dialled, after DNS, so a name
// that resolves (or re-resolves) to a private address is refused too.
type Guard struct {
	Allow []netip.Prefix
}

// special are ranges that are not public unicast besides those that
// netip.Addr's predicates name.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64, which can reach private IPv4
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// Check returns an error if ip may not be dialled.
func (g Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return nil
		}
	}
	bad := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
	for _, p := range special {
		bad = bad || p.Contains(ip)
	}
	if bad {
		return fmt.Errorf("%s is not a public address; the operator may allow it with --webhook-allow", ip)
	}
	return nil
}

func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook dial %q: %w", address, err)
	}
	return g.Check(ap.Addr())
}

// NewClient returns the HTTP client webhooks use: it dials only what the
// guard allows, goes direct (no proxy from the environment), never
// follows redirects, and keeps connections to an endpoint alive. timeout
// 0 means none (the dispatcher times each attempt).
func NewClient(allow []netip.Prefix, timeout time.Duration) *http.Client {
	g := Guard{Allow: allow}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}).DialContext
	// Keep a connection per concurrent delivery to an endpoint alive: the
	// default of 2 idle connections per host would redial for almost every
	// webhook under load.
	t.MaxIdleConnsPerHost = 64
	t.MaxIdleConns = 1024
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ParseAllow reads a comma-separated list of CIDR prefixes or addresses
// ("127.0.0.0/8,10.1.2.3").
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("webhook allow-list: %q is neither a CIDR prefix nor an address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
