package business

import (
	"fmt"
	"slices"
	"strings"
)

// MediaKind is one of Meta's kinds of media message.
type MediaKind string

// Meta's media kinds.
const (
	MediaAudio    MediaKind = "audio"
	MediaDocument MediaKind = "document"
	MediaImage    MediaKind = "image"
	MediaSticker  MediaKind = "sticker"
	MediaVideo    MediaKind = "video"
)

// MB is Meta's megabyte in its media limits (10^6 bytes: the smaller
// reading, so that what Parley takes Meta takes too).
const MB = 1000 * 1000

// mediaType is a media type Meta accepts, with its kind and size limit.
type mediaType struct {
	kind MediaKind
	max  int64
}

// metaMediaTypes is Meta's list of supported media types with the size
// limit of each kind: audio 16 MB, documents 100 MB, images 5 MB,
// stickers 500 KB (animated; a static one is 100 KB on Meta, which Parley
// does not tell apart), video 16 MB.
var metaMediaTypes = map[string]mediaType{
	"audio/aac":  {MediaAudio, 16 * MB},
	"audio/amr":  {MediaAudio, 16 * MB},
	"audio/mpeg": {MediaAudio, 16 * MB},
	"audio/mp4":  {MediaAudio, 16 * MB},
	"audio/ogg":  {MediaAudio, 16 * MB},

	"text/plain":         {MediaDocument, 100 * MB},
	"application/pdf":    {MediaDocument, 100 * MB},
	"application/msword": {MediaDocument, 100 * MB},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {MediaDocument, 100 * MB},
	"application/vnd.ms-excel": {MediaDocument, 100 * MB},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         {MediaDocument, 100 * MB},
	"application/vnd.ms-powerpoint":                                             {MediaDocument, 100 * MB},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {MediaDocument, 100 * MB},

	"image/jpeg": {MediaImage, 5 * MB},
	"image/png":  {MediaImage, 5 * MB},

	"image/webp": {MediaSticker, 500 * 1000},

	"video/3gpp": {MediaVideo, 16 * MB},
	"video/mp4":  {MediaVideo, 16 * MB},
}

// MediaLimit returns the kind and the size limit in bytes of a media type
// Meta accepts (parameters and case ignored), and false for any other.
func MediaLimit(contentType string) (MediaKind, int64, bool) {
	t, ok := metaMediaTypes[strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))]
	return t.kind, t.max, ok
}

// MaxMediaUpload is the largest size limit of any kind (documents').
func MaxMediaUpload() int64 {
	var largest int64
	for _, t := range metaMediaTypes {
		largest = max(largest, t.max)
	}
	return largest
}

// MediaTypes returns Meta's media types, sorted.
func MediaTypes() []string {
	out := make([]string, 0, len(metaMediaTypes))
	for t := range metaMediaTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// MetaMediaUploadError is Meta's "Media upload error".
const MetaMediaUploadError = 131053

// checkMediaUpload refuses, with 131053, a type Meta does not accept or a
// file over its kind's limit (size < 0: not known yet).
func checkMediaUpload(contentType string, size int64) (int64, error) {
	kind, max, ok := MediaLimit(contentType)
	if !ok {
		return 0, cloudErrDetails(MetaMediaUploadError, "Media upload error",
			fmt.Sprintf("media type %q is not supported; supported: %s", contentType, strings.Join(MediaTypes(), ", ")))
	}
	if size > max {
		return 0, cloudErrDetails(MetaMediaUploadError, "Media upload error",
			fmt.Sprintf("the file is %d bytes; %s media (%s) may be at most %d bytes", size, kind, contentType, max))
	}
	return max, nil
}
