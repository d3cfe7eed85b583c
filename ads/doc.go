// Package ads is the advertising context (docs/ADS.md): campaigns and
// their review, placements, selection (a second-price auction per
// placement with an operator floor, paced across the day), the events
// clients report, and the aggregate reports advertisers read (k-anonymous
// folding, then calibrated discrete noise from ads/dpnoise under a
// per-campaign daily privacy budget).
//
// The rules are pure functions a table test can call: Validate and
// AutoReview (campaign.go), Auction (auction.go), Pace (pacing.go),
// Aggregate, Fold and Release (report.go), Explain (why.go) and Rank,
// the on-device ranking a client runs (rank.go). Service applies them
// through Store.
//
// What it may import: the kernel, money and wire; never chat, channel or
// business. No message, contact or group can feed an ad: the only facts
// about a viewer that reach this package are the placement, the client's
// language and the country of the phone prefix, passed in per request by
// the wiring (Viewers) and never stored. deps_test.go enforces the rule.
package ads
