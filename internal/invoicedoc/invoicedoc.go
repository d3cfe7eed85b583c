// Package invoicedoc renders a business's invoice as HTML and as PDF (on
// codeberg.org/go-pdf/fpdf). It owns presentation only: the figures come
// from parley.Invoice, exact, and are printed with billing.FormatMicros.
// It imports the domain and internal/billing.
package invoicedoc

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/parleyhq/parley/billing"
)

// Doc is what an invoice document shows.
type Doc struct {
	Invoice  billing.Invoice
	Business string // the business's name
	Issuer   string // the operator's name
}

func money(v int64) string { return billing.FormatMicros(v) }

// minor writes a total rounded to minor units, e.g. 1234 USD cents as "12.34".
func minor(v int64, currency string) string {
	d := billing.MinorDigits(currency)
	s := strconv.FormatInt(abs(v), 10)
	for len(s) <= d {
		s = "0" + s
	}
	out := s
	if d > 0 {
		out = s[:len(s)-d] + "." + s[len(s)-d:]
	}
	if v < 0 {
		out = "-" + out
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

var page = template.Must(template.New("invoice").Funcs(template.FuncMap{"money": money, "minor": minor}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {{.Invoice.ID}} · {{.Invoice.Period}}</title></head>
<body>
<h1>Invoice {{.Invoice.ID}}</h1>
<p>{{.Issuer}} · period {{.Invoice.Period}} · issued {{.Invoice.IssuedAt.Format "2006-01-02"}}</p>
<p>Billed to: {{.Business}} (business account {{.Invoice.BusinessID}})</p>
<table>
<thead><tr><th>Category</th><th>Market</th><th>Tier</th><th>Card</th><th>Reason</th><th>Units</th><th>Unit price</th><th>Amount ({{.Invoice.Currency}})</th></tr></thead>
<tbody>
{{range .Invoice.Lines}}<tr><td>{{.Category}}</td><td>{{.Market}}</td><td>{{.Tier}}</td><td>{{.Card}}</td><td>{{.Reason}}</td><td>{{.Units}}</td><td>{{money .Unit}}</td><td>{{money .Amount}}</td></tr>
{{end}}</tbody>
<tfoot>
<tr><th colspan="7">Total (exact)</th><td>{{money .Invoice.Total}}</td></tr>
<tr><th colspan="7">Total due, rounded once to the minor unit</th><td>{{minor .Invoice.TotalMinor .Invoice.Currency}}</td></tr>
{{range .Invoice.Notes}}<tr><th colspan="7">Credit note {{.ID}} ({{.At.Format "2006-01-02"}}): {{.Reason}}</th><td>-{{money .Amount}}</td></tr>
{{end}}</tfoot>
</table>
</body></html>
`))

// HTML writes the invoice as an HTML page with no script or style.
func HTML(w io.Writer, d Doc) error {
	return page.Execute(w, d)
}

// PDF writes the invoice as an A4 PDF.
func PDF(w io.Writer, d Doc) error {
	in := d.Invoice
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle(fmt.Sprintf("Invoice %d %s", in.ID, in.Period), true)
	p.SetCreator("Parley", true)
	p.AddPage()
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetFont("Helvetica", "B", 16)
	p.Cell(0, 10, fmt.Sprintf("Invoice %d", in.ID))
	p.Ln(10)
	p.SetFont("Helvetica", "", 10)
	p.Cell(0, 6, tr(fmt.Sprintf("%s - period %s - issued %s", d.Issuer, in.Period, in.IssuedAt.Format("2006-01-02"))))
	p.Ln(6)
	p.Cell(0, 6, tr(fmt.Sprintf("Billed to: %s (business account %d)", d.Business, in.BusinessID)))
	p.Ln(10)
	cols := []struct {
		title string
		w     float64
	}{{"Category", 26}, {"Market", 16}, {"Tier", 26}, {"Card", 40}, {"Reason", 34}, {"Units", 14}, {"Unit", 16}, {"Amount " + in.Currency, 18}}
	p.SetFont("Helvetica", "B", 8)
	for _, c := range cols {
		p.CellFormat(c.w, 6, c.title, "1", 0, "L", false, 0, "")
	}
	p.Ln(-1)
	p.SetFont("Helvetica", "", 8)
	for _, l := range in.Lines {
		cells := []string{string(l.Category), l.Market, l.Tier, l.Card, string(l.Reason), strconv.FormatInt(l.Units, 10), money(l.Unit), money(l.Amount)}
		for i, c := range cols {
			align := "L"
			if i >= 5 {
				align = "R"
			}
			p.CellFormat(c.w, 5, tr(cells[i]), "1", 0, align, false, 0, "")
		}
		p.Ln(-1)
	}
	p.Ln(4)
	p.SetFont("Helvetica", "B", 10)
	p.Cell(0, 6, fmt.Sprintf("Total (exact): %s %s", in.Currency, money(in.Total)))
	p.Ln(6)
	p.Cell(0, 6, fmt.Sprintf("Total due: %s %s", in.Currency, minor(in.TotalMinor, in.Currency)))
	p.Ln(6)
	p.SetFont("Helvetica", "", 9)
	for _, n := range in.Notes {
		p.Cell(0, 5, tr(fmt.Sprintf("Credit note %d (%s): -%s %s, %s", n.ID, n.At.Format("2006-01-02"), in.Currency, money(n.Amount), n.Reason)))
		p.Ln(5)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ErrFormat is Serve's answer to a format it does not know.
var ErrFormat = errors.New("unknown invoice format")

// Serve writes the invoice document in format html or pdf (a download),
// with its content type; ErrFormat for another format.
func Serve(w http.ResponseWriter, format string, d Doc) error {
	switch format {
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		return HTML(w, d)
	case "pdf":
		var buf bytes.Buffer
		if err := PDF(&buf, d); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="invoice-%d-%s.pdf"`, d.Invoice.ID, d.Invoice.Period))
		_, err := w.Write(buf.Bytes())
		return err
	}
	return ErrFormat
}

