package server

import (
	"log/slog"
	"net"
)

// logAppURLs says at startup where the three browser apps are: the
// people's web app and the business console on the public listener, the
// operator console on the operator listener, and how to enable the
// operator console when no admin token is set.
func logAppURLs(log *slog.Logger, scheme string, public, admin net.Addr, adminToken bool) {
	log.Info("web app for people", "url", browseURL(scheme, public)+"/")
	log.Info("business console", "url", browseURL(scheme, public)+"/business/")
	switch {
	case admin == nil:
		log.Info("operator console: off (no operator listener; set --admin-addr)")
	case !adminToken:
		log.Warn("operator console and admin API disabled: start with --admin-token TOKEN (env PARLEY_ADMIN_TOKEN) to enable them",
			"url", browseURL("http", admin)+"/admin/")
	default:
		log.Info("operator console", "url", browseURL("http", admin)+"/admin/")
	}
}

// browseURL is a URL a browser on this machine can open for a listen
// address: a wildcard host becomes localhost.
func browseURL(scheme string, a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return scheme + "://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
