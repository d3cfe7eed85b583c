package cloudapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
)

// burst sends n texts to the customer at once through the server at url and
// counts the accepted ones and the 130429 refusals.
func (e *env) burst(url string, n int) (accepted, limited int) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "to": e.custPh, "type": "text", "text": map[string]any{"body": "burst"}})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/messages", url, e.num.ID), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				e.t.Errorf("send: %v", err)
				return
			}
			defer resp.Body.Close()
			var me metaError
			_ = json.NewDecoder(resp.Body).Decode(&me)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case resp.StatusCode == 200:
				accepted++
			case resp.StatusCode == 429 && me.Error.Code == 130429:
				limited++
			default:
				e.t.Errorf("send: got status %d code %d", resp.StatusCode, me.Error.Code)
			}
		})
	}
	wg.Wait()
	return accepted, limited
}

// TestThroughputAcrossNodes: a number's throughput limit holds for the
// deployment, not per node. Two nodes share the database and the bus; each
// allows half of the number's rate, and a node that stops gives its share
// back after three heartbeats.
func TestThroughputAcrossNodes(t *testing.T) {
	t.Parallel()
	const beat = 200 * time.Millisecond // a node is live for 3 heartbeats: generous on a loaded machine
	e := newEnv(t, withPostgres(t), withBusinessConfig(business.Config{NodeHeartbeat: beat}))
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"})
	e.hooks.message(in)
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"throughput": 8}, nil)

	// Alone, the node allows the whole rate at once.
	if ok, limited := e.burst(e.srv.URL, 8); ok != 8 || limited != 0 {
		t.Fatalf("one node, 8 at once: got %d accepted and %d limited, want 8 and 0", ok, limited)
	}
	other := servertest.Start(t, e.opts...)
	time.Sleep(10 * beat) // both nodes hear each other within a few heartbeats
	e.clock.Advance(time.Second)
	okA, limA := e.burst(e.srv.URL, 8)
	okB, limB := e.burst(other.URL, 8)
	// The buckets refill at 4/s on each node while the bursts run, so a
	// slow machine may let one more through.
	if okA < 4 || okA > 5 || okB < 4 || okB > 5 || okA+limA != 8 || okB+limB != 8 {
		t.Errorf("two nodes, 8 at once on each: got %d+%d accepted, %d+%d limited; want about 4 on each (the rate of 8 shared)", okA, okB, limA, limB)
	}

	if err := other.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * beat) // past three heartbeats: the stopped node is forgotten
	e.clock.Advance(time.Second)
	if ok, limited := e.burst(e.srv.URL, 8); ok != 8 || limited != 0 {
		t.Errorf("after the other node stopped, 8 at once: got %d accepted and %d limited, want 8 and 0", ok, limited)
	}
}
