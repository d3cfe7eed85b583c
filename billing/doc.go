// Package billing turns the business usage ledger into money. It owns two
// layers:
//
//   - The rating engine, pure (no I/O, no clock, no database): the rate
//     card format (Parse), the three built-in pricing regimes and their
//     example cards (Builtin), the rating state of a month (Month, Rate,
//     Quote), the summaries that invoices and the simulator are made of
//     (Summarize, Simulate, BuildReport), and the one rounding rule
//     (RoundMinor). Files card.go, rate.go, replay.go, summary.go,
//     lines.go, simulate.go, report.go, svg.go, money.go, builtin.go.
//   - The Biller, which applies the engine to the live ledger through its
//     Store: rating at delivery, quotes and holds at send, wallets, budget
//     caps, top-ups, invoices and credit notes, the dashboard, the
//     simulator over the real ledger and the audit (biller*.go); the
//     usage ledger's entry and reader (ledger.go) and what the Biller
//     persists (store.go).
//
// It imports only the kernel (errors) and money (the payment provider and
// the money ledger). It never imports business: the business context
// builds the Biller (business.New) and passes, in Deps, what only it
// knows: who pays (Payer) and how to tell a business its balance is low
// (NotifyLowBalance). A refused paid send is a *Refusal, which business
// answers with Meta's 131042.
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
