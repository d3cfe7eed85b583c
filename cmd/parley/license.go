package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	revenuepkg "github.com/parleyhq/parley/revenue"
)

const licenseUsage = `parley license: licence keys of self-hosted enterprise deployments

  parley license keygen --key vendor.key --pub vendor.pub
      make a vendor key pair (keep vendor.key secret and offline)
  parley license issue --key vendor.key --customer NAME --seats N --expires YYYY-MM-DD
                       [--features a,b] [--id ID] [--out FILE]
      sign a licence (to stdout unless --out)
  parley license verify [--pub vendor.pub] FILE
      check a licence's signature and print it

A server checks its licence at start: parley serve --license FILE
[--license-pubkey vendor.pub]. See docs/REVENUE-MODELS.md.
`

// license runs the licence subcommands.
func license(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" {
		fmt.Fprint(stdout, licenseUsage)
		return nil
	}
	fs := commandFlags("license "+args[0], "", stderr)
	switch args[0] {
	case "keygen":
		key := fs.String("key", "vendor.key", "where to write the signing key")
		pub := fs.String("pub", "vendor.pub", "where to write the public key")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		priv, public, err := revenuepkg.NewLicenseKey()
		if err != nil {
			return err
		}
		if err := writeNew(*key, priv, 0o600); err != nil {
			return err
		}
		if err := writeNew(*pub, public, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (secret) and %s\n", *key, *pub)
		return nil
	case "issue":
		key := fs.String("key", "", "the vendor's signing key (required)")
		customer := fs.String("customer", "", "who the licence is for (required)")
		seats := fs.Int64("seats", 0, "how many accounts of people (required)")
		expires := fs.String("expires", "", "expiry date YYYY-MM-DD (UTC, end of day) or RFC 3339 time (required)")
		features := fs.String("features", "", "comma-separated feature names")
		id := fs.String("id", "", "licence id; random when empty")
		out := fs.String("out", "", "write the licence here instead of stdout")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *key == "" || *customer == "" || *seats < 1 || *expires == "" {
			return errors.New("license issue: --key, --customer, --seats (at least 1) and --expires are required")
		}
		exp, err := parseExpiry(*expires)
		if err != nil {
			return err
		}
		kb, err := os.ReadFile(*key)
		if err != nil {
			return fmt.Errorf("read signing key: %w", err)
		}
		priv, err := revenuepkg.ParseLicenseSigningKey(kb)
		if err != nil {
			return fmt.Errorf("%s: %w", *key, err)
		}
		if *id == "" {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			*id = "lic_" + hex.EncodeToString(b)
		}
		l := revenuepkg.License{ID: *id, Customer: *customer, Seats: *seats, IssuedAt: time.Now().UTC().Truncate(time.Second),
			ExpiresAt: exp, Features: splitList(*features)}
		data, err := revenuepkg.SignLicense(priv, l)
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = stdout.Write(data)
			return err
		}
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			return fmt.Errorf("write licence: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s: %s, %d seats, expires %s\n", *out, *customer, *seats, exp.Format(time.RFC3339))
		return nil
	case "verify":
		pub := fs.String("pub", "", "the vendor's public key; the built-in one when empty")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("license verify: name one licence file")
		}
		pemKey := []byte(revenuepkg.DefaultLicensePublicKey)
		if *pub != "" {
			b, err := os.ReadFile(*pub)
			if err != nil {
				return fmt.Errorf("read public key: %w", err)
			}
			pemKey = b
		}
		pk, err := revenuepkg.ParseLicensePublicKey(pemKey)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("read licence: %w", err)
		}
		l, err := revenuepkg.VerifyLicense(data, pk)
		if err != nil {
			return errors.New(parley.ErrorMessage(err))
		}
		state := "valid"
		if l.Expired(time.Now()) {
			state = "EXPIRED"
		}
		fmt.Fprintf(stdout, "%s licence %s for %s: %d seats, expires %s, features [%s]\n", state, l.ID, l.Customer, l.Seats,
			l.ExpiresAt.Format(time.RFC3339), strings.Join(l.Features, ","))
		return nil
	}
	return fmt.Errorf("license: unknown command %q (parley license help)", args[0])
}

// parseExpiry reads a date (the licence runs to the end of that UTC day)
// or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--expires %q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func splitList(s string) []string {
	out := []string{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
