package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// memberChat returns the chat and the caller's membership. ENotFound if the
// chat does not exist, EForbidden if the caller is not a member.
func (s *Service) memberChat(ctx context.Context, p parley.Principal, chatID int64) (Chat, Member, error) {
	return MemberOf(ctx, s.store, p, chatID)
}

// MemberReader reads a chat and one membership: what MemberOf needs.
type MemberReader interface {
	GetChat(ctx context.Context, id int64) (Chat, error)
	GetMember(ctx context.Context, chatID, accountID int64) (Member, error)
}

// MemberOf returns the chat and p's membership of it. Errors: ENotFound
// for no such chat, EForbidden when p is not a member.
func MemberOf(ctx context.Context, store MemberReader, p parley.Principal, chatID int64) (Chat, Member, error) {
	c, err := store.GetChat(ctx, chatID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Chat{}, Member{}, &parley.Error{Code: parley.ENotFound, Message: "no such chat", Details: map[string]any{"chat_id": chatID}}
	} else if err != nil {
		return Chat{}, Member{}, fmt.Errorf("get chat: %w", err)
	}
	m, err := store.GetMember(ctx, chatID, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Chat{}, Member{}, &parley.Error{Code: parley.EForbidden, Message: "you are not a member of this chat", Details: map[string]any{"chat_id": chatID}}
	} else if err != nil {
		return Chat{}, Member{}, fmt.Errorf("get member: %w", err)
	}
	return c, m, nil
}

func (s *Service) adminChat(ctx context.Context, p parley.Principal, chatID int64) (Chat, error) {
	c, m, err := s.memberChat(ctx, p, chatID)
	if err != nil {
		return Chat{}, err
	}
	if c.Kind != ChatGroup {
		return Chat{}, parley.Errorf(parley.EInvalid, "this is not a group")
	}
	if m.Role != RoleAdmin {
		return Chat{}, parley.Errorf(parley.EForbidden, "only group admins may do this")
	}
	return c, nil
}

func (s *Service) view(ctx context.Context, c Chat) (wire.ChatView, error) {
	ms, err := s.store.Members(ctx, c.ID)
	if err != nil {
		return wire.ChatView{}, fmt.Errorf("members: %w", err)
	}
	v := wire.ChatView{ID: c.ID, Kind: c.Kind, Subject: c.Subject, OnlyAdminsSend: c.OnlyAdminsSend,
		DisappearAfterSeconds: int64(c.DisappearAfter / time.Second), LastSeq: c.LastSeq, CreatedAt: c.CreatedAt,
		Members: make([]wire.MemberView, len(ms))}
	for i, m := range ms {
		v.Members[i] = wire.MemberView{AccountID: m.AccountID, Role: m.Role}
	}
	return v, nil
}

// DirectKey is the unique key of the direct chat between two accounts.
func DirectKey(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return strconv.FormatInt(a, 10) + ":" + strconv.FormatInt(b, 10)
}

// OpenDirect returns the 1:1 chat between the caller and peer, creating it
// on first use. ENotFound for an unknown peer, EInvalid for oneself.
func (s *Service) OpenDirect(ctx context.Context, p parley.Principal, peer int64) (wire.ChatView, error) {
	if peer == p.AccountID {
		return wire.ChatView{}, &parley.Error{Code: parley.EInvalid, Message: "you cannot open a chat with yourself", Details: map[string]any{"field": "peer"}}
	}
	if _, err := s.store.GetAccount(ctx, peer); parley.ErrorCode(err) == parley.ENotFound {
		return wire.ChatView{}, &parley.Error{Code: parley.ENotFound, Message: "no such account", Details: map[string]any{"account_id": peer}}
	} else if err != nil {
		return wire.ChatView{}, fmt.Errorf("get account: %w", err)
	}
	c, err := s.DirectChat(ctx, p.AccountID, peer)
	if err != nil {
		return wire.ChatView{}, err
	}
	return s.view(ctx, c)
}

