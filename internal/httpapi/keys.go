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

// The encrypted key backup (docs/E2EE.md, "Key backup"): the body is the
// device's wire.KeyBackup JSON, stored and answered back as it came.

func putKeyBackup(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		blob, err := readBody(w, r, svc.Config().MaxKeyBackup)
		if err != nil {
			return err
		}
		b, err := svc.PutKeyBackup(r.Context(), p, blob)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"size": len(b.Blob), "updated_at": b.UpdatedAt})
		return nil
	}
}

func getKeyBackup(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		b, err := svc.GetKeyBackup(r.Context(), p)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Last-Modified", b.UpdatedAt.UTC().Format(http.TimeFormat))
		_, err = w.Write(b.Blob)
		return err
	}
}

func deleteKeyBackup(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		if err := svc.DeleteKeyBackup(r.Context(), p); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
