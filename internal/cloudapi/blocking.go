package cloudapi

import (
	"net/http"

	"github.com/parleyhq/parley/business"
)

// The Block Users API: POST, GET and DELETE /{phone-number-id}/block_users
// (business/blocking.go; docs/CLOUD-API-ENDPOINTS.md).

type blockRequest struct {
	MessagingProduct string `json:"messaging_product"`
	BlockUsers       []struct {
		User string `json:"user"`
	} `json:"block_users"`
}

func (req blockRequest) users() []string {
	out := make([]string, 0, len(req.BlockUsers))
	for _, u := range req.BlockUsers {
		out = append(out, u.User)
	}
	return out
}

func blockResultsJSON(rs []business.BlockResult) []map[string]any {
	out := []map[string]any{}
	for _, r := range rs {
		m := map[string]any{"input": r.Input}
		if r.WaID != "" {
			m["wa_id"] = r.WaID
		}
		if r.Error != nil {
			m["errors"] = []map[string]any{{"message": r.Error.Message, "code": r.Error.Code,
				"error_data": map[string]string{"details": r.Error.Details}}}
		}
		out = append(out, m)
	}
	return out
}

// writeBlockResult answers a block or unblock: 200 when every user
// succeeded; otherwise 400 with the lists and error 139100, as Meta does.
func writeBlockResult(w http.ResponseWriter, okKey string, ok, failed []business.BlockResult) {
	lists := map[string]any{okKey: blockResultsJSON(ok)}
	out := map[string]any{"messaging_product": "whatsapp", "block_users": lists}
	status := http.StatusOK
	if len(failed) > 0 {
		lists["failed_users"] = blockResultsJSON(failed)
		status = http.StatusBadRequest
		out["error"] = map[string]any{"message": "(#139100) Failed to block/unblock users", "type": "OAuthException",
			"code": business.MetaBlockFailed, "error_data": map[string]string{"details": "Failed to block some users, see the block_users response list for details"},
			"fbtrace_id": traceID()}
	}
	writeJSON(w, status, out)
}

func blockUsers(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in blockRequest
		if err := decode(w, r, 1<<20, &in); err != nil {
			return err
		}
		added, failed, err := b.BlockUsers(r.Context(), n, in.users())
		if err != nil {
			return err
		}
		writeBlockResult(w, "added_users", added, failed)
		return nil
	}
}

func unblockUsers(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in blockRequest
		if err := decode(w, r, 1<<20, &in); err != nil {
			return err
		}
		removed, failed, err := b.UnblockUsers(r.Context(), n, in.users())
		if err != nil {
			return err
		}
		writeBlockResult(w, "removed_users", removed, failed)
		return nil
	}
}

// listBlockedUsers answers GET block_users: one page of wa_ids (limit,
// after: Meta's cursor paging, here an offset).
func listBlockedUsers(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		ids, err := b.BlockedUsers(r.Context(), n)
		if err != nil {
			return err
		}
		limit, after := pageArgs(r.URL.Query())
		start := min(int(after), len(ids))
		end := min(start+limit, len(ids))
		users := []map[string]string{}
		for _, id := range ids[start:end] {
			users = append(users, map[string]string{"wa_id": id})
		}
		out := map[string]any{"data": []any{map[string]any{"block_users": users}}}
		if end > start {
			out["paging"] = paging(r, int64(start)+1, int64(end), end < len(ids))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}
