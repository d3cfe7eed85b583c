// Package billing turns the business usage ledger into money. It owns the
// rate card format (Parse), the three built-in pricing regimes and their
// example cards (Builtin), the rating engine (Month, Rate, Quote), the
// summaries that invoices and the simulator are made of (Summarize), and
// the one rounding rule (RoundMinor).
//
// It is pure: no I/O, no clock, no database. It imports only the
// standard library, so that the domain package (which does the I/O
// through its Store) and the benchmarks can both use it.
//
// # Money and the rounding rule
//
// Amounts are int64 micro-units (millionths) of an ISO-4217 currency:
// USD 0.0688 is 68800. Rate card prices have at most six decimals, so a
// price is exact and so is every charge: rating never rounds. Sums of
// charges (invoice lines, invoice totals, wallet balances, budget caps)
// are exact sums of micro-units. The only rounding is RoundMinor, applied
// once, to an invoice total when it is stated in the currency's minor
// unit (cents): half away from zero.
package billing
