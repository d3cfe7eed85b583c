package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
)

// operatorRoutes mounts the operator API under /admin/v1: actions that
// belong to whoever runs the server, not to any account. Every request
// needs "Authorization: Bearer <admin token>"; without a configured token
// the operator API does not exist.
func operatorRoutes(mux *http.ServeMux, svc *channel.Service, log *slog.Logger, token string) {
	if token == "" {
		return
	}
	op := func(pattern string, fn handlerFunc) { mux.Handle(pattern, wrap(log, operatorOnly(token, fn))) }
	op("GET /admin/v1/channels/{id}", operatorGetChannel(svc))
	op("PUT /admin/v1/channels/{id}/verified", operatorSetVerified(svc))
	op("PUT /admin/v1/channels/{id}/suspension", operatorSuspend(svc))
	op("DELETE /admin/v1/channels/{id}/suspension", operatorUnsuspend(svc))
	op("GET /admin/v1/channel-reports", operatorReports(svc))
	op("GET /admin/v1/channels/ledger", operatorLedger(svc))
}

func operatorOnly(token string, fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		got := BearerToken(r)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return parley.Errorf(parley.EUnauthenticated, "the operator API needs the admin token")
		}
		return fn(w, r)
	}
}

func operatorGetChannel(svc *channel.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c, err := svc.OperatorGetChannel(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func operatorSetVerified(svc *channel.Service) handlerFunc {
	type req struct {
		Verified bool `json:"verified"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		c, err := svc.SetVerified(r.Context(), id, in.Verified)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func operatorSuspend(svc *channel.Service) handlerFunc {
	type req struct {
		Reason string `json:"reason"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		c, err := svc.Suspend(r.Context(), id, in.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func operatorUnsuspend(svc *channel.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c, err := svc.Unsuspend(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func operatorReports(svc *channel.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		limit, err := queryInt(r, "limit", 100)
		if err != nil {
			return err
		}
		rs, err := svc.ChannelReports(r.Context(), int(min(limit, 1000)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"reports": rs})
		return nil
	}
}

func operatorLedger(svc *channel.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		after, err := queryInt(r, "after", 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 1000)
		if err != nil {
			return err
		}
		es, err := svc.OperatorLedger(r.Context(), after, int(min(limit, 100000)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": es})
		return nil
	}
}
