package httpapi

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/wire"
)

// The ads product on /v1 (docs/ADS.md): the candidate set of a placement
// and the events a client reports; a channel owner's campaigns, their
// reports and the opt-in to ads inside a channel; the public ad library.
// A business's campaigns are on the Cloud API (internal/cloudapi/ads.go),
// the review queue on the admin API.

func account(p parley.Principal) ads.Advertiser {
	return ads.Advertiser{Kind: ads.AdvertiserAccount, ID: p.AccountID}
}

func adCandidates(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		q := r.URL.Query()
		ch, err := queryInt(r, "channel", 0)
		if err != nil {
			return err
		}
		v, err := svc.Candidates(r.Context(), p, q.Get("placement"), ch, q.Get("lang"))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func adEvent(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.AdEvent
		if err := decode(w, r, 4<<10, &in); err != nil {
			return err
		}
		v, err := svc.Event(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func createAdCampaign(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.AdCampaign
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.Create(r.Context(), account(p), in, in.PaymentMethod)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	}
}

func listAdCampaigns(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.Campaigns(r.Context(), account(p))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"campaigns": v})
		return nil
	}
}

func getAdCampaign(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := svc.Campaign(r.Context(), account(p), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func pauseAdCampaign(svc *ads.Service, paused bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := svc.SetPaused(r.Context(), account(p), id, paused)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func adReport(svc *ads.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := svc.Report(r.Context(), account(p), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func setAdOptIn(svc *ads.Service, on bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := svc.SetOptIn(r.Context(), p, id, on)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func adLibraryJSON(svc *ads.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		before, err := queryInt(r, "before", 0)
		if err != nil {
			return err
		}
		v, err := svc.Library(r.Context(), before, 50)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"ads": v})
		return nil
	}
}

var adLibraryTmpl = template.Must(template.New("library").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley ad library</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Ad library</h1>
<p>Every ad that runs or ran on this server: who paid for it, when it ran, where it showed, whom it targeted and how much was spent, as a range.
Targeting is only ever the placement, the language and the country; no ad was chosen from messages, contacts or groups.</p>
<table><thead><tr><th>Advertiser</th><th>Ad</th><th>Objective</th><th>Dates</th><th>Placements</th><th>Languages</th><th>Countries</th><th>Status</th><th>Spend</th></tr></thead>
<tbody>{{range .Ads}}<tr><td>{{.Advertiser}}</td><td>{{range .Creatives}}<p><strong>{{.Headline}}</strong> {{.Text}}</p>{{end}}</td>
<td>{{.Objective}}</td><td>{{.Start}} – {{if .End}}{{.End}}{{else}}open{{end}}</td>
<td>{{range .Targeting.Placements}}{{.}} {{end}}</td><td>{{range .Targeting.Languages}}{{.}} {{else}}any{{end}}</td>
<td>{{range .Targeting.Countries}}{{.}} {{else}}any{{end}}</td><td>{{.Status}}</td><td>{{.SpendRange}}</td></tr>
{{else}}<tr><td colspan="9">No ads yet.</td></tr>{{end}}</tbody></table>
{{if .Next}}<p><a href="/ads/library?before={{.Next}}">Older ads</a></p>{{end}}
</body></html>`))

func adLibraryPage(svc *ads.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		before, err := queryInt(r, "before", 0)
		if err != nil {
			return err
		}
		v, err := svc.Library(r.Context(), before, 50)
		if err != nil {
			return err
		}
		next := ""
		if len(v) == 50 {
			next = strconv.FormatInt(v[len(v)-1].CampaignID, 10)
		}
		hd := w.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "public, max-age=300")
		return adLibraryTmpl.Execute(w, map[string]any{"Ads": v, "Next": next})
	}
}
