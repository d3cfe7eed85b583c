package business

import (
	"context"
	"sync"
	"time"
)

// The per-number throughput limit (130429) holds for the whole deployment,
// not per node. Each node's token buckets run at the number's rate divided
// by the number of live nodes, which the nodes learn from one another's
// heartbeats on the bus. So the sum over the nodes never exceeds the rate
// (but for one heartbeat after a node joins), whatever node a client's
// requests land on; the price is that a number whose traffic all goes to
// one node of N gets 1/N of its rate there. Pinning numbers to nodes in
// the load balancer does not help then; spreading a number's requests
// over the nodes does. A node that stops is forgotten after three
// heartbeats, and the others take back its share.

// nodeAliveSubject carries the heartbeats: the sender's node id.
const nodeAliveSubject = "parley.node.alive"

// peers tracks the other live nodes of the deployment.
type peers struct {
	id    string        // this node's
	every time.Duration // heartbeat period

	mu   sync.Mutex
	seen map[string]time.Time // other nodes' ids: when last heard (monotonic)
}

func newPeers(every time.Duration) *peers {
	return &peers{id: randomHex(8), every: every, seen: map[string]time.Time{}}
}

// nodes returns how many nodes are live, this one included.
func (p *peers) nodes() int {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 1
	for id, at := range p.seen {
		if now.Sub(at) > 3*p.every {
			delete(p.seen, id)
			continue
		}
		n++
	}
	return n
}

// run publishes this node's heartbeat every period and records the
// others' until ctx is done. Without a bus subscription the node counts
// itself alone.
func (b *Service) runPeers(ctx context.Context) {
	p := b.peers
	unsub, err := b.bus.Subscribe(nodeAliveSubject, func(_ string, data []byte) {
		if id := string(data); id != p.id {
			p.mu.Lock()
			p.seen[id] = time.Now()
			p.mu.Unlock()
		}
	})
	if err != nil {
		b.log.Warn("subscribe to node heartbeats; the throughput limit is per node", "err", err)
		return
	}
	defer unsub()
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		if err := b.bus.Publish(nodeAliveSubject, []byte(p.id)); err != nil && ctx.Err() == nil {
			b.log.Warn("publish node heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
