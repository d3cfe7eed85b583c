package ads

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parleyhq/parley/wire"
)

// Context is everything the server may know about where an ad is shown:
// the placement (and the channel, inside a channel), the client's
// language and the country of the viewer's phone prefix, read at request
// time and never stored.
type Context struct {
	Placement string
	ChannelID int64 // in_channel
	Language  string
	Country   string
}

// Matches reports whether a campaign's targeting admits the context.
func Matches(t *wire.AdTargeting, cx Context) bool {
	if !slices.Contains(t.Placements, cx.Placement) {
		return false
	}
	if cx.Placement == PlacementInChannel && len(t.Channels) > 0 && !slices.Contains(t.Channels, cx.ChannelID) {
		return false
	}
	if len(t.Languages) > 0 && !slices.Contains(t.Languages, cx.Language) {
		return false
	}
	if len(t.Countries) > 0 && !slices.Contains(t.Countries, cx.Country) {
		return false
	}
	return true
}

var placementText = map[string]string{
	PlacementUpdatesFeed: "between channel posts in the Updates tab",
	PlacementUpdatesList: "in the channel list of the Updates tab",
	PlacementDirectory:   "in the channel directory",
	PlacementInChannel:   "in a channel whose owner shows ads",
}

// Explain says exactly which signals chose an ad: the placement always;
// the channel when the campaign targets channels; the language and the
// country only when the campaign targets them (otherwise they played no
// part and are not named). It names what was not used.
func Explain(t *wire.AdTargeting, cx Context) wire.AdWhy {
	w := wire.AdWhy{Placement: cx.Placement}
	parts := []string{"it is shown " + placementText[cx.Placement]}
	if cx.Placement == PlacementInChannel && len(t.Channels) > 0 {
		w.ChannelID = cx.ChannelID
		parts = append(parts, "the advertiser chose this channel")
	}
	if len(t.Languages) > 0 {
		w.Language = cx.Language
		parts = append(parts, fmt.Sprintf("your app's language is %s", cx.Language))
	}
	if len(t.Countries) > 0 {
		w.Country = cx.Country
		parts = append(parts, fmt.Sprintf("your phone number is from %s", cx.Country))
	}
	w.Text = "You see this ad because " + strings.Join(parts, ", and ") +
		". Parley did not use your messages, contacts, groups or the channels you follow."
	return w
}
