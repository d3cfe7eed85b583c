package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything a run measured.
type Report struct {
	Start     time.Time
	Machine   Machine
	Options   Options
	Store     string
	ServerPID int
	Baseline  *Baseline `json:",omitempty"`
	Setup     struct {
		Accounts     int // registered in this run
		Reused       int // from Options.Accounts
		RegisterTook time.Duration
		DirectChats  int
		Groups       int
		ChatsTook    time.Duration
		ConnectTook  time.Duration
		FanOut       float64 // mean envelopes per message
	}
	Phases       []PhaseResult
	SocketsLost  int64
	SocketErrors []string `json:",omitempty"`
	IdleBase     IdleResult
	Idle         []IdleResult
	IdleNote     string `json:",omitempty"`
}

// PhaseResult is one throughput phase.
type PhaseResult struct {
	Name        string
	Duration    time.Duration
	TargetRate  float64 // messages/s; 0 for the closed loop
	Concurrency int     // senders (closed loop) or workers (open loop)

	Sent, Persisted     int64 // sends started, 201 answers in the window
	Expected, Delivered int64 // envelopes of the window's messages, and how many arrived
	PersistedPerSec     float64
	DeliveredPerSec     float64 // message entries read from sockets per second
	ReceiptsPerSec      float64 // "delivered" receipts read by senders per second
	SendP50, SendP99    time.Duration
	DeliverP50          time.Duration
	DeliverP99          time.Duration
	DeliverP999         time.Duration
	DeliverMax          time.Duration
	Drain               time.Duration // time after the window until every envelope arrived
	Errors              map[string]int64

	// From the server's /metrics.
	ServerCPU        float64 // cores
	CommitsPerSec    float64
	AppendsPerCommit float64
	CommitMean       time.Duration
	ServerSendMean   time.Duration // POST messages, as the server timed it
	FramesPerSec     float64       // WebSocket frames pushed

	BenchCPU float64 // cores used by the load generator
	OtherCPU float64 // cores used by everything else on the machine (noise)

	E2EE *E2EEResult `json:",omitempty"` // with Options.E2EE: the clients' cost
}

// ServerCPUPerMessage is the server's CPU time per persisted message, in
// seconds; at a fixed rate it is the figure to compare between modes.
func (p PhaseResult) ServerCPUPerMessage() float64 {
	if p.PersistedPerSec == 0 {
		return 0
	}
	return p.ServerCPU / p.PersistedPerSec
}

// IdleResult is the server's memory with Sockets idle sockets open; the
// per-socket figures are against the same server with none open.
type IdleResult struct {
	Sockets           int
	ServerSockets     int64 // parley_ws_connections
	RSS               int64
	HeapInuse         int64
	StackInuse        int64
	Goroutines        int64
	RSSPerConn        float64
	HeapPerConn       float64
	StackPerConn      float64
	GoroutinesPerConn float64
	// KernelPerConn is the kernel's memory per socket (slab and TCP
	// buffers, machine-wide, halved for the two loopback ends); it is not
	// in the server's RSS. Noisy: anything else on the machine moves it.
	KernelPerConn float64
	ConnectPerSec float64
}

