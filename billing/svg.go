package billing

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// palette colours the models of a chart in Report order.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// WriteSVG draws the report as one standalone SVG image: revenue per
// month with one bar per model (the base first), and below it the
// businesses whose bill changes most from the base to the alternative
// (increases to the right, decreases to the left). Every label is an
// exact amount written by FormatMicros; pixel sizes are the only
// approximation. The text is escaped, so card names cannot break the
// markup.
func WriteSVG(w io.Writer, r Report) error {
	const (
		width   = 960
		left    = 110 // room for the y axis labels
		right   = 20
		top     = 70
		plotH   = 280
		rowH    = 20
		gap     = 70
		legendH = 22
	)
	months := int(r.To-r.From) + 1
	deltas := append(append([]Delta{}, r.Gainers...), r.Losers...)
	changesH := 0
	if r.Alt != r.Base {
		changesH = gap + 30 + max(1, len(deltas))*rowH
	}
	height := top + plotH + 40 + legendH*((len(r.Models)+2)/3) + changesH + 20
	var b bytes.Buffer
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pf(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	pf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	pf(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	pf(`<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", left, esc(fmt.Sprintf("Revenue by month, %s to %s (%s)", r.From, r.To, r.Currency)))
	pf(`<text x="%d" y="44" fill="#555">%s</text>`+"\n", left, esc(fmt.Sprintf("%d usage entries of %d businesses; base %s", r.Entries, r.Businesses, r.Base)))

	// Revenue per month per model.
	var peak int64
	for _, m := range r.Models {
		for p := r.From; p <= r.To; p++ {
			peak = max(peak, m.ByPeriod[p])
		}
	}
	peak = niceCeil(peak)
	plotW := width - left - right
	base := top + plotH
	for i := 0; i <= 4; i++ {
		y := base - plotH*i/4
		pf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", left, y, width-right, y)
		pf(`<text x="%d" y="%d" text-anchor="end" fill="#555">%s</text>`+"\n", left-6, y+4, esc(FormatMicros(peak*int64(i)/4)))
	}
	groupW := plotW / max(months, 1)
	barW := max(1, (groupW-12)/max(len(r.Models), 1))
	for i := 0; i < months; i++ {
		p := r.From + Period(i)
		gx := left + i*groupW + 6
		for j, m := range r.Models {
			v := m.ByPeriod[p]
			h := 0
			if peak > 0 {
				h = int(v * int64(plotH) / peak)
			}
			pf(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>`+"\n",
				gx+j*barW, base-h, max(barW-1, 1), h, palette[j%len(palette)], esc(fmt.Sprintf("%s %s: %s %s", m.Card, p, r.Currency, FormatMicros(v))))
		}
		pf(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", left+i*groupW+groupW/2, base+16, esc(p.String()))
	}
	pf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, base, width-right, base)
	ly := base + 40
	for j, m := range r.Models {
		x := left + (j%3)*(plotW/3)
		y := ly + (j/3)*legendH
		label := fmt.Sprintf("%s: %s %s", m.Card, r.Currency, FormatMicros(m.Total))
		if m.UpperBound {
			label += " (upper bound)"
		}
		if m.Card == r.Base {
			label += " [base]"
		}
		pf(`<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x, y-10, palette[j%len(palette)])
		pf(`<text x="%d" y="%d">%s</text>`+"\n", x+18, y, esc(label))
	}

	// The largest changes per business.
	if r.Alt != r.Base {
		cy := ly + legendH*((len(r.Models)+2)/3) + gap - 20
		pf(`<text x="%d" y="%d" font-size="16" font-weight="bold">%s</text>`+"\n", left, cy,
			esc(fmt.Sprintf("Largest changes per business, %s → %s (%d pay more, %d less)", r.Base, r.Alt, r.More, r.Less)))
		var most int64
		for _, d := range deltas {
			most = max(most, d.Change, -d.Change)
		}
		mid := left + plotW/2
		half := int64(plotW/2 - 110)
		y0 := cy + 20
		if len(deltas) == 0 {
			pf(`<text x="%d" y="%d" fill="#555">no business pays a different amount</text>`+"\n", left, y0+14)
		}
		for i, d := range deltas {
			y := y0 + i*rowH
			l := 0
			if most > 0 {
				l = int(max(d.Change, -d.Change) * half / most)
			}
			x, colour, anchor, tx := mid, "#2ca02c", "start", mid+l+4
			if d.Change < 0 {
				x, colour, anchor, tx = mid-l, "#d62728", "end", mid-l-4
			}
			pf(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x, y, max(l, 1), rowH-4, colour)
			pf(`<text x="%d" y="%d" text-anchor="%s">%s</text>`+"\n", tx, y+rowH-8, anchor,
				esc(fmt.Sprintf("business %d: %s (%s → %s)", d.BusinessID, signed(d.Change), FormatMicros(d.Base), FormatMicros(d.Alt))))
		}
		pf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", mid, y0-4, mid, y0+max(1, len(deltas))*rowH)
	}
	pf("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// esc escapes text for XML character data and attribute values.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so that the
// axis labels are round amounts.
func niceCeil(v int64) int64 {
	if v <= 0 {
		return 0
	}
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
		if p > (1<<62)/10 {
			return v
		}
	}
}
