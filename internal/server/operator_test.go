package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// TestOperatorListener: the operator's surfaces (/metrics, the admin API,
// the operator console) answer on the operator listener only; the public
// listener answers them with Parley's 404, and the operator listener
// serves none of the public API (issue 13, defect 7).
func TestOperatorListener(t *testing.T) {
	t.Parallel()
	const adminToken = "op-token"
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.AdminToken = adminToken }))
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if srv.AdminURL == "" || srv.AdminURL == srv.URL {
		t.Fatalf("operator listener at %q, public at %q: want two listeners", srv.AdminURL, srv.URL)
	}
	for _, tt := range []struct {
		base, path, token string
		want              int
	}{
		{srv.URL, "/metrics", "", 404},
		{srv.URL, "/admin/", "", 404},
		{srv.URL, "/admin", "", 404},
		{srv.URL, "/admin/v1/businesses", adminToken, 404},
		{srv.AdminURL, "/metrics", "", 200},
		{srv.AdminURL, "/healthz", "", 200},
		{srv.AdminURL, "/admin/", "", 200},
		{srv.AdminURL, "/admin/v1/businesses", "", 401},
		{srv.AdminURL, "/admin/v1/businesses", adminToken, 200},
		{srv.AdminURL, "/v1/me", "", 404},
		{srv.AdminURL, "/", "", 404},
		{srv.AdminURL, "/v23.0/1/messages", "", 404},
	} {
		if got, body := get(tt.base+tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s%s: got %d %.80s, want %d", tt.base, tt.path, got, body, tt.want)
		}
	}
	if _, body := get(srv.AdminURL+"/metrics", ""); !strings.Contains(body, "parley_") {
		t.Errorf("/metrics on the operator listener: got %.200s, want Parley's metrics", body)
	}
}

// TestOperatorListenerOff: AdminAddrOff starts no operator listener.
func TestOperatorListenerOff(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.AdminAddr = server.AdminAddrOff }))
	if srv.AdminURL != "" {
		t.Errorf("AdminURL: got %q, want none", srv.AdminURL)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /metrics on the public listener: got %d, want 404", resp.StatusCode)
	}
}

// TestServesTLS: with a certificate the public listener speaks HTTPS and
// every answer carries Strict-Transport-Security.
func TestServesTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) {
		o.TLS = server.TLSOptions{CertFile: certFile, KeyFile: keyFile}
	}))
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("URL: got %q, want https", srv.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"/healthz", "/", "/v1/me"} {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", path, err)
		}
		resp.Body.Close()
		if resp.TLS == nil {
			t.Errorf("GET %s: not over TLS", path)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s: Strict-Transport-Security %q, want max-age=31536000", path, got)
		}
	}
	// Plain HTTP on the TLS port is refused, not served.
	plain := "http://" + strings.TrimPrefix(srv.URL, "https://")
	if resp, err := http.Get(plain + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP on the TLS listener: got 200, want it refused")
		}
	}
	if _, err := server.Start(context.Background(), server.Options{DataDir: t.TempDir(), Addr: "127.0.0.1:0",
		AdminAddr: server.AdminAddrOff, TLS: server.TLSOptions{CertFile: certFile}}); err == nil {
		t.Errorf("start with a certificate and no key: got no error")
	}
}

// TestForwardedProto: HSTS follows X-Forwarded-Proto from a trusted proxy
// only; anyone else's header is ignored.
func TestForwardedProto(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		proto   string
		want    bool
	}{
		{"untrusted peer", nil, "https", false},
		{"trusted proxy says https", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "https", true},
		{"trusted proxy says http", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "http", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.TrustedProxies = tt.trusted }))
			req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
			req.Header.Set("X-Forwarded-Proto", tt.proto)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security") != ""; got != tt.want {
				t.Errorf("HSTS sent: got %v, want %v", got, tt.want)
			}
		})
	}
}

// selfSigned writes a certificate for 127.0.0.1 and localhost and its
// key, and returns their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "parley test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
