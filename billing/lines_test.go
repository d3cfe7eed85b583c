package billing

import (
	"slices"
	"testing"
)

func TestLineBuilderIsSummarize(t *testing.T) {
	us := benchUsage(5000)
	us = append(us, us[:100]...) // duplicates
	for _, card := range []string{CardPerMessage25, CardPerMessage26, CardConversation} {
		r := NewRater(BuiltinCatalog(), func(int64) string { return card })
		var cs []Charge
		var b LineBuilder
		for _, u := range us {
			c, err := r.Rate(u)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
			b.Add(c)
		}
		want, wantTotal := Summarize(cs)
		got, total := b.Lines()
		if total != wantTotal || !slices.Equal(got, want) {
			t.Errorf("%s: got %d lines, total %d; want %d, %d", card, len(got), total, len(want), wantTotal)
		}
	}
}
