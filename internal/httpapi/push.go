package httpapi

import (
	"net/http"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat/push"
)

// The notification routes (docs/NOTIFICATIONS.md): a device registers
// where to be woken, and a person mutes chats or turns on do-not-disturb.

// maxPushBody bounds a subscription or a mute: an endpoint of
// push.MaxEndpoint bytes and two short keys fit.
const maxPushBody = 4 << 10

func pushVAPID(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		writeJSON(w, http.StatusOK, map[string]any{"public_key": ps.PublicKey()})
		return nil
	}
}

func putPushSubscription(ps *push.Service) authedFunc {
	type keys struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	}
	type req struct {
		Endpoint string `json:"endpoint"`
		Keys     keys   `json:"keys"`
		Kind     string `json:"kind"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxPushBody, &in); err != nil {
			return err
		}
		if err := ps.Subscribe(r.Context(), p, push.Subscription{Kind: in.Kind, Endpoint: in.Endpoint,
			P256dh: in.Keys.P256dh, Auth: in.Keys.Auth}); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func deletePushSubscription(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		if err := ps.Unsubscribe(r.Context(), p); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// muteBody is {"until": an RFC 3339 time} or {"until": "always"}.
type muteBody struct {
	Until string `json:"until"`
}

// parseUntil reads a mute's end: the zero time for "always".
func parseUntil(s string) (time.Time, error) {
	if s == "always" {
		return push.Always, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, parley.InvalidField("until", `must be an RFC 3339 time or "always"`)
	}
	return t, nil
}

// muteView answers a mute: its end, or "always".
func muteView(until time.Time) map[string]any {
	if until.IsZero() {
		return map[string]any{"until": "always"}
	}
	return map[string]any{"until": until.UTC().Format(time.RFC3339)}
}

func muteChat(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in muteBody
		if err := decode(w, r, maxPushBody, &in); err != nil {
			return err
		}
		until, err := parseUntil(in.Until)
		if err != nil {
			return err
		}
		if err := ps.Mute(r.Context(), p, id, until); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, muteView(until))
		return nil
	}
}

// getMute answers {"until"}: the end of the caller's mute of the chat in
// the path (do-not-disturb without one), "always", or null when off.
func getMute(ps *push.Service, inPath bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var id int64
		if inPath {
			var err error
			if id, err = pathID(r, "id"); err != nil {
				return err
			}
		}
		until, on, err := ps.MuteOf(r.Context(), p, id)
		if err != nil {
			return err
		}
		if !on {
			writeJSON(w, http.StatusOK, map[string]any{"until": nil})
			return nil
		}
		writeJSON(w, http.StatusOK, muteView(until))
		return nil
	}
}

func unmuteChat(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := ps.Unmute(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func setDND(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in muteBody
		if err := decode(w, r, maxPushBody, &in); err != nil {
			return err
		}
		until, err := parseUntil(in.Until)
		if err != nil {
			return err
		}
		if err := ps.DoNotDisturb(r.Context(), p, until); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, muteView(until))
		return nil
	}
}

func clearDND(ps *push.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		if err := ps.Disturb(r.Context(), p); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
