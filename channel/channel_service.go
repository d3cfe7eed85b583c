package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

func noChannel(id int64) error {
	return &parley.Error{Code: parley.ENotFound, Message: "no such channel", Details: map[string]any{"channel_id": id}}
}

// channel returns the channel, or ENotFound.
func (s *Service) channel(ctx context.Context, id int64) (Channel, error) {
	return LoadChannel(ctx, s.store, id)
}

// LoadChannel returns the channel, or ENotFound.
func LoadChannel(ctx context.Context, store interface {
	GetChannel(ctx context.Context, id int64) (Channel, error)
}, id int64) (Channel, error) {
	c, err := store.GetChannel(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Channel{}, noChannel(id)
	} else if err != nil {
		return Channel{}, fmt.Errorf("get channel: %w", err)
	}
	return c, nil
}

// adminOf returns the caller's admin role in the channel, or "" if none.
func (s *Service) adminOf(ctx context.Context, p parley.Principal, channelID int64) (ChannelRole, error) {
	a, err := s.store.GetChannelAdmin(ctx, channelID, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("get channel admin: %w", err)
	}
	return a.Role, nil
}

// adminChannel returns the channel if the caller is one of its admins
// (the owner, if ownerOnly); EForbidden otherwise.
func (s *Service) adminChannel(ctx context.Context, p parley.Principal, id int64, ownerOnly bool) (Channel, ChannelRole, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return Channel{}, "", err
	}
	role, err := s.adminOf(ctx, p, id)
	if err != nil {
		return Channel{}, "", err
	}
	if role == "" || (ownerOnly && role != ChannelOwner) {
		who := "channel admins"
		if ownerOnly {
			who = "the channel owner"
		}
		return Channel{}, "", &parley.Error{Code: parley.EForbidden, Message: "only " + who + " may do this", Details: map[string]any{"channel_id": id}}
	}
	return c, role, nil
}

func suspendedError(c Channel) error {
	return &parley.Error{Code: parley.EChannelSuspended, Message: "this channel is suspended: " + c.SuspendReason,
		Details: map[string]any{"channel_id": c.ID, "reason": c.SuspendReason}}
}

// channelView builds the caller's view of c.
func (s *Service) channelView(ctx context.Context, p parley.Principal, c Channel) (wire.ChannelView, error) {
	v := wire.ChannelView{ID: c.ID, Handle: c.Handle, Name: c.Name, Description: c.Description, PictureMediaID: c.PictureMediaID,
		Category: c.Category, Country: c.Country, Language: c.Language, Verified: c.Verified, Followers: c.Followers,
		LastSeq: c.LastSeq, CreatedAt: c.CreatedAt, Listed: c.Listed, FollowPolicy: c.FollowPolicy,
		AllowForwards: c.AllowForwards, AllowReactions: c.AllowReactions, Suspended: c.Suspended(), SuspendReason: c.SuspendReason}
	role, err := s.adminOf(ctx, p, c.ID)
	if err != nil {
		return wire.ChannelView{}, err
	}
	v.Role = role
	if role != "" {
		v.InviteCode = c.InviteCode
		if v.PendingRequests, err = s.store.CountFollowRequests(ctx, c.ID); err != nil {
			return wire.ChannelView{}, fmt.Errorf("count follow requests: %w", err)
		}
	}
	f, err := s.store.GetFollow(ctx, c.ID, p.AccountID)
	switch {
	case err == nil:
		v.Following, v.Muted, v.ReadSeq = true, f.Muted, f.ReadSeq
		v.Unread = max(0, c.LastSeq-f.ReadSeq)
	case parley.ErrorCode(err) != parley.ENotFound:
		return wire.ChannelView{}, fmt.Errorf("get follow: %w", err)
	}
	if !v.Following && c.FollowPolicy == FollowApproved {
		switch _, err := s.store.FollowRequestOf(ctx, c.ID, p.AccountID); {
		case err == nil:
			v.Requested = true
		case parley.ErrorCode(err) != parley.ENotFound:
			return wire.ChannelView{}, fmt.Errorf("follow request of: %w", err)
		}
	}
	return v, nil
}

