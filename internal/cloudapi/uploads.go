package cloudapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/httpjson"
)

// mediaOfHandle returns the media id an upload handle names. A handle is
// "4::" followed by the media Graph id (docs/CLOUD-API-ENDPOINTS.md).
func mediaOfHandle(h string) (string, bool) {
	rest, ok := strings.CutPrefix(h, "4::")
	if !ok || rest == "" {
		return "", false
	}
	return rest, true
}

// isUploadSession reports whether the path's id names a resumable upload
// session (upload:...), which GET and POST /{version}/{id} serve.
func isUploadSession(r *http.Request) bool {
	return strings.HasPrefix(r.PathValue("id"), "upload:")
}

// startUpload answers POST /{version}/{app-id}/uploads with file_name,
// file_length and file_type (query string, as Meta documents, or body):
// {"id": "upload:..."}. The app id is Parley's ("parley", as debug_token
// names it), "app", or the business account's id.
func startUpload(b *business.Service) bizFunc {
	type req struct {
		FileName   string          `json:"file_name"`
		FileLength json.RawMessage `json:"file_length"` // a number, or a string holding one
		FileType   string          `json:"file_type"`
	}
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		if app := r.PathValue("id"); app != "app" && app != "parley" && app != strconv.FormatInt(biz.ID, 10) {
			return noObject(r, app)
		}
		var in req
		if httpjson.HasBody(r) {
			if err := decode(w, r, 64<<10, &in); err != nil {
				return err
			}
		}
		q := r.URL.Query()
		pick := func(body, name string) string {
			if body != "" {
				return body
			}
			return q.Get(name)
		}
		fileLength := pick(strings.Trim(string(in.FileLength), `"`), "file_length")
		in.FileName, in.FileType = pick(in.FileName, "file_name"), pick(in.FileType, "file_type")
		if fileLength == "" || in.FileType == "" {
			return invalid("The parameters file_length and file_type are required.")
		}
		length, err := strconv.ParseInt(fileLength, 10, 64)
		if err != nil {
			return invalid("file_length must be a number of bytes")
		}
		s, err := b.StartUpload(r.Context(), biz, in.FileName, length, in.FileType)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": s.ID})
		return nil
	}
}

// continueUpload answers POST /{version}/upload:{id}: the body is the
// file's bytes from the offset in the file_offset header (or query
// parameter). The whole file answers {"h": "<handle>"}; a part that
// leaves some to send answers where the session is, as GET does.
func continueUpload(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		raw := r.Header.Get("file_offset")
		if raw == "" {
			raw = r.Header.Get("File-Offset")
		}
		if raw == "" {
			raw = r.URL.Query().Get("file_offset")
		}
		offset, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || offset < 0 {
			return invalid("the file_offset header is required: the number of bytes the session has received")
		}
		max := business.MaxMediaUpload()
		r.Body = http.MaxBytesReader(w, r.Body, max+1)
		s, err := b.ContinueUpload(r.Context(), biz, r.PathValue("id"), offset, r.Body)
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return &business.CloudError{Code: business.MetaMediaUploadError, Message: "Media upload error", Details: fmt.Sprintf("the file is larger than %d bytes", max)}
		} else if err != nil {
			return err
		}
		if s.Handle != "" {
			writeJSON(w, http.StatusOK, map[string]string{"h": s.Handle})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": s.ID, "file_offset": s.Offset})
		return nil
	}
}

// uploadStatus answers GET /{version}/upload:{id}: {"id", "file_offset"},
// the bytes the session has received, where the next part starts.
func uploadStatus(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		s, err := b.UploadSessionOf(r.Context(), biz, r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": s.ID, "file_offset": s.Offset})
		return nil
	}
}
