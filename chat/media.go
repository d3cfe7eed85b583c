package chat

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/parleyhq/parley"
	"io"
	"strings"
	"time"
)

// defaultMediaTypes are the media types accepted by default.
// application/octet-stream is for end-to-end encrypted attachments, whose
// bytes the server cannot inspect. audio/ogg and audio/webm are what
// browsers record voice notes in (MediaRecorder, Opus): Firefox writes
// Ogg, Chromium WebM.
var defaultMediaTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp",
	"video/mp4", "audio/mpeg", "audio/ogg", "audio/webm", "audio/mp4",
	"application/pdf", "application/octet-stream",
}

// sniffable maps a declared type to the sniffed type it must match; the
// server refuses a file whose bytes contradict its declared type.
var sniffable = map[string]string{
	"image/jpeg":      "image/jpeg",
	"image/png":       "image/png",
	"image/gif":       "image/gif",
	"image/webp":      "image/webp",
	"application/pdf": "application/pdf",
	"audio/mpeg":      "audio/mpeg",
	"audio/ogg":       "application/ogg",
	"audio/webm":      "video/webm", // the EBML header; the sniffer names every WebM video/webm
	"video/mp4":       "video/mp4",
}

// UploadMedia stores a file and attaches it to chatID, so that members of
// that chat may download it. Errors: ENotFound / EForbidden for the chat,
// EUnsupportedMedia for a type not allowed or bytes that contradict it,
// ETooLarge over MaxMedia.
func (s *Service) UploadMedia(ctx context.Context, p parley.Principal, chatID int64, contentType string, r io.Reader) (Media, error) {
	if _, _, err := s.memberChat(ctx, p, chatID); err != nil {
		return Media{}, err
	}
	m, err := s.StoreMedia(ctx, p, contentType, r)
	if err != nil {
		return Media{}, err
	}
	if err := s.store.AttachMedia(ctx, m.ID, chatID); err != nil {
		return Media{}, fmt.Errorf("attach media: %w", err)
	}
	return m, nil
}

// ShareMedia attaches media the caller can see to another chat of theirs,
// for forwarding without re-uploading.
func (s *Service) ShareMedia(ctx context.Context, p parley.Principal, mediaID string, chatID int64) error {
	if _, err := s.visibleMedia(ctx, p, mediaID); err != nil {
		return err
	}
	if _, _, err := s.memberChat(ctx, p, chatID); err != nil {
		return err
	}
	return s.store.AttachMedia(ctx, mediaID, chatID)
}

// OpenMedia returns media the caller uploaded or that is attached to one of
// their chats; anything else is ENotFound.
// MediaBytes returns a media record and its bytes, for another context that
// serves media it has checked access to itself (channels, business).
func (s *Service) OpenMedia(ctx context.Context, p parley.Principal, mediaID string) (Media, io.ReadSeekCloser, error) {
	if _, err := s.visibleMedia(ctx, p, mediaID); err != nil {
		return Media{}, nil, err
	}
	return s.MediaBytes(ctx, mediaID)
}

func (s *Service) visibleMedia(ctx context.Context, p parley.Principal, mediaID string) (Media, error) {
	m, err := s.store.GetMedia(ctx, mediaID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Media{}, parley.Errorf(parley.ENotFound, "no such media")
	} else if err != nil {
		return Media{}, fmt.Errorf("get media: %w", err)
	}
	if m.OwnerID == p.AccountID {
		return m, nil
	}
	ok, err := s.store.MediaVisibleTo(ctx, mediaID, p.AccountID)
	if err != nil {
		return Media{}, fmt.Errorf("media visible: %w", err)
	}
	if !ok {
		// Not "forbidden": do not confirm that the id exists.
		return Media{}, parley.Errorf(parley.ENotFound, "no such media")
	}
	return m, nil
}

