package busline

import (
	"bytes"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// Ticket renders a paid booking's ticket: an A6 PDF with the trip, the
// seat, the passenger and a QR code of the booking reference that the
// conductor scans. The page is not compressed, so the reference reads
// in the file as text.
func Ticket(b Booking) ([]byte, error) {
	qr, err := qrcode.Encode("BUSLINE:"+b.Ref+":"+b.Trip.ID+":"+b.Seat, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	p := fpdf.New("P", "mm", "A6", "")
	p.SetCompression(false)
	p.SetTitle("Busline ticket "+b.Ref, true)
	p.SetSubject("Booking "+b.Ref, true)
	p.SetCreator("Busline (Parley demo)", true)
	p.AddPage()
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetFont("Helvetica", "B", 18)
	p.Cell(0, 9, "Busline")
	p.Ln(9)
	p.SetFont("Helvetica", "", 9)
	p.Cell(0, 5, "Bus ticket - show this QR code when you board")
	p.Ln(8)
	line := func(label, value string) {
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(24, 6, label, "", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 10)
		p.Cell(0, 6, tr(value))
		p.Ln(6)
	}
	line("Booking", b.Ref)
	line("Passenger", b.Passenger)
	line("From", mustCity(b.Trip.From))
	line("To", mustCity(b.Trip.To))
	line("Departs", b.Trip.Departure.Format("Mon 2 Jan 2006, 15:04")+" IST")
	line("Seat", b.Seat)
	line("Paid", fmt.Sprintf("INR %d.%02d", b.Trip.FareMinor/100, b.Trip.FareMinor%100))
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	p.ImageOptions("qr", 27, p.GetY()+3, 50, 50, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render the ticket: %w", err)
	}
	return buf.Bytes(), nil
}
