package httpapi

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/revenue"
)

// The people-side revenue models (docs/REVENUE-MODELS.md): the people's
// premium, pins, donations and statements, and the public transparency
// page. The operator's licence, cost and payout endpoints are
// internal/adminapi's.

func getPremium(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.Premium(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func subscribePremium(svc *revenue.Service) authedFunc {
	type req struct {
		Plan          string `json:"plan"`
		PaymentMethod string `json:"payment_method"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.SubscribePremium(r.Context(), p, in.Plan, in.PaymentMethod)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func cancelPremium(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.CancelPremium(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func listPins(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.PinnedChats(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func pinChat(svc *revenue.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		v, err := svc.PinChat(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func unpinChat(svc *revenue.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		if err := svc.UnpinChat(r.Context(), p, id); err != nil {
			return err
		}
		return noContent(w)
	})
}

func donate(svc *revenue.Service) authedFunc {
	type req struct {
		AmountMinor   int64  `json:"amount_minor"`
		PaymentMethod string `json:"payment_method"`
		Monthly       bool   `json:"monthly"`
		Key           string `json:"key"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.Donate(r.Context(), p, in.AmountMinor, in.PaymentMethod, in.Monthly, in.Key)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	}
}

func monthlyDonation(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.MonthlyDonation(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func cancelMonthlyDonation(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.CancelMonthlyDonation(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func ownerStatement(svc *revenue.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.OwnerStatement(r.Context(), p, r.PathValue("month"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func transparencyJSON(svc *revenue.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		v, err := svc.Transparency(r.Context(), q.Get("from"), q.Get("to"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// transparencyTmpl is the public transparency page: plain HTML, no
// script and no style, so it passes the strictest CSP.
var transparencyTmpl = template.Must(template.New("transparency").Funcs(template.FuncMap{"money": formatMinor}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>Where the money goes</title>
</head>
<body>
<main>
<h1>Where the money goes</h1>
<p>This server is paid for by donations. Here is every donation in (as totals; no donor is named) and every operating cost out, by month, in {{.Currency}}.</p>
<form method="get" action="/transparency">
<label>From <input name="from" value="{{.From}}" placeholder="YYYY-MM"></label>
<label>to <input name="to" value="{{.To}}" placeholder="YYYY-MM"></label>
<button type="submit">Show</button>
</form>
<table>
<caption>From {{.From}} to {{.To}}</caption>
<thead><tr><th scope="col">Month</th><th scope="col">Donations</th><th scope="col">Number of donations</th><th scope="col">Costs</th><th scope="col">Balance</th></tr></thead>
<tbody>
{{range .Months}}<tr><th scope="row">{{.Month}}</th><td>{{money .Donations}}</td><td>{{.Donors}}</td><td>{{money .Costs}}</td><td>{{money .Balance}}</td></tr>
{{end}}</tbody>
<tfoot><tr><th scope="row">Total</th><td>{{money .Donations}}</td><td></td><td>{{money .Costs}}</td><td>{{money .Balance}}</td></tr></tfoot>
</table>
<h2>Costs in detail</h2>
{{range .Months}}{{if .CostItems}}<h3>{{.Month}}</h3>
<ul>
{{range .CostItems}}<li>{{.Category}}: {{.Description}} — {{money .Minor}}</li>
{{end}}</ul>
{{end}}{{else}}<p>No months.</p>{{end}}
<p>The same figures as JSON: <a href="/v1/transparency?from={{.From}}&amp;to={{.To}}">/v1/transparency</a>.</p>
</main>
</body>
</html>
`))

// formatMinor writes minor units as a decimal with two places.
func formatMinor(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

func transparencyPage(svc *revenue.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		v, err := svc.Transparency(r.Context(), q.Get("from"), q.Get("to"))
		if err != nil {
			return err
		}
		hd := w.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "public, max-age=300")
		return transparencyTmpl.Execute(w, v)
	}
}
