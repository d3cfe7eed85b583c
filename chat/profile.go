package chat

import (
	"context"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Profiles is the profile side of the chat core: what an account shows of
// itself (name, about, avatar, last seen) and to whom, its privacy
// settings, contact lookup and blocks. It is safe for concurrent use.
//
// NewService builds it, because the core needs it too (MayWatchPresence
// follows the last-seen privacy) and the default Entitlements are settled
// there; the wiring takes it from Service.Profiles.
type Profiles struct {
	store        profileStore
	entitlements Entitlements
	media        avatarMedia
	quotas       quotas // LookupContacts counts against lookups a day
	lookups      int
	blockChanged func(accountID, otherID int64) // tells the send path's caches
}

// profileStore is the part of Store that Profiles uses.
type profileStore interface {
	GetAccount(ctx context.Context, id int64) (Account, error)
	LookupPhones(ctx context.Context, phones []string) ([]Account, error)
	UpdateAccount(ctx context.Context, a Account) error
	SetUsername(ctx context.Context, accountID int64, username string) error
	Block(ctx context.Context, accountID, blockedID int64) error
	Unblock(ctx context.Context, accountID, blockedID int64) error
	IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error)
	ListBlocked(ctx context.Context, accountID int64) ([]int64, error)
	SharesDirectChat(ctx context.Context, a, b int64) (bool, error)
}

// avatarMedia is what Profiles needs of the core's media: an avatar is
// stored and served like any other upload. *Service implements it.
type avatarMedia interface {
	StoreMedia(ctx context.Context, p parley.Principal, contentType string, r io.Reader) (Media, error)
	MediaBytes(ctx context.Context, id string) (Media, io.ReadSeekCloser, error)
}

func (s *Profiles) canSee(ctx context.Context, viewer int64, viewerAcct *Account, target Account, vis Visibility) (bool, error) {
	if viewer == target.ID {
		return true, nil
	}
	blocked, err := s.store.IsBlocked(ctx, target.ID, viewer)
	if err != nil {
		return false, err
	}
	if blocked {
		return false, nil
	}
	switch vis {
	case VisibleEveryone:
		return true, nil
	case VisibleContacts:
		return s.store.SharesDirectChat(ctx, viewer, target.ID)
	}
	return false, nil
}

func (s *Profiles) profileOf(ctx context.Context, viewer Account, target Account) (wire.Profile, error) {
	p := wire.Profile{ID: target.ID, DisplayName: target.DisplayName, Username: target.Username, About: target.About}
	lim, err := s.entitlements.Limits(ctx, target.ID)
	if err != nil {
		return wire.Profile{}, err
	}
	p.Premium = lim.Premium
	if viewer.ID == target.ID {
		p.Phone = target.Phone
	}
	if target.AvatarMediaID != "" {
		ok, err := s.canSee(ctx, viewer.ID, &viewer, target, target.AvatarVisibility)
		if err != nil {
			return wire.Profile{}, err
		}
		p.HasAvatar = ok
	}
	// Last seen is reciprocal: who hides theirs sees no one's.
	if !target.LastSeenAt.IsZero() && (viewer.ID == target.ID || viewer.LastSeenVisibility != VisibleNobody) {
		ok, err := s.canSee(ctx, viewer.ID, &viewer, target, target.LastSeenVisibility)
		if err != nil {
			return wire.Profile{}, err
		}
		if ok {
			t := target.LastSeenAt
			p.LastSeen = &t
		}
	}
	return p, nil
}

// Me returns the caller's own account.
func (s *Profiles) Me(ctx context.Context, p parley.Principal) (wire.Me, error) {
	a, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return wire.Me{}, fmt.Errorf("get account: %w", err)
	}
	prof, err := s.profileOf(ctx, a, a)
	if err != nil {
		return wire.Me{}, err
	}
	return wire.Me{Profile: prof, Privacy: wire.Privacy{LastSeen: a.LastSeenVisibility, Avatar: a.AvatarVisibility, ReadReceipts: a.ReadReceipts}}, nil
}

