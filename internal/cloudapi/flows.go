package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/business"
)

// The Flows management API on Meta's paths (docs/FLOWS.md): a business
// account's Flows (/{waba-id}/flows), one Flow by its id (GET, POST and
// DELETE /{flow-id}, dispatched on the id's kind), its Flow JSON asset
// (/{flow-id}/assets), publish and deprecate, and a number's Flows
// public key (/{phone-number-id}/whatsapp_business_encryption).

// maxFlowJSON is the largest Flow JSON asset taken, as Meta's limit.
const maxFlowJSON = 10 << 20

// flowDefaultFields are the fields GET /{flow-id} answers without
// fields=, as Meta's does.
var flowDefaultFields = []string{"id", "name", "status", "categories", "validation_errors"}

func flowJSON(r *http.Request, f business.Flow) map[string]any {
	out := map[string]any{"id": strconv.FormatInt(f.ID, 10), "name": f.Name, "status": string(f.Status),
		"categories": f.Categories, "validation_errors": f.ValidationErrors, "updated_at": f.UpdatedAt.UTC().Format("2006-01-02T15:04:05-0700")}
	if f.Categories == nil {
		out["categories"] = []string{}
	}
	if f.ValidationErrors == nil {
		out["validation_errors"] = []business.FlowValidationError{}
	}
	if f.JSONVersion != "" {
		out["json_version"] = f.JSONVersion
	}
	if f.DataAPIVersion != "" {
		out["data_api_version"] = f.DataAPIVersion
	}
	if f.EndpointURI != "" {
		out["endpoint_uri"] = f.EndpointURI
	}
	can := "AVAILABLE"
	switch f.Status {
	case business.FlowThrottled:
		can = "LIMITED"
	case business.FlowBlocked, business.FlowDeprecated:
		can = "BLOCKED"
	}
	id := strconv.FormatInt(f.ID, 10)
	out["health_status"] = map[string]any{"can_send_message": can,
		"entities": []map[string]string{{"entity_type": "FLOW", "id": id, "can_send_message": can}}}
	out["preview"] = map[string]string{"preview_url": fmt.Sprintf("%s/%s/%s/assets/flow.json", baseURL(r), r.PathValue("version"), id),
		"expires_at": time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05-0700")}
	return out
}

// flowFields answers the fields asked for, or Meta's default ones.
func flowFields(r *http.Request, f business.Flow) map[string]any {
	obj := flowJSON(r, f)
	if requestedFields(r) != nil {
		return withFields(r, obj)
	}
	out := map[string]any{}
	for _, k := range flowDefaultFields {
		out[k] = obj[k]
	}
	return out
}

type flowReq struct {
	Name        *string  `json:"name"`
	Categories  []string `json:"categories"`
	EndpointURI *string  `json:"endpoint_uri"`
	CloneFlowID flexInt  `json:"clone_flow_id"`
	FlowJSON    string   `json:"flow_json"`
	Publish     flexBool `json:"publish"`
	// ApplicationID is Meta's app to connect; Parley has one app per
	// business and ignores it.
	ApplicationID string `json:"application_id"`
}

// createFlow answers POST /{version}/{waba-id}/flows: {id} (and success
// and validation_errors when a Flow JSON came with it).
func createFlow(fs *business.Flows) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		var in flowReq
		if err := decode(w, r, maxFlowJSON+64<<10, &in); err != nil {
			return err
		}
		f, err := fs.Create(r.Context(), biz, business.FlowInput{Name: in.Name, Categories: in.Categories, EndpointURI: in.EndpointURI,
			CloneFlowID: int64(in.CloneFlowID), FlowJSON: in.FlowJSON, Publish: bool(in.Publish)})
		if err != nil {
			return err
		}
		out := map[string]any{"id": strconv.FormatInt(f.ID, 10)}
		if in.FlowJSON != "" || in.CloneFlowID != 0 {
			out["success"] = true
			out["validation_errors"] = flowJSON(r, f)["validation_errors"]
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// listFlows answers GET /{version}/{waba-id}/flows, paged like the
// other lists (limit, after).
func listFlows(fs *business.Flows) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := ownBusiness(r, biz); err != nil {
			return err
		}
		limit, after := pageArgs(r.URL.Query())
		flows, err := fs.List(r.Context(), biz, after, limit+1)
		if err != nil {
			return err
		}
		more := len(flows) > limit
		if more {
			flows = flows[:limit]
		}
		data := []map[string]any{}
		for _, f := range flows {
			data = append(data, flowFields(r, f))
		}
		out := map[string]any{"data": data}
		if len(flows) > 0 {
			out["paging"] = paging(r, flows[0].ID, flows[len(flows)-1].ID, more)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// getFlow answers GET /{version}/{flow-id}.
func getFlow(fs *business.Flows, id int64) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		f, err := fs.Get(r.Context(), biz, id)
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, flowFields(r, f))
		return nil
	}
}

// updateFlow answers POST /{version}/{flow-id}: the metadata of a draft.
func updateFlow(fs *business.Flows, id int64) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		var in flowReq
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if in.Name == nil && in.Categories == nil && in.EndpointURI == nil && in.ApplicationID == "" {
			return invalid("give name, categories or endpoint_uri to update the Flow")
		}
		if _, err := fs.Update(r.Context(), biz, id, business.FlowInput{Name: in.Name, Categories: in.Categories, EndpointURI: in.EndpointURI}); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// deleteFlow answers DELETE /{version}/{flow-id}: drafts only.
