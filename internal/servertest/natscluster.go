package servertest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/internal/testutil"
)

// NATSCluster is a cluster of NATS servers with JetStream, routed to each
// other on loopback, as a production cluster of three would be.
type NATSCluster struct {
	Servers []*server.Server
	opts    []*server.Options
	t       testing.TB
}

// StartNATSCluster starts n clustered NATS servers with JetStream in this
// process, waits until every server routes to every other, and shuts them
// down when the test ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	c := &NATSCluster{t: t}
	// Clustered JetStream wants its routes from the start, so the route
	// ports are chosen first.
	routes := make([]string, n)
	ports := make([]int, n)
	for i := range n {
		ports[i] = freePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			NoLog:      true,
			Cluster:    server.ClusterOpts{Name: "parley-test", Host: "127.0.0.1", Port: ports[i], NoAdvertise: true},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		c.opts = append(c.opts, opts)
		c.Servers = append(c.Servers, c.start(i))
	}
	for i, srv := range c.Servers {
		if !srv.ReadyForConnections(20 * time.Second) {
			t.Fatalf("nats server %d is not ready", i+1)
		}
		// A restart (Restart) comes back on the same client port.
		c.opts[i].Port = srv.Addr().(*net.TCPAddr).Port
	}
	if !testutil.Within(20*time.Second, func() bool {
		for _, s := range c.Servers {
			if s.NumRoutes() < n-1 {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the NATS servers did not route to each other")
	}
	return c
}

// URL lists the servers' client URLs, comma-separated, starting with
// server first: what a node near that server would be given.
func (c *NATSCluster) URL(first int) string {
	var urls []string
	for i := range c.Servers {
		urls = append(urls, c.Servers[(first+i)%len(c.Servers)].ClientURL())
	}
	return strings.Join(urls, ",")
}

// start starts server i with its options, stopped when the test ends.
func (c *NATSCluster) start(i int) *server.Server {
	srv, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatalf("nats server %d: %v", i+1, err)
	}
	srv.Start()
	c.t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

// Restart starts server i again after Kill, on the same ports, and waits
// until it routes to the others again.
func (c *NATSCluster) Restart(i int) {
	srv := c.start(i)
	if !srv.ReadyForConnections(20 * time.Second) {
		c.t.Fatalf("nats server %d is not ready after a restart", i+1)
	}
	c.Servers[i] = srv
}

// Kill stops server i at once, as a crash would.
func (c *NATSCluster) Kill(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