// Baseline is the raw commit rate of the SQLite store in this process,
// with the same envelope size and mean fan-out as the run.
type Baseline struct {
	Batch          int // appends per commit
	Commits        int
	AppendsPerSec  float64
	EntriesPerSec  float64
	CommitDuration time.Duration // mean
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int
	Model     string
	MemTotal  string
	Kernel    string
	Go        string
	FDLimit   int
	GOMAXPROC int
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		FDLimit: fdLimit(), GOMAXPROC: runtime.GOMAXPROCS(0)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				m.MemTotal = strings.TrimSpace(v)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// us formats seconds as microseconds.
func us(secs float64) string { return fmt.Sprintf("%.0f µs", secs*1e6) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) {
	o := r.Options
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("parley bench messaging, %s", r.Start.Format(time.RFC3339))
	p("machine: %d CPUs (%s), %s, Linux %s, %s, RLIMIT_NOFILE %d",
		r.Machine.CPUs, r.Machine.Model, r.Machine.MemTotal, r.Machine.Kernel, r.Machine.Go, r.Machine.FDLimit)
	where := "same process"
	if r.ServerPID > 0 {
		where = fmt.Sprintf("separate process, pid %d", r.ServerPID)
	}
	p("server: %s, %s store, embedded NATS; load generator on the same machine", where, r.Store)
	s := r.Setup
	reg := fmt.Sprintf("%d accounts registered in %v (%.0f/s)", s.Accounts, s.RegisterTook.Round(time.Millisecond),
		float64(s.Accounts)/max(s.RegisterTook.Seconds(), 1e-9))
	if s.Reused > 0 {
		reg = fmt.Sprintf("%d accounts reused, %s", s.Reused, reg)
	}
	p("setup: %s; %d 1:1 chats and %d groups in %v; %d sockets opened in %v",
		reg, s.DirectChats, s.Groups, s.ChatsTook.Round(time.Millisecond), o.Users, s.ConnectTook.Round(time.Millisecond))
	p("mix: %d users, %.0f%% of messages 1:1, %.0f%% to groups of %d: %.2f envelopes per message of %d bytes; acks every %v",
		o.Users, 100*(1-o.GroupRatio), 100*o.GroupRatio, o.GroupSize, s.FanOut, o.BodySize, o.AckInterval)
	if o.E2EE {
		p("end-to-end encrypted (package e2ee): Olm per recipient device for 1:1, one Megolm body per group message; a delivery counts once decrypted")
	}
	if b := r.Baseline; b != nil {
		p("baseline: raw SQLite Commit, %d appends per transaction: %.0f appends/s (%.0f envelopes/s), %s per commit",
			b.Batch, b.AppendsPerSec, b.EntriesPerSec, ms(b.CommitDuration))
	}
	p("")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tload\tpersisted/s\tdelivered/s\treceipts/s\tsend p50\tsend p99\tdeliver p50\tdeliver p99\tp99.9\tmax\tdelivered\terrors\t")
	for _, ph := range r.Phases {
		load := fmt.Sprintf("%d senders", ph.Concurrency)
		if ph.TargetRate > 0 {
			load = fmt.Sprintf("%.0f msg/s", ph.TargetRate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t\n", ph.Name, load,
			ph.PersistedPerSec, ph.DeliveredPerSec, ph.ReceiptsPerSec, ms(ph.SendP50), ms(ph.SendP99),
			ms(ph.DeliverP50), ms(ph.DeliverP99), ms(ph.DeliverP999), ms(ph.DeliverMax), ph.Delivered, ph.Expected, errorList(ph.Errors))
	}
	tw.Flush()
	p("")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tserver CPU\tserver CPU/msg\tbench CPU\tother CPU\tcommits/s\tappends/commit\tcommit mean\tserver send mean\tframes/s\t")
	for _, ph := range r.Phases {
		fmt.Fprintf(tw, "%s\t%.2f cores\t%s\t%.2f cores\t%.2f cores\t%.0f\t%.1f\t%s\t%s\t%.0f\t\n", ph.Name, ph.ServerCPU, us(ph.ServerCPUPerMessage()), ph.BenchCPU, ph.OtherCPU,
			ph.CommitsPerSec, ph.AppendsPerCommit, ms(ph.CommitMean), ms(ph.ServerSendMean), ph.FramesPerSec)
	}
	tw.Flush()
	if o.E2EE {
		p("")
		p("end-to-end encryption on the clients (CPU time of the load generator's threads):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "phase\tseal 1:1/device\tdevices\tseal group msg\tgroup msgs\tkey parts\topen/msg\topened\tfailed\tciphertext/plain\t")
		for _, ph := range r.Phases {
			if e := ph.E2EE; e != nil {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%d\t%d\t%.2f\t\n", ph.Name, us(e.SealPerDirectDevice.Seconds()), e.DirectDevices,
					us(e.SealPerGroupMessage.Seconds()), e.GroupMessages, e.KeyParts, us(e.OpenPerMessage.Seconds()), e.Opened, e.Failed, e.CiphertextRatio)
			}
		}
		tw.Flush()
	}
	if r.SocketsLost > 0 {
		p("sockets lost during the phases: %d (%s)", r.SocketsLost, strings.Join(r.SocketErrors, "; "))
	}
	if len(r.Idle) > 0 {
		p("")
		b := r.IdleBase
		p("idle sockets (server memory after a forced GC; per socket against %.1f MiB RSS, %.1f MiB heap, %d goroutines with none open):",
			float64(b.RSS)/(1<<20), float64(b.HeapInuse)/(1<<20), b.Goroutines)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "sockets\tRSS\tRSS/socket\theap/socket\tstack/socket\tgoroutines/socket\tkernel/socket\tconnects/s\t")
		for _, i := range r.Idle {
			fmt.Fprintf(tw, "%d\t%.1f MiB\t%.1f KiB\t%.1f KiB\t%.1f KiB\t%.2f\t%.1f KiB\t%.0f\t\n", i.ServerSockets, float64(i.RSS)/(1<<20),
				i.RSSPerConn/1024, i.HeapPerConn/1024, i.StackPerConn/1024, i.GoroutinesPerConn, i.KernelPerConn/1024, i.ConnectPerSec)
		}
		tw.Flush()
	}
	if r.IdleNote != "" {
		p("note: %s", r.IdleNote)
	}
}

func errorList(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}
