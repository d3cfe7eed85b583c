// Command parley is Parley's single binary: the server (serve, migrate),
// the benchmark (bench) and a command-line client for people (login, send,
// chats, listen, ...). main only wires: it calls run, which returns an
// error instead of exiting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/clientaddr"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

const usage = `parley: a messaging platform, free for people

Server and operator:
` + operatorUsage + `
Client (try two terminals with --profile alice / --profile bob):
  parley login, logout, whoami, profile, lookup, devices, block, unblock,
  chats, chat, group, send, reply, react, edit, delete, read, inbox,
  listen, channel, safety-number, verify      (parley help for details)

  parley --version   print the version
`

// operatorUsage lists the server's and the operator's commands; parley -h
// and parley help both show it.
const operatorUsage = `  parley serve     run the server (SQLite and embedded NATS by default; parley serve -h)
  parley migrate   apply the database schema and exit
  parley backup    copy a running SQLite deployment (parley backup -h)
  parley restore   restore a backup into a new data directory
  parley bench     run a benchmark (parley bench messaging -h)
  parley admin     the operator's business commands (parley admin help)
  parley license   licence keys of self-hosted deployments (parley license help)
  parley revenue   replay the usage ledger under another pricing model (parley revenue help)
  parley webhook-listen [--addr A]   print the webhooks a business receives (to try the Cloud API)
  parley demo busline   a bus company that sells seats in the chat, beside the server (docs/DEMO-BUSLINE.md)
`

// run is the whole program. args excludes the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "admin":
		return admin(ctx, args[1:], getenv, stdout, stderr)
	case "license":
		return license(args[1:], stdout, stderr)
	case "revenue":
		return revenue(ctx, args[1:], getenv, stdout, stderr)
	case "webhook-listen":
		return webhookListen(ctx, args[1:], stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version())
		return nil
	}
	return runCLI(ctx, args, getenv, stdin, stdout, stderr)
}

// envOr returns the environment value of key, or def.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(getenv func(string) string, key string, def int) int {
	if v, err := strconv.Atoi(getenv(key)); err == nil {
		return v
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(getenv(key)); err == nil {
		return v
	}
	return def
}