// directChat returns the 1:1 chat between two existing accounts, creating
// it on first use.
func (s *Service) DirectChat(ctx context.Context, self, peer int64) (Chat, error) {
	key := DirectKey(self, peer)
	c, err := s.store.GetDirectChat(ctx, key)
	if err == nil {
		return c, nil
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return Chat{}, fmt.Errorf("get direct chat: %w", err)
	}
	now := s.now()
	c = Chat{Kind: ChatDirect, DirectKey: key, CreatedBy: self, CreatedAt: now}
	members := []Member{{AccountID: self, Role: RoleMember, JoinedAt: now}, {AccountID: peer, Role: RoleMember, JoinedAt: now}}
	if err := s.store.CreateChat(ctx, &c, members); parley.ErrorCode(err) == parley.EConflict {
		if c, err = s.store.GetDirectChat(ctx, key); err != nil {
			return Chat{}, fmt.Errorf("get direct chat: %w", err)
		}
	} else if err != nil {
		return Chat{}, fmt.Errorf("create chat: %w", err)
	}
	return c, nil
}

func validSubject(subject string) error {
	if err := parley.CheckText("subject", subject, parley.Line); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(subject); n == 0 || n > 100 || !utf8.ValidString(subject) {
		return &parley.Error{Code: parley.EInvalid, Message: "a group subject must be 1 to 100 characters", Details: map[string]any{"field": "subject"}}
	}
	return nil
}