// CreateChannel creates a channel owned by the caller. Errors: EInvalid
// for a bad field, EConflict if the handle is taken.
func (s *Service) CreateChannel(ctx context.Context, p parley.Principal, in wire.ChannelInput) (wire.ChannelView, error) {
	handle, err := NormalizeHandle(in.Handle)
	if err != nil {
		return wire.ChannelView{}, err
	}
	c := Channel{Handle: handle, Name: in.Name, Description: in.Description, PictureMediaID: in.PictureMediaID,
		Category: in.Category, Country: in.Country, Language: in.Language, OwnerID: p.AccountID,
		Listed: true, FollowPolicy: FollowAnyone, AllowForwards: true, AllowReactions: true,
		InviteCode: newOpaqueID(), CreatedAt: s.now()}
	if in.Listed != nil {
		c.Listed = *in.Listed
	}
	if in.FollowPolicy != nil {
		c.FollowPolicy = *in.FollowPolicy
	}
	if in.AllowForwards != nil {
		c.AllowForwards = *in.AllowForwards
	}
	if in.AllowReactions != nil {
		c.AllowReactions = *in.AllowReactions
	}
	if err := validateChannel(&c); err != nil {
		return wire.ChannelView{}, err
	}
	if err := s.checkPicture(ctx, p, c.PictureMediaID); err != nil {
		return wire.ChannelView{}, err
	}
	if err := s.store.CreateChannel(ctx, &c); parley.ErrorCode(err) == parley.EConflict {
		return wire.ChannelView{}, &parley.Error{Code: parley.EConflict, Message: "the handle @" + handle + " is taken", Details: map[string]any{"field": "handle"}}
	} else if err != nil {
		return wire.ChannelView{}, fmt.Errorf("create channel: %w", err)
	}
	return s.channelView(ctx, p, c)
}

// checkPicture checks that a picture media id, if set, is the caller's upload.
func (s *Service) checkPicture(ctx context.Context, p parley.Principal, mediaID string) error {
	if mediaID == "" {
		return nil
	}
	m, err := s.store.GetMedia(ctx, mediaID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && m.OwnerID != p.AccountID) {
		return &parley.Error{Code: parley.EInvalid, Message: "no such media of yours", Details: map[string]any{"field": "media_id"}}
	} else if err != nil {
		return fmt.Errorf("get media: %w", err)
	}
	return nil
}

// GetChannel returns a channel. A suspended channel is still shown, with
// its reason.
func (s *Service) GetChannel(ctx context.Context, p parley.Principal, id int64) (wire.ChannelView, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.ChannelView{}, err
	}
	return s.channelView(ctx, p, c)
}

// ChannelByInvite returns the channel an invite code opens, or ENotFound.
func (s *Service) ChannelByInvite(ctx context.Context, p parley.Principal, code string) (wire.ChannelView, error) {
	c, err := s.store.GetChannelByInvite(ctx, code)
	if parley.ErrorCode(err) == parley.ENotFound {
		return wire.ChannelView{}, parley.Errorf(parley.ENotFound, "this invite link is not valid")
	} else if err != nil {
		return wire.ChannelView{}, fmt.Errorf("get channel by invite: %w", err)
	}
	return s.channelView(ctx, p, c)
}

// UpdateChannel changes a channel's profile and settings (admins).
func (s *Service) UpdateChannel(ctx context.Context, p parley.Principal, id int64, u wire.ChannelUpdate) (wire.ChannelView, error) {
	c, _, err := s.adminChannel(ctx, p, id, false)
	if err != nil {
		return wire.ChannelView{}, err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Name, u.Name)
	set(&c.Description, u.Description)
	set(&c.PictureMediaID, u.PictureMediaID)
	set(&c.Category, u.Category)
	set(&c.Country, u.Country)
	set(&c.Language, u.Language)
	setB(&c.Listed, u.Listed)
	setB(&c.AllowForwards, u.AllowForwards)
	setB(&c.AllowReactions, u.AllowReactions)
	if u.FollowPolicy != nil {
		c.FollowPolicy = *u.FollowPolicy
	}
	if err := validateChannel(&c); err != nil {
		return wire.ChannelView{}, err
	}
	if u.PictureMediaID != nil {
		if err := s.checkPicture(ctx, p, c.PictureMediaID); err != nil {
			return wire.ChannelView{}, err
		}
	}
	if err := s.store.UpdateChannel(ctx, c); err != nil {
		return wire.ChannelView{}, fmt.Errorf("update channel: %w", err)
	}
	return s.channelView(ctx, p, c)
}

