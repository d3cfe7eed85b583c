package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/httpjson"
	"github.com/parleyhq/parley/wire"
)

// Body limits. Messages carry one envelope per recipient device, so their
// limit is larger.
const (
	maxJSON        = 64 << 10
	maxMessageJSON = 16 << 20
)

type authedFunc func(w http.ResponseWriter, r *http.Request, p parley.Principal) error

// BearerToken returns the token from "Authorization: Bearer", or from the
// access_token query parameter (browsers cannot set headers on WebSockets).
func BearerToken(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return httpjson.BearerToken(r)
	}
	return r.URL.Query().Get("access_token")
}

func authed(svc *chat.Service, fn authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := svc.Authenticate(r.Context(), BearerToken(r))
		if err != nil {
			return err
		}
		return fn(w, r, p)
	}
}

func healthz() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	}
}

func readyz(ready func(*http.Request) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if ready != nil {
			if err := ready(r); err != nil {
				return &parley.Error{Code: parley.EUnavailable, Message: "not ready: " + err.Error(), Err: err}
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return nil
	}
}

func notFound() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return parley.Errorf(parley.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}
}

func requestCode(svc *chat.Service, lim *loginLimits) handlerFunc {
	type req struct {
		Phone string `json:"phone"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		// A number that is not one sends nothing, so costs no token.
		if _, err := chat.NormalizePhone(in.Phone); err != nil {
			return err
		}
		requester, err := lim.code(r)
		if err != nil {
			return err
		}
		if err := svc.RequestCode(r.Context(), in.Phone, requester); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
		return nil
	}
}

func verifyCode(svc *chat.Service, lim *loginLimits) handlerFunc {
	type req struct {
		Phone      string `json:"phone"`
		Code       string `json:"code"`
		DeviceName string `json:"device_name"`
		PublicKey  []byte `json:"public_key"`
	}
	type resp struct {
		AccountID  int64  `json:"account_id"`
		DeviceID   int64  `json:"device_id"`
		Token      string `json:"token"`
		NewAccount bool   `json:"new_account"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		requester, err := lim.verify(r)
		if err != nil {
			return err
		}
		s, err := svc.VerifyCode(r.Context(), in.Phone, requester, in.Code, in.DeviceName, in.PublicKey)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, resp{AccountID: s.Account.ID, DeviceID: s.Device.ID, Token: s.Token, NewAccount: s.NewAccount})
		return nil
	}
}

func getMe(svc *chat.Profiles) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		me, err := svc.Me(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, me)
		return nil
	}
}

func updateMe(svc *chat.Profiles) authedFunc {
	type req struct {
		DisplayName *string `json:"display_name"`
		About       *string `json:"about"`
		Username    *string `json:"username"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		me, err := svc.UpdateProfile(r.Context(), p, chat.ProfileUpdate{DisplayName: in.DisplayName, About: in.About, Username: in.Username})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, me)
		return nil
	}
}

func updatePrivacy(svc *chat.Profiles) authedFunc {
	type req struct {
		LastSeen     *chat.Visibility `json:"last_seen"`
		Avatar       *chat.Visibility `json:"avatar"`
		ReadReceipts *bool            `json:"read_receipts"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		me, err := svc.UpdatePrivacy(r.Context(), p, chat.PrivacyUpdate{LastSeen: in.LastSeen, Avatar: in.Avatar, ReadReceipts: in.ReadReceipts})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, me)
		return nil
	}
}

// mediaLimiter says how large an upload an account may make.
type mediaLimiter interface {
	MediaLimit(ctx context.Context, accountID int64) int64
}

func setAvatar(svc *chat.Profiles, media mediaLimiter) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		body := http.MaxBytesReader(w, r.Body, media.MediaLimit(r.Context(), p.AccountID)+1)
		me, err := svc.SetAvatar(r.Context(), p, r.Header.Get("Content-Type"), body)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, me)
		return nil
	}
}

func getProfile(svc *chat.Profiles) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		prof, err := svc.Profile(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, prof)
		return nil
	}
}

func serveMedia(w http.ResponseWriter, r *http.Request, m chat.Media, rc io.ReadSeekCloser) error {
	defer rc.Close()
	w.Header().Set("Content-Type", m.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("Content-Disposition", "attachment")
	http.ServeContent(w, r, "", m.CreatedAt, rc)
	return nil
}

func getAvatar(svc *chat.Profiles) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		m, rc, err := svc.Avatar(r.Context(), p, id)
		if err != nil {
			return err
		}
		return serveMedia(w, r, m, rc)
	}
}

