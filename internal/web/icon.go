package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"
)

// The app's icon as PNG, drawn here from the same shapes as
// static/shared/icon.svg (a white speech bubble on a green rounded
// square, in a 64-unit box), for the web app manifest: browsers want
// bitmaps of 192 and 512 pixels to install an app, and a maskable one
// whose content stays inside the central circle that every platform's
// mask keeps. No art is fetched; the PNGs are made once per process.
var icons = sync.OnceValues(func() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, ic := range []struct {
		name     string
		size     int
		maskable bool
	}{
		{"app/icon-192.png", 192, false},
		{"app/icon-512.png", 512, false},
		{"app/icon-maskable-512.png", 512, true},
	} {
		b, err := drawIcon(ic.size, ic.maskable)
		if err != nil {
			return nil, fmt.Errorf("draw %s: %w", ic.name, err)
		}
		out[ic.name] = b
	}
	return out, nil
})

var (
	iconGreen = color.NRGBA{0x0b, 0x7a, 0x5c, 0xff}
	iconWhite = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// drawIcon renders the icon at size pixels, 3×3 samples per pixel. A
// maskable icon fills the whole square and shrinks the bubble to 80 %
// around the centre, inside the safe zone (a circle of 40 % radius).
func drawIcon(size int, maskable bool) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 3
	unit := 64 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var bg, fg int
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/n) * unit
					y := (float64(py) + (float64(sy)+0.5)/n) * unit
					if !maskable && !inRoundRect(x, y, 0, 0, 64, 64, 14) {
						continue
					}
					bx, by := x, y
					if maskable {
						bx, by = 32+(x-32)/0.8, 32+(y-32)/0.8
					}
					if inBubble(bx, by) {
						fg++
					} else {
						bg++
					}
				}
			}
			img.SetNRGBA(px, py, blend(bg, fg, n*n))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// blend is the pixel covered by bg samples of green and fg of white out
// of total (the rest transparent).
func blend(bg, fg, total int) color.NRGBA {
	cov := bg + fg
	if cov == 0 {
		return color.NRGBA{}
	}
	mix := func(a, b uint8) uint8 { return uint8((int(a)*bg + int(b)*fg + cov/2) / cov) }
	return color.NRGBA{
		R: mix(iconGreen.R, iconWhite.R), G: mix(iconGreen.G, iconWhite.G), B: mix(iconGreen.B, iconWhite.B),
		A: uint8((255*cov + total/2) / total),
	}
}

// inBubble is the bubble of icon.svg: a rounded rectangle from (10,18) to
// (54,44) with a tail down to (20,52).
func inBubble(x, y float64) bool {
	if inRoundRect(x, y, 10, 18, 54, 44, 6) {
		return true
	}
	// The tail: the triangle (20,44) (30,44) (20,52).
	return x >= 20 && y >= 44 && y <= 52 && x <= 30-(y-44)*10/8
}

func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}
