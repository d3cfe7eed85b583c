package business

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parleyhq/parley"
)

// Resumable uploads (Meta's Resumable Upload API): a business opens an
// upload session for a file of a known length and type, sends its bytes
// in one or more parts, each at the offset the session has reached, and
// gets a handle ("4::<media id>") that template header examples and the
// profile picture take (docs/CLOUD-API-ENDPOINTS.md). A session is a
// business settings document (BusinessSettingStore, kind "upload:<id>"):
// the bytes received so far ride in it until the file is whole, then the
// file becomes media of the business's first number and the document
// keeps only the handle.

// ResumableTypes are the file types Meta's resumable uploads take.
var ResumableTypes = []string{"application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4"}

// UploadSession is one resumable upload.
type UploadSession struct {
	ID         string `json:"-"` // upload:<token>
	NumberID   int64  `json:"number_id"`
	FileName   string `json:"file_name,omitempty"`
	FileLength int64  `json:"file_length"`
	FileType   string `json:"file_type"`
	Offset     int64  `json:"file_offset"`
	Data       []byte `json:"data,omitempty"` // the bytes received, until the file is whole
	Handle     string `json:"h,omitempty"`    // once the file is whole
}

// uploadPrefix starts every session id; the Graph path of a session is
// the id itself (/{version}/upload:...).
const uploadPrefix = "upload:"

// StartUpload opens a resumable upload session for a file of length
// bytes of fileType. CloudError 100 for a type resumable uploads do not
// take or a length that is not positive, 131053 for a file over its
// kind's limit, and 100 when the business has no number to keep the file.
func (b *Service) StartUpload(ctx context.Context, biz Business, fileName string, length int64, fileType string) (UploadSession, error) {
	if !slices.Contains(ResumableTypes, fileType) {
		return UploadSession{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("file_type %q is not supported; supported: %s", fileType, strings.Join(ResumableTypes, ", ")))
	}
	if length <= 0 {
		return UploadSession{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "file_length must be a positive number of bytes")
	}
	if _, err := checkMediaUpload(resumableMediaType(fileType), length); err != nil {
		return UploadSession{}, err
	}
	ns, err := b.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return UploadSession{}, fmt.Errorf("list numbers: %w", err)
	}
	if len(ns) == 0 {
		return UploadSession{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "the business account has no phone number to keep the upload")
	}
	var token [18]byte
	if _, err := rand.Read(token[:]); err != nil {
		return UploadSession{}, fmt.Errorf("session id: %w", err)
	}
	s := UploadSession{ID: uploadPrefix + base64.RawURLEncoding.EncodeToString(token[:]), NumberID: ns[0].ID,
		FileName: fileName, FileLength: length, FileType: fileType}
	return s, b.putUpload(ctx, biz, s)
}

// resumableMediaType is the media type of a resumable file type (image/jpg is
// Meta's alias of image/jpeg).
func resumableMediaType(fileType string) string {
	if fileType == "image/jpg" {
		return "image/jpeg"
	}
	return fileType
}

// UploadSessionOf returns the business's session id. CloudError 100/33
// for a session that is not the business's.
func (b *Service) UploadSessionOf(ctx context.Context, biz Business, id string) (UploadSession, error) {
	body, err := b.st.GetBusinessSetting(ctx, biz.ID, id)
	if !strings.HasPrefix(id, uploadPrefix) || parley.ErrorCode(err) == parley.ENotFound {
		return UploadSession{}, &CloudError{Code: MetaInvalidParameter, Subcode: 33,
			Message: fmt.Sprintf("Unsupported request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", id)}
	} else if err != nil {
		return UploadSession{}, fmt.Errorf("get upload session: %w", err)
	}
	var s UploadSession
	if err := json.Unmarshal(body, &s); err != nil {
		return UploadSession{}, fmt.Errorf("decode upload session: %w", err)
	}
	s.ID = id
	return s, nil
}

// ContinueUpload adds the bytes of r at offset to the session. offset
// must be where the session is (its Offset; GET the session to resume
// after a lost part), and the bytes must not run past the file's length.
// When the file is whole it becomes media and the session gets its
// Handle; sending to a finished session at its length answers the same
// handle again. CloudError 100 for a wrong offset or too many bytes,
// 131053 for a file the media checks refuse.
func (b *Service) ContinueUpload(ctx context.Context, biz Business, id string, offset int64, r io.Reader) (UploadSession, error) {
	s, err := b.UploadSessionOf(ctx, biz, id)
	if err != nil {
		return s, err
	}
	if s.Handle != "" && offset == s.FileLength {
		return s, nil
	}
	if offset != s.Offset {
		return s, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("file_offset %d: the session has received %d bytes; send the rest from there", offset, s.Offset))
	}
	rest := s.FileLength - s.Offset
	part, err := io.ReadAll(io.LimitReader(r, rest+1))
	if err != nil {
		return s, fmt.Errorf("read upload part: %w", err)
	}
	if int64(len(part)) > rest {
		return s, cloudErrDetails(MetaInvalidParameter, "Invalid parameter",
			fmt.Sprintf("the part runs past file_length %d (at most %d more bytes)", s.FileLength, rest))
	}
	s.Data = append(s.Data, part...)
	s.Offset += int64(len(part))
	if s.Offset == s.FileLength {
		n, err := b.st.GetNumber(ctx, s.NumberID)
		if err != nil {
			return s, fmt.Errorf("get number: %w", err)
		}
		m, err := b.UploadMedia(ctx, n, resumableMediaType(s.FileType), s.FileLength, bytes.NewReader(s.Data))
		if err != nil {
			return s, err
		}
		s.Data, s.Handle = nil, "4::"+MediaGraphID(m.ID)
	}
	return s, b.putUpload(ctx, biz, s)
}

func (b *Service) putUpload(ctx context.Context, biz Business, s UploadSession) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode upload session: %w", err)
	}
	if err := b.st.PutBusinessSetting(ctx, biz.ID, s.ID, body, b.now()); err != nil {
		return fmt.Errorf("put upload session: %w", err)
	}
	return nil
}
