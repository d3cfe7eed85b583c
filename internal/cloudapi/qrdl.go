package cloudapi

import (
	"fmt"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/parleyhq/parley/business"
)

// message_qrdls: QR codes and prefilled links of a number
// (business/qrdl.go). The image is drawn by github.com/skip2/go-qrcode,
// as PNG or SVG, and served at qr_image_url to the business's token.

func deepLink(r *http.Request, q business.QRDL) string {
	return baseURL(r) + "/c/" + strings.ToLower(q.Code)
}

func qrdlJSON(r *http.Request, n business.BusinessNumber, q business.QRDL, format string) map[string]any {
	out := map[string]any{"code": q.Code, "prefilled_message": q.Prefill, "deep_link_url": deepLink(r, q)}
	if format != "" {
		out["qr_image_url"] = fmt.Sprintf("%s/%s/%d/message_qrdls/%s/image?format=%s", baseURL(r), r.PathValue("version"), n.ID, q.Code, format)
	}
	return out
}

// qrFormat reads generate_qr_image (or a format): PNG, SVG or none.
func qrFormat(s string) (string, error) {
	switch f := strings.ToUpper(strings.TrimSpace(s)); f {
	case "", "PNG", "SVG":
		return f, nil
	}
	return "", invalid("generate_qr_image must be PNG or SVG")
}

func createQRDL(b *business.Service) bizFunc {
	type req struct {
		PrefilledMessage string `json:"prefilled_message"`
		GenerateQRImage  string `json:"generate_qr_image"`
		Code             string `json:"code"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		// Graph clients also send these in the query string.
		q := r.URL.Query()
		for _, f := range []struct {
			dst  *string
			name string
		}{{&in.PrefilledMessage, "prefilled_message"}, {&in.GenerateQRImage, "generate_qr_image"}, {&in.Code, "code"}} {
			if *f.dst == "" {
				*f.dst = q.Get(f.name)
			}
		}
		format, err := qrFormat(in.GenerateQRImage)
		if err != nil {
			return err
		}
		code := in.Code
		if c := r.PathValue("code"); c != "" {
			code = c
		}
		var qr business.QRDL
		if code != "" {
			qr, err = b.UpdateQRDL(r.Context(), n, code, in.PrefilledMessage)
		} else {
			qr, err = b.CreateQRDL(r.Context(), biz, n, in.PrefilledMessage)
		}
		if err != nil {
			return notFoundAs(r, code, err)
		}
		writeJSON(w, http.StatusOK, qrdlJSON(r, n, qr, format))
		return nil
	}
}

func listQRDLs(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var qs []business.QRDL
		if code := r.PathValue("code"); code != "" {
			q, err := b.QRDL(r.Context(), n, code)
			if err != nil {
				return notFoundAs(r, code, err)
			}
			qs = []business.QRDL{q}
		} else if qs, err = b.QRDLs(r.Context(), n); err != nil {
			return err
		}
		data := []map[string]any{}
		for _, q := range qs {
			data = append(data, qrdlJSON(r, n, q, ""))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func deleteQRDL(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		if err := b.DeleteQRDL(r.Context(), n, r.PathValue("code")); err != nil {
			return notFoundAs(r, r.PathValue("code"), err)
		}
		success(w)
		return nil
	}
}

// qrdlImage serves the QR code of a deep link as PNG (default) or SVG.
func qrdlImage(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		q, err := b.QRDL(r.Context(), n, r.PathValue("code"))
		if err != nil {
			return notFoundAs(r, r.PathValue("code"), err)
		}
		format, err := qrFormat(r.URL.Query().Get("format"))
		if err != nil {
			return err
		}
		qr, err := qrcode.New(deepLink(r, q), qrcode.Medium)
		if err != nil {
			return fmt.Errorf("qr code: %w", err)
		}
		if format == "SVG" {
			w.Header().Set("Content-Type", "image/svg+xml")
			_, _ = w.Write(qrSVG(qr.Bitmap()))
			return nil
		}
		png, err := qr.PNG(512)
		if err != nil {
			return fmt.Errorf("qr png: %w", err)
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
		return nil
	}
}

// qrSVG draws a QR bitmap (its quiet zone included) as SVG, one square
// per dark module.
func qrSVG(bits [][]bool) []byte {
	var sb strings.Builder
	size := len(bits)
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, size, size)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	sb.WriteString(`"/></svg>`)
	return []byte(sb.String())
}
