package adminapi

import (
	"net/http"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/wire"
)

// The ads review queue (docs/ADS.md): campaigns that passed the automatic
// rules wait here for a person, who approves or rejects them with
// reasons the advertiser sees.

func adReviewQueue(svc *ads.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		after, err := queryInt(r, "after", 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 50)
		if err != nil {
			return err
		}
		v, err := svc.ReviewQueue(r.Context(), after, int(limit))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"campaigns": v})
		return nil
	}
}

func adReview(svc *ads.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in wire.AdReview
		if err := decode(w, r, &in); err != nil {
			return err
		}
		v, err := svc.Review(r.Context(), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}
