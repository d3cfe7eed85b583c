// Package nats owns Parley's event bus: it implements parley.Bus on NATS,
// either on a nats-server embedded in this process (the default, with
// JetStream and no TCP port) or on an external NATS server or cluster.
//
// It imports the root parley package and the NATS libraries, and no other
// Parley package. The Bus owns its connection and, in embedded mode, its
// server; Close stops both.
package nats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultName         = "parley"
	DefaultListenHost   = "127.0.0.1"
	DefaultPendingMsgs  = 1 << 20   // per subscription
	DefaultPendingBytes = 512 << 20 // per subscription
	DefaultReadyTimeout = 10 * time.Second

	reconnectBufSize = 32 << 20 // publishes buffered while reconnecting
	drainTimeout     = 5 * time.Second
	pingTimeout      = 2 * time.Second
)

// Options configures a Bus. The zero value, plus DataDir, is a
// single-node embedded server that opens no port.
type Options struct {
	// URL of an external NATS server, or a comma-separated list of a
	// cluster's servers ("nats://a:4222,nats://b:4222"). When set, no
	// server is embedded and the fields below URL, except the pending
	// limits, are ignored.
	URL string
	// SubjectPrefix, when set, is put (with a dot) before every subject the
	// Bus publishes or subscribes to, and taken off again before a
	// subscriber sees it: deployments (or test servers) with their own
	// databases can then share one NATS without receiving each other's
	// events, whose subjects hold only account and device ids. Nodes of
	// one deployment use the same prefix.
	SubjectPrefix string
	// Name identifies this node's connection in NATS monitoring.
	// Default DefaultName.
	Name string

	// DataDir holds the embedded server's JetStream files (in
	// DataDir/nats/jetstream). Required when URL is empty.
	DataDir string
	// ServerName names the embedded server. Leave empty for a single
	// node; JetStream clustering requires a stable, unique name per node.
	ServerName string
	// ListenHost is the interface the embedded server listens on when
	// ListenPort or ClusterPort is set. Default DefaultListenHost
	// (loopback): the server has no authentication, so exposing it is an
	// explicit choice.
	ListenHost string
	// ListenPort, when non-zero, makes the embedded server accept client
	// connections on ListenHost:ListenPort, so that other nodes or tools
	// can connect with a URL. -1 picks a free port (for tests). Zero, the
	// default, opens no client port: this process talks to the server
	// through an in-memory pipe.
	ListenPort int
	// ClusterName names the NATS cluster the embedded server belongs to.
	// Required with ClusterPort.
	ClusterName string
	// ClusterPort, when non-zero, makes the embedded server accept route
	// connections from its cluster peers on ListenHost:ClusterPort. -1
	// picks a free port (for tests). It requires ListenPort: nats-server
	// starts routing only once its client listener is open.
	ClusterPort int
	// Routes are the cluster peers' route URLs ("nats://10.0.0.2:6222").
	Routes []string
	// ReadyTimeout bounds how long Open waits for the embedded server.
	// Default DefaultReadyTimeout.
	ReadyTimeout time.Duration

	// PendingMsgs and PendingBytes bound each subscription's queue of
	// messages not yet handled; beyond them messages are dropped and a
	// slow-consumer error is logged. Defaults DefaultPendingMsgs and
	// DefaultPendingBytes.
	PendingMsgs  int
	PendingBytes int
}

// Bus is a parley.Bus on one NATS connection. It is safe for concurrent
// use. Close it to drain the connection and stop the embedded server.
type Bus struct {
	nc  *natsgo.Conn
	js  jetstream.JetStream
	srv *server.Server // nil when connected to an external server
	log *slog.Logger

	pendingMsgs  int
	pendingBytes int
	prefix       string // Options.SubjectPrefix and a dot, or ""

	closed    chan struct{} // closed by the connection's ClosedHandler
	closeOnce sync.Once
	closeErr  error

	watchMu sync.Mutex
	onDown  []func() // WatchOutages
	onUp    []func()
}

// WatchOutages calls down when the connection to the NATS server is lost
// and up once it is back (on the same or another server of the cluster).
// Messages published to this connection's subscriptions in between are
// lost (core NATS is at most once): a subscriber that must not miss
// anything catches up from its store on up. An embedded server's
// connection is in-process and never drops.
func (b *Bus) WatchOutages(down, up func()) {
	b.watchMu.Lock()
	defer b.watchMu.Unlock()
	b.onDown = append(b.onDown, down)
	b.onUp = append(b.onUp, up)
}

