package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/demo/busline"
	"github.com/parleyhq/parley/internal/server"
)

const demoUsage = `parley demo: demo businesses that use only the public APIs

  parley demo busline [flags]   a bus company: book a seat, pay, get a PDF
                                ticket, cancel for a refund, in one chat
                                (docs/DEMO-BUSLINE.md; parley demo busline -h)
`

// demo runs `parley demo NAME`: a business that runs beside the server,
// as its own process, and talks to it only over HTTP.
func demo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "busline" {
		fmt.Fprint(stderr, demoUsage)
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errors.New("demo: name a demo (busline)")
	}
	fs := commandFlags("demo busline", "", stderr)
	var o busline.Options
	fs.StringVar(&o.ServerURL, "server", envOr(getenv, "PARLEY_SERVER", defaultServer), "the server's public URL (env PARLEY_SERVER)")
	fs.StringVar(&o.Token, "token", getenv("BUSLINE_TOKEN"), "the business's system token; when empty the demo creates the business \"Busline\" with --admin-token (env BUSLINE_TOKEN)")
	fs.StringVar(&o.AdminURL, "admin-url", envOr(getenv, "PARLEY_ADMIN_URL", "http://"+server.DefaultAdminAddr), "the server's operator listener (env PARLEY_ADMIN_URL)")
	fs.StringVar(&o.AdminToken, "admin-token", getenv("PARLEY_ADMIN_TOKEN"), "the operator's admin token, to create the business (env PARLEY_ADMIN_TOKEN)")
	fs.StringVar(&o.AppSecret, "app-secret", getenv("BUSLINE_APP_SECRET"), "the business's app secret, to check the signatures of webhooks and Flow requests; read through the admin API when the demo creates the business (env BUSLINE_APP_SECRET)")
	fs.StringVar(&o.Phone, "phone", "+918000000100", "the bus company's number, when the demo creates it")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8090", "where the demo listens: its webhook (/webhook) and Flow endpoint (/flow)")
	fs.StringVar(&o.PublicURL, "public-url", "", "the URL at which the server reaches --addr; default http://ADDR (the server then needs --webhook-allow 127.0.0.0/8)")
	fs.DurationVar(&o.HoldFor, "hold", 15*time.Minute, "how long a picked seat is held unpaid")
	fs.DurationVar(&o.RemindEvery, "remind-every", time.Minute, "how often to look for trips leaving within a day, to send the reminder template")
	offset := fs.Duration("clock-offset", 0, "run the demo's clock this far ahead (e.g. 30h, to see tomorrow's reminders now)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *offset != 0 {
		o.Now = func() time.Time { return time.Now().Add(*offset) }
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	d, err := busline.Start(setupCtx, o)
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Busline is open.\n  click-to-chat link: %s\n  or write to %s from the web app (%s)\n  webhook and Flow endpoint: %s\n  send the day-before reminders now: curl -X POST %s/reminders\n",
		d.LinkURL(), d.Phone(), o.ServerURL, d.URL(), d.URL())
	<-ctx.Done()
	return d.Close()
}
