package ads

import "time"

// PaceSlack is how far ahead of an even spread across the day a campaign
// may spend: half an hour's share of its daily budget.
const PaceSlack = 30 * time.Minute

// Pace reports whether a campaign that has spent spentToday of its daily
// budget may enter an auction at elapsed time into its day: it may while
// its spend stays under the even line daily × (elapsed + PaceSlack) / 24 h
// and under the daily budget. So a campaign cannot spend its budget in
// the first hour; with enough traffic it spends it by the end of the day.
// Days are UTC days.
func Pace(daily, spentToday int64, elapsed time.Duration) bool {
	if spentToday >= daily {
		return false
	}
	if elapsed < 0 {
		elapsed = 0
	}
	day := int64(24 * time.Hour / time.Second)
	line := daily * (int64(elapsed/time.Second) + int64(PaceSlack/time.Second)) / day
	return spentToday < min(line, daily)
}

// DayOf is the UTC day number of t (days since 1970-01-01).
func DayOf(t time.Time) int64 { return t.Unix() / 86400 }

// DayString writes a day number as YYYY-MM-DD.
func DayString(day int64) string { return time.Unix(day*86400, 0).UTC().Format(time.DateOnly) }
