package cloudapi

import (
	"net/http"

	"github.com/parleyhq/parley/business"
)

// unsubscribe answers DELETE /{waba-id}/subscribed_apps: the business's
// webhook subscription ends (its callback URL is cleared) and Meta's
// {"success": true} comes back. Webhooks raised while no app is
// subscribed wait in the outbox, as when the endpoint is down
// (docs/CLOUD-API-ENDPOINTS.md).
func unsubscribe(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		if _, err := b.SetWebhook(r.Context(), biz.ID, "", "", nil); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}