// serverFlags defines the flags shared by serve and migrate; each flag's
// default comes from its environment variable.
func serverFlags(fs *flag.FlagSet, getenv func(string) string, o *server.Options) (logLevel, logFormat *string) {
	fs.StringVar(&o.DataDir, "data", envOr(getenv, "PARLEY_DATA_DIR", "parley-data"), "data directory: SQLite database, media, NATS state (env PARLEY_DATA_DIR)")
	fs.StringVar(&o.PostgresDSN, "postgres", getenv("PARLEY_POSTGRES_DSN"), "PostgreSQL DSN; SQLite when empty (env PARLEY_POSTGRES_DSN)")
	logLevel = fs.String("log-level", envOr(getenv, "PARLEY_LOG_LEVEL", "info"), "debug, info, warn or error (env PARLEY_LOG_LEVEL)")
	logFormat = fs.String("log-format", envOr(getenv, "PARLEY_LOG_FORMAT", "json"), "json or text (env PARLEY_LOG_FORMAT)")
	return logLevel, logFormat
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad log level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("bad log format %q", format)
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := commandFlags("serve", "", stderr)
	var o server.Options
	logLevel, logFormat := serverFlags(fs, getenv, &o)
	fs.StringVar(&o.Addr, "addr", envOr(getenv, "PARLEY_ADDR", ":8080"), "public HTTP and WebSocket listen address (env PARLEY_ADDR)")
	fs.StringVar(&o.AdminAddr, "admin-addr", envOr(getenv, "PARLEY_ADMIN_ADDR", server.DefaultAdminAddr), "operator listen address: /metrics, the admin API (/admin/v1) and the operator console (/admin/), which the public address does not serve; \""+server.AdminAddrOff+"\" for none (env PARLEY_ADMIN_ADDR)")
	fs.StringVar(&o.TLS.CertFile, "tls-cert", getenv("PARLEY_TLS_CERT"), "serve HTTPS on --addr with this PEM certificate chain (and --tls-key), with HSTS (env PARLEY_TLS_CERT)")
	fs.StringVar(&o.TLS.KeyFile, "tls-key", getenv("PARLEY_TLS_KEY"), "the PEM key of --tls-cert (env PARLEY_TLS_KEY)")
	acmeDomains := fs.String("acme-domains", getenv("PARLEY_ACME_DOMAINS"), "serve HTTPS on --addr (which must be reachable on port 443) with certificates obtained automatically from Let's Encrypt for these comma-separated domains, cached in <data>/acme; instead of --tls-cert (env PARLEY_ACME_DOMAINS)")
	fs.StringVar(&o.TLS.ACMEEmail, "acme-email", getenv("PARLEY_ACME_EMAIL"), "contact address for the certificate authority (env PARLEY_ACME_EMAIL)")
	fs.StringVar(&o.TLS.ACMEDirectoryURL, "acme-directory", getenv("PARLEY_ACME_DIRECTORY"), "ACME directory URL; Let's Encrypt's production directory when empty (env PARLEY_ACME_DIRECTORY)")
	fs.StringVar(&o.NATS.URL, "nats", getenv("PARLEY_NATS_URL"), "external NATS URL(s), comma-separated; embedded server when empty (env PARLEY_NATS_URL)")
	fs.StringVar(&o.NATS.SubjectPrefix, "nats-prefix", getenv("PARLEY_NATS_PREFIX"), "prefix for every bus subject, so deployments can share one NATS; the same on every node of a deployment (env PARLEY_NATS_PREFIX)")
	fs.IntVar(&o.NATS.ListenPort, "nats-port", envInt(getenv, "PARLEY_NATS_PORT", 0), "let the embedded NATS accept clients on this port; none when 0 (env PARLEY_NATS_PORT)")
	fs.StringVar(&o.NATS.ClusterName, "nats-cluster", getenv("PARLEY_NATS_CLUSTER"), "embedded NATS cluster name (env PARLEY_NATS_CLUSTER)")
	fs.IntVar(&o.NATS.ClusterPort, "nats-cluster-port", envInt(getenv, "PARLEY_NATS_CLUSTER_PORT", 0), "embedded NATS route port (env PARLEY_NATS_CLUSTER_PORT)")
	routes := fs.String("nats-routes", getenv("PARLEY_NATS_ROUTES"), "embedded NATS cluster peers, comma-separated nats:// URLs (env PARLEY_NATS_ROUTES)")
	fs.StringVar(&o.NATS.ServerName, "nats-name", getenv("PARLEY_NATS_NAME"), "embedded NATS server name, unique per node in a cluster (env PARLEY_NATS_NAME)")
	fs.StringVar(&o.S3.Endpoint, "s3-endpoint", getenv("PARLEY_S3_ENDPOINT"), "keep media in an S3-compatible object store at this host[:port] (shared by the nodes of a cluster); <data>/media when empty (env PARLEY_S3_ENDPOINT)")
	fs.StringVar(&o.S3.Bucket, "s3-bucket", getenv("PARLEY_S3_BUCKET"), "the media bucket, which must exist (env PARLEY_S3_BUCKET)")
	fs.StringVar(&o.S3.Region, "s3-region", getenv("PARLEY_S3_REGION"), "the bucket's region, if the store needs one (env PARLEY_S3_REGION)")
	fs.StringVar(&o.S3.Prefix, "s3-prefix", getenv("PARLEY_S3_PREFIX"), "put before every object name, so deployments can share a bucket (env PARLEY_S3_PREFIX)")
	fs.BoolVar(&o.S3.Insecure, "s3-insecure", envBool(getenv, "PARLEY_S3_INSECURE"), "speak plain HTTP to the object store (loopback or a private network only) (env PARLEY_S3_INSECURE)")
	o.S3.AccessKey, o.S3.SecretKey = getenv("PARLEY_S3_ACCESS_KEY"), getenv("PARLEY_S3_SECRET_KEY") // not flags: they would show in ps
	fs.StringVar(&o.SMSGatewayURL, "sms-gateway", getenv("PARLEY_SMS_GATEWAY_URL"), "POST one-time codes to this URL; log them when empty (env PARLEY_SMS_GATEWAY_URL)")
	fs.StringVar(&o.SMSGatewayToken, "sms-gateway-token", getenv("PARLEY_SMS_GATEWAY_TOKEN"), "bearer token for the SMS gateway (env PARLEY_SMS_GATEWAY_TOKEN)")
	fs.StringVar(&o.AdminToken, "admin-token", getenv("PARLEY_ADMIN_TOKEN"), "token of the admin API (/admin/v1/); disabled when empty (env PARLEY_ADMIN_TOKEN)")
	bdef := business.Config{}.WithDefaults()
	fs.IntVar(&o.Business.Throughput, "business-throughput", envInt(getenv, "PARLEY_BUSINESS_THROUGHPUT", bdef.Throughput), "default messages per second per business number (env PARLEY_BUSINESS_THROUGHPUT)")
	fs.IntVar(&o.Business.Commerce.FeeBP, "commerce-fee-bp", envInt(getenv, "PARLEY_COMMERCE_FEE_BP", 0), "the operator's fee on each payment captured in a chat, in basis points of the amount (env PARLEY_COMMERCE_FEE_BP; docs/COMMERCE.md)")
	fs.Int64Var(&o.Business.Commerce.FeeFixedMinor, "commerce-fee-fixed", int64(envInt(getenv, "PARLEY_COMMERCE_FEE_FIXED", 0)), "the operator's fixed fee on each payment captured in a chat, in minor units of its currency (env PARLEY_COMMERCE_FEE_FIXED)")
	fs.BoolVar(&o.Business.TemplateRecategorize, "template-recategorize", envBool(getenv, "PARLEY_TEMPLATE_RECATEGORIZE"), "approve a UTILITY template with promotional wording as MARKETING (a template_category_update webhook) instead of rejecting it, as Meta does (env PARLEY_TEMPLATE_RECATEGORIZE)")
	fs.StringVar(&o.Stripe.Key, "stripe-key", getenv("PARLEY_STRIPE_KEY"), "Stripe secret key: take payments through Stripe; the sandbox when empty (env PARLEY_STRIPE_KEY)")
	fs.StringVar(&o.StripeWebhookSecret, "stripe-webhook-secret", getenv("PARLEY_STRIPE_WEBHOOK_SECRET"), "signing secret (whsec_...) of Stripe's payment callbacks to /v1/payments/stripe/events; not taken when empty (env PARLEY_STRIPE_WEBHOOK_SECRET)")
	fs.StringVar(&o.Stripe.URL, "stripe-url", getenv("PARLEY_STRIPE_URL"), "Stripe API base URL, for a local fake; Stripe's when empty (env PARLEY_STRIPE_URL)")
	fs.StringVar(&o.License.File, "license", getenv("PARLEY_LICENSE"), "licence file of a self-hosted enterprise deployment, verified at start; no seat limit when empty (env PARLEY_LICENSE)")
	fs.StringVar(&o.License.PublicKeyFile, "license-pubkey", getenv("PARLEY_LICENSE_PUBKEY"), "vendor public key (PEM) to verify the licence with; the built-in one when empty (env PARLEY_LICENSE_PUBKEY)")
	revenueFlags(fs, getenv, &o.Revenue)
	adsFlags(fs, getenv, &o.Ads)
	pushFlags(fs, getenv, &o.Push)
	limitFlags(fs, getenv, &o)
	allow := fs.String("webhook-allow", getenv("PARLEY_WEBHOOK_ALLOW"), "non-public addresses webhooks may reach, comma-separated CIDR prefixes (e.g. 127.0.0.0/8 for local development); only public ones when empty (env PARLEY_WEBHOOK_ALLOW)")
	secret := fs.String("secret", getenv("PARLEY_SECRET"), "server secret shared by all nodes; read from the data directory when empty (env PARLEY_SECRET)")
	// Flag defaults come from the config's one set of defaults, so the
	// help prints the effective value.
	c, def := &o.Config, chat.Config{}.WithDefaults()
	fs.IntVar(&c.MaxDevices, "max-devices", envInt(getenv, "PARLEY_MAX_DEVICES", def.MaxDevices), "linked devices per account (env PARLEY_MAX_DEVICES)")
	fs.IntVar(&c.MaxGroupMembers, "max-group-members", envInt(getenv, "PARLEY_MAX_GROUP_MEMBERS", def.MaxGroupMembers), "members per group (env PARLEY_MAX_GROUP_MEMBERS)")
	fs.DurationVar(&c.Retention, "retention", envDuration(getenv, "PARLEY_RETENTION", def.Retention), "how long an undelivered envelope is kept (env PARLEY_RETENTION)")
	fs.DurationVar(&c.EditWindow, "edit-window", envDuration(getenv, "PARLEY_EDIT_WINDOW", def.EditWindow), "how long a message can be edited (env PARLEY_EDIT_WINDOW)")
	fs.DurationVar(&c.DeleteWindow, "delete-window", envDuration(getenv, "PARLEY_DELETE_WINDOW", def.DeleteWindow), "how long a message can be deleted for everyone (env PARLEY_DELETE_WINDOW)")
	fs.IntVar(&c.CodeSendsPerRequester, "code-sends-per-requester", envInt(getenv, "PARLEY_CODE_SENDS_PER_REQUESTER", def.CodeSendsPerRequester), "codes sent to one number for one client address a day; -1 lifts the limit (env PARLEY_CODE_SENDS_PER_REQUESTER)")
	fs.IntVar(&c.CodeGuessesPerRequester, "code-guesses-per-requester", envInt(getenv, "PARLEY_CODE_GUESSES_PER_REQUESTER", def.CodeGuessesPerRequester), "code attempts on one number from one client address a day (env PARLEY_CODE_GUESSES_PER_REQUESTER)")
	fs.IntVar(&c.CodeGuessesPerNumber, "code-guesses-per-number", envInt(getenv, "PARLEY_CODE_GUESSES_PER_NUMBER", def.CodeGuessesPerNumber), "code attempts on one number from everyone a day; keep at most 49 (docs/SECURITY.md) (env PARLEY_CODE_GUESSES_PER_NUMBER)")
	fs.IntVar(&c.CodeBudgetPerPrefix, "code-budget-per-prefix", envInt(getenv, "PARLEY_CODE_BUDGET_PER_PREFIX", def.CodeBudgetPerPrefix), "codes sent to one country calling code a day, all nodes together (env PARLEY_CODE_BUDGET_PER_PREFIX)")
	fs.IntVar(&c.LookupsPerAccount, "lookups-per-account", envInt(getenv, "PARLEY_LOOKUPS_PER_ACCOUNT", def.LookupsPerAccount), "numbers one account may look up a day (env PARLEY_LOOKUPS_PER_ACCOUNT)")
	rateFlags := func(r *chat.Rate, d chat.Rate, name, env, what string) {
		fs.IntVar(&r.Burst, name, envInt(getenv, env, d.Burst), what+" at once, per node; -1 lifts the limit (env "+env+")")
		fs.DurationVar(&r.Every, name+"-every", envDuration(getenv, env+"_EVERY", d.Every), "then one more every this long (env "+env+"_EVERY)")
	}
	rateFlags(&c.CodeRequestsPerAddress, def.CodeRequestsPerAddress, "code-requests-per-address", "PARLEY_CODE_REQUESTS_PER_ADDRESS", "code requests from one client address")
	rateFlags(&c.VerifiesPerAddress, def.VerifiesPerAddress, "verifies-per-address", "PARLEY_VERIFIES_PER_ADDRESS", "code checks from one client address")
	rateFlags(&c.CodeRequestsTotal, def.CodeRequestsTotal, "code-requests-total", "PARLEY_CODE_REQUESTS_TOTAL", "code requests from everyone")
	trusted := fs.String("trusted-proxies", getenv("PARLEY_TRUSTED_PROXIES"), "reverse proxies whose X-Forwarded-For names the client address, comma-separated CIDR prefixes or addresses; none when empty (env PARLEY_TRUSTED_PROXIES)")
	var maxMedia int
	fs.IntVar(&maxMedia, "max-media-bytes", envInt(getenv, "PARLEY_MAX_MEDIA_BYTES", int(def.MaxMedia)), "largest media upload (env PARLEY_MAX_MEDIA_BYTES)")
	var mediaQuota int
	fs.IntVar(&mediaQuota, "media-quota-bytes", envInt(getenv, "PARLEY_MEDIA_QUOTA_BYTES", int(def.MediaQuota)), "bytes of media one account may keep uploaded, premium members 4× unless set; negative for none (env PARLEY_MEDIA_QUOTA_BYTES)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.MaxMedia = int64(maxMedia)
	c.MediaQuota = int64(mediaQuota)
	for _, d := range strings.Split(*acmeDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.TLS.ACMEDomains = append(o.TLS.ACMEDomains, d)
		}
	}
	if *trusted != "" {
		p, err := clientaddr.ParsePrefixes(*trusted)
		if err != nil {
			return err
		}
		o.TrustedProxies = p
	}
	if *allow != "" {
		p, err := webhook.ParseAllow(*allow)
		if err != nil {
			return err
		}
		o.WebhookAllow = p
	}
	if *routes != "" {
		o.NATS.Routes = strings.Split(*routes, ",")
	}
	if *secret != "" {
		o.Secret = []byte(*secret)
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	o.Logger = log
	srv, err := server.Start(ctx, o)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case <-waitChan(srv):
	}
	return srv.Shutdown(context.Background())
}

func waitChan(srv *server.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- srv.Wait() }()
	return ch
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := commandFlags("migrate", "", stderr)
	var o server.Options
	logLevel, logFormat := serverFlags(fs, getenv, &o)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, o)
	if err != nil {
		return err
	}
	log.Info("schema is up to date")
	return st.Close()
}
