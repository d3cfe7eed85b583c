package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// balancer is a round-robin HTTP and WebSocket load balancer over the
// nodes of a cluster, as a deployment puts in front of them. A node the
// health check found dead (here: the test says so) gets no new requests.
type balancer struct {
	srv *httptest.Server

	mu       sync.Mutex
	backends []*url.URL
	down     map[int]bool
	served   map[int]int // requests sent to each backend
	next     int
}

func newBalancer(t *testing.T) *balancer {
	b := &balancer{down: map[int]bool{}, served: map[int]int{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(b.pick())
			r.Out.Host = r.In.Host
		},
		// A node that dies mid-request is a 502, as from a real balancer;
		// clients retry.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) },
	}
	b.srv = httptest.NewServer(proxy)
	t.Cleanup(b.srv.Close)
	return b
}

// add puts a node behind the balancer and returns its index.
func (b *balancer) add(t *testing.T, nodeURL string) int {
	u, err := url.Parse(nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append(b.backends, u)
	return len(b.backends) - 1
}

func (b *balancer) markDown(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[i] = true
}

func (b *balancer) pick() *url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.backends {
		i := b.next % len(b.backends)
		b.next++
		if !b.down[i] {
			b.served[i]++
			return b.backends[i]
		}
	}
	return b.backends[0]
}

func (b *balancer) servedBy(i int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served[i]
}

// testCluster runs three nodes on one PostgreSQL and a three-server NATS
// cluster with JetStream, behind a load balancer, with four people in a
// group: two send without pause while each of the four streams over a
// WebSocket. Under that load it kills -9 one node, kills one NATS server
// and adds a fourth node. Every acknowledged message must reach every
// other member exactly once (the client's Stream resumes through another
// node), and the new node must take requests without a restart.
func testCluster(t *testing.T, bin string) {
	dsn := servertest.PostgresDSN(t)
	dsn = servertest.FreshDatabase(t, dsn)
	nats := servertest.StartNATSCluster(t, 3)
	lb := newBalancer(t)
	startNode := func(i int) (*proc, string) {
		p := startParley(t, bin, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", t.TempDir(),
			"--log-format", "text", "--postgres", dsn, "--nats", nats.URL(i%3), "--secret", "the secret of this cluster")
		return p, p.url(t)
	}
	nodeA, urlA := startNode(0)
	_, urlB := startNode(1)
	nodeC, urlC := startNode(2)
	for _, u := range []string{urlA, urlB, urlC} {
		lb.add(t, u)
	}
	const c = 2 // node C's index behind the balancer

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	phones := []string{"+14155550111", "+14155550112", "+14155550113", "+14155550114"}
	people := make([]*client.Client, len(phones))
	accounts := make([]int64, len(phones))
	for i, phone := range phones {
		onA, s := nodeA.login(t, urlA, phone)
		people[i] = client.New(lb.srv.URL, client.WithToken(onA.Token()))
		accounts[i] = s.AccountID
	}
	group, err := people[0].CreateGroup(ctx, "cluster", accounts[1:]...)
	if err != nil {
		t.Fatalf("create group: %v", err)
	}

	// Each person streams through the balancer; received counts every
	// message id passed to fn.
	var (
		mu       sync.Mutex
		received = make([]map[string]int, len(people))
		lastLive = make([]time.Time, len(people))
	)
	streamCtx, stopStreams := context.WithCancel(ctx)
	var streams sync.WaitGroup
	for i, p := range people {
		received[i] = map[string]int{}
		streams.Go(func() {
			_ = p.Stream(streamCtx, 0, func(ev wire.Event) error {
				if e := ev.Entry; ev.Type == wire.EventEntry && e != nil && e.Type == wire.EntryMessage && e.Kind == wire.KindMessage {
					mu.Lock()
					received[i][e.MessageID]++
					lastLive[i] = time.Now()
					mu.Unlock()
				}
				return nil
			}, client.StreamBackoff(50*time.Millisecond, 500*time.Millisecond))
		})
	}
	defer func() {
		stopStreams()
		streams.Wait()
	}()

	// Two senders, each retrying a message with the same id until it is
	// acknowledged (a node may die under it).
	acked := make([][]string, 2)
	sendCtx, stopSending := context.WithCancel(ctx)
	var senders sync.WaitGroup
	for s := range 2 {
		senders.Go(func() {
			for n := 0; sendCtx.Err() == nil; n++ {
				id := fmt.Sprintf("p%d-%05d", s, n)
				for sendCtx.Err() == nil {
					_, err := people[s].Send(sendCtx, group.ID, client.SendRequest{MessageID: id, Shared: []byte("text of " + id)})
					if err == nil {
						mu.Lock()
						acked[s] = append(acked[s], id)
						mu.Unlock()
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked[0]) + len(acked[1])
	}
	waitAcked := func(what string, more int) {
		t.Helper()
		want := ackedCount() + more
		if !testutil.Within(60*time.Second, func() bool { return ackedCount() >= want }) {
			t.Fatalf("%s: %d messages acknowledged, want %d", what, ackedCount(), want)
		}
	}

	waitAcked("three nodes", 40)

	// kill -9 one node: its sockets and requests move to the others.
	killed := time.Now()
	nodeC.signal(t, syscall.SIGKILL)
	if err := nodeC.wait(t); err == nil {
		t.Fatal("node C exited cleanly after SIGKILL")
	}
	lb.markDown(c)
	waitAcked("node C killed", 40)
	t.Logf("node C killed: sends went on within %v", time.Since(killed).Round(time.Millisecond))

	// One NATS server of three dies: the nodes on it reconnect to another.
	nats.Kill(1)
	waitAcked("a NATS server killed", 40)

	// A fourth node joins under load, without a restart of the others.
	_, urlD := startNode(0)
	d := lb.add(t, urlD)
	waitAcked("node D added", 40)
	if lb.servedBy(d) == 0 {
		t.Errorf("node D served no request")
	}
	stopSending()
	senders.Wait()

	// Every acknowledged message reaches every other member exactly once.
	complete := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for s, ids := range acked {
			for i := range people {
				if i == s {
					continue
				}
				for _, id := range ids {
					if received[i][id] == 0 {
						return false
					}
				}
			}
		}
		return true
	}
	if !testutil.Within(60*time.Second, complete) {
		mu.Lock()
		defer mu.Unlock()
		for s, ids := range acked {
			for i := range people {
				missing := 0
				for _, id := range ids {
					if i != s && received[i][id] == 0 {
						missing++
					}
				}
				if missing > 0 {
					t.Errorf("person %d is missing %d of the %d messages person %d had acknowledged", i, missing, len(ids), s)
				}
			}
		}
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range people {
		for id, n := range received[i] {
			if n != 1 {
				t.Errorf("person %d got %s %d times, want once", i, id, n)
			}
		}
	}
	t.Logf("%d messages acknowledged and delivered to every member across a node kill, a NATS server kill and a node join",
		len(acked[0])+len(acked[1]))
}
