package dpnoise

import (
	"math"
	"testing"
)

// pmf is the discrete Laplace probability of x at scale t/s.
func pmf(sc Scale, x int64) float64 {
	a := math.Exp(-float64(sc.S) / float64(sc.T))
	return (1 - a) / (1 + a) * math.Pow(a, math.Abs(float64(x)))
}

// chiSquare compares the histogram of n draws with the pmf of sc over
// bins -w..w and the two tails; it returns the statistic and the degrees
// of freedom.
func chiSquare(hist map[int64]int, n int, sc Scale, w int64) (float64, int) {
	var stat, tailP float64
	var tailN int
	for x, c := range hist {
		if x < -w || x > w {
			tailN += c
		}
	}
	for x := -w; x <= w; x++ {
		e := pmf(sc, x) * float64(n)
		d := float64(hist[x]) - e
		stat += d * d / e
		tailP += pmf(sc, x)
	}
	e := (1 - tailP) * float64(n)
	d := float64(tailN) - e
	stat += d * d / e
	return stat, int(2*w + 1)
}

// chiCritical is the 0.1 % upper critical value of χ² with df degrees of
// freedom (Wilson–Hilferty): a correct sampler fails one seed in 1,000.
func chiCritical(df int) float64 {
	const z = 3.090 // the 99.9th percentile of the standard normal
	k := float64(df)
	return k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
}

func draw(sc Scale, n int, seed uint64) map[int64]int {
	src := Seeded(seed)
	h := map[int64]int{}
	for range n {
		h[Laplace(src, sc)]++
	}
	return h
}

// TestLaplaceDistribution checks the sampler's output against the
// documented pmf with a χ² test, for integer and fractional scales, and
// the variance against 2a/(1−a)².
func TestLaplaceDistribution(t *testing.T) {
	for _, sc := range []Scale{{T: 1, S: 1}, {T: 4, S: 1}, {T: 3, S: 2}, {T: 8, S: 1}} {
		const n = 60_000
		h := draw(sc, n, uint64(sc.T*100+sc.S))
		w := int64(3 * float64(sc.T) / float64(sc.S))
		stat, df := chiSquare(h, n, sc, w)
		if crit := chiCritical(df); stat > crit {
			t.Errorf("scale %d/%d: χ² = %.1f with %d df, want under %.1f", sc.T, sc.S, stat, df, crit)
		}
		var sum, sq float64
		for x, c := range h {
			sum += float64(x) * float64(c)
			sq += float64(x*x) * float64(c)
		}
		mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
		a := math.Exp(-float64(sc.S) / float64(sc.T))
		want := 2 * a / ((1 - a) * (1 - a))
		if math.Abs(mean) > 5*math.Sqrt(want/n) {
			t.Errorf("scale %d/%d: mean %.3f, want 0", sc.T, sc.S, mean)
		}
		if math.Abs(variance-want)/want > 0.05 {
			t.Errorf("scale %d/%d: variance %.3f, want %.3f", sc.T, sc.S, variance, want)
		}
	}
}

// TestChiSquareCatchesWrongScale shows the test can fail: draws of scale
// 4 do not pass as scale 5, nor as scale 3.
func TestChiSquareCatchesWrongScale(t *testing.T) {
	const n = 60_000
	h := draw(Scale{T: 4, S: 1}, n, 7)
	for _, wrong := range []Scale{{T: 5, S: 1}, {T: 3, S: 1}} {
		stat, df := chiSquare(h, n, wrong, 12)
		if stat <= chiCritical(df) {
			t.Errorf("scale-4 draws passed as scale %d: χ² = %.1f", wrong.T, stat)
		}
	}
}

// TestBernoulliExp checks the frequency of 1s against exp(−γ).
func TestBernoulliExp(t *testing.T) {
	src := Seeded(3)
	for _, g := range [][2]int64{{0, 1}, {1, 4}, {1, 1}, {5, 2}} {
		const n = 100_000
		ones := 0
		for range n {
			if BernoulliExp(src, g[0], g[1]) {
				ones++
			}
		}
		p := math.Exp(-float64(g[0]) / float64(g[1]))
		if got := float64(ones) / n; math.Abs(got-p) > 5*math.Sqrt(p*(1-p)/n)+1e-9 {
			t.Errorf("exp(-%d/%d): got %.4f, want %.4f", g[0], g[1], got, p)
		}
	}
}

func TestForEpsilon(t *testing.T) {
	sc, err := ForEpsilon(1, 2, 4) // ε = 0.5, Δ = 4: scale 8
	if err != nil || sc.T != 8 || sc.S != 1 {
		t.Fatalf("got %+v %v, want 8/1", sc, err)
	}
	if _, err := ForEpsilon(0, 1, 1); err == nil {
		t.Fatal("ε = 0 accepted")
	}
}

func TestCryptoSource(t *testing.T) {
	var c Crypto
	for range 1000 {
		if v := c.Int64N(7); v < 0 || v >= 7 {
			t.Fatalf("got %d, want 0..6", v)
		}
	}
	_ = Laplace(c, Scale{T: 4, S: 1})
}
