package business

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley"
)

// A number's settings documents (NumberSettingStore), one per kind.
const (
	settingProfile    = "profile"
	settingPhone      = "settings"
	settingRegister   = "registration"
	settingCommerce   = "commerce"
	settingAutomation = "automation"
)

// getSetting decodes the number's document of kind into v; found is false
// (and v untouched) when there is none.
func (b *Service) getSetting(ctx context.Context, n BusinessNumber, kind string, v any) (found bool, err error) {
	body, err := b.st.GetNumberSetting(ctx, n.ID, kind)
	if parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("get %s: %w", kind, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", kind, err)
	}
	return true, nil
}

func (b *Service) putSetting(ctx context.Context, n BusinessNumber, kind string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	if err := b.st.PutNumberSetting(ctx, n.ID, kind, body, b.now()); err != nil {
		return fmt.Errorf("put %s: %w", kind, err)
	}
	return nil
}

// NumberProfile is a number's WhatsApp business profile, every field
// Meta's has. A number without one shows its business account's
// description, address, category (as vertical) and website.
type NumberProfile struct {
	About             string   `json:"about,omitempty"`
	Address           string   `json:"address,omitempty"`
	Description       string   `json:"description,omitempty"`
	Email             string   `json:"email,omitempty"`
	ProfilePictureURL string   `json:"profile_picture_url,omitempty"`
	Websites          []string `json:"websites,omitempty"`
	Vertical          string   `json:"vertical,omitempty"`
}

// ProfileUpdate changes the fields that are not nil.
type ProfileUpdate struct {
	About, Address, Description, Email, Vertical, ProfilePictureURL *string
	Websites                                                        *[]string
}

// Verticals are the industries Meta's profile takes.
var Verticals = []string{"UNDEFINED", "OTHER", "AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE",
	"GROCERY", "GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT", "NOT_A_BIZ",
	"ALCOHOL", "ONLINE_GAMBLING", "PHYSICAL_GAMBLING", "OTC_DRUGS"}

// Profile returns the number's business profile.
func (b *Service) Profile(ctx context.Context, biz Business, n BusinessNumber) (NumberProfile, error) {
	p := NumberProfile{Address: biz.Address, Description: biz.Description, Vertical: biz.Category}
	if biz.Website != "" {
		p.Websites = []string{biz.Website}
	}
	if _, err := b.getSetting(ctx, n, settingProfile, &p); err != nil {
		return NumberProfile{}, err
	}
	return p, nil
}

// UpdateProfile applies u to the number's profile with Meta's limits
// (about 1 to 139 characters, address 256, description 512, email 128
// and an address, at most two http(s) websites of 256, a vertical of
// Verticals): CloudError 100 otherwise. The description, address,
// vertical and first website are also the business account's, which the
// customers' view shows.
func (b *Service) UpdateProfile(ctx context.Context, biz Business, n BusinessNumber, u ProfileUpdate) (NumberProfile, error) {
	p, err := b.Profile(ctx, biz, n)
	if err != nil {
		return NumberProfile{}, err
	}
	bad := func(format string, args ...any) error {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf(format, args...))
	}
	text := func(dst *string, v *string, field string, min, max int) error {
		if v == nil {
			return nil
		}
		s := strings.TrimSpace(*v)
		if err := parley.CheckText(field, s, parley.Lines); err != nil {
			return bad("%s", parley.ErrorMessage(err))
		}
		if c := utf8.RuneCountInString(s); c < min || c > max {
			return bad("%s must be %d to %d characters", field, min, max)
		}
		*dst = s
		return nil
	}
	for _, f := range []error{
		text(&p.About, u.About, "about", 1, 139),
		text(&p.Address, u.Address, "address", 0, 256),
		text(&p.Description, u.Description, "description", 0, 512),
		text(&p.Email, u.Email, "email", 0, 128),
		text(&p.ProfilePictureURL, u.ProfilePictureURL, "profile_picture_url", 0, 2048),
	} {
		if f != nil {
			return NumberProfile{}, f
		}
	}
	if u.Email != nil && p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			return NumberProfile{}, bad("email: %q is not an email address", p.Email)
		}
	}
	if u.Vertical != nil {
		v := strings.ToUpper(strings.TrimSpace(*u.Vertical))
		if v != "" && !slices.Contains(Verticals, v) {
			return NumberProfile{}, bad("vertical must be one of %s", strings.Join(Verticals, ", "))
		}
		p.Vertical = v
	}
	if u.Websites != nil {
		ws := *u.Websites
		if len(ws) > 2 {
			return NumberProfile{}, bad("websites: at most 2")
		}
		for _, w := range ws {
			if len(w) > 256 || !(strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://")) {
				return NumberProfile{}, bad("websites: %q must be an http(s) URL of at most 256 characters", w)
			}
		}
		p.Websites = slices.Clone(ws)
	}
	mirror := BusinessProfile{}
	if u.Description != nil {
		mirror.Description = &p.Description
	}
	if u.Address != nil {
		mirror.Address = &p.Address
	}
	if u.Vertical != nil && p.Vertical != "" {
		mirror.Category = &p.Vertical
	}
	if u.Websites != nil {
		w := ""
		if len(p.Websites) > 0 {
			w = p.Websites[0]
		}
		mirror.Website = &w
	}
	if _, err := b.UpdateBusiness(ctx, biz.ID, mirror); err != nil {
		return NumberProfile{}, err
	}
	if err := b.putSetting(ctx, n, settingProfile, p); err != nil {
		return NumberProfile{}, err
	}
	return p, nil
}
