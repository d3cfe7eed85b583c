package cloudapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/wire"
)

// isMediaID reports whether a path id names media (a 40-digit media
// Graph id, or the chat core's hex id) rather than a Graph object.
func isMediaID(raw string) bool {
	_, ok := business.MediaIDOf(raw)
	return ok
}

func uploadMedia(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := b.OwnNumber(r.Context(), biz, id)
		if err != nil {
			return err
		}
		// The largest kind (documents, 100 MB) and 1 MB for the other
		// parts bound the body; each kind's own limit is checked by
		// UploadMedia.
		max := business.MaxMediaUpload()
		up, done, err := parseUpload(w, r, max, max+1<<20, uploadMemory)
		defer done()
		if err != nil {
			return err
		}
		m, err := b.UploadMedia(r.Context(), n, up.contentType, up.size, up.file)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": business.MediaGraphID(m.ID)})
		return nil
	}
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// getObject answers GET /{version}/{id} for a media id, a phone number id
// or the business account id.
func getObject(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		raw := r.PathValue("id")
		if isUploadSession(r) {
			return uploadStatus(b)(w, r, biz)
		}
		if isMediaID(raw) {
			m, err := b.MediaForBusiness(r.Context(), biz, raw)
			if err != nil {
				return notFoundAs(r, raw, err)
			}
			id := business.MediaGraphID(m.ID)
			writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp",
				"url":       fmt.Sprintf("%s/%s/%s/content", baseURL(r), r.PathValue("version"), id),
				"mime_type": m.ContentType, "sha256": m.SHA256, "file_size": m.Size, "id": id})
			return nil
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		switch business.KindOf(id) {
		case business.KindTemplate:
			return getTemplate(b.Templates())(w, r, biz)
		case business.KindFlow:
			return getFlow(b.Flows(), id)(w, r, biz)
		case business.KindCatalog:
			return getCatalog(b.Catalogs(), id)(w, r, biz) // catalog_owned.go
		case business.KindProduct:
			p, err := b.Catalogs().Product(r.Context(), biz, id)
			if err != nil {
				return notFoundAs(r, r.PathValue("id"), err)
			}
			writeJSON(w, http.StatusOK, productJSON(p))
			return nil
		case business.KindBusiness:
		default:
			// A number, or a row older than the id ranges
			// (business/ids.go), whose kind the fields asked for tell.
			if n, err := b.OwnNumber(r.Context(), biz, id); err == nil && !(id == biz.ID && asksBusinessFields(r)) {
				obj := numberJSON(b, n)
				if slices.Contains(requestedFields(r), "conversational_automation") {
					a, err := b.Automation(r.Context(), n)
					if err != nil {
						return err
					}
					obj["conversational_automation"] = automationJSON(a)
				}
				writeJSON(w, http.StatusOK, withFields(r, obj))
				return nil
			}
		}
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		obj := map[string]any{"id": strconv.FormatInt(biz.ID, 10), "name": biz.Name,
			"currency": "USD", "message_template_namespace": fmt.Sprintf("parley_%d", biz.ID)}
		if err := addAnalytics(r, b, biz, obj); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, withFields(r, obj))
		return nil
	}
}

func numberJSON(b *business.Service, n business.BusinessNumber) map[string]any {
	tp := n.Throughput
	if tp == 0 {
		tp = b.Config().Throughput
	}
	level := "STANDARD"
	if tp > 80 {
		level = "HIGH"
	}
	tier := "TIER_UNLIMITED"
	switch n.TierLimit {
	case 250:
		tier = "TIER_250"
	case 1000:
		tier = "TIER_1K"
	case 10000:
		tier = "TIER_10K"
	case 100000:
		tier = "TIER_100K"
	}
	return map[string]any{"verified_name": n.DisplayName, "code_verification_status": "VERIFIED",
		"display_phone_number": business.WaID(n.Phone), "quality_rating": n.Quality, "platform_type": "CLOUD_API",
		"throughput": map[string]string{"level": level}, "messaging_limit_tier": tier, "status": n.Status,
		"id": strconv.FormatInt(n.ID, 10)}
}