// ResetInvite replaces the channel's invite code; the old link stops working.
func (s *Service) ResetInvite(ctx context.Context, p parley.Principal, id int64) (wire.ChannelView, error) {
	c, _, err := s.adminChannel(ctx, p, id, false)
	if err != nil {
		return wire.ChannelView{}, err
	}
	c.InviteCode = newOpaqueID()
	if err := s.store.UpdateChannel(ctx, c); err != nil {
		return wire.ChannelView{}, fmt.Errorf("update channel: %w", err)
	}
	return s.channelView(ctx, p, c)
}

// ChannelAdmins lists the channel's admins and its pending admin
// invitations (admins only).
func (s *Service) ChannelAdmins(ctx context.Context, p parley.Principal, id int64) ([]wire.ChannelAdminView, []wire.ChannelAdminInviteView, error) {
	if _, _, err := s.adminChannel(ctx, p, id, false); err != nil {
		return nil, nil, err
	}
	as, err := s.store.ChannelAdmins(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("channel admins: %w", err)
	}
	out := make([]wire.ChannelAdminView, len(as))
	for i, a := range as {
		out[i] = wire.ChannelAdminView{AccountID: a.AccountID, Role: a.Role}
	}
	invs, err := s.store.ChannelAdminInvites(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("channel admin invites: %w", err)
	}
	pending := make([]wire.ChannelAdminInviteView, len(invs))
	for i, inv := range invs {
		pending[i] = inviteView(inv)
	}
	return out, pending, nil
}

func inviteView(inv AdminInvite) wire.ChannelAdminInviteView {
	return wire.ChannelAdminInviteView{ChannelID: inv.ChannelID, AccountID: inv.AccountID, InvitedBy: inv.InvitedBy, CreatedAt: inv.CreatedAt}
}