// Profile returns what the caller may see of account id, or ENotFound.
func (s *Profiles) Profile(ctx context.Context, p parley.Principal, id int64) (wire.Profile, error) {
	viewer, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return wire.Profile{}, fmt.Errorf("get account: %w", err)
	}
	target, err := s.store.GetAccount(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return wire.Profile{}, parley.Errorf(parley.ENotFound, "no such account")
	} else if err != nil {
		return wire.Profile{}, fmt.Errorf("get account: %w", err)
	}
	return s.profileOf(ctx, viewer, target)
}

// ProfileUpdate changes the fields that are non-nil.
type ProfileUpdate struct {
	DisplayName *string
	About       *string
	Username    *string // "" removes it
}

// UpdateProfile changes the caller's display name, about text or
// username. EInvalid if a name is over 64 characters or the about text
// over 140, or either fails parley.CheckText (control or bidirectional
// override characters), or the username is not one (ValidUsername);
// EConflict if another account has the username.
func (s *Profiles) UpdateProfile(ctx context.Context, p parley.Principal, u ProfileUpdate) (wire.Me, error) {
	a, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return wire.Me{}, fmt.Errorf("get account: %w", err)
	}
	if u.DisplayName != nil {
		if err := parley.CheckText("display_name", *u.DisplayName, parley.Line); err != nil {
			return wire.Me{}, err
		}
		if n := utf8.RuneCountInString(*u.DisplayName); n > 64 || !utf8.ValidString(*u.DisplayName) {
			return wire.Me{}, &parley.Error{Code: parley.EInvalid, Message: "display name must be valid text of at most 64 characters", Details: map[string]any{"field": "display_name"}}
		}
		a.DisplayName = *u.DisplayName
	}
	if u.About != nil {
		if err := parley.CheckText("about", *u.About, parley.Lines); err != nil {
			return wire.Me{}, err
		}
		if n := utf8.RuneCountInString(*u.About); n > 140 || !utf8.ValidString(*u.About) {
			return wire.Me{}, &parley.Error{Code: parley.EInvalid, Message: "about must be valid text of at most 140 characters", Details: map[string]any{"field": "about"}}
		}
		a.About = *u.About
	}
	var username string
	if u.Username != nil {
		if username, err = ValidUsername(*u.Username); err != nil {
			return wire.Me{}, err
		}
	}
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return wire.Me{}, fmt.Errorf("update account: %w", err)
	}
	if u.Username != nil && username != a.Username {
		if err := s.store.SetUsername(ctx, a.ID, username); parley.ErrorCode(err) == parley.EConflict {
			return wire.Me{}, &parley.Error{Code: parley.EConflict, Message: "this username is taken", Details: map[string]any{"field": "username"}}
		} else if err != nil {
			return wire.Me{}, fmt.Errorf("set username: %w", err)
		}
	}
	return s.Me(ctx, p)
}

// PrivacyUpdate changes the settings that are non-nil.
type PrivacyUpdate struct {
	LastSeen     *Visibility
	Avatar       *Visibility
	ReadReceipts *bool
}

// UpdatePrivacy changes the caller's privacy settings. EInvalid for an
// unknown visibility.
func (s *Profiles) UpdatePrivacy(ctx context.Context, p parley.Principal, u PrivacyUpdate) (wire.Me, error) {
	a, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return wire.Me{}, fmt.Errorf("get account: %w", err)
	}
	for field, v := range map[string]*Visibility{"last_seen": u.LastSeen, "avatar": u.Avatar} {
		if v != nil && !v.Valid() {
			return wire.Me{}, &parley.Error{Code: parley.EInvalid, Message: field + " must be everyone, contacts or nobody", Details: map[string]any{"field": field}}
		}
	}
	if u.LastSeen != nil {
		a.LastSeenVisibility = *u.LastSeen
	}
	if u.Avatar != nil {
		a.AvatarVisibility = *u.Avatar
	}
	if u.ReadReceipts != nil {
		a.ReadReceipts = *u.ReadReceipts
	}
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return wire.Me{}, fmt.Errorf("update account: %w", err)
	}
	return s.Me(ctx, p)
}

