package main

import (
	"flag"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/server"
)

// limitFlags defines the connection and WebSocket limits
// (docs/SECURITY.md); 0 keeps a default, a negative value turns a limit
// off.
func limitFlags(fs *flag.FlagSet, getenv func(string) string, o *server.Options) {
	l, ws := &o.Limits, &o.WebSocket
	fs.DurationVar(&l.ReadTimeout, "read-timeout", envDuration(getenv, "PARLEY_READ_TIMEOUT", 0), "longest time to read a request, headers and body; default 30s (env PARLEY_READ_TIMEOUT)")
	fs.DurationVar(&l.WriteTimeout, "write-timeout", envDuration(getenv, "PARLEY_WRITE_TIMEOUT", 0), "longest time to write a response; default 30s (env PARLEY_WRITE_TIMEOUT)")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", envDuration(getenv, "PARLEY_IDLE_TIMEOUT", 0), "how long a kept-alive connection may wait for a request; default 2m (env PARLEY_IDLE_TIMEOUT)")
	fs.DurationVar(&l.UploadTimeout, "upload-timeout", envDuration(getenv, "PARLEY_UPLOAD_TIMEOUT", 0), "longest time to read a media or avatar upload; default 10m (env PARLEY_UPLOAD_TIMEOUT)")
	fs.DurationVar(&l.DownloadTimeout, "download-timeout", envDuration(getenv, "PARLEY_DOWNLOAD_TIMEOUT", 0), "longest time to write a media or avatar download; default 10m (env PARLEY_DOWNLOAD_TIMEOUT)")
	fs.IntVar(&l.MaxConnsPerAddr, "max-conns-per-addr", envInt(getenv, "PARLEY_MAX_CONNS_PER_ADDR", 0), "open connections per client address (IPv6: per /64), loopback exempt; default 256, -1 for none (env PARLEY_MAX_CONNS_PER_ADDR)")
	fs.IntVar(&ws.QueueBytes, "ws-queue-bytes", envInt(getenv, "PARLEY_WS_QUEUE_BYTES", 0), "bytes queued for a slow WebSocket reader before its session is closed; default 1 MiB (env PARLEY_WS_QUEUE_BYTES)")
	fs.Float64Var(&ws.FrameRate, "ws-frame-rate", 0, "WebSocket frames a client may send per second; default 20, burst 100")
	fs.IntVar(&ws.FrameBurst, "ws-frame-burst", envInt(getenv, "PARLEY_WS_FRAME_BURST", 0), "WebSocket frames a client may send at once; default 100 (env PARLEY_WS_FRAME_BURST)")
	fs.Func("ws-transport", "how WebSockets on plain TCP are served: readiness (epoll on Linux, no goroutine or buffer per idle socket; the default) or goroutine (one reader goroutine per socket); TLS that parley terminates always uses goroutine (env PARLEY_WS_TRANSPORT)", func(v string) error {
		o.WebSocketTransport = gateway.Transport(v)
		return nil
	})
	o.WebSocketTransport = gateway.Transport(getenv("PARLEY_WS_TRANSPORT"))
}
