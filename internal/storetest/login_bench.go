package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/chat"
)

// codeBox keeps the last code sent to each number, as an SMS gateway
// would deliver it.
type codeBox struct {
	mu    sync.Mutex
	codes map[string]string
}

func (c *codeBox) SendCode(_ context.Context, phone, code string) error {
	c.mu.Lock()
	c.codes[phone] = code
	c.mu.Unlock()
	return nil
}

func (c *codeBox) code(phone string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.codes[phone]
}

// BenchLogin is a registration as a new person makes it: a code requested
// and verified, which creates the account and links a device. It measures
// the store's share of a login (the daily counters, the code, the
// account), run in parallel as a mass sign-up would.
func BenchLogin(b *testing.B, open func(b *testing.B) Store) {
	s := open(b)
	codes := &codeBox{codes: map[string]string{}}
	svc := chat.NewService(chat.Config{CodeBudgetPerPrefix: -1}, chat.Deps{Store: s, Codes: codes})
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := next.Add(1)
			phone := fmt.Sprintf("+1415%07d", 2_000_000+n) // an all-valid block
			requester := fmt.Sprintf("10.0.%d.%d", n/250%250, n%250)
			if err := svc.RequestCode(ctx, phone, requester); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.VerifyCode(ctx, phone, requester, codes.code(phone), "bench", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
