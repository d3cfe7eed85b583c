package cloudapi

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/wire"
)

// A business's ad campaigns on the Cloud API, on paths Meta does not have
// (docs/ADS.md): create and list campaigns, read one and its aggregate
// report, pause and resume, and report conversions by click id. The
// business is the advertiser; it pays from its wallet.

func advertiser(biz business.Business) ads.Advertiser {
	return ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: biz.ID}
}

// adsErr gives the ads product's errors Meta's shape: a refused payment is
// 131042, ads switched off an invalid parameter that says so.
func adsErr(err error) error {
	switch parley.ErrorCode(err) {
	case parley.EAdsDisabled:
		return &business.CloudError{Code: business.MetaInvalidParameter, Message: "Invalid parameter", Details: "ads_disabled: " + parley.ErrorMessage(err)}
	case parley.EPaymentDeclined:
		return &business.CloudError{Code: 131042, Message: "Business eligibility payment issue", Details: parley.ErrorMessage(err)}
	}
	return err
}

func createAdCampaign(svc *ads.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in wire.AdCampaign
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		v, err := svc.Create(r.Context(), advertiser(biz), in, "")
		if err != nil {
			return adsErr(err)
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func listAdCampaigns(svc *ads.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		v, err := svc.Campaigns(r.Context(), advertiser(biz))
		if err != nil {
			return adsErr(err)
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": v})
		return nil
	}
}

// campaignRoute answers a route on one of the business's own campaigns
// (the {campaign} path value) with what do returns for it.
func campaignRoute[T any](do func(ctx context.Context, adv ads.Advertiser, id int64) (T, error)) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		id, err := pathID(r, "campaign")
		if err != nil {
			return err
		}
		v, err := do(r.Context(), advertiser(biz), id)
		if err != nil {
			return adsErr(err)
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func getAdCampaign(svc *ads.Service) bizFunc { return campaignRoute(svc.Campaign) }

func adReport(svc *ads.Service) bizFunc { return campaignRoute(svc.Report) }

func pauseAdCampaign(svc *ads.Service, paused bool) bizFunc {
	return campaignRoute(func(ctx context.Context, adv ads.Advertiser, id int64) (wire.AdCampaign, error) {
		return svc.SetPaused(ctx, adv, id, paused)
	})
}

func adConversion(svc *ads.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in wire.AdConversion
		if err := decode(w, r, 4<<10, &in); err != nil {
			return err
		}
		if err := svc.Convert(r.Context(), advertiser(biz), in); err != nil {
			return adsErr(err)
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
		return nil
	}
}
