package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/parleyhq/parley/internal/clientaddr"
)

// The operator surface and TLS (docs/SECURITY.md, "Operator surface and
// TLS"). The public listener (Options.Addr) serves the people's API, the
// Cloud API and the public web clients; the operator listener
// (Options.AdminAddr, loopback by default) serves what only the operator
// should reach. Neither serves the other's routes.

// AdminAddrOff, as Options.AdminAddr, starts no operator listener: no
// /metrics, no admin API and no operator console anywhere.
const AdminAddrOff = "off"

// DefaultAdminAddr is the operator listener's default address: loopback,
// so that a fresh `parley serve` has its console at
// http://127.0.0.1:8081/admin/ and nobody else does.
const DefaultAdminAddr = "127.0.0.1:8081"

// hstsMaxAge is the Strict-Transport-Security lifetime: a year, without
// includeSubDomains (the operator's other hosts are not Parley's to
// commit) and without preload.
const hstsMaxAge = "max-age=31536000"

// operatorHandler is the operator listener's one route table:
//
//	GET /metrics                 Prometheus metrics
//	GET /healthz                 liveness, for the operator's own probes
//	/admin/...                   the admin API (/admin/v1, internal/adminapi)
//	GET /admin, /admin/          the operator console (internal/web)
//	GET /static/{version}/...    the console's assets
//	GET /favicon.ico
func operatorHandler(metrics, admin http.Handler, console interface{ RegisterConsole(*http.ServeMux) }) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/admin/", admin)
	console.RegisterConsole(mux)
	return mux
}

// TLSOptions configures TLS on the public listener. With neither a
// certificate nor ACME domains the listener speaks plain HTTP (behind a
// reverse proxy that terminates TLS, or in development).
type TLSOptions struct {
	// CertFile and KeyFile are a PEM certificate chain and its key.
	CertFile, KeyFile string
	// ACMEDomains, instead of a certificate, obtains and renews one per
	// domain automatically (Let's Encrypt by default) with the TLS-ALPN-01
	// challenge, which needs the public listener reachable on port 443.
	ACMEDomains []string
	// ACMECacheDir keeps the account key and certificates; default
	// DataDir/acme.
	ACMECacheDir string
	// ACMEDirectoryURL is the ACME directory; Let's Encrypt's production
	// directory when empty.
	ACMEDirectoryURL string
	// ACMEEmail is the contact address given to the certificate authority.
	ACMEEmail string
}

// enabled reports whether the public listener serves TLS.
func (t TLSOptions) enabled() bool { return t.CertFile != "" || len(t.ACMEDomains) > 0 }

// config builds the listener's tls.Config.
func (t TLSOptions) config(dataDir string) (*tls.Config, error) {
	switch {
	case t.CertFile != "" && len(t.ACMEDomains) > 0:
		return nil, errors.New("tls: give a certificate or ACME domains, not both")
	case t.CertFile != "":
		if t.KeyFile == "" {
			return nil, errors.New("tls: a certificate needs its key")
		}
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls certificate: %w", err)
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
			NextProtos: []string{"h2", "http/1.1"}}, nil
	case t.KeyFile != "":
		return nil, errors.New("tls: a key needs its certificate")
	}
	dir := t.ACMECacheDir
	if dir == "" {
		dir = filepath.Join(dataDir, "acme")
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(t.ACMEDomains...),
		Email:      t.ACMEEmail,
	}
	if t.ACMEDirectoryURL != "" {
		m.Client = &acme.Client{DirectoryURL: t.ACMEDirectoryURL}
	}
	c := m.TLSConfig() // GetCertificate, and "acme-tls/1" for the challenge
	c.MinVersion = tls.VersionTLS12
	return c, nil
}

// hsts adds Strict-Transport-Security to every response that reached the
// server over HTTPS: directly (r.TLS), or through a trusted proxy that
// says so in X-Forwarded-Proto (clientaddr.Resolver.HTTPS). It also
// settles X-Forwarded-Proto for every handler behind it (the Cloud API
// builds its absolute URLs from it): "https" when a trusted proxy said
// so, absent otherwise, so a forged header from anyone else is never seen.
func hsts(res clientaddr.Resolver, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		https := res.HTTPS(r)
		if https && r.TLS == nil {
			r.Header.Set("X-Forwarded-Proto", "https")
		} else {
			r.Header.Del("X-Forwarded-Proto")
		}
		if https {
			w.Header().Set("Strict-Transport-Security", hstsMaxAge)
		}
		h.ServeHTTP(w, r)
	})
}

// urlOf is the base URL of a listener on loopback.
func urlOf(ln net.Listener, scheme string) string {
	a := ln.Addr().(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, fmt.Sprint(a.Port))
}