// outage runs the down or up watchers.
func (b *Bus) outage(up bool) {
	b.watchMu.Lock()
	fns := b.onDown
	if up {
		fns = b.onUp
	}
	fns = slices.Clone(fns)
	b.watchMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

var _ chat.Bus = (*Bus)(nil)

// Open connects to the NATS server at opts.URL or, when it is empty,
// starts an embedded server with JetStream and connects to it in-process.
// ctx bounds the start-up only. A nil log discards log lines.
func Open(ctx context.Context, opts Options, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "nats")
	b := &Bus{
		log:          log,
		pendingMsgs:  cmp.Or(opts.PendingMsgs, DefaultPendingMsgs),
		pendingBytes: cmp.Or(opts.PendingBytes, DefaultPendingBytes),
		closed:       make(chan struct{}),
	}
	if opts.SubjectPrefix != "" {
		b.prefix = opts.SubjectPrefix + "."
	}

	copts := []natsgo.Option{
		natsgo.Name(cmp.Or(opts.Name, DefaultName)),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(time.Second),
		natsgo.ReconnectBufSize(reconnectBufSize),
		natsgo.PingInterval(20 * time.Second),
		natsgo.DrainTimeout(drainTimeout),
		natsgo.ErrorHandler(b.asyncError),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
			b.outage(false)
		}),
		natsgo.ReconnectHandler(func(nc *natsgo.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
			b.outage(true)
		}),
		natsgo.ClosedHandler(func(*natsgo.Conn) { close(b.closed) }),
	}
	if dl, ok := ctx.Deadline(); ok {
		copts = append(copts, natsgo.Timeout(time.Until(dl)))
	}

	url := opts.URL
	if url == "" {
		srv, err := startServer(ctx, opts, log)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		copts = append(copts, natsgo.InProcessServer(srv))
	}

	nc, err := natsgo.Connect(url, copts...)
	if err != nil {
		b.stopServer()
		if url == "" {
			return nil, fmt.Errorf("connect to embedded nats: %w", err)
		}
		return nil, fmt.Errorf("connect to nats %s: %w", redact(url), err)
	}
	b.nc = nc

	js, err := jetstream.New(nc)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	b.js = js

	if b.srv != nil {
		log.Info("embedded nats started", "server", b.srv.Name(), "listen", addrString(b.srv.Addr()), "cluster", opts.ClusterName)
	} else {
		log.Info("nats connected", "url", nc.ConnectedUrlRedacted())
	}
	return b, nil
}

// startServer starts an embedded nats-server and waits until it accepts
// connections.
func startServer(ctx context.Context, opts Options, log *slog.Logger) (*server.Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("start embedded nats: DataDir is required")
	}
	if opts.ClusterPort != 0 && opts.ListenPort == 0 {
		// With DontListen, nats-server never starts routing and then
		// hangs in Shutdown; refuse instead.
		return nil, errors.New("start embedded nats: ClusterPort requires ListenPort")
	}
	host := cmp.Or(opts.ListenHost, DefaultListenHost)
	sopts := &server.Options{
		ServerName: opts.ServerName,
		Host:       host,
		Port:       opts.ListenPort,
		DontListen: opts.ListenPort == 0,
		JetStream:  true,
		StoreDir:   filepath.Join(opts.DataDir, "nats"),
		NoSigs:     true, // signals belong to main
		Cluster: server.ClusterOpts{
			Name: opts.ClusterName,
			Host: host,
			Port: opts.ClusterPort,
		},
	}
	if len(opts.Routes) > 0 {
		sopts.Routes = server.RoutesFromStr(strings.Join(opts.Routes, ","))
	}

	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats: %w", err)
	}
	sl := serverLogger{log: log, fatal: make(chan error, 1)}
	srv.SetLoggerV2(sl, log.Enabled(ctx, slog.LevelDebug), false, false)
	srv.Start()

	timeout := cmp.Or(opts.ReadyTimeout, DefaultReadyTimeout)
	deadline := time.Now().Add(timeout)
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		err := ctx.Err()
		select {
		case err = <-sl.fatal:
		default:
		}
		if err == nil && time.Now().After(deadline) {
			err = fmt.Errorf("not ready after %s", timeout)
		}
		if err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("start embedded nats: %w", err)
		}
	}
	select {
	case err := <-sl.fatal:
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("start embedded nats: %w", err)
	default:
	}
	return srv, nil
}