func deleteFlow(fs *business.Flows, id int64) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if err := fs.Delete(r.Context(), biz, id); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// flowID reads the path's id as a Flow's; any other kind of id is Meta's
// "does not exist".
func flowID(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if business.KindOf(id) != business.KindFlow {
		return 0, noObject(r, r.PathValue("id"))
	}
	return id, nil
}

// pathFlow returns the business's Flow the path's id names; Meta's "does
// not exist" for any other id.
func pathFlow(r *http.Request, fs *business.Flows, biz business.Business) (business.Flow, error) {
	id, err := flowID(r)
	if err != nil {
		return business.Flow{}, err
	}
	f, err := fs.Get(r.Context(), biz, id)
	if err != nil {
		return business.Flow{}, notFoundAs(r, r.PathValue("id"), err)
	}
	return f, nil
}

// uploadFlowAsset answers POST /{version}/{flow-id}/assets: a multipart
// form with file (flow.json), name and asset_type=FLOW_JSON. Meta's
// answer is {success, validation_errors}.
func uploadFlowAsset(fs *business.Flows) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := flowID(r)
		if err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFlowJSON+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return invalid("the Flow JSON is larger than %d bytes", maxFlowJSON)
			}
			return invalid("the body must be multipart/form-data with a file part")
		}
		defer r.MultipartForm.RemoveAll()
		if t := r.FormValue("asset_type"); t != "FLOW_JSON" {
			return invalid("The parameter asset_type is required and must be FLOW_JSON.")
		}
		if n := r.FormValue("name"); n != "" && !strings.HasSuffix(n, ".json") {
			return invalid("The parameter name must name a .json file (flow.json).")
		}
		file, _, err := r.FormFile("file")
		if err != nil {
			return invalid("The parameter file is required.")
		}
		defer file.Close()
		doc, err := io.ReadAll(io.LimitReader(file, maxFlowJSON+1))
		if err != nil {
			return err
		}
		if len(doc) > maxFlowJSON {
			return invalid("the Flow JSON is larger than %d bytes", maxFlowJSON)
		}
		f, err := fs.UploadJSON(r.Context(), biz, id, doc)
		if err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "validation_errors": flowJSON(r, f)["validation_errors"]})
		return nil
	}
}

// listFlowAssets answers GET /{version}/{flow-id}/assets: the Flow JSON
// asset with its download_url.
func listFlowAssets(fs *business.Flows) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		f, err := pathFlow(r, fs, biz)
		if err != nil {
			return err
		}
		data := []map[string]string{}
		if f.JSON != "" {
			data = append(data, map[string]string{"name": "flow.json", "asset_type": "FLOW_JSON",
				"download_url": fmt.Sprintf("%s/%s/%d/assets/flow.json", baseURL(r), r.PathValue("version"), f.ID)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data,
			"paging": map[string]any{"cursors": map[string]string{"before": encodeCursor(0), "after": encodeCursor(int64(len(data)))}}})
		return nil
	}
}

// downloadFlowAsset answers GET /{version}/{flow-id}/assets/flow.json, the
// download_url of the asset (with the business's token).
func downloadFlowAsset(fs *business.Flows) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		f, err := pathFlow(r, fs, biz)
		if err != nil {
			return err
		}
		if f.JSON == "" {
			return noObject(r, r.PathValue("id"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="flow.json"`)
		_, _ = io.WriteString(w, f.JSON)
		return nil
	}
}

// publishFlow answers POST /{version}/{flow-id}/publish; deprecateFlow
// POST /{version}/{flow-id}/deprecate. Meta answers {"success": true}.
func publishFlow(fs *business.Flows) bizFunc {
	return flowMove(fs.Publish)
}

func deprecateFlow(fs *business.Flows) bizFunc {
	return flowMove(fs.Deprecate)
}

func flowMove(move func(ctx context.Context, biz business.Business, id int64) (business.Flow, error)) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := flowID(r)
		if err != nil {
			return err
		}
		if _, err := move(r.Context(), biz, id); err != nil {
			return notFoundAs(r, r.PathValue("id"), err)
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// setFlowKey answers POST /{version}/{phone-number-id}/whatsapp_business_encryption
// with business_public_key (PEM): {"success": true}.
func setFlowKey(b *business.Service) bizFunc {
	type req struct {
		Key string `json:"business_public_key"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := b.OwnNumber(r.Context(), biz, id)
		if err != nil {
			return err
		}
		var in req
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		if err := b.Flows().SetPublicKey(r.Context(), n, in.Key); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
}

// getFlowKey answers GET /{version}/{phone-number-id}/whatsapp_business_encryption.
func getFlowKey(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := b.OwnNumber(r.Context(), biz, id)
		if err != nil {
			return err
		}
		k, err := b.Flows().PublicKey(r.Context(), n)
		if err != nil {
			return err
		}
		data := []map[string]string{}
		if k != "" {
			data = append(data, map[string]string{"business_public_key": k, "business_public_key_signature_status": "VALID"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return nil
	}
}
