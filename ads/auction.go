package ads

import (
	"cmp"
	"slices"
)

// Bidder is one eligible campaign in a placement's auction.
type Bidder struct {
	CampaignID int64
	BidKind    string // cpm | cpc
	Bid        int64  // micros per thousand impressions (cpm) or per click (cpc)
	// ClickRate is the expected clicks per million impressions of a CPC
	// bidder, which turns its bid into an effective CPM.
	ClickRate int64
}

// ECPM is the bidder's effective bid in micros per thousand impressions.
func (b Bidder) ECPM() int64 {
	if b.BidKind == BidCPC {
		return b.Bid * b.ClickRate / 1000
	}
	return b.Bid
}

// Win is a bidder that won a slot, with the price it pays: per thousand
// impressions for a CPM bidder (a multiple of 1000 micros, so that each
// impression costs an exact micro amount), per click for a CPC bidder.
type Win struct {
	Bidder
	Price int64
}

// Auction runs a generalised second-price auction for up to slots slots:
// bidders are ranked by effective CPM (ties by the lower campaign id, the
// older campaign); a bidder under the floor (micros per thousand
// impressions) never wins; each winner pays the effective CPM of the
// bidder ranked after it, or the floor, whichever is higher, converted to
// its own bid kind and never more than its own bid. With one slot this is
// the Vickrey auction. Prices round down (in the advertiser's favour).
func Auction(bs []Bidder, floor int64, slots int) []Win {
	if slots <= 0 {
		return nil
	}
	ranked := make([]Bidder, 0, len(bs))
	for _, b := range bs {
		if b.ECPM() >= floor && b.ECPM() > 0 {
			ranked = append(ranked, b)
		}
	}
	slices.SortFunc(ranked, func(a, b Bidder) int {
		return cmp.Or(cmp.Compare(b.ECPM(), a.ECPM()), cmp.Compare(a.CampaignID, b.CampaignID))
	})
	n := min(slots, len(ranked))
	out := make([]Win, n)
	for i := range n {
		next := floor
		if i+1 < len(ranked) {
			next = max(next, ranked[i+1].ECPM())
		}
		out[i] = Win{Bidder: ranked[i], Price: priceOf(ranked[i], next)}
	}
	return out
}

// priceOf converts a clearing effective CPM into b's bid kind.
func priceOf(b Bidder, ecpm int64) int64 {
	if b.BidKind == BidCPC {
		if b.ClickRate <= 0 {
			return b.Bid
		}
		return min(b.Bid, ecpm*1000/b.ClickRate)
	}
	return min(b.Bid, ecpm/1000*1000)
}

// TopK returns the k best bidders by effective CPM without sorting all of
// them: the candidate set of a placement among many campaigns. The result
// is ranked; pass it to Auction.
func TopK(bs []Bidder, k int) []Bidder {
	if len(bs) <= k {
		return bs
	}
	// A bounded selection: keep the k best in a small sorted buffer.
	better := func(a, b Bidder) bool {
		return a.ECPM() > b.ECPM() || (a.ECPM() == b.ECPM() && a.CampaignID < b.CampaignID)
	}
	top := make([]Bidder, 0, k+1)
	for _, b := range bs {
		if len(top) == k && !better(b, top[k-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, b, func(x, y Bidder) int {
			if better(x, y) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, b)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}
