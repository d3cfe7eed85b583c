package cloudapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
)

// BenchmarkBusinessSend times a business's text message through the Cloud
// API (HTTP, the rules, the ledger hold, the send) to customers whose
// clients do not encrypt (the body goes as it is) and to customers whose
// clients do (the cloud device encrypts it with Olm and stores its state),
// with 1 and with 50 such customers (the cloud device's state grows with
// its sessions). docs/PERFORMANCE.md has the figures.
//
// The three alternate in rounds (round/case), so that a change in the
// machine's load falls on all of them.
func BenchmarkBusinessSend(b *testing.B) {
	type bench struct {
		name      string
		customers int
		encrypt   bool
	}
	var cases []bench
	for round := range 3 {
		for _, c := range []bench{{"plain", 1, false}, {"e2ee-1", 1, true}, {"e2ee-50", 50, true}} {
			c.name = fmt.Sprintf("round%d/%s", round+1, c.name)
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, withBusinessConfig(business.Config{Throughput: 1_000_000}), withBulkLogins())
			phones := make([]string, c.customers)
			for i := range phones {
				phones[i] = fmt.Sprintf("+1415556%04d", i)
				cl, acct := e.login(phones[i], "Customer")
				if c.encrypt {
					dev, err := e2ee.NewDevice(acct, deviceOf(b, e, cl))
					if err != nil {
						b.Fatal(err)
					}
					cl.UseE2EE(dev)
					if err := cl.SetupE2EE(e.ctx); err != nil {
						b.Fatal(err)
					}
				}
				chatID := e.openChat(cl)
				// The customer writes first: the service window opens.
				in := e.customerSends(cl, chatID, chat.KindMessage, "", client.Body{Text: "hello"})
				e.hooks.message(in)
			}
			// The first message to each customer starts its Olm session.
			for _, ph := range phones {
				e.send(map[string]any{"to": ph, "type": "text", "text": map[string]any{"body": "welcome"}})
			}
			start := time.Now()
			b.ResetTimer()
			for i := range b.N {
				e.send(map[string]any{"to": phones[i%len(phones)], "type": "text", "text": map[string]any{"body": "Your order is on its way"}})
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// deviceOf returns the id of the client's device (its only one).
func deviceOf(b *testing.B, e *env, c *client.Client) int64 {
	b.Helper()
	ds, err := c.Devices(e.ctx)
	if err != nil || len(ds) != 1 {
		b.Fatalf("devices: %v %v", ds, err)
	}
	return ds[0].ID
}
