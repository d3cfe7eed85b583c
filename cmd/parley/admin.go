package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/server"
)

const adminUsage = `parley admin: the operator's commands, through the admin HTTP API

  parley admin [--server URL] [--token TOKEN] COMMAND ...

  business create --name N [--category C] [--description D] [--address A] [--website W]
  business list | show ID | verify ID | unverify ID | rotate-secret ID
  business webhook ID --url URL --verify-token T    (the URL must pass the GET handshake)
  number add BUSINESS --phone +E164 [--name DISPLAY]
  number list BUSINESS
  number set NUMBER [--throughput N] [--tier N] [--status CONNECTED|PAUSED]
  token create BUSINESS [--name N] [--ttl 1440h|never]
  token list BUSINESS | token revoke BUSINESS TOKEN_ID
  template queue | template approve ID [--category C] | template reject ID [--reason R]
  usage BUSINESS
  webhooks BUSINESS | webhook replay BUSINESS WEBHOOK_ID

The server and token default to $PARLEY_ADMIN_URL (http://127.0.0.1:8081,
the server's operator listener, --admin-addr)
and $PARLEY_ADMIN_TOKEN; the server takes its token from --admin-token or
$PARLEY_ADMIN_TOKEN.
`

// admin runs `parley admin ...`: a thin client of /admin/v1/ that prints
// the JSON answers.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	usageOnce(fs, stderr)
	server := fs.String("server", envOr(getenv, "PARLEY_ADMIN_URL", "http://"+server.DefaultAdminAddr), "base URL of the server's operator listener (env PARLEY_ADMIN_URL)")
	token := fs.String("token", getenv("PARLEY_ADMIN_TOKEN"), "admin token (env PARLEY_ADMIN_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 2 && !(len(rest) == 1 && rest[0] == "help") {
		fmt.Fprint(stderr, adminUsage)
		return errors.New("admin: name a command")
	}
	if rest[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	c := adminClient{base: strings.TrimRight(*server, "/"), token: *token, out: stdout, hc: &http.Client{Timeout: 30 * time.Second}}
	cmd, sub, more := rest[0], rest[1], rest[2:]
	id := func(i int) (string, error) {
		if len(more) <= i {
			return "", fmt.Errorf("admin %s %s: missing id", cmd, sub)
		}
		if _, err := strconv.ParseInt(more[i], 10, 64); err != nil {
			return "", fmt.Errorf("admin %s %s: %q is not an id", cmd, sub, more[i])
		}
		return more[i], nil
	}
	sub1 := func(build func(fs *flag.FlagSet) func() map[string]any, skip int) (map[string]any, error) {
		fs := commandFlags("admin "+cmd+" "+sub, "", stderr)
		body := build(fs)
		if err := fs.Parse(more[min(skip, len(more)):]); err != nil {
			return nil, err
		}
		return body(), nil
	}
	switch cmd + " " + sub {
	case "business create":
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			name := fs.String("name", "", "business name")
			cat := fs.String("category", "", "category")
			desc := fs.String("description", "", "description")
			addr := fs.String("address", "", "address")
			web := fs.String("website", "", "website")
			return func() map[string]any {
				return map[string]any{"name": *name, "category": *cat, "description": *desc, "address": *addr, "website": *web}
			}
		}, 0)
		if err != nil {
			return err
		}
		return c.do(ctx, "POST", "/admin/v1/businesses", body)
	case "business list":
		return c.do(ctx, "GET", "/admin/v1/businesses", nil)
	case "business show", "business verify", "business unverify", "business rotate-secret":
		b, err := id(0)
		if err != nil {
			return err
		}
		switch sub {
		case "show":
			return c.do(ctx, "GET", "/admin/v1/businesses/"+b, nil)
		case "rotate-secret":
			return c.do(ctx, "POST", "/admin/v1/businesses/"+b+"/app_secret", nil)
		}
		return c.do(ctx, "PATCH", "/admin/v1/businesses/"+b, map[string]any{"verified": sub == "verify"})
	case "business webhook":
		b, err := id(0)
		if err != nil {
			return err
		}
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			u := fs.String("url", "", "callback URL")
			vt := fs.String("verify-token", "", "verify token")
			return func() map[string]any { return map[string]any{"callback_url": *u, "verify_token": *vt} }
		}, 1)
		if err != nil {
			return err
		}
		return c.do(ctx, "PUT", "/admin/v1/businesses/"+b+"/webhook", body)
	case "number add":
		b, err := id(0)
		if err != nil {
			return err
		}
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			p := fs.String("phone", "", "E.164 number")
			n := fs.String("name", "", "display name")
			return func() map[string]any { return map[string]any{"phone": *p, "display_name": *n} }
		}, 1)
		if err != nil {
			return err
		}
		return c.do(ctx, "POST", "/admin/v1/businesses/"+b+"/numbers", body)
	case "number list":
		b, err := id(0)
		if err != nil {
			return err
		}
		return c.do(ctx, "GET", "/admin/v1/businesses/"+b+"/numbers", nil)
	case "number set":
		n, err := id(0)
		if err != nil {
			return err
		}
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			tp := fs.Int("throughput", -1, "messages per second (0: server default)")
			tier := fs.Int("tier", -1, "messaging limit: unique customers per 24 h (0: unlimited)")
			st := fs.String("status", "", "CONNECTED, FLAGGED or PAUSED")
			return func() map[string]any {
				m := map[string]any{}
				if *tp >= 0 {
					m["throughput"] = *tp
				}
				if *tier >= 0 {
					m["tier_limit"] = *tier
				}
				if *st != "" {
					m["status"] = *st
				}
				return m
			}
		}, 1)
		if err != nil {
			return err
		}
		return c.do(ctx, "PATCH", "/admin/v1/numbers/"+n, body)
	case "token create":
		b, err := id(0)
		if err != nil {
			return err
		}
		var ttlErr error
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			name := fs.String("name", "", "token name")
			ttl := fs.String("ttl", "", "lifetime such as 1440h, or never (default: the server's)")
			return func() map[string]any {
				m := map[string]any{"name": *name}
				switch *ttl {
				case "":
				case "never":
					m["ttl_seconds"] = -1
				default:
					d, err := time.ParseDuration(*ttl)
					if err != nil || d <= 0 {
						ttlErr = fmt.Errorf("admin token create: bad --ttl %q", *ttl)
					}
					m["ttl_seconds"] = int64(d / time.Second)
				}
				return m
			}
		}, 1)
		if err != nil {
			return err
		}
		if ttlErr != nil {
			return ttlErr
		}
		return c.do(ctx, "POST", "/admin/v1/businesses/"+b+"/tokens", body)
	case "token list":
		b, err := id(0)
		if err != nil {
			return err
		}
		return c.do(ctx, "GET", "/admin/v1/businesses/"+b+"/tokens", nil)
	case "token revoke":
		b, err := id(0)
		if err != nil {
			return err
		}
		t, err := id(1)
		if err != nil {
			return err
		}
		return c.do(ctx, "DELETE", "/admin/v1/businesses/"+b+"/tokens/"+t, nil)
	case "template queue":
		return c.do(ctx, "GET", "/admin/v1/templates", nil)
	case "template approve", "template reject":
		t, err := id(0)
		if err != nil {
			return err
		}
		body, err := sub1(func(fs *flag.FlagSet) func() map[string]any {
			r := fs.String("reason", "", "rejection reason, e.g. PROMOTIONAL")
			cat := fs.String("category", "", "change the category (MARKETING, UTILITY, AUTHENTICATION): the business gets template_category_update")
			return func() map[string]any {
				st := "APPROVED"
				if sub == "reject" {
					st = "REJECTED"
				}
				body := map[string]any{"status": st, "reason": *r}
				if *cat != "" {
					body["category"] = *cat
				}
				return body
			}
		}, 1)
		if err != nil {
			return err
		}
		return c.do(ctx, "POST", "/admin/v1/templates/"+t+"/review", body)
	case "webhook replay":
		b, err := id(0)
		if err != nil {
			return err
		}
		w, err := id(1)
		if err != nil {
			return err
		}
		return c.do(ctx, "POST", "/admin/v1/businesses/"+b+"/webhooks/"+w+"/replay", nil)
	}
	switch cmd {
	case "usage", "webhooks":
		if _, err := strconv.ParseInt(sub, 10, 64); err != nil {
			return fmt.Errorf("admin %s: %q is not a business id", cmd, sub)
		}
		return c.do(ctx, "GET", "/admin/v1/businesses/"+sub+"/"+cmd, nil)
	}
	fmt.Fprint(stderr, adminUsage)
	return fmt.Errorf("admin: unknown command %q", cmd+" "+sub)
}

type adminClient struct {
	base, token string
	out         io.Writer
	hc          *http.Client
}

// do sends one request and prints the answer's JSON, indented.
func (c adminClient) do(ctx context.Context, method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("admin: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("admin: %s (%s)", e.Error.Message, e.Error.Code)
		}
		return fmt.Errorf("admin: %s %s: status %d", method, path, resp.StatusCode)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		fmt.Fprintln(c.out, "ok")
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		_, err := c.out.Write(b)
		return err
	}
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
