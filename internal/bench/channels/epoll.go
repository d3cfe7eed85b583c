package channels

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// epollFollowers is the lean reader of RunClients (Reader "epoll"; parley
// bench channels-clients -reader epoll): it does the WebSocket handshake by hand, then reads
// every socket from a few epoll loops (one per CPU) instead of a goroutine
// per socket, and counts text frames that start with the channel_post
// type. A goroutine per socket costs the shared CPUs a wake-up and a
// read per delivery; here one epoll_wait serves many sockets. The sockets
// are edge-triggered (one readiness check per arrival, not a second one
// when the next epoll_wait finds it drained) and found by descriptor in a
// table, without a lock or a map lookup per event.
type epollFollowers struct {
	loops []*epollLoop
	conns []atomic.Pointer[epollConn] // by descriptor, up to RLIMIT_NOFILE
	n     atomic.Int64                // sockets handed to the loops
}

type epollLoop struct {
	epfd int
}

type epollConn struct {
	fd      int
	pending []byte // a frame cut by the end of a read
}

func newEpollFollowers(loops int) (*epollFollowers, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil, err
	}
	f := &epollFollowers{conns: make([]atomic.Pointer[epollConn], min(lim.Cur, 1<<20))}
	for range loops {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			f.close()
			return nil, err
		}
		f.loops = append(f.loops, &epollLoop{epfd: epfd})
	}
	return f, nil
}

// dial opens one follower's socket and hands it to a loop.
func (f *epollFollowers) dial(ctx context.Context, addr, token string, onPost func(n int)) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close() // the loop keeps a duplicate of the descriptor
	fmt.Fprintf(c, "GET /v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: cGFybGV5LWJlbmNoLWtleQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", addr, token)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake: %s", resp.Status)
	}
	rest, _ := br.Peek(br.Buffered())
	var fd int
	var derr error
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return err
	}
	if err := raw.Control(func(s uintptr) { fd, derr = syscall.Dup(int(s)) }); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	if fd >= len(f.conns) {
		syscall.Close(fd)
		return fmt.Errorf("descriptor %d beyond RLIMIT_NOFILE", fd)
	}
	ec := &epollConn{fd: fd}
	if n := ec.feed(rest); n > 0 {
		onPost(n)
	}
	l := f.loops[fd%len(f.loops)]
	f.conns[fd].Store(ec)
	f.n.Add(1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

// run reads until ctx ends, calling onPost with the posts of each read.
func (f *epollFollowers) run(ctx context.Context, onPost func(n int)) {
	var wg sync.WaitGroup
	for _, l := range f.loops {
		wg.Go(func() {
			events := make([]syscall.EpollEvent, 256)
			buf := make([]byte, 64<<10)
			for ctx.Err() == nil {
				k, err := syscall.EpollWait(l.epfd, events, 100)
				if err != nil && err != syscall.EINTR {
					return
				}
				for _, ev := range events[:max(k, 0)] {
					ec := f.conns[ev.Fd].Load()
					if ec == nil {
						continue
					}
					// Edge-triggered: read until a read comes back short
					// (what arrives after it raises a new event).
					for {
						n, err := syscall.Read(ec.fd, buf)
						if err == syscall.EINTR {
							continue
						}
						if n <= 0 && err != syscall.EAGAIN {
							syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, ec.fd, nil)
							break
						}
						if p := ec.feed(buf[:max(n, 0)]); p > 0 {
							onPost(p)
						}
						if n < len(buf) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// epollET is EPOLLET as the event mask's type (syscall.EPOLLET is a
// negative int).
const epollET = 1 << 31

var channelPostPrefix = []byte(`{"type":"channel_post"`)

// feed parses whole server frames (unmasked, RFC 6455 5.2) and returns
// how many are channel posts; a cut frame waits for the next read.
func (ec *epollConn) feed(b []byte) (posts int) {
	if len(ec.pending) > 0 {
		b = append(ec.pending, b...)
	}
parse:
	for len(b) >= 2 {
		n, h := int(b[1]&0x7f), 2
		switch {
		case n == 126 && len(b) >= 4:
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case n == 127 && len(b) >= 10:
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		case n >= 126:
			break parse // the length itself is cut
		}
		if len(b) < h+n {
			break
		}
		if b[0]&0x0f == 1 && bytes.HasPrefix(b[h:h+n], channelPostPrefix) {
			posts++
		}
		b = b[h+n:]
	}
	ec.pending = nil
	if len(b) > 0 {
		ec.pending = append([]byte(nil), b...)
	}
	return posts
}

func (f *epollFollowers) close() {
	for i := range f.conns {
		if ec := f.conns[i].Load(); ec != nil {
			syscall.Close(ec.fd)
		}
	}
	for _, l := range f.loops {
		syscall.Close(l.epfd)
	}
}

// hostPort returns the host:port of an http:// URL.
func hostPort(url string) string {
	return strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
}