// existingAccounts checks that every id is an account, and dedupes.
func (s *Service) existingAccounts(ctx context.Context, ids []int64) ([]int64, error) {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		if _, err := s.store.GetAccount(ctx, id); parley.ErrorCode(err) == parley.ENotFound {
			return nil, &parley.Error{Code: parley.ENotFound, Message: "no such account", Details: map[string]any{"account_id": id}}
		} else if err != nil {
			return nil, fmt.Errorf("get account: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}

// CreateGroup creates a group with the caller as its admin. Errors: EInvalid
// for the subject, ENotFound for an unknown member, ELimit over
// MaxGroupMembers.
func (s *Service) CreateGroup(ctx context.Context, p parley.Principal, subject string, members []int64) (wire.ChatView, error) {
	if err := validSubject(subject); err != nil {
		return wire.ChatView{}, err
	}
	// Count distinct accounts, the creator included, before any lookup.
	distinct := map[int64]bool{p.AccountID: true}
	for _, id := range members {
		distinct[id] = true
	}
	if len(distinct) > s.cfg.MaxGroupMembers {
		return wire.ChatView{}, s.groupLimit()
	}
	ids, err := s.existingAccounts(ctx, members)
	if err != nil {
		return wire.ChatView{}, err
	}
	now := s.now()
	ms := []Member{{AccountID: p.AccountID, Role: RoleAdmin, JoinedAt: now}}
	for _, id := range ids {
		if id != p.AccountID {
			ms = append(ms, Member{AccountID: id, Role: RoleMember, JoinedAt: now})
		}
	}
	if len(ms) > s.cfg.MaxGroupMembers {
		return wire.ChatView{}, s.groupLimit()
	}
	c := Chat{Kind: ChatGroup, Subject: subject, CreatedBy: p.AccountID, CreatedAt: now}
	if err := s.store.CreateChat(ctx, &c, ms); err != nil {
		return wire.ChatView{}, fmt.Errorf("create chat: %w", err)
	}
	if err := s.chatEvent(ctx, c.ID, nil, wire.ChatEventBody{Event: "group_created", Actor: p.AccountID, Subject: subject}); err != nil {
		return wire.ChatView{}, err
	}
	return s.GetChat(ctx, p, c.ID)
}

func (s *Service) groupLimit() error {
	return &parley.Error{Code: parley.ELimit, Message: fmt.Sprintf("a group may have at most %d members", s.cfg.MaxGroupMembers), Details: map[string]any{"limit": s.cfg.MaxGroupMembers}}
}

// GetChat returns a chat of the caller's.
func (s *Service) GetChat(ctx context.Context, p parley.Principal, chatID int64) (wire.ChatView, error) {
	c, _, err := s.memberChat(ctx, p, chatID)
	if err != nil {
		return wire.ChatView{}, err
	}
	return s.view(ctx, c)
}

// ListChats returns the caller's chats, most recently active first.
func (s *Service) ListChats(ctx context.Context, p parley.Principal) ([]wire.ChatView, error) {
	cs, err := s.store.ListChats(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	out := make([]wire.ChatView, 0, len(cs))
	for _, c := range cs {
		v, err := s.view(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// AddMembers adds accounts to a group. Admins only.
func (s *Service) AddMembers(ctx context.Context, p parley.Principal, chatID int64, ids []int64) (wire.ChatView, error) {
	c, err := s.adminChat(ctx, p, chatID)
	if err != nil {
		return wire.ChatView{}, err
	}
	if len(ids) == 0 {
		return wire.ChatView{}, &parley.Error{Code: parley.EInvalid, Message: "name at least one account to add", Details: map[string]any{"field": "accounts"}}
	}
	ids, err = s.existingAccounts(ctx, ids)
	if err != nil {
		return wire.ChatView{}, err
	}
	now := s.now()
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{ChatID: chatID, AccountID: id, Role: RoleMember, JoinedAt: now}
	}
	err = s.store.AddMembers(ctx, chatID, ms, s.cfg.MaxGroupMembers)
	s.chatChanged(chatID)
	if err != nil {
		if parley.ErrorCode(err) == parley.ELimit {
			return wire.ChatView{}, s.groupLimit()
		}
		return wire.ChatView{}, fmt.Errorf("add members: %w", err)
	}
	if err := s.chatEvent(ctx, c.ID, nil, wire.ChatEventBody{Event: "members_added", Actor: p.AccountID, Accounts: ids}); err != nil {
		return wire.ChatView{}, err
	}
	return s.GetChat(ctx, p, chatID)
}

// RemoveMember removes an account from a group: admins may remove anyone,
// anyone may remove themselves (leave). The removed member is told, then
// receives nothing more. When the last admin leaves, the longest-standing
// member becomes admin.
func (s *Service) RemoveMember(ctx context.Context, p parley.Principal, chatID, accountID int64) error {
	c, m, err := s.memberChat(ctx, p, chatID)
	if err != nil {
		return err
	}
	if c.Kind != ChatGroup {
		return parley.Errorf(parley.EInvalid, "you cannot leave or remove members of a 1:1 chat")
	}
	leaving := accountID == p.AccountID
	if !leaving && m.Role != RoleAdmin {
		return parley.Errorf(parley.EForbidden, "only group admins may remove members")
	}
	if _, err := s.store.GetMember(ctx, chatID, accountID); parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "that account is not a member", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return fmt.Errorf("get member: %w", err)
	}
	ev := wire.ChatEventBody{Event: "member_removed", Actor: p.AccountID, Accounts: []int64{accountID}}
	if leaving {
		ev.Event = "member_left"
	}
	// The event goes to everyone including the one leaving, then they are gone.
	if err := s.chatEvent(ctx, chatID, nil, ev); err != nil {
		return err
	}
	err = s.store.RemoveMember(ctx, chatID, accountID)
	s.chatChanged(chatID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	rest, err := s.store.Members(ctx, chatID)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	if len(rest) == 0 || slices.ContainsFunc(rest, func(m Member) bool { return m.Role == RoleAdmin }) {
		return nil
	}
	heir := rest[0]
	for _, m := range rest[1:] {
		if m.JoinedAt.Before(heir.JoinedAt) {
			heir = m
		}
	}
	err = s.store.SetRole(ctx, chatID, heir.AccountID, RoleAdmin)
	s.chatChanged(chatID)
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return s.chatEvent(ctx, chatID, nil, wire.ChatEventBody{Event: "role_changed", Accounts: []int64{heir.AccountID}, Role: RoleAdmin})
}

// GroupUpdate changes the group settings that are non-nil.
type GroupUpdate struct {
	Subject        *string
	OnlyAdminsSend *bool
}

// UpdateGroup changes a group's subject or send policy. Admins only.
func (s *Service) UpdateGroup(ctx context.Context, p parley.Principal, chatID int64, u GroupUpdate) (wire.ChatView, error) {
	c, err := s.adminChat(ctx, p, chatID)
	if err != nil {
		return wire.ChatView{}, err
	}
	var events []wire.ChatEventBody
	if u.Subject != nil {
		if err := validSubject(*u.Subject); err != nil {
			return wire.ChatView{}, err
		}
		c.Subject = *u.Subject
		events = append(events, wire.ChatEventBody{Event: "subject_changed", Actor: p.AccountID, Subject: c.Subject})
	}
	if u.OnlyAdminsSend != nil {
		c.OnlyAdminsSend = *u.OnlyAdminsSend
		events = append(events, wire.ChatEventBody{Event: "settings_changed", Actor: p.AccountID, OnlyAdminsSend: u.OnlyAdminsSend})
	}
	err = s.store.UpdateChat(ctx, c)
	s.chatChanged(chatID)
	if err != nil {
		return wire.ChatView{}, fmt.Errorf("update chat: %w", err)
	}
	for _, ev := range events {
		if err := s.chatEvent(ctx, chatID, nil, ev); err != nil {
			return wire.ChatView{}, err
		}
	}
	return s.GetChat(ctx, p, chatID)
}

// SetRole makes a member an admin or a plain member. Admins only.
func (s *Service) SetRole(ctx context.Context, p parley.Principal, chatID, accountID int64, role Role) error {
	if role != RoleAdmin && role != RoleMember {
		return &parley.Error{Code: parley.EInvalid, Message: "role must be admin or member", Details: map[string]any{"field": "role"}}
	}
	if _, err := s.adminChat(ctx, p, chatID); err != nil {
		return err
	}
	err := s.store.SetRole(ctx, chatID, accountID, role)
	s.chatChanged(chatID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "that account is not a member", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return s.chatEvent(ctx, chatID, nil, wire.ChatEventBody{Event: "role_changed", Actor: p.AccountID, Accounts: []int64{accountID}, Role: role})
}

// SetDisappearing sets a chat's disappearing-message timer to one of
// DisappearingTimers. In groups only admins may. Queued envelopes older than
// a new, shorter timer are purged at once.
func (s *Service) SetDisappearing(ctx context.Context, p parley.Principal, chatID int64, after time.Duration) (wire.ChatView, error) {
	if !slices.Contains(DisappearingTimers, after) {
		return wire.ChatView{}, &parley.Error{Code: parley.EInvalid, Message: "the timer must be off (0), 24 h (86400), 7 d (604800) or 90 d (7776000)", Details: map[string]any{"field": "seconds"}}
	}
	c, m, err := s.memberChat(ctx, p, chatID)
	if err != nil {
		return wire.ChatView{}, err
	}
	if c.Kind == ChatGroup && m.Role != RoleAdmin {
		return wire.ChatView{}, parley.Errorf(parley.EForbidden, "only group admins may change the timer")
	}
	c.DisappearAfter = after
	err = s.store.UpdateChat(ctx, c)
	s.chatChanged(chatID)
	if err != nil {
		return wire.ChatView{}, fmt.Errorf("update chat: %w", err)
	}
	if after > 0 {
		if _, err := s.store.PurgeChatEntries(ctx, chatID, s.now().Add(-after)); err != nil {
			return wire.ChatView{}, fmt.Errorf("purge chat entries: %w", err)
		}
		// What is still queued disappears at the new timer too.
		if _, err := s.store.ShortenChatExpiry(ctx, chatID, after); err != nil {
			return wire.ChatView{}, fmt.Errorf("shorten chat expiry: %w", err)
		}
	}
	secs := int64(after / time.Second)
	if err := s.chatEvent(ctx, chatID, nil, wire.ChatEventBody{Event: "disappearing_changed", Actor: p.AccountID, DisappearAfter: &secs}); err != nil {
		return wire.ChatView{}, err
	}
	return s.view(ctx, c)
}

// chatEvent commits a sequenced system entry to every device of every
// member (or of the given accounts).
func (s *Service) chatEvent(ctx context.Context, chatID int64, to []int64, ev wire.ChatEventBody) error {
	if to == nil {
		ms, err := s.store.Members(ctx, chatID)
		if err != nil {
			return fmt.Errorf("members: %w", err)
		}
		for _, m := range ms {
			to = append(to, m.AccountID)
		}
	}
	devs, err := s.store.DevicesOf(ctx, to)
	if err != nil {
		return fmt.Errorf("devices of: %w", err)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode chat event: %w", err)
	}
	now := s.now()
	a := &Append{ChatID: chatID, Sequenced: true}
	for _, d := range devs {
		a.Entries = append(a.Entries, Entry{DeviceID: d.ID, Type: EntryMessage, ChatID: chatID, Kind: KindSystem,
			SenderAccount: ev.Actor, Body: body, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Retention)})
	}
	return s.commit(ctx, a)
}

// chatChanged tells the send path's caches, on every node, that a chat's
// row or members changed.
func (s *Service) chatChanged(chatID int64) {
	s.changed(invalidation{Chats: []int64{chatID}})
}