// MediaBytes returns a media record and its bytes, for another context that
// serves media it has checked access to itself (channels, business).
func (s *Service) MediaBytes(ctx context.Context, id string) (Media, io.ReadSeekCloser, error) {
	m, err := s.store.GetMedia(ctx, id)
	if err != nil {
		return Media{}, nil, fmt.Errorf("get media: %w", err)
	}
	rc, err := s.blobs.Open(ctx, m.SHA256)
	if err != nil {
		return Media{}, nil, fmt.Errorf("open blob: %w", err)
	}
	return m, rc, nil
}

// StoreMedia checks and stores an upload, for another context that keeps its
// own media (channels, business).
func (s *Service) StoreMedia(ctx context.Context, p parley.Principal, contentType string, r io.Reader) (Media, error) {
	contentType, err := uploadType(s.cfg.AllowedMediaTypes, contentType)
	if err != nil {
		return Media{}, err
	}
	return s.storeMedia(ctx, p, contentType, 0, r)
}

// MediaType is a Content-Type's media type, lower case, without
// parameters.
func MediaType(contentType string) string {
	return strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
}

// StoreMediaOf stores an upload for another context that allows its own
// list of types with a size limit per type (business: Meta's list): the
// caller has checked contentType, max is its limit in bytes. The bytes
// are sniffed and the account's storage quota applies as in StoreMedia;
// over max is ETooLarge.
func (s *Service) StoreMediaOf(ctx context.Context, p parley.Principal, contentType string, max int64, r io.Reader) (Media, error) {
	return s.storeMedia(ctx, p, MediaType(contentType), max, r)
}

// storeMedia stores an upload of an allowed type; limit, when not zero,
// replaces the account's upload limit.
func (s *Service) storeMedia(ctx context.Context, p parley.Principal, contentType string, limit int64, r io.Reader) (Media, error) {
	br := bufio.NewReaderSize(r, 512)
	head, _ := br.Peek(512)
	if err := checkHead(contentType, head); err != nil {
		return Media{}, err
	}
	lim, err := s.entitlements.Limits(ctx, p.AccountID) // premium members upload larger files
	if err != nil {
		return Media{}, err
	}
	if limit > 0 {
		lim.MaxMedia = limit
	}
	// The storage quota: an upload may use what is left of it. Uploads
	// running at the same moment each see the same remainder, so an
	// account can pass its quota by at most that many files.
	max, used := lim.MaxMedia, int64(0)
	if lim.MediaQuota >= 0 {
		if used, err = s.store.MediaUsage(ctx, p.AccountID); err != nil {
			return Media{}, fmt.Errorf("media usage: %w", err)
		}
		if left := lim.MediaQuota - used; left < max {
			max = left
		}
		if max <= 0 {
			return Media{}, s.quotaExceeded(lim.MediaQuota, used)
		}
	}
	s.blobMu.RLock()
	defer s.blobMu.RUnlock()
	sum, size, err := s.blobs.Put(ctx, br, max)
	if err != nil {
		if parley.ErrorCode(err) == parley.ETooLarge {
			if max < lim.MaxMedia {
				return Media{}, s.quotaExceeded(lim.MediaQuota, used)
			}
			if limit > 0 { // the caller's limit for the type: premium does not lift it
				return Media{}, &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("%s media is larger than %d bytes", contentType, limit),
					Details: map[string]any{"limit": limit}}
			}
			return Media{}, s.mediaTooLarge(lim.MaxMedia)
		}
		return Media{}, fmt.Errorf("put blob: %w", err)
	}
	idb := make([]byte, 16)
	if _, err := rand.Read(idb); err != nil {
		return Media{}, fmt.Errorf("media id: %w", err)
	}
	m := Media{ID: hex.EncodeToString(idb), SHA256: sum, Size: size, ContentType: contentType, OwnerID: p.AccountID, CreatedAt: s.now()}
	if err := s.store.CreateMedia(ctx, m); err != nil {
		return Media{}, fmt.Errorf("create media: %w", err)
	}
	return m, nil
}