func downloadMedia(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		m, rc, err := b.OpenMediaForBusiness(r.Context(), biz, r.PathValue("id"))
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		defer rc.Close()
		w.Header().Set("Content-Type", m.ContentType)
		http.ServeContent(w, r, "", m.CreatedAt, rc)
		return nil
	}
}

func listNumbers(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		ns, err := b.Numbers(r.Context(), biz.ID)
		if err != nil {
			return err
		}
		data := []map[string]any{}
		for _, n := range ns {
			data = append(data, numberJSON(b, n))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func templateJSON(t business.Template) map[string]any {
	out := map[string]any{"name": t.Name, "components": t.Components, "language": t.Language, "status": string(t.Status),
		"category": string(t.Category), "parameter_format": strings.ToUpper(t.ParameterFormat), "id": strconv.FormatInt(t.ID, 10)}
	if t.Status == business.TemplateRejected {
		out["rejected_reason"] = t.Reason
	}
	if t.PreviousCategory != "" {
		out["previous_category"] = string(t.PreviousCategory)
	}
	return out
}

func listTemplates(tpl *business.Templates) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		q := r.URL.Query()
		limit, after := pageArgs(q)
		ts, err := tpl.List(r.Context(), biz.ID, business.TemplateStatus(strings.ToUpper(q.Get("status"))), after, limit+1)
		if err != nil {
			return err
		}
		name := q.Get("name")
		data := []map[string]any{}
		more := len(ts) > limit
		if more {
			ts = ts[:limit]
		}
		for _, t := range ts {
			if name != "" && !strings.Contains(t.Name, name) {
				continue
			}
			data = append(data, withFields(r, templateJSON(t)))
		}
		out := map[string]any{"data": data}
		if len(ts) > 0 {
			out["paging"] = paging(r, ts[0].ID, ts[len(ts)-1].ID, more)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func encodeCursor(id int64) string { return strings.TrimRight(fmt.Sprintf("%x", id), "") }

func decodeCursor(s string) (int64, error) { return strconv.ParseInt(s, 16, 64) }

func createTemplate(tpl *business.Templates) bizFunc {
	type req struct {
		Name            string                       `json:"name"`
		Category        string                       `json:"category"`
		Language        string                       `json:"language"`
		ParameterFormat string                       `json:"parameter_format"`
		Components      []business.TemplateComponent `json:"components"`
		// AllowCategoryChange is Meta's older switch; only an explicit
		// false matters (template.go, review).
		AllowCategoryChange *bool `json:"allow_category_change"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 1<<20, &in); err != nil {
			return err
		}
		t, err := tpl.Create(r.Context(), biz, business.Template{Name: in.Name, Category: business.TemplateCategory(in.Category),
			Language: in.Language, ParameterFormat: strings.ToLower(in.ParameterFormat), Components: in.Components,
			AllowCategoryChange: in.AllowCategoryChange})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": strconv.FormatInt(t.ID, 10), "status": string(t.Status), "category": string(t.Category)})
		return nil
	}
}

func deleteTemplate(tpl *business.Templates) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		name := r.URL.Query().Get("name")
		if hsm := r.URL.Query().Get("hsm_id"); hsm != "" {
			// One template by id (templates_byid.go).
			id, err := strconv.ParseInt(hsm, 10, 64)
			if err != nil {
				return invalid("hsm_id must be a template id")
			}
			if err := tpl.DeleteByID(r.Context(), biz, id, name); err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, map[string]bool{"success": true})
			return nil
		}
		if name == "" {
			return invalid("The parameter name is required.")
		}
		if err := tpl.Delete(r.Context(), biz, name); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

func getSubscription(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		data := []map[string]any{}
		if biz.CallbackURL != "" {
			data = append(data, map[string]any{"whatsapp_business_api_data": map[string]string{"id": strconv.FormatInt(biz.ID, 10), "name": biz.Name},
				"override_callback_uri": biz.CallbackURL})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func subscribe(b *business.Service, verify func(ctx context.Context, url, token, challenge string) error) bizFunc {
	type req struct {
		OverrideCallbackURI string `json:"override_callback_uri"`
		VerifyToken         string `json:"verify_token"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		url := in.OverrideCallbackURI
		if url == "" {
			url = biz.CallbackURL // re-subscribing keeps the current URL
		}
		if _, err := b.SetWebhook(r.Context(), biz.ID, url, in.VerifyToken, verify); err != nil {
			return err
		}
		// The version and the address of this call shape the webhooks
		// (business.WebhookSettings), as an app's settings do on Meta.
		if err := b.SetWebhookSettings(r.Context(), biz.ID, business.WebhookSettings{Version: r.PathValue("version"), APIBase: baseURL(r)}); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

func listDeliveries(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		ws, err := b.WebhookLog(r.Context(), biz.ID, before, limit)
		if err != nil {
			return err
		}
		data := []map[string]any{}
		for _, h := range ws {
			d := map[string]any{"id": strconv.FormatInt(h.ID, 10), "status": string(h.Status), "attempts": h.Attempts,
				"created_time": h.CreatedAt.UTC().Format(time.RFC3339), "payload": json.RawMessage(h.Payload)}
			if h.LastError != "" {
				d["last_error"] = h.LastError
			}
			if h.Status == business.WebhookPending {
				d["next_attempt_time"] = h.NextAttemptAt.UTC().Format(time.RFC3339)
			}
			if !h.DeliveredAt.IsZero() {
				d["delivered_time"] = h.DeliveredAt.UTC().Format(time.RFC3339)
			}
			data = append(data, d)
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func listAttempts(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		id, err := pathID(r, "webhook")
		if err != nil {
			return err
		}
		as, err := b.WebhookAttempts(r.Context(), biz.ID, id)
		if err != nil {
			return err
		}
		data := []map[string]any{}
		for _, a := range as {
			data = append(data, map[string]any{"attempt": a.Attempt, "time": a.At.UTC().Format(time.RFC3339Nano),
				"status_code": a.StatusCode, "error": a.Error, "duration_ms": a.Duration.Milliseconds()})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

func replay(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		id, err := pathID(r, "webhook")
		if err != nil {
			return err
		}
		if err := b.ReplayWebhook(r.Context(), biz.ID, id); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

func listUsage(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		us, err := b.Usage(r.Context(), biz.ID, after, limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": usageJSON(us)})
		return nil
	}
}

// usageJSON is the wire shape of ledger entries (shared with the admin API
// through the same field names).
func usageJSON(us []billing.UsageEntry) []map[string]any {
	out := []map[string]any{}
	for _, u := range us {
		out = append(out, map[string]any{"id": u.ID, "key": u.Key, "phone_number_id": strconv.FormatInt(u.NumberID, 10),
			"event": string(u.Event), "category": u.Category, "country": u.Country, "pricing_type": u.PricingType, "in_window": u.InWindow,
			"pricing_model": u.Model, "billable": u.Billable, "message_id": u.MessageID, "time": u.At.UTC().Format(time.RFC3339Nano)})
	}
	return out
}

func createLink(links *business.Links) bizFunc {
	type req struct {
		PhoneNumberID    flexInt        `json:"phone_number_id"`
		PrefilledMessage string         `json:"prefilled_message"`
		Source           *wire.Referral `json:"source"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		l, err := links.Create(r.Context(), biz, int64(in.PhoneNumberID), in.PrefilledMessage, in.Source)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, linkJSON(r, l))
		return nil
	}
}

func linkJSON(r *http.Request, l business.Link) map[string]any {
	return map[string]any{"id": strconv.FormatInt(l.ID, 10), "code": l.Code, "url": baseURL(r) + "/c/" + l.Code,
		"phone_number_id": strconv.FormatInt(l.NumberID, 10), "prefilled_message": l.Prefill, "source": l.Source,
		"clicks": l.Clicks, "chats_started": l.Chats, "replies": l.Replies}
}

func listLinks(links *business.Links) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		ls, err := links.List(r.Context(), biz.ID)
		if err != nil {
			return err
		}
		data := []map[string]any{}
		for _, l := range ls {
			data = append(data, linkJSON(r, l))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}

// getProfile answers a number's business profile with every field Meta
// has, or those ?fields= names (business.NumberProfile).
func getProfile(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		p, err := b.Profile(r.Context(), biz, n)
		if err != nil {
			return err
		}
		websites := p.Websites
		if websites == nil {
			websites = []string{}
		}
		obj := map[string]any{"about": p.About, "address": p.Address, "description": p.Description, "email": p.Email,
			"profile_picture_url": p.ProfilePictureURL, "websites": websites, "vertical": p.Vertical}
		obj = withFields(r, obj)
		obj["messaging_product"] = "whatsapp"
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{obj}})
		return nil
	}
}

func updateProfile(b *business.Service) bizFunc {
	type req struct {
		MessagingProduct     string    `json:"messaging_product"`
		About                *string   `json:"about"`
		Address              *string   `json:"address"`
		Description          *string   `json:"description"`
		Email                *string   `json:"email"`
		Vertical             *string   `json:"vertical"`
		Websites             *[]string `json:"websites"`
		ProfilePictureHandle *string   `json:"profile_picture_handle"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		u := business.ProfileUpdate{About: in.About, Address: in.Address, Description: in.Description, Email: in.Email,
			Vertical: in.Vertical, Websites: in.Websites}
		if in.ProfilePictureHandle != nil {
			url, err := profilePicture(r, b, biz, *in.ProfilePictureHandle)
			if err != nil {
				return err
			}
			u.ProfilePictureURL = &url
		}
		if _, err := b.UpdateProfile(r.Context(), biz, n, u); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// pageArgs reads a list's limit (1 to 1000, default 25) and its after
// cursor (an unreadable one starts at the beginning).
func pageArgs(q url.Values) (limit int, after int64) {
	limit, _ = strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 25
	}
	if a := q.Get("after"); a != "" {
		if raw, err := decodeCursor(a); err == nil {
			after = raw
		}
	}
	return limit, after
}

// paging is Meta's paging object of a page whose rows run from id first to
// last: cursors, and the next page's URL when there is more.
func paging(r *http.Request, first, last int64, more bool) map[string]any {
	p := map[string]any{"cursors": map[string]string{"before": encodeCursor(first - 1), "after": encodeCursor(last)}}
	if more {
		nq := r.URL.Query()
		nq.Set("after", encodeCursor(last))
		nq.Del("access_token")
		p["next"] = baseURL(r) + r.URL.Path + "?" + nq.Encode()
	}
	return p
}

// profilePicture resolves a profile_picture_handle to the picture's URL:
// the handle is media the business uploaded (an upload handle or a media
// id), an image, served to the business's token at its content URL.
func profilePicture(r *http.Request, b *business.Service, biz business.Business, handle string) (string, error) {
	if handle == "" {
		return "", nil
	}
	id := handle
	if mid, ok := mediaOfHandle(handle); ok {
		id = mid
	}
	m, err := b.MediaForBusiness(r.Context(), biz, id)
	if err != nil {
		return "", invalid("profile_picture_handle: no such upload of this business")
	}
	if !strings.HasPrefix(m.ContentType, "image/") {
		return "", invalid("profile_picture_handle: the upload is %s, not an image", m.ContentType)
	}
	return fmt.Sprintf("%s/%s/%s/content", baseURL(r), r.PathValue("version"), business.MediaGraphID(m.ID)), nil
}
