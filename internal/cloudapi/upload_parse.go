package cloudapi

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"

	"github.com/parleyhq/parley/business"
)

// upload is a Cloud API media upload read from its multipart body.
type upload struct {
	file        multipart.File
	size        int64  // the file part's length in bytes
	contentType string // the "type" field, else the file part's Content-Type
}

// uploadMemory is how much of a multipart upload is kept in memory; the
// rest goes to temporary files, removed when the handler returns.
const uploadMemory = 8 << 20

// parseUpload reads the multipart/form-data body of
// POST /{version}/{id}/media: the part "file" and the optional field
// "type", which wins over the part's own Content-Type. The body is cut
// at bodyMax: beyond it, error 131053 naming max, the file's limit.
// Anything that is not such a body is error 100. The caller must call
// done once it has read the file, also after an error.
func parseUpload(w http.ResponseWriter, r *http.Request, max, bodyMax, memory int64) (up upload, done func(), err error) {
	done = func() {}
	r.Body = http.MaxBytesReader(w, r.Body, bodyMax)
	if err := r.ParseMultipartForm(memory); err != nil {
		if r.MultipartForm != nil {
			done = func() { _ = r.MultipartForm.RemoveAll() }
		}
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return upload{}, done, &business.CloudError{Code: business.MetaMediaUploadError, Message: "Media upload error", Details: fmt.Sprintf("the file is larger than %d bytes", max)}
		}
		return upload{}, done, invalid("the body must be multipart/form-data with a file part")
	}
	form := r.MultipartForm
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return upload{}, func() { _ = form.RemoveAll() }, invalid("The parameter file is required.")
	}
	done = func() {
		_ = f.Close()
		_ = form.RemoveAll()
	}
	ct := r.FormValue("type")
	if ct == "" {
		ct = hdr.Header.Get("Content-Type")
	}
	return upload{file: f, size: hdr.Size, contentType: ct}, done, nil
}
