package httpapi

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/clientaddr"
)

// loginLimits are the per-node, in-memory token buckets of the login
// routes (docs/SECURITY.md): per client address, and in total for codes
// (each an SMS). The daily limits that must hold across nodes are the chat
// core's, in the database.
type loginLimits struct {
	addrs      clientaddr.Resolver
	codeByAddr *clientaddr.Limiter
	codeTotal  *clientaddr.Limiter
	verifyAddr *clientaddr.Limiter
}

func newLoginLimits(c chat.Config, trusted []netip.Prefix, now func() time.Time) *loginLimits {
	lim := func(r chat.Rate) *clientaddr.Limiter { return clientaddr.NewLimiter(r.Burst, r.Every, now) }
	return &loginLimits{
		addrs:      clientaddr.NewResolver(trusted),
		codeByAddr: lim(c.CodeRequestsPerAddress),
		codeTotal:  lim(c.CodeRequestsTotal),
		verifyAddr: lim(c.VerifiesPerAddress),
	}
}

// code admits a code request and returns its requester (the client
// address's key), or ERateLimited.
func (l *loginLimits) code(r *http.Request) (string, error) {
	key := clientaddr.Key(l.addrs.Addr(r))
	if ok, wait := l.codeByAddr.Allow(key); !ok {
		return "", chat.RateLimited("too many codes asked from this address; wait before asking again", wait)
	}
	if ok, wait := l.codeTotal.Allow(""); !ok {
		return "", chat.RateLimited("the server is sending too many codes; try again shortly", wait)
	}
	return key, nil
}

// verify admits a code check and returns its requester, or ERateLimited.
func (l *loginLimits) verify(r *http.Request) (string, error) {
	key := clientaddr.Key(l.addrs.Addr(r))
	if ok, wait := l.verifyAddr.Allow(key); !ok {
		return "", chat.RateLimited("too many codes tried from this address; wait before trying again", wait)
	}
	return key, nil
}
