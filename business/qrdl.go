package business

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley"
)

// QR codes and prefilled links (Meta's message_qrdls). Each is a
// click-to-chat link of the number (Links), so its deep link opens a chat
// with the prefilled message and its clicks are counted; the number's
// list of them is a settings document (settingQRDLs).

const settingQRDLs = "qrdls"

// MaxQRDLs is how many QR codes a number keeps.
const MaxQRDLs = 2000

// QRDL is one QR code: its code (the link's) and prefilled message.
type QRDL struct {
	Code    string `json:"code"`
	LinkID  int64  `json:"link_id"`
	Prefill string `json:"prefilled_message"`
}

func checkPrefill(p string) error {
	if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 140 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "prefilled_message must be 1 to 140 characters")
	}
	return parley.CheckText("prefilled_message", p, parley.Lines)
}

// QRDLs returns the number's QR codes, oldest first.
func (b *Service) QRDLs(ctx context.Context, n BusinessNumber) ([]QRDL, error) {
	var qs []QRDL
	if _, err := b.getSetting(ctx, n, settingQRDLs, &qs); err != nil {
		return nil, err
	}
	return qs, nil
}

// CreateQRDL makes a QR code whose link opens a chat with the number,
// prefilled. CloudError 100 for an empty or long message or a full list.
func (b *Service) CreateQRDL(ctx context.Context, biz Business, n BusinessNumber, prefill string) (QRDL, error) {
	if err := checkPrefill(prefill); err != nil {
		return QRDL{}, err
	}
	qs, err := b.QRDLs(ctx, n)
	if err != nil {
		return QRDL{}, err
	}
	if len(qs) >= MaxQRDLs {
		return QRDL{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("a number keeps at most %d QR codes", MaxQRDLs))
	}
	l, err := b.links.Create(ctx, biz, n.ID, prefill, nil)
	if err != nil {
		return QRDL{}, err
	}
	q := QRDL{Code: strings.ToUpper(l.Code), LinkID: l.ID, Prefill: prefill}
	return q, b.putSetting(ctx, n, settingQRDLs, append(qs, q))
}

// QRDL returns one of the number's QR codes; ENotFound otherwise.
func (b *Service) QRDL(ctx context.Context, n BusinessNumber, code string) (QRDL, error) {
	qs, err := b.QRDLs(ctx, n)
	if err != nil {
		return QRDL{}, err
	}
	i := slices.IndexFunc(qs, func(q QRDL) bool { return strings.EqualFold(q.Code, code) })
	if i < 0 {
		return QRDL{}, parley.Errorf(parley.ENotFound, "no such QR code")
	}
	return qs[i], nil
}

// UpdateQRDL changes a QR code's prefilled message; its code and link
// stay.
func (b *Service) UpdateQRDL(ctx context.Context, n BusinessNumber, code, prefill string) (QRDL, error) {
	if err := checkPrefill(prefill); err != nil {
		return QRDL{}, err
	}
	qs, err := b.QRDLs(ctx, n)
	if err != nil {
		return QRDL{}, err
	}
	i := slices.IndexFunc(qs, func(q QRDL) bool { return strings.EqualFold(q.Code, code) })
	if i < 0 {
		return QRDL{}, parley.Errorf(parley.ENotFound, "no such QR code")
	}
	if err := b.st.SetLinkPrefill(ctx, qs[i].LinkID, prefill); err != nil {
		return QRDL{}, fmt.Errorf("set link prefill: %w", err)
	}
	qs[i].Prefill = prefill
	return qs[i], b.putSetting(ctx, n, settingQRDLs, qs)
}

// DeleteQRDL removes a QR code from the number's list. Its link stays
// (links are never deleted; their counts are the business's history) but
// loses its prefilled message.
func (b *Service) DeleteQRDL(ctx context.Context, n BusinessNumber, code string) error {
	qs, err := b.QRDLs(ctx, n)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(qs, func(q QRDL) bool { return strings.EqualFold(q.Code, code) })
	if i < 0 {
		return parley.Errorf(parley.ENotFound, "no such QR code")
	}
	if err := b.st.SetLinkPrefill(ctx, qs[i].LinkID, ""); err != nil {
		return fmt.Errorf("set link prefill: %w", err)
	}
	return b.putSetting(ctx, n, settingQRDLs, slices.Delete(qs, i, i+1))
}
