package billing

import (
	"fmt"
	"strconv"
	"strings"
)

// Micro is the number of micro-units in one unit of a currency.
const Micro = 1_000_000

// Money is an exact amount: Micros millionths of Currency (ISO 4217).
type Money struct {
	Micros   int64  `json:"amount_micros"`
	Currency string `json:"currency"`
}

// String formats m as "USD 0.0688" with as many decimals as needed (at
// least two).
func (m Money) String() string { return m.Currency + " " + FormatMicros(m.Micros) }

// FormatMicros writes micro-units as a decimal with at least two and at
// most six decimals: 68800 is "0.0688", 1500000 is "1.50".
func FormatMicros(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign, u = "-", uint64(-v)
	}
	frac := fmt.Sprintf("%06d", u%Micro)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatUint(u/Micro, 10) + "." + frac
}

// ParseMicros reads a decimal amount ("0.0688", "12", "-1.5") into
// micro-units. More than six decimals is an error: a price must be exact.
func ParseMicros(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("%q has more than 6 decimals", s)
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not an amount", s)
		}
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > (1<<62)/Micro {
			return 0, fmt.Errorf("%q is too large", s)
		}
	}
	f := int64(0)
	if frac != "" {
		fv, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		f = fv
	}
	v := w*Micro + f
	if neg {
		v = -v
	}
	return v, nil
}

// MinorDigits is the number of decimals of a currency's minor unit (2
// for most; 0 for JPY, KRW and a few others; 3 for BHD, KWD, OMR, TND,
// JOD, IQD, LYD).
func MinorDigits(currency string) int {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF", "KMF", "GNF", "DJF", "VUV", "XPF", "BIF":
		return 0
	case "BHD", "KWD", "OMR", "TND", "JOD", "IQD", "LYD":
		return 3
	}
	return 2
}

// FormatMinor writes minor units as an exact decimal in the currency's
// major unit (MinorDigits decimals): 1299 USD is "12.99", 500 JPY is
// "500", 1234 KWD is "1.234".
func FormatMinor(v int64, currency string) string {
	d := MinorDigits(currency)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if d == 0 {
		return sign + strconv.FormatInt(v, 10)
	}
	pow := int64(1)
	for range d {
		pow *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, v/pow, d, v%pow)
}

// ParseMinor reads a decimal amount in the currency's major unit into
// minor units, exactly: a sign, an exponent or more decimals
// than the currency has is not an amount (false).
func ParseMinor(s, currency string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	d := MinorDigits(currency)
	if whole == "" || len(frac) > d || !digits(whole) || !digits(frac) {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<50 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", d-len(frac)), 10, 64); err != nil || f < 0 {
			return 0, false
		}
	}
	pow := int64(1)
	for range d {
		pow *= 10
	}
	return w*pow + f, true
}

// digits reports whether s holds ASCII digits only: strconv.ParseInt
// alone would also take a sign ("+5", and "1.+5" as 1.05).
func digits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// RoundMinor is the one rounding rule: it rounds micro-units to the
// currency's minor unit, half away from zero, and returns minor units.
func RoundMinor(micros int64, currency string) int64 {
	step := int64(Micro)
	for range MinorDigits(currency) {
		step /= 10
	}
	half := step / 2
	if micros < 0 {
		return -((-micros + half) / step)
	}
	return (micros + half) / step
}

// MinorToMicros converts minor units (cents) to micro-units.
func MinorToMicros(minor int64, currency string) int64 {
	step := int64(Micro)
	for range MinorDigits(currency) {
		step /= 10
	}
	return minor * step
}