// ChargesCSV writes the rated ledger of a period as CSV, reading it with
// page (charges with id > after, by id; fewer than asked at the end).
func ChargesCSV(w http.ResponseWriter, p billing.Period, page func(after int64) ([]billing.StoredCharge, error)) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="charges-`+p.String()+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "key", "business_id", "at", "period", "card", "card_version", "regime", "category", "country", "market",
		"tier", "reason", "amount", "amount_micros", "currency"})
	var after int64
	for {
		cs, err := page(after)
		if err != nil {
			return err // the headers are out: the body ends short, which a reader sees
		}
		for _, c := range cs {
			after = c.ID
			_ = cw.Write([]string{strconv.FormatInt(c.ID, 10), c.Key, strconv.FormatInt(c.BusinessID, 10), c.At.UTC().Format(time.RFC3339Nano),
				c.Period.String(), c.Card, strconv.Itoa(c.Version), string(c.Regime), string(c.Category), c.Country, c.Market, c.TierLabel,
				string(c.Reason), billing.FormatMicros(c.Amount), strconv.FormatInt(c.Amount, 10), c.Currency})
		}
		if len(cs) < 5000 {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

// ChargeJSON is a rated ledger entry as the APIs show it.
func ChargeJSON(c billing.StoredCharge) map[string]any {
	return map[string]any{"id": c.ID, "key": c.Key, "business_id": c.BusinessID, "at": c.At.UTC().Format(time.RFC3339Nano),
		"period": c.Period, "card": c.Card, "card_version": c.Version, "regime": c.Regime, "category": c.Category, "country": c.Country,
		"market": c.Market, "tier": c.TierLabel, "reason": c.Reason, "amount": billing.FormatMicros(c.Amount), "amount_micros": c.Amount,
		"currency": c.Currency}
}
