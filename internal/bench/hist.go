package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histSub is the number of sub-buckets per power of two: values are kept
// to within 1/histSub (about 1.6 %), as in an HDR histogram.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub
)

// Hist is a lock-free latency histogram with log-linear buckets: exact
// below 64 µs, then 64 sub-buckets per power of two. Record may be called
// from any goroutine.
type Hist struct {
	counts [histBuckets]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64
}

// bucket maps a value in microseconds to its bucket.
func bucket(v int64) int {
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(uint64(v)) - histSubBits // ≥ 1
	return exp*histSub + int(v>>(exp-1)) - histSub
}

// bucketValue is the largest value in bucket b (the bucket's upper edge),
// so quantiles are never understated.
func bucketValue(b int) int64 {
	if b < histSub {
		return int64(b)
	}
	exp := b / histSub
	sub := b%histSub + histSub
	return int64(sub+1)<<(exp-1) - 1
}

// Record adds one latency.
func (h *Hist) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.counts[bucket(us)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// Count returns how many values were recorded.
func (h *Hist) Count() int64 { return h.n.Load() }

// Max returns the largest value recorded.
func (h *Hist) Max() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

// Quantile returns the q-quantile (0 < q ≤ 1), rounded up to its bucket's
// upper edge; 0 when nothing was recorded.
func (h *Hist) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen int64
	for b := range h.counts {
		seen += h.counts[b].Load()
		if seen >= rank {
			return time.Duration(min(bucketValue(b), h.max.Load())) * time.Microsecond
		}
	}
	return h.Max()
}
