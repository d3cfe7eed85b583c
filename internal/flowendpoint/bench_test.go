package flowendpoint_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/flowcrypto"
	"github.com/parleyhq/parley/internal/flowendpoint"
)

// BenchmarkDataExchange500: data_exchange round trips (Parley encrypts
// and signs → the business endpoint checks, decrypts, answers encrypted
// → Parley decrypts) on loopback, b.N calls spread over 500 concurrent
// journeys. A journey is a person: between two screens it waits a think
// time, uniform in [0, 2×PARLEY_BENCH_FLOW_THINK) (default 1s; 0 makes
// every journey fire back to back, a saturation test). It reports the
// round trip's p50 and p99, the endpoint's own time (its handler, its
// decryption and encryption included) and what Parley adds on top of
// it, per call (round trip minus that call's endpoint time).
// docs/PERFORMANCE.md has the figures.
func BenchmarkDataExchange500(b *testing.B) {
	const journeys = 500
	key := newKey(b)
	biz := &business{secret: "app-secret", key: key}
	think := time.Second
	if v := os.Getenv("PARLEY_BENCH_FLOW_THINK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		think = d
	}
	var own sync.Map // X-Call → the endpoint's time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		biz.ServeHTTP(w, r)
		own.Store(r.URL.Query().Get("call"), time.Since(start))
	}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: journeys, MaxIdleConnsPerHost: journeys}
	defer tr.CloseIdleConnections()
	c := flowendpoint.New(&http.Client{Transport: tr, Timeout: 30 * time.Second}, flowendpoint.NewHealth(nil, nil, nil))
	payload := `{"version":"3.0","action":"data_exchange","screen":"SEARCH","data":{"from":"Bangalore","to":"Mysore","date":"2026-12-24"},"flow_token":"tok"}`
	var next atomic.Int64
	var mu sync.Mutex
	var rtts, owns, added []time.Duration
	var failed atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range journeys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if think > 0 {
					time.Sleep(time.Duration(rand.Int64N(int64(2 * think))))
				}
				id := strconv.FormatInt(n, 10)
				start := time.Now()
				if _, err := c.Do(context.Background(), call(srv.URL+"/?call="+id, "app-secret", fixedKey(key), payload)); err != nil {
					failed.Add(1)
					continue
				}
				d := time.Since(start)
				o, _ := own.Load(id)
				mu.Lock()
				rtts, owns, added = append(rtts, d), append(owns, o.(time.Duration)), append(added, d-o.(time.Duration))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d calls failed", failed.Load())
	}
	pct := func(ds []time.Duration, p int) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[(len(ds)-1)*p/100].Microseconds()) / 1000
	}
	b.ReportMetric(pct(rtts, 50), "p50-ms")
	b.ReportMetric(pct(rtts, 99), "p99-ms")
	b.ReportMetric(pct(owns, 50), "endpoint-p50-ms")
	b.ReportMetric(pct(owns, 99), "endpoint-p99-ms")
	b.ReportMetric(pct(added, 50), "added-p50-ms")
	b.ReportMetric(pct(added, 99), "added-p99-ms")
}

// BenchmarkParleySide: Parley's own work per round trip, without the
// network or the endpoint: encrypting and signing the request (a fresh
// AES key wrapped with RSA-OAEP) and decrypting the answer.
func BenchmarkParleySide(b *testing.B) {
	key := newKey(b)
	payload := []byte(`{"version":"3.0","action":"data_exchange","screen":"SEARCH","data":{"from":"Bangalore","to":"Mysore","date":"2026-12-24"},"flow_token":"tok"}`)
	answer := []byte(`{"screen":"DEPARTURES","data":{"trips":["08:00","09:30","11:00"]}}`)
	body, sess, _ := flowcrypto.EncryptRequest(&key.PublicKey, payload)
	text, _ := sess.EncryptResponse(answer)
	b.ResetTimer()
	for b.Loop() {
		body, s, err := flowcrypto.EncryptRequest(&key.PublicKey, payload)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(body)
		_ = flowendpoint.Sign("app-secret", raw)
		_, _ = s.DecryptResponse(text) // a different key: the work is the same
	}
	_ = body
}