// LookupContacts returns the Parley accounts among phones (at most 256 per
// call). Numbers that are not on Parley are simply absent; malformed numbers
// are EInvalid.
func (s *Profiles) LookupContacts(ctx context.Context, p parley.Principal, phones []string) ([]wire.Contact, error) {
	if len(phones) > 256 {
		return nil, &parley.Error{Code: parley.EInvalid, Message: "at most 256 numbers per lookup", Details: map[string]any{"field": "phones"}}
	}
	norm := make([]string, 0, len(phones))
	for _, ph := range phones {
		n, err := NormalizePhone(ph)
		if err != nil {
			return nil, err
		}
		norm = append(norm, n)
	}
	if _, err := s.quotas.take(ctx, quotaLookups(p.AccountID), len(norm), s.lookups,
		fmt.Sprintf("an account may look up %d numbers a day", s.lookups)); err != nil {
		return nil, err
	}
	viewer, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("get account: %w", err)
	}
	found, err := s.store.LookupPhones(ctx, norm)
	if err != nil {
		return nil, fmt.Errorf("lookup phones: %w", err)
	}
	out := make([]wire.Contact, 0, len(found))
	for _, a := range found {
		prof, err := s.profileOf(ctx, viewer, a)
		if err != nil {
			return nil, err
		}
		out = append(out, wire.Contact{Phone: a.Phone, Profile: prof})
	}
	return out, nil
}

// Block stops account id from messaging the caller. ENotFound for an
// unknown account, EInvalid for oneself.
func (s *Profiles) Block(ctx context.Context, p parley.Principal, id int64) error {
	if id == p.AccountID {
		return parley.Errorf(parley.EInvalid, "you cannot block yourself")
	}
	if _, err := s.store.GetAccount(ctx, id); parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "no such account")
	} else if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	err := s.store.Block(ctx, p.AccountID, id)
	s.blockChanged(p.AccountID, id)
	return err
}

// Unblock lifts a block; unblocking someone not blocked is not an error.
func (s *Profiles) Unblock(ctx context.Context, p parley.Principal, id int64) error {
	err := s.store.Unblock(ctx, p.AccountID, id)
	s.blockChanged(p.AccountID, id)
	return err
}

// Blocked lists the accounts the caller has blocked.
func (s *Profiles) Blocked(ctx context.Context, p parley.Principal) ([]int64, error) {
	return s.store.ListBlocked(ctx, p.AccountID)
}

// SetAvatar stores an image as the caller's avatar. EUnsupportedMedia
// unless it is JPEG, PNG or WebP; ETooLarge over MaxMedia.
func (s *Profiles) SetAvatar(ctx context.Context, p parley.Principal, contentType string, r io.Reader) (wire.Me, error) {
	if contentType != "image/jpeg" && contentType != "image/png" && contentType != "image/webp" {
		return wire.Me{}, parley.Errorf(parley.EUnsupportedMedia, "an avatar must be image/jpeg, image/png or image/webp")
	}
	m, err := s.media.StoreMedia(ctx, p, contentType, r)
	if err != nil {
		return wire.Me{}, err
	}
	a, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return wire.Me{}, fmt.Errorf("get account: %w", err)
	}
	a.AvatarMediaID = m.ID
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return wire.Me{}, fmt.Errorf("update account: %w", err)
	}
	return s.Me(ctx, p)
}

// Avatar opens account id's avatar if the caller may see it, else ENotFound.
func (s *Profiles) Avatar(ctx context.Context, p parley.Principal, id int64) (Media, io.ReadSeekCloser, error) {
	prof, err := s.Profile(ctx, p, id)
	if err != nil {
		return Media{}, nil, err
	}
	if !prof.HasAvatar {
		return Media{}, nil, parley.Errorf(parley.ENotFound, "no avatar to show")
	}
	a, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return Media{}, nil, fmt.Errorf("get account: %w", err)
	}
	return s.media.MediaBytes(ctx, a.AvatarMediaID)
}
