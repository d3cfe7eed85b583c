package ads

import (
	"cmp"
	"slices"

	"github.com/parleyhq/parley/wire"
)

// Profile is what a device knows and keeps to itself: the channels it
// follows, the advertisers whose ads it clicked, what it hid, how often it
// showed each campaign today, and whether its person turned
// personalisation on (off by default). The server never receives it;
// Rank is the rule the clients implement (internal/web/static/ads.js does
// the same in the browser).
type Profile struct {
	Personalised      bool
	Followed          []int64
	ClickedAdvertiser []string
	HiddenCampaigns   []int64
	HiddenAdvertisers []string
	ShownToday        map[int64]int
}

// Rank orders a placement's candidate set on the device: it drops hidden
// ads and advertisers and ads at the frequency cap, and, only when
// personalisation is on, drops follow ads for channels already followed
// and moves ads of advertisers the person clicked before to the front.
// Otherwise the auction's order stands. The reason it adds to "why this
// ad" says the ranking happened on the device.
func Rank(ads []wire.Ad, p Profile, frequencyCap int) []wire.Ad {
	out := make([]wire.Ad, 0, len(ads))
	for _, a := range ads {
		if slices.Contains(p.HiddenCampaigns, a.CampaignID) || slices.Contains(p.HiddenAdvertisers, a.AdvertiserID) {
			continue
		}
		if frequencyCap > 0 && p.ShownToday[a.CampaignID] >= frequencyCap {
			continue
		}
		if p.Personalised && a.Objective == ObjectiveFollow && slices.Contains(p.Followed, a.ChannelID) {
			continue
		}
		out = append(out, a)
	}
	if p.Personalised {
		slices.SortStableFunc(out, func(a, b wire.Ad) int {
			ca, cb := slices.Contains(p.ClickedAdvertiser, a.AdvertiserID), slices.Contains(p.ClickedAdvertiser, b.AdvertiserID)
			return cmp.Compare(boolRank(ca), boolRank(cb))
		})
		for i := range out {
			out[i].Why.Text += " Your device ranked it with what it knows (the channels you follow, ads you used); that stays on the device."
		}
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}