// InviteChannelAdmin invites an account to become an admin (owner only).
// Nobody becomes an admin without accepting (AnswerAdminInvite): an admin
// speaks for the channel, and its uploads are the channel's. It returns
// the pending invitation (the same one if the account is already
// invited), or nil if the account is already an admin. Errors: ENotFound
// for an unknown account, EInvalid for a business number (it has no app
// to accept with), ELimit when the admins and pending invitations would
// pass MaxAdmins.
func (s *Service) InviteChannelAdmin(ctx context.Context, p parley.Principal, id, accountID int64) (*wire.ChannelAdminInviteView, error) {
	if _, _, err := s.adminChannel(ctx, p, id, true); err != nil {
		return nil, err
	}
	if _, err := s.store.GetAccount(ctx, accountID); parley.ErrorCode(err) == parley.ENotFound {
		return nil, &parley.Error{Code: parley.ENotFound, Message: "no such account", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return nil, fmt.Errorf("get account: %w", err)
	}
	if err := s.people.MayLink(ctx, accountID); parley.ErrorCode(err) == parley.EForbidden {
		return nil, &parley.Error{Code: parley.EInvalid, Message: "a business number cannot be a channel admin", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return nil, fmt.Errorf("may link: %w", err)
	}
	limit := s.cfg.MaxAdmins
	inv, created, err := s.store.InviteChannelAdmin(ctx, AdminInvite{ChannelID: id, AccountID: accountID, InvitedBy: p.AccountID, CreatedAt: s.now()}, limit)
	switch parley.ErrorCode(err) {
	case "":
	case parley.EConflict:
		return nil, nil
	case parley.ELimit:
		return nil, &parley.Error{Code: parley.ELimit, Message: fmt.Sprintf("a channel may have at most %d admins, invitations included", limit), Details: map[string]any{"limit": limit}}
	default:
		return nil, fmt.Errorf("invite channel admin: %w", err)
	}
	if created {
		s.chat.Publish(chat.AccountSubject(accountID), wire.Event{Type: wire.EventChannelAdminInvite, ChannelID: id, AccountID: p.AccountID, State: "invited"})
	}
	v := inviteView(inv)
	return &v, nil
}

// AdminInvites returns the caller's pending invitations to administer a
// channel, oldest first, each with the channel.
func (s *Service) AdminInvites(ctx context.Context, p parley.Principal) ([]wire.ChannelAdminInviteView, error) {
	invs, err := s.store.AdminInvitesOf(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("admin invites of: %w", err)
	}
	out := make([]wire.ChannelAdminInviteView, 0, len(invs))
	for _, inv := range invs {
		c, err := s.channel(ctx, inv.ChannelID)
		if err != nil {
			return nil, err
		}
		cv, err := s.channelView(ctx, p, c)
		if err != nil {
			return nil, err
		}
		v := inviteView(inv)
		v.Channel = &cv
		out = append(out, v)
	}
	return out, nil
}

// AnswerAdminInvite accepts (the caller becomes an admin) or declines the
// caller's invitation to administer channel id. ENotFound if there is none.
func (s *Service) AnswerAdminInvite(ctx context.Context, p parley.Principal, id int64, accept bool) error {
	var err error
	if accept {
		err = s.store.AcceptChannelAdminInvite(ctx, id, p.AccountID, s.now())
	} else {
		err = s.store.DeleteChannelAdminInvite(ctx, id, p.AccountID)
	}
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no invitation to administer this channel", Details: map[string]any{"channel_id": id}}
	} else if err != nil {
		return fmt.Errorf("answer admin invite: %w", err)
	}
	return nil
}

// RemoveChannelAdmin removes an admin, or withdraws a pending invitation
// (owner only; the owner stays).
func (s *Service) RemoveChannelAdmin(ctx context.Context, p parley.Principal, id, accountID int64) error {
	c, _, err := s.adminChannel(ctx, p, id, true)
	if err != nil {
		return err
	}
	if accountID == c.OwnerID {
		return parley.Errorf(parley.EInvalid, "the owner cannot be removed")
	}
	withdrawn := true
	if err := s.store.DeleteChannelAdminInvite(ctx, id, accountID); parley.ErrorCode(err) == parley.ENotFound {
		withdrawn = false
	} else if err != nil {
		return fmt.Errorf("delete channel admin invite: %w", err)
	}
	if err := s.store.RemoveChannelAdmin(ctx, id, accountID); parley.ErrorCode(err) == parley.ENotFound {
		if withdrawn {
			return nil
		}
		return &parley.Error{Code: parley.ENotFound, Message: "that account is not an admin", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return fmt.Errorf("remove channel admin: %w", err)
	}
	return nil
}

// AdminChannels returns the channels the caller administers.
func (s *Service) AdminChannels(ctx context.Context, p parley.Principal) ([]wire.ChannelView, error) {
	cs, err := s.store.AdminChannels(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("admin channels: %w", err)
	}
	return s.channelViews(ctx, p, cs)
}

func (s *Service) channelViews(ctx context.Context, p parley.Principal, cs []Channel) ([]wire.ChannelView, error) {
	out := make([]wire.ChannelView, 0, len(cs))
	for _, c := range cs {
		v, err := s.channelView(ctx, p, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Follow follows a channel. For an "approved" channel it files a follow
// request instead (once). Errors: ENotFound, EChannelSuspended.
func (s *Service) Follow(ctx context.Context, p parley.Principal, id int64) (wire.FollowResult, error) {
	c, err := s.channel(ctx, id)
	if err != nil {
		return wire.FollowResult{}, err
	}
	if c.Suspended() {
		return wire.FollowResult{}, suspendedError(c)
	}
	if _, err := s.store.GetFollow(ctx, id, p.AccountID); err == nil {
		return wire.FollowResult{Status: "following"}, nil
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return wire.FollowResult{}, fmt.Errorf("get follow: %w", err)
	}
	if c.FollowPolicy == FollowApproved {
		role, err := s.adminOf(ctx, p, id)
		if err != nil {
			return wire.FollowResult{}, err
		}
		if role == "" {
			r, err := s.store.PutFollowRequest(ctx, FollowRequest{ID: newOpaqueID(), ChannelID: id, AccountID: p.AccountID, CreatedAt: s.now()})
			if err != nil {
				return wire.FollowResult{}, fmt.Errorf("put follow request: %w", err)
			}
			return wire.FollowResult{Status: "requested", RequestID: r.ID}, nil
		}
	}
	if err := s.addFollow(ctx, id, p.AccountID); err != nil {
		return wire.FollowResult{}, err
	}
	return wire.FollowResult{Status: "following"}, nil
}

func (s *Service) addFollow(ctx context.Context, channelID, accountID int64) error {
	c, err := s.channel(ctx, channelID)
	if err != nil {
		return err
	}
	// A new follower has read nothing yet but starts at the current
	// sequence: unread counts what arrives after the follow.
	added, err := s.store.AddFollow(ctx, Follow{ChannelID: channelID, AccountID: accountID, ReadSeq: c.LastSeq, FollowedAt: s.now()})
	if err != nil {
		return fmt.Errorf("add follow: %w", err)
	}
	if added {
		s.chat.Publish(chat.AccountSubject(accountID), wire.Event{Type: wire.EventChannelFollow, ChannelID: channelID, State: "followed"})
		s.monetization.countPromotedFollow(ctx, channelID)
	}
	return nil
}

// Unfollow stops following; unfollowing a channel one does not follow is
// not an error. A pending follow request is withdrawn too.
func (s *Service) Unfollow(ctx context.Context, p parley.Principal, id int64) error {
	if _, err := s.channel(ctx, id); err != nil {
		return err
	}
	removed, err := s.store.RemoveFollow(ctx, id, p.AccountID, s.now())
	if err != nil {
		return fmt.Errorf("remove follow: %w", err)
	}
	if r, err := s.store.FollowRequestOf(ctx, id, p.AccountID); err == nil {
		if err := s.store.DeleteFollowRequest(ctx, id, r.ID); err != nil && parley.ErrorCode(err) != parley.ENotFound {
			return fmt.Errorf("delete follow request: %w", err)
		}
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return fmt.Errorf("follow request of: %w", err)
	}
	if removed {
		s.chat.Publish(chat.AccountSubject(p.AccountID), wire.Event{Type: wire.EventChannelFollow, ChannelID: id, State: "unfollowed"})
	}
	return nil
}

func (s *Service) follow(ctx context.Context, p parley.Principal, id int64) (Follow, error) {
	f, err := s.store.GetFollow(ctx, id, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Follow{}, &parley.Error{Code: parley.EForbidden, Message: "you do not follow this channel", Details: map[string]any{"channel_id": id}}
	} else if err != nil {
		return Follow{}, fmt.Errorf("get follow: %w", err)
	}
	return f, nil
}

// SetMuted mutes or unmutes a followed channel. Muting is the follower's
// notification preference; posts still arrive.
func (s *Service) SetMuted(ctx context.Context, p parley.Principal, id int64, muted bool) error {
	if _, err := s.follow(ctx, p, id); err != nil {
		return err
	}
	if err := s.store.SetFollowMuted(ctx, id, p.AccountID, muted); err != nil {
		return fmt.Errorf("set muted: %w", err)
	}
	return nil
}

// MarkChannelRead moves the caller's read cursor up to seq.
func (s *Service) MarkChannelRead(ctx context.Context, p parley.Principal, id, seq int64) error {
	if seq < 0 {
		return parley.InvalidField("seq", "seq must not be negative")
	}
	if _, err := s.follow(ctx, p, id); err != nil {
		return err
	}
	if err := s.store.RaiseReadSeq(ctx, id, p.AccountID, seq); err != nil {
		return fmt.Errorf("raise read seq: %w", err)
	}
	return nil
}

// FollowedChannels returns the caller's channels with unread counts.
func (s *Service) FollowedChannels(ctx context.Context, p parley.Principal) ([]wire.ChannelView, error) {
	_, cs, err := s.store.FollowedChannels(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("followed channels: %w", err)
	}
	return s.channelViews(ctx, p, cs)
}

// FollowedChannelIDs returns the ids of the channels the caller follows,
// for the gateway's push index.
func (s *Service) FollowedChannelIDs(ctx context.Context, p parley.Principal) ([]int64, error) {
	fs, _, err := s.store.FollowedChannels(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("followed channels: %w", err)
	}
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.ChannelID
	}
	return ids, nil
}

// FollowRequests lists up to 100 pending requests, oldest first (admins).
func (s *Service) FollowRequests(ctx context.Context, p parley.Principal, id int64) ([]wire.FollowRequestView, error) {
	if _, _, err := s.adminChannel(ctx, p, id, false); err != nil {
		return nil, err
	}
	rs, err := s.store.FollowRequests(ctx, id, 100)
	if err != nil {
		return nil, fmt.Errorf("follow requests: %w", err)
	}
	out := make([]wire.FollowRequestView, len(rs))
	for i, r := range rs {
		out[i] = wire.FollowRequestView{ID: r.ID, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// AnswerFollowRequest approves or rejects a request (admins). Approving
// makes the requester a follower; for a suspended channel it fails with
// EChannelSuspended.
func (s *Service) AnswerFollowRequest(ctx context.Context, p parley.Principal, id int64, requestID string, approve bool) error {
	c, _, err := s.adminChannel(ctx, p, id, false)
	if err != nil {
		return err
	}
	r, err := s.store.GetFollowRequest(ctx, id, requestID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such follow request", Details: map[string]any{"request_id": requestID}}
	} else if err != nil {
		return fmt.Errorf("get follow request: %w", err)
	}
	if approve {
		if c.Suspended() {
			return suspendedError(c)
		}
		if err := s.addFollow(ctx, id, r.AccountID); err != nil {
			return err
		}
	}
	if err := s.store.DeleteFollowRequest(ctx, id, requestID); err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return fmt.Errorf("delete follow request: %w", err)
	}
	return nil
}

// publishChannel sends one event on the channel's subject; every gateway
// forwards it to its own sessions of online followers.
func (s *Service) publishChannel(channelID int64, ev wire.Event) {
	ev.ChannelID = channelID
	data, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encode channel event", "err", err)
		return
	}
	if err := s.bus.Publish(ChannelSubject(channelID), data); err != nil {
		s.log.Warn("publish channel event", "channel", channelID, "err", err)
	}
}

// Service is the channels context's service: channels, posts, polls, the
// directory and moderation; paid tiers, subscriptions and promotions are
// its Monetization's. It is safe for concurrent use; RunChannels runs its
// sweeper.
type Service struct {
	chat         *chat.Service
	store        Store
	bus          chat.Bus
	log          *slog.Logger
	now          func() time.Time
	cfg          Config
	secret       []byte // keys the forward snapshots' signatures
	policy       parley.AdsPolicy
	people       chat.LinkCheck // business numbers may not be invited as admins
	monetization *Monetization  // subscribers, promoted results and follows, renewals
}

// Deps are what the channels need besides the chat core.
type Deps struct {
	Store    Store
	Bus      chat.Bus
	Logger   *slog.Logger
	Now      func() time.Time
	Secret   []byte
	Policy   parley.AdsPolicy      // default: ads allowed
	Payments money.PaymentProvider // takes payments; without one, paying fails with EUnavailable
	// LinkCheck refuses (EForbidden) the accounts that hold no app, the
	// business numbers, which cannot accept an admin invitation; default:
	// every account may be invited.
	LinkCheck chat.LinkCheck
}

// New returns the channels service with its Monetization. It starts
// nothing; call RunChannels.
func New(chat *chat.Service, cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Payments == nil {
		d.Payments = money.NoPayments{}
	}
	if d.Policy == nil {
		d.Policy = parley.AdsAllowed{}
	}
	if d.LinkCheck == nil {
		d.LinkCheck = anyoneLinks{}
	}
	s := &Service{chat: chat, store: d.Store, bus: d.Bus, log: d.Logger, now: d.Now,
		cfg: cfg.WithDefaults(), secret: d.Secret, policy: d.Policy, people: d.LinkCheck}
	s.monetization = &Monetization{store: d.Store, log: d.Logger, now: d.Now, cfg: s.cfg, policy: d.Policy, payments: d.Payments,
		adminChannel: s.adminChannel, follow: s.follow, readerOf: s.readerOf}
	return s
}

// Monetization returns the channels' paid tiers, subscriptions and
// promotions.
func (s *Service) Monetization() *Monetization { return s.monetization }

// Config returns the effective configuration, with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

type anyoneLinks struct{}

func (anyoneLinks) MayLink(context.Context, int64) error { return nil }