// mediaTooLarge is the error for an upload over limit, the caller's
// limit: EPremiumRequired if premium members may upload more, else
// ETooLarge.
func (s *Service) mediaTooLarge(limit int64) error {
	if pl, ok := s.entitlements.PremiumLimits(); ok && pl.MaxMedia > limit {
		prem := pl.MaxMedia
		return &parley.Error{Code: parley.EPremiumRequired, Message: fmt.Sprintf("media is larger than %d bytes; premium members may upload up to %d bytes", limit, prem),
			Details: map[string]any{"limit": limit, "premium_limit": prem}}
	}
	return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("media is larger than %d bytes", limit), Details: map[string]any{"limit": limit}}
}

// quotaExceeded is the error for an upload past the account's storage
// quota: EPremiumRequired if premium members may keep more, else
// ELimitExceeded. Either way the details say how much is used.
func (s *Service) quotaExceeded(quota, used int64) error {
	if pl, ok := s.entitlements.PremiumLimits(); ok && (pl.MediaQuota < 0 || pl.MediaQuota > quota) {
		return &parley.Error{Code: parley.EPremiumRequired, Message: fmt.Sprintf("the upload would pass the media quota of %d bytes (%d used); premium members may keep more", quota, used),
			Details: map[string]any{"limit": quota, "premium_limit": pl.MediaQuota, "used": used}}
	}
	return &parley.Error{Code: parley.ELimit, Message: fmt.Sprintf("the upload would pass the media quota of %d bytes (%d used); media no message refers to any more is removed after the retention", quota, used),
		Details: map[string]any{"limit": quota, "used": used}}
}

// sweepMedia deletes media nothing refers to any more (the store decides
// what refers to it: DeleteUnreferencedMedia) once it is older than the
// retention, so that every envelope that could carry it has been
// delivered or has expired, and then the blobs no other media shares.
func (s *Service) sweepMedia(ctx context.Context, now time.Time) error {
	for {
		swept, err := s.store.DeleteUnreferencedMedia(ctx, now.Add(-s.cfg.Retention), 1000)
		if err != nil {
			return fmt.Errorf("delete unreferenced media: %w", err)
		}
		if err := s.deleteOrphanBlobs(ctx, swept); err != nil {
			return err
		}
		if len(swept) < 1000 {
			return nil
		}
	}
}

func (s *Service) deleteOrphanBlobs(ctx context.Context, swept []SweptMedia) error {
	s.blobMu.Lock()
	defer s.blobMu.Unlock()
	for _, m := range swept {
		if !m.Orphan {
			continue
		}
		// An upload of the same bytes may have come since the delete.
		inUse, err := s.store.MediaBlobInUse(ctx, m.SHA256)
		if err != nil {
			return fmt.Errorf("media blob in use: %w", err)
		}
		if inUse {
			continue
		}
		if err := s.blobs.Delete(ctx, m.SHA256); err != nil {
			return fmt.Errorf("delete blob: %w", err)
		}
	}
	return nil
}

// MediaTooLarge is the error for an upload by accountID that is over the
// account's limit, for adapters that cut the body off first.
func (s *Service) MediaTooLarge(ctx context.Context, accountID int64) error {
	lim, err := s.entitlements.Limits(ctx, accountID)
	if err != nil {
		s.log.Warn("media limit", "account", accountID, "err", err)
		lim.MaxMedia = s.cfg.MaxMedia
	}
	return s.mediaTooLarge(lim.MaxMedia)
}

// MediaLimit returns the largest upload the account may make now, in
// bytes (premium members may upload more). On a failure it answers the
// free limit.
func (s *Service) MediaLimit(ctx context.Context, accountID int64) int64 {
	lim, err := s.entitlements.Limits(ctx, accountID)
	if err != nil {
		s.log.Warn("media limit", "account", accountID, "err", err)
		return s.cfg.MaxMedia
	}
	return lim.MaxMedia
}
