package gateway

import (
	"sync"
	"sync/atomic"
)

// fanout writes one pre-encoded frame to many sessions with a fixed pool
// of goroutines (about GOMAXPROCS in all), instead of waking a writer
// goroutine per session. The caller works too; idle helpers join it and
// take sessions in chunks until none are left, so one slow chunk does not
// hold the others. Writes never wait on a socket (session.send), so a
// post costs one write system call per online follower.
//
// run returns when every session had its turn, so frames of successive
// calls (posts of the same channel, delivered in order by the bus) reach
// each session in order.
type fanout struct {
	helpers int
	jobs    chan *fanJob // unbuffered: only idle helpers take a job
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// fanChunk is how many sessions a goroutine takes at a time.
const fanChunk = 64

type fanJob struct {
	sessions []*session
	fn       func([]*session)
	next     atomic.Int64
	wg       sync.WaitGroup
}

// newFanout starts workers-1 helpers (the caller of run is the last one).
func newFanout(workers int) *fanout {
	f := &fanout{helpers: max(workers-1, 0), jobs: make(chan *fanJob), stop: make(chan struct{})}
	for range f.helpers {
		f.wg.Go(f.loop)
	}
	return f
}

func (f *fanout) loop() {
	for {
		select {
		case <-f.stop:
			return
		case j := <-f.jobs:
			j.work()
			j.wg.Done()
		}
	}
}

func (j *fanJob) work() {
	for {
		i := int(j.next.Add(fanChunk)) - fanChunk
		if i >= len(j.sessions) {
			return
		}
		j.fn(j.sessions[i:min(i+fanChunk, len(j.sessions))])
	}
}

// run calls fn on chunks of sessions, on this goroutine and on idle
// helpers, and returns when all are done.
func (f *fanout) run(sessions []*session, fn func([]*session)) {
	j := &fanJob{sessions: sessions, fn: fn}
	for range min(f.helpers, (len(sessions)-1)/fanChunk) {
		j.wg.Add(1)
		select {
		case f.jobs <- j:
		default: // every helper is busy (or stopped): do it here
			j.wg.Done()
		}
	}
	j.work()
	j.wg.Wait()
}

// close stops the helpers; later runs do all the work on the caller.
func (f *fanout) close() {
	f.once.Do(func() { close(f.stop) })
	f.wg.Wait()
}
