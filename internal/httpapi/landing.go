package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/parleyhq/parley/business"
)

// The landing page of a click-to-chat link, for a browser: it opens the
// chat in the web app (/#/c/{code}, after logging in if needed, with the
// text prefilled), still offers the app's deep link, and carries Open
// Graph tags so that a link shared in a chat or a post previews as the
// business: its name, its picture and, for an ad's link, the ad's
// headline.

// landing is what the page shows.
type landing struct {
	Business    string       // the number's display name
	Title       string       // og:title: the ad's headline, else "Chat with NAME"
	Description string       // og:description: the prefilled text, or the ad's body, or the profile's about
	Image       string       // og:image: the ad's image, else the profile picture; none when empty
	WebApp      string       // /#/c/{code}
	DeepLink    template.URL // the app's scheme://chat?... (the operator's scheme, which html/template would refuse)
	Text        string       // the prefilled message
	Style       template.CSS
}

// landingStyle is the page's only style, allowed by its hash in the
// Content-Security-Policy (no script at all).
const landingStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#111}
img{width:96px;height:96px;border-radius:50%;object-fit:cover}.open{display:inline-block;padding:.7rem 1.2rem;border-radius:1.5rem;background:#0a7c5a;color:#fff;text-decoration:none;font-weight:600}
blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #0a7c5a;background:#f3f6f5}`

var landingCSP = func() string {
	sum := sha256.Sum256([]byte(landingStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title>
<meta property="og:type" content="website">
<meta property="og:site_name" content="Parley">
<meta property="og:title" content="{{.Title}}">
{{with .Description}}<meta property="og:description" content="{{.}}">
<meta name="description" content="{{.}}">
{{end}}{{with .Image}}<meta property="og:image" content="{{.}}">
{{end}}<style>{{.Style}}</style>
</head><body>
{{with .Image}}<img src="{{.}}" alt="">{{end}}
<h1>Chat with {{.Business}} on Parley</h1>
{{if ne .Title (printf "Chat with %s" .Business)}}<p id="headline">{{.Title}}</p>{{end}}
{{with .Text}}<p>Your message, ready to send:</p><blockquote id="prefill">{{.}}</blockquote>{{end}}
<p><a class="open" id="open-web" href="{{.WebApp}}">Open the chat in Parley Web</a></p>
<p><a id="open-app" href="{{.DeepLink}}">Open the chat in the Parley app</a></p>
</body></html>
`))

// writeLanding renders the landing page of link l (opened as click c) of
// number n.
func writeLanding(w http.ResponseWriter, r *http.Request, biz *business.Service, l business.Link, n business.BusinessNumber, out ChatLink) {
	p := landing{Style: landingStyle, Business: n.DisplayName, Title: "Chat with " + n.DisplayName, Description: l.Prefill,
		WebApp: "/#/c/" + l.Code, DeepLink: template.URL(out.DeepLink), Text: l.Prefill}
	if b, err := biz.GetBusiness(r.Context(), n.BusinessID); err == nil {
		if prof, err := biz.Profile(r.Context(), b, n); err == nil {
			p.Image = prof.ProfilePictureURL
			if p.Description == "" {
				p.Description = prof.About
			}
		}
	}
	if s := l.Source; s != nil {
		if s.Headline != "" {
			p.Title = s.Headline
		}
		if s.Body != "" && p.Description == "" {
			p.Description = s.Body
		}
		for _, img := range []string{s.ImageURL, s.ThumbnailURL} {
			if img != "" {
				p.Image = img
				break
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", landingCSP)
	_ = landingPage.Execute(w, p)
}
