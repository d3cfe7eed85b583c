package bench

import (
	"encoding/json"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"
)

// MemStats is what the control endpoint reports of the server's memory.
type MemStats struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// ControlHandler serves what the benchmark needs from a server process
// that the server itself does not expose, on a separate loopback listener
// (parley bench server -control ADDR):
//
//	GET  /cpu?seconds=N  a CPU profile of the next N seconds (pprof format)
//	GET  /heap           a heap profile, after a garbage collection
//	POST /gc             collect garbage, return memory to the OS, and
//	                     answer MemStats as JSON
func ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, r *http.Request) {
		secs, err := strconv.Atoi(r.URL.Query().Get("seconds"))
		if err != nil || secs < 1 || secs > 600 {
			http.Error(w, "seconds must be 1 to 600", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		select {
		case <-time.After(time.Duration(secs) * time.Second):
		case <-r.Context().Done():
		}
		pprof.StopCPUProfile()
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		w.Header().Set("Content-Type", "application/octet-stream")
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	mux.HandleFunc("POST /gc", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(MemStats{HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys, Goroutines: runtime.NumGoroutine()})
	})
	return mux
}