func lookupContacts(svc *chat.Profiles) authedFunc {
	type req struct {
		Phones []string `json:"phones"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		cs, err := svc.LookupContacts(r.Context(), p, in.Phones)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
		return nil
	}
}

func listBlocked(svc *chat.Profiles) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		ids, err := svc.Blocked(r.Context(), p)
		if err != nil {
			return err
		}
		if ids == nil {
			ids = []int64{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"blocked": ids})
		return nil
	}
}

func withID(fn func(ctx context.Context, p parley.Principal, id int64) error) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := fn(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func block(svc *chat.Profiles) authedFunc       { return withID(svc.Block) }
func unblock(svc *chat.Profiles) authedFunc     { return withID(svc.Unblock) }
func revokeDevice(svc *chat.Service) authedFunc { return withID(svc.RevokeDevice) }

type deviceView struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	Current      bool      `json:"current"`
}

func listDevices(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		ds, err := svc.Devices(r.Context(), p)
		if err != nil {
			return err
		}
		out := make([]deviceView, len(ds))
		for i, d := range ds {
			out[i] = deviceView{ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt, LastActiveAt: d.LastActiveAt, Current: d.ID == p.DeviceID}
		}
		writeJSON(w, http.StatusOK, map[string]any{"devices": out})
		return nil
	}
}

func sendHistory(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		bundle, err := readBody(w, r, svc.Config().MaxHistoryBundle)
		if err != nil {
			return err
		}
		if err := svc.SendHistory(r.Context(), p, id, bundle); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func listChats(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		cs, err := svc.ListChats(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"chats": cs})
		return nil
	}
}

func openDirect(svc *chat.Service) authedFunc {
	type req struct {
		AccountID int64 `json:"account_id"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if in.AccountID <= 0 {
			return &parley.Error{Code: parley.EInvalid, Message: "account_id is required", Details: map[string]any{"field": "account_id"}}
		}
		c, err := svc.OpenDirect(r.Context(), p, in.AccountID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func createGroup(svc *chat.Service) authedFunc {
	type req struct {
		Subject string  `json:"subject"`
		Members []int64 `json:"members"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON*4, &in); err != nil {
			return err
		}
		c, err := svc.CreateGroup(r.Context(), p, in.Subject, in.Members)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, c)
		return nil
	}
}

func getChat(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c, err := svc.GetChat(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func updateGroup(svc *chat.Service) authedFunc {
	type req struct {
		Subject        *string `json:"subject"`
		OnlyAdminsSend *bool   `json:"only_admins_send"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		c, err := svc.UpdateGroup(r.Context(), p, id, chat.GroupUpdate{Subject: in.Subject, OnlyAdminsSend: in.OnlyAdminsSend})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func setDisappearing(svc *chat.Service) authedFunc {
	type req struct {
		Seconds *int64 `json:"seconds"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if in.Seconds == nil || *in.Seconds < 0 || *in.Seconds > 1<<32 {
			return &parley.Error{Code: parley.EInvalid, Message: "seconds is required: 0, 86400, 604800 or 7776000", Details: map[string]any{"field": "seconds"}}
		}
		c, err := svc.SetDisappearing(r.Context(), p, id, time.Duration(*in.Seconds)*time.Second)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func addMembers(svc *chat.Service) authedFunc {
	type req struct {
		Accounts []int64 `json:"accounts"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON*4, &in); err != nil {
			return err
		}
		c, err := svc.AddMembers(r.Context(), p, id, in.Accounts)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func removeMember(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		acct, err := pathID(r, "account")
		if err != nil {
			return err
		}
		if err := svc.RemoveMember(r.Context(), p, id, acct); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func setRole(svc *chat.Service) authedFunc {
	type req struct {
		Role chat.Role `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		acct, err := pathID(r, "account")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.SetRole(r.Context(), p, id, acct, in.Role); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func recipientDevices(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ds, err := svc.RecipientDevices(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"devices": ds})
		return nil
	}
}

func sendMessage(svc *chat.Service) authedFunc {
	type req struct {
		MessageID string           `json:"message_id"`
		Kind      chat.MessageKind `json:"kind"`
		Ref       string           `json:"ref"`
		Envelopes []wire.Envelope  `json:"envelopes"`
		Shared    []byte           `json:"shared"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxMessageJSON, &in); err != nil {
			return err
		}
		res, err := svc.Send(r.Context(), p, chat.SendRequest{ChatID: id, MessageID: in.MessageID, Kind: in.Kind, Ref: in.Ref, Envelopes: in.Envelopes, Shared: in.Shared})
		if err != nil {
			return err
		}
		status := http.StatusCreated
		if res.Duplicate {
			status = http.StatusOK
		}
		writeJSON(w, status, res)
		return nil
	}
}

func markRead(svc *chat.Service) authedFunc {
	type req struct {
		MessageIDs []string `json:"message_ids"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.MarkRead(r.Context(), p, id, in.MessageIDs); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func typing(svc *chat.Service) authedFunc {
	type req struct {
		State string `json:"state"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.Typing(r.Context(), p, id, in.State); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

type mediaView struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

func uploadMedia(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		body := http.MaxBytesReader(w, r.Body, svc.MediaLimit(r.Context(), p.AccountID)+1)
		m, err := svc.UploadMedia(r.Context(), p, id, r.Header.Get("Content-Type"), body)
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return svc.MediaTooLarge(r.Context(), p.AccountID)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, mediaView{ID: m.ID, ContentType: m.ContentType, Size: m.Size, SHA256: m.SHA256, CreatedAt: m.CreatedAt})
		return nil
	}
}

func getMedia(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		m, rc, err := svc.OpenMedia(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		return serveMedia(w, r, m, rc)
	}
}

func shareMedia(svc *chat.Service) authedFunc {
	type req struct {
		ChatID int64 `json:"chat_id"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.ShareMedia(r.Context(), p, r.PathValue("id"), in.ChatID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func pending(svc *chat.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		q := r.URL.Query()
		after, limit := int64(0), 100
		var err error
		if v := q.Get("after"); v != "" {
			if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
				return &parley.Error{Code: parley.EInvalid, Message: "after must be a non-negative integer", Details: map[string]any{"field": "after"}}
			}
		}
		if v := q.Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil {
				return &parley.Error{Code: parley.EInvalid, Message: "limit must be an integer", Details: map[string]any{"field": "limit"}}
			}
		}
		es, err := svc.Pending(r.Context(), p, after, limit)
		if err != nil {
			return err
		}
		if es == nil {
			es = []wire.Entry{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": es})
		return nil
	}
}

func ack(svc *chat.Service) authedFunc {
	type req struct {
		IDs []int64 `json:"ids"`
	}
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.Ack(r.Context(), p, in.IDs); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