// Publish sends data on subject. While the connection to an external
// server is re-established, messages are buffered (up to 32 MiB).
func (b *Bus) Publish(subject string, data []byte) error {
	if err := b.nc.Publish(b.prefix+subject, data); err != nil {
		return fmt.Errorf("publish %q: %w", subject, err)
	}
	return nil
}

// Subscribe calls fn for each message on subject, which may contain the
// wildcards * and >. fn runs on one goroutine per subscription, so
// messages on one subscription arrive in order; fn may keep data. A slow
// fn queues messages up to the pending limits, then messages are dropped
// and the drop is logged. The returned function stops delivery; calling it
// again, or after Close, does nothing.
func (b *Bus) Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func() error, err error) {
	sub, err := b.nc.Subscribe(b.prefix+subject, func(m *natsgo.Msg) { fn(strings.TrimPrefix(m.Subject, b.prefix), m.Data) })
	if err != nil {
		return nil, fmt.Errorf("subscribe %q: %w", subject, err)
	}
	if err := sub.SetPendingLimits(b.pendingMsgs, b.pendingBytes); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe %q: set pending limits: %w", subject, err)
	}
	var once sync.Once
	var uerr error
	return func() error {
		once.Do(func() {
			err := sub.Unsubscribe()
			if err != nil && !errors.Is(err, natsgo.ErrConnectionClosed) && !errors.Is(err, natsgo.ErrBadSubscription) {
				uerr = fmt.Errorf("unsubscribe %q: %w", subject, err)
			}
		})
		return uerr
	}, nil
}

// Flush waits until the server has received everything published so far.
// Without a deadline in ctx it waits at most a few seconds.
func (b *Bus) Flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pingTimeout)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("flush nats: %w", err)
	}
	return nil
}

// JetStream returns the JetStream API on the bus's connection, for
// features that need persistence.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Ping reports whether the bus is usable, for readiness checks: the
// connection must be established and the server must answer a round
// trip within ctx (or a few seconds). It returns EUnavailable otherwise.
func (b *Bus) Ping(ctx context.Context) error {
	if st := b.nc.Status(); st != natsgo.CONNECTED {
		return &parley.Error{Code: parley.EUnavailable, Message: "event bus unavailable", Err: fmt.Errorf("nats connection is %s", st)}
	}
	if err := b.Flush(ctx); err != nil {
		return &parley.Error{Code: parley.EUnavailable, Message: "event bus unavailable", Err: err}
	}
	return nil
}

// Close drains the connection, so that messages already received are
// handled by their subscribers, then shuts down the embedded server, if
// any, and waits for it. Later calls return the first call's result.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Bus) close() error {
	var errs []error
	if err := b.nc.Drain(); err != nil && !errors.Is(err, natsgo.ErrConnectionClosed) {
		errs = append(errs, fmt.Errorf("drain nats: %w", err))
		b.nc.Close()
	}
	select {
	case <-b.closed:
	case <-time.After(drainTimeout + time.Second):
		// Drain closes on its own timeout; this is a backstop.
		b.nc.Close()
		errs = append(errs, errors.New("drain nats: timed out"))
	}
	b.stopServer()
	return errors.Join(errs...)
}

func (b *Bus) stopServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

// asyncError logs errors that the connection reports outside a call,
// above all slow consumers, which mean dropped messages.
func (b *Bus) asyncError(_ *natsgo.Conn, sub *natsgo.Subscription, err error) {
	if sub == nil {
		b.log.Error("nats error", "err", err)
		return
	}
	dropped, _ := sub.Dropped()
	msgs, bytes, _ := sub.Pending()
	if errors.Is(err, natsgo.ErrSlowConsumer) {
		b.log.Warn("nats slow consumer: messages dropped", "subject", sub.Subject, "dropped", dropped, "pending_msgs", msgs, "pending_bytes", bytes)
		return
	}
	b.log.Error("nats subscription error", "subject", sub.Subject, "err", err)
}

// serverLogger sends the embedded server's log lines to slog. The server's
// notices (its start-up banner, mostly) go to Debug so that they don't
// crowd Parley's own log. Fatalf does not exit, because only main exits:
// it logs, and hands the first fatal error to startServer, which fails.
type serverLogger struct {
	log   *slog.Logger
	fatal chan error // buffered, 1
}

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any) {
	err := fmt.Errorf(format, v...)
	l.log.Error(err.Error())
	select {
	case l.fatal <- err:
	default:
	}
}
func (l serverLogger) Errorf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }

func addrString(a net.Addr) string {
	if a == nil {
		return "none"
	}
	return a.String()
}

// redact hides passwords and tokens in a URL list before it is logged or
// put in an error.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "redacted" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}
