package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errw)
	return out.String() + errw.String(), err
}

func TestLicenseCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, pub, lic := filepath.Join(dir, "vendor.key"), filepath.Join(dir, "vendor.pub"), filepath.Join(dir, "acme.license")
	if out, err := runOut(t, "license", "keygen", "--key", key, "--pub", pub); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	if _, err := runOut(t, "license", "keygen", "--key", key, "--pub", pub); err == nil {
		t.Fatal("keygen over an existing key: got nil error")
	}
	if out, err := runOut(t, "license", "issue", "--key", key, "--customer", "Acme GmbH", "--seats", "25",
		"--expires", "2099-12-31", "--features", "sso, audit", "--id", "lic_acme", "--out", lic); err != nil {
		t.Fatalf("issue: %v\n%s", err, out)
	}
	out, err := runOut(t, "license", "verify", "--pub", pub, lic)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if want := "valid licence lic_acme for Acme GmbH: 25 seats, expires 2100-01-01T00:00:00Z, features [sso,audit]"; !strings.Contains(out, want) {
		t.Fatalf("verify printed %q, want %q", out, want)
	}
	// The built-in vendor key does not accept it.
	if _, err := runOut(t, "license", "verify", lic); err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("verify with the built-in key: got %v, want bad signature", err)
	}
	// A tampered file is refused by verify and by serve.
	data, _ := os.ReadFile(lic)
	tampered := filepath.Join(dir, "tampered.license")
	os.WriteFile(tampered, bytes.Replace(data, []byte(`"payload": "`), []byte(`"payload": "eyJ`), 1), 0o600)
	if _, err := runOut(t, "license", "verify", "--pub", pub, tampered); err == nil {
		t.Fatal("verify of a tampered licence: got nil error")
	}
	out, err = runOut(t, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", t.TempDir(), "--license", tampered, "--license-pubkey", pub)
	if err == nil || !strings.Contains(err.Error(), "licence refused") {
		t.Fatalf("serve with a tampered licence: got %v, want refused\n%s", err, out)
	}
	if _, err := runOut(t, "license", "issue", "--key", key, "--customer", "x", "--seats", "0", "--expires", "2099-01-01"); err == nil {
		t.Fatal("issue with 0 seats: got nil error")
	}
}
