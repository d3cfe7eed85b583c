package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley"
)

// revenueRoutes mounts the people-side revenue models
// (docs/REVENUE-MODELS.md): the operator's licence and cost endpoints
// under /admin/v1/people/, and the people's premium, pins, donations and
// statements.
func revenueRoutes(mux *http.ServeMux, svc *parley.Service, log *slog.Logger, token string) {
	if token != "" {
		op := func(pattern string, fn handlerFunc) { mux.Handle(pattern, wrap(log, operatorOnly(token, fn))) }
		op("GET /admin/v1/people/license", operatorLicense(svc))
	}
}

func operatorLicense(svc *parley.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := svc.LicenseStatus(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}
