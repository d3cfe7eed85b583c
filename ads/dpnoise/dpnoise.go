// Package dpnoise samples the noise that the ads reports add to released
// counts: the discrete Laplace distribution (the two-sided geometric
// mechanism), exactly, with integer arithmetic only. It follows the
// published exact sampler of Canonne, Kamath and Steinke, "The Discrete
// Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2:
// Bernoulli(exp(-γ)) for a rational γ from uniform integers, and the
// discrete Laplace of a rational scale t/s from those. No floating point
// enters the sampling, so the distribution is exactly the documented one
// (floating-point Laplace samplers leak through their rounding; Mironov
// 2012).
//
// The distribution: P(X = x) = (1 − e^(−s/t)) / (1 + e^(−s/t)) · e^(−|x|·s/t)
// for every integer x. Added to a count whose sensitivity is Δ, scale
// t/s = Δ/ε gives ε-differential privacy.
//
// It imports nothing of Parley's. The randomness is a Source: Crypto (the
// default, crypto/rand) in production, a seeded one in tests.
package dpnoise

import (
	crand "crypto/rand"
	"errors"
	"math/big"
	"math/rand/v2"
)

// Source gives uniform integers in [0, n) for n > 0.
type Source interface {
	Int64N(n int64) int64
}

// Crypto is a Source on crypto/rand: noise an observer cannot predict.
type Crypto struct{}

// Int64N returns a uniform integer in [0, n) from crypto/rand.
func (Crypto) Int64N(n int64) int64 {
	v, err := crand.Int(crand.Reader, big.NewInt(n))
	if err != nil {
		panic("dpnoise: crypto/rand failed: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return v.Int64()
}

// Seeded returns a deterministic Source for tests and simulations (PCG);
// never for released reports.
func Seeded(seed uint64) Source { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// Scale is a rational scale T/S of the discrete Laplace distribution
// (S, T > 0). For a count of sensitivity Δ under privacy parameter ε =
// Num/Den, the scale is Δ·Den/Num: T = Δ·Den, S = Num.
type Scale struct {
	T, S int64
}

// ForEpsilon returns the scale that gives ε = num/den differential
// privacy to a count of sensitivity delta.
func ForEpsilon(num, den, delta int64) (Scale, error) {
	if num <= 0 || den <= 0 || delta <= 0 {
		return Scale{}, errors.New("dpnoise: epsilon and sensitivity must be positive")
	}
	if den > 1<<20 || num > 1<<20 || delta > 1<<10 {
		return Scale{}, errors.New("dpnoise: epsilon or sensitivity out of range")
	}
	return Scale{T: delta * den, S: num}, nil
}

// bernoulli returns 1 with probability num/den (0 ≤ num ≤ den).
func bernoulli(src Source, num, den int64) bool {
	return src.Int64N(den) < num
}

// bernoulliExpFrac returns 1 with probability exp(−num/den) for 0 ≤
// num/den ≤ 1 (CKS Algorithm 1, first case): draw A_k ~ Bernoulli(γ/k)
// for k = 1, 2, ... until one is 0; return 1 when that k is odd.
func bernoulliExpFrac(src Source, num, den int64) bool {
	k := int64(1)
	for bernoulli(src, num, den*k) {
		k++
	}
	return k%2 == 1
}

// BernoulliExp returns 1 with probability exp(−num/den) for num ≥ 0, den
// > 0 (CKS Algorithm 1): exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ−⌊γ⌋)).
func BernoulliExp(src Source, num, den int64) bool {
	for range num / den {
		if !bernoulliExpFrac(src, 1, 1) {
			return false
		}
	}
	return bernoulliExpFrac(src, num%den, den)
}

// Laplace returns one draw of the discrete Laplace distribution of scale
// sc.T/sc.S (CKS Algorithm 2).
func Laplace(src Source, sc Scale) int64 {
	t, s := sc.T, sc.S
	for {
		u := src.Int64N(t)
		if !BernoulliExp(src, u, t) {
			continue
		}
		v := int64(0)
		for BernoulliExp(src, 1, 1) {
			v++
		}
		x := u + t*v
		y := x / s
		neg := bernoulli(src, 1, 2)
		if neg && y == 0 {
			continue
		}
		if neg {
			return -y
		}
		return y
	}
}
