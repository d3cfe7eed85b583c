package adminapi

import (
	"net/http"

	"github.com/parleyhq/parley/channel"
)

// The channel operator's endpoints (docs/CHANNELS.md): verification,
// suspension, reports and the channels' money ledger.

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
		if err := decode(w, r, &in); err != nil {
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
		if err := decode(w, r, &in); err != nil {
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

func operatorLedger(m *channel.Monetization) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		after, err := queryInt(r, "after", 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 1000)
		if err != nil {
			return err
		}
		es, err := m.OperatorLedger(r.Context(), after, int(min(limit, 100000)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": es})
		return nil
	}
}
