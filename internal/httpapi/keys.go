package httpapi

import (
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// The end-to-end key directory (docs/E2EE.md).

func uploadKeys(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.KeyUpload
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		n, err := svc.UploadKeys(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, n)
		return nil
	}
}

func keyCount(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		n, err := svc.KeyCount(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, n)
		return nil
	}
}

func claimKeys(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.KeyClaim
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		ks, err := svc.ClaimKeys(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": nonNilSlice(ks)})
		return nil
	}
}

func accountKeys(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ks, err := svc.AccountKeys(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ks)
		return nil
	}
}

func putDeviceList(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.DeviceList
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.PutDeviceList(r.Context(), p, in); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
