package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Connection limits (docs/SECURITY.md, "Connections, timeouts and
// WebSocket budgets"). Every request gets the read and write deadlines of
// its kind of route, set by routeDeadlines before any handler runs, and
// each client address may hold a bounded number of connections
// (limitListener).

// Limits bounds what one connection may cost. Zero fields take the
// defaults of setDefaults; a negative duration or count turns that limit
// off.
type Limits struct {
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers; default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a client may take to send a whole request,
	// headers and body, on an ordinary route; default 30s.
	ReadTimeout time.Duration
	// WriteTimeout is how long the server may take to write an ordinary
	// response, counted from the end of the request's headers; default 30s.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request; default 2m.
	IdleTimeout time.Duration
	// UploadTimeout replaces ReadTimeout on media and avatar uploads;
	// default 10m (15 MB at 200 kbit/s).
	UploadTimeout time.Duration
	// DownloadTimeout replaces WriteTimeout on media and avatar downloads;
	// default 10m.
	DownloadTimeout time.Duration
	// MaxConnsPerAddr is how many connections one client address (an IPv4
	// address, or an IPv6 /64) may hold open at once, WebSockets
	// included; further connections are closed as soon as they are
	// accepted. Default 256.
	MaxConnsPerAddr int
	// ConnLimitExempt lists the peer addresses MaxConnsPerAddr does not
	// apply to. Default: loopback, where a reverse proxy on the same host
	// (which limits its own clients) and the benchmarks connect from. Set
	// it to an empty, non-nil slice to limit loopback too.
	ConnLimitExempt []netip.Prefix
}

func (l *Limits) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		} else if *d < 0 {
			*d = 0 // net/http: no timeout
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 30*time.Second)
	def(&l.IdleTimeout, 2*time.Minute)
	def(&l.UploadTimeout, 10*time.Minute)
	def(&l.DownloadTimeout, 10*time.Minute)
	if l.MaxConnsPerAddr == 0 {
		l.MaxConnsPerAddr = 256
	}
	if l.ConnLimitExempt == nil {
		l.ConnLimitExempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
}

// routeKind is what a request's deadlines are chosen by.
type routeKind int

const (
	routeOrdinary  routeKind = iota
	routeUpload              // a media or avatar body: a long read
	routeDownload            // a media or avatar response: a long write
	routeWebSocket           // hijacked: no deadline from net/http at all
)

// kindOf classifies a request by method and path. Uploads and downloads
// are the routes that carry media: POST /v1/chats/{id}/media,
// POST /v1/channels/{id}/media, PUT /v1/me/avatar and the Cloud API's
// POST /{version}/{number}/media; GET /v1/media/{id},
// GET /v1/channels/{id}/media/{media}, GET /v1/accounts/{id}/avatar and
// the Cloud API's GET /{version}/{id}/content.
func kindOf(r *http.Request) routeKind {
	p := r.URL.Path
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if p == "/v1/ws" {
			return routeWebSocket
		}
		if strings.HasSuffix(p, "/avatar") || strings.Contains(p, "/media/") ||
			strings.HasPrefix(p, "/v1/media/") || strings.HasSuffix(p, "/content") {
			return routeDownload
		}
	case http.MethodPost, http.MethodPut:
		if strings.HasSuffix(p, "/media") || strings.HasSuffix(p, "/avatar") {
			return routeUpload
		}
	}
	return routeOrdinary
}

// routeDeadlines gives upload and download routes their own deadlines in
// place of the server's ReadTimeout and WriteTimeout, and lifts the write
// deadline of a WebSocket upgrade (the gateway bounds each frame write
// itself; net/http clears the deadlines when the connection is hijacked).
func routeDeadlines(l Limits, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch kindOf(r) {
		case routeUpload:
			_ = rc.SetReadDeadline(deadline(l.UploadTimeout))
		case routeDownload:
			_ = rc.SetWriteDeadline(deadline(l.DownloadTimeout))
		case routeWebSocket:
			_ = rc.SetWriteDeadline(time.Time{})
		}
		h.ServeHTTP(w, r)
	})
}

func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// limitListener closes connections beyond max per client address, by the
// TCP peer's address (never a forwarded header: the limit is about
// sockets).
type limitListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix

	mu    sync.Mutex
	conns map[netip.Addr]int
}

func newLimitListener(ln net.Listener, l Limits) net.Listener {
	if l.MaxConnsPerAddr < 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: l.MaxConnsPerAddr, exempt: l.ConnLimitExempt, conns: map[netip.Addr]int{}}
}

// Accept returns the next connection whose address is under its limit;
// the others are closed at once.
func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, isTCP := c.(*net.TCPConn)
		key, ok := ln.key(c.RemoteAddr())
		if !isTCP || !ok {
			return c, nil
		}
		ln.mu.Lock()
		if ln.conns[key] >= ln.max {
			ln.mu.Unlock()
			c.Close()
			continue
		}
		ln.conns[key]++
		ln.mu.Unlock()
		return &limitedConn{TCPConn: tc, release: func() { ln.release(key) }}, nil
	}
}

// key is the address a connection counts against: the IPv4 address, or
// the IPv6 /64 (one host's usual allocation). ok is false for exempt
// addresses and non-TCP peers.
func (ln *limitListener) key(a net.Addr) (netip.Addr, bool) {
	ta, isTCP := a.(*net.TCPAddr)
	if !isTCP {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	for _, p := range ln.exempt {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip, true
}

func (ln *limitListener) release(key netip.Addr) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.conns[key]--; ln.conns[key] <= 0 {
		delete(ln.conns, key)
	}
}

// limitedConn gives its address's slot back when closed, once. It embeds
// the *net.TCPConn so that what net/http and the gateway look for on a
// socket (SyscallConn for the gateway's raw writes, ReadFrom for
// sendfile) is still there.
type limitedConn struct {
	*net.TCPConn
	once    sync.Once
	release func()
}

// TCP returns the connection's TCP socket, for the gateway's readiness
// transport, which takes the socket's descriptor and later closes this
// connection again to give the slot back.
func (c *limitedConn) TCP() *net.TCPConn { return c.TCPConn }

func (c *limitedConn) Close() error {
	err := c.TCPConn.Close()
	c.once.Do(c.release)
	return err
}
