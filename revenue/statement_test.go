package revenue

import (
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"pgregory.net/rapid"
)

// TestChannelStatementSplits: for any prices and any revenue share, each
// line and the channel's totals split exactly: gross = operator share +
// net, the share is within [0, gross], and the totals are the sums of
// the lines. Entries of other kinds and channels' other entries do not
// count.
func TestChannelStatementSplits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bp := rapid.IntRange(0, 10000).Draw(t, "bp")
		prices := rapid.SliceOfN(rapid.Int64Range(1, 100_000_000), 0, 50).Draw(t, "prices")
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var es []money.LedgerEntry
		var want int64
		for i, p := range prices {
			key := "chsub:7:" + strconv.Itoa(i) + ":1"
			es = append(es,
				money.LedgerEntry{Key: key + ":charge", ChannelID: 7, Kind: "subscription_charge", Minor: p, Currency: "USD", At: at},
				money.LedgerEntry{Key: key + ":share", ChannelID: 7, Kind: "operator_share", Minor: money.RevenueShare(p, bp), Currency: "USD", At: at})
			want += p
		}
		es = append(es, money.LedgerEntry{Key: "chpromo:7:1:charge", ChannelID: 7, Kind: "promotion_charge", Minor: 999, Currency: "USD", At: at})
		cs := channelStatement(7, "USD", es)
		if len(cs.Lines) != len(prices) {
			t.Fatalf("got %d lines, want %d", len(cs.Lines), len(prices))
		}
		var gross, share, net int64
		for _, l := range cs.Lines {
			if l.Gross != l.OperatorShare+l.Net || l.OperatorShare < 0 || l.OperatorShare > l.Gross {
				t.Fatalf("line %+v does not split", l)
			}
			gross, share, net = gross+l.Gross, share+l.OperatorShare, net+l.Net
		}
		if cs.Gross.Minor != want || cs.Gross.Minor != gross || cs.OperatorShare.Minor != share || cs.Net.Minor != net {
			t.Fatalf("totals %+v, want the sums of the lines (gross %d)", cs, want)
		}
		if cs.Gross.Minor != cs.OperatorShare.Minor+cs.Net.Minor {
			t.Fatalf("got gross %d, want share %d + net %d", cs.Gross.Minor, cs.OperatorShare.Minor, cs.Net.Minor)
		}
	})
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		next string
	}{
		{"2026-12", true, "2027-01"},
		{"2026-01", true, "2026-02"},
		{"2026-13", false, ""},
		{"2026-1", false, ""},
		{"26-01", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			start, end, err := ParseMonth("month", tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				if parley.ErrorCode(err) != parley.EInvalid {
					t.Fatalf("got code %q, want %q", parley.ErrorCode(err), parley.EInvalid)
				}
				return
			}
			if start.Format("2006-01") != tt.in || end.Format("2006-01") != tt.next {
				t.Fatalf("got %v..%v, want %s..%s", start, end, tt.in, tt.next)
			}
		})
	}
}

// TestStatementHasAdShares: the owner's share of the ads shown in the
// channel is a line of its own, all of it the owner's.
func TestStatementHasAdShares(t *testing.T) {
	at := time.Date(2026, 11, 2, 23, 59, 59, 0, time.UTC)
	cs := channelStatement(7, "USD", []money.LedgerEntry{
		{Key: "chsub:7:1:1:charge", ChannelID: 7, Kind: "subscription_charge", Minor: 500, Currency: "USD", At: at},
		{Key: "chsub:7:1:1:share", ChannelID: 7, Kind: "operator_share", Minor: 50, Currency: "USD", At: at},
		{Key: "ads-owner:7:20394", ChannelID: 7, Kind: "ad_owner_share", Minor: 120, Currency: "USD", Ref: "ads:2025-11-02", At: at},
	})
	if len(cs.Lines) != 2 || cs.Lines[1].Gross != 120 || cs.Lines[1].Net != 120 || cs.Lines[1].Ref != "ads:2025-11-02" ||
		cs.Gross.Minor != 620 || cs.Net.Minor != 570 || cs.OperatorShare.Minor != 50 {
		t.Fatalf("got %+v", cs)
	}
}
