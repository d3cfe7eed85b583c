package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// SendRequest is a message to commit to a chat.
type SendRequest struct {
	ChatID    int64
	MessageID string // client-chosen, unique within the chat; a retry reuses it
	Kind      MessageKind
	Ref       string // the target message, for edit, delete and reaction
	Envelopes []wire.Envelope
	// Shared, when set, is one body for every recipient device, stored
	// once (a group's sender-key ciphertext). Envelopes are then optional
	// and name only the devices that get a part of their own (the sender
	// key, encrypted for that device), delivered as the entry's Key.
	Shared []byte

	// Extra is committed with the message (Append.Extra): a cloud
	// device's send carries its business record and status webhook. It
	// is set by another context in-process, never decoded from a client.
	Extra any `json:"-"`
}

// ValidMessageID reports whether id is 1 to 64 characters of letters,
// digits and ._:-
func ValidMessageID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// RecipientDevices lists the devices a message to chatID must be encrypted
// for: every device of every member, except the caller's own sending device.
func (s *Service) RecipientDevices(ctx context.Context, p parley.Principal, chatID int64) ([]wire.RecipientDevice, error) {
	cm, _, err := s.reads.memberOf(ctx, p, chatID)
	if err != nil {
		return nil, err
	}
	devs, err := s.recipients(ctx, cm.members, p.DeviceID)
	if err != nil {
		return nil, err
	}
	out := make([]wire.RecipientDevice, len(devs))
	for i, d := range devs {
		out[i] = wire.RecipientDevice{AccountID: d.AccountID, DeviceID: d.ID, PublicKey: d.PublicKey}
	}
	return out, nil
}

// Recipients returns every device of every member of chatID, except
// skipDevice.
func (s *Service) Recipients(ctx context.Context, chatID, skipDevice int64) ([]Device, error) {
	cm, err := s.reads.chat(ctx, chatID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return s.recipients(ctx, cm.members, skipDevice)
}

func (s *Service) recipients(ctx context.Context, ms []Member, skipDevice int64) ([]Device, error) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.AccountID
	}
	devs, err := s.reads.devicesOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("devices of: %w", err)
	}
	return slices.DeleteFunc(devs, func(d Device) bool { return d.ID == skipDevice }), nil
}

// Send commits a message: one envelope per recipient device, acknowledged
// only once durably committed. Errors:
//   - EInvalid: bad message id, kind, ref, or empty or duplicate envelopes;
//   - ENotFound: no such chat, or (edit, delete) no such message;
//   - EForbidden: not a member, not an admin in an admins-only group, or
//     editing or deleting someone else's message;
//   - EBlocked: in a 1:1 chat, one side has blocked the other;
//   - EWindowClosed: an edit or delete after its window;
//   - EDevicesChanged: the envelopes do not match RecipientDevices; details
//     list "missing" and "extra" device ids;
//   - ETooLarge: an envelope or a shared body over MaxEnvelope;
//   - EConflict: the message id is used by another sender in this chat;
//   - EInvalid: to a business number, an order that does not match its
//     catalog or a Flow reply that is not a JSON object.
//
// A retry with the same message id returns the original result with
// Duplicate set, and writes nothing.
func (s *Service) Send(ctx context.Context, p parley.Principal, req SendRequest) (wire.SendResult, error) {
	if !ValidMessageID(req.MessageID) {
		return wire.SendResult{}, &parley.Error{Code: parley.EInvalid, Message: "message_id must be 1 to 64 letters, digits or ._:-", Details: map[string]any{"field": "message_id"}}
	}
	if req.Kind == "" {
		req.Kind = KindMessage
	}
	switch req.Kind {
	case KindMessage:
		if req.Ref != "" {
			return wire.SendResult{}, &parley.Error{Code: parley.EInvalid, Message: "ref is only for edit, delete and reaction; replies go inside the body", Details: map[string]any{"field": "ref"}}
		}
	case KindEdit, KindDelete, KindReaction:
		if !ValidMessageID(req.Ref) {
			return wire.SendResult{}, &parley.Error{Code: parley.EInvalid, Message: "ref must name the target message id", Details: map[string]any{"field": "ref"}}
		}
	default:
		return wire.SendResult{}, &parley.Error{Code: parley.EInvalid, Message: "kind must be message, edit, delete or reaction", Details: map[string]any{"field": "kind"}}
	}
	cm, m, err := s.reads.memberOf(ctx, p, req.ChatID)
	if err != nil {
		return wire.SendResult{}, err
	}
	res, err := s.sendNew(ctx, p, cm, m, req)
	switch parley.ErrorCode(err) {
	case "", parley.EConflict, parley.EUnavailable, parley.EInternal:
		return res, err
	}
	// A retry is answered from what was committed, whatever changed
	// since. When nothing changed, the commit found the duplicate itself
	// (Append.Meta), so a send reads no message id before its commit;
	// here a check refused it, and it may be a retry of a message that
	// passed them then.
	prev, lerr := s.store.GetMessage(ctx, req.ChatID, req.MessageID)
	if parley.ErrorCode(lerr) == parley.ENotFound {
		return res, err
	} else if lerr != nil {
		return wire.SendResult{}, fmt.Errorf("get message: %w", lerr)
	}
	if prev.SenderAccount != p.AccountID {
		return wire.SendResult{}, &parley.Error{Code: parley.EConflict, Message: "this message id is already used in this chat", Details: map[string]any{"field": "message_id"}}
	}
	// The node that committed it may have died before publishing it.
	go s.republish([]messageKey{{req.ChatID, req.MessageID}})
	return wire.SendResult{MessageID: prev.ID, Seq: prev.Seq, CreatedAt: prev.CreatedAt, Duplicate: true}, nil
}

// sendNew checks and commits a message of a member of cm; the commit
// answers a retry whose checks still pass as a duplicate.
func (s *Service) sendNew(ctx context.Context, p parley.Principal, cm chatMembers, m Member, req SendRequest) (wire.SendResult, error) {
	c := cm.chat
	if err := s.checkMaySend(ctx, p, cm, m, req); err != nil {
		return wire.SendResult{}, err
	}
	if s.checkBody != nil && req.Kind == KindMessage && c.Kind == ChatDirect { // business numbers are in direct chats only
		envs := req.Envelopes
		if req.Shared != nil {
			envs = []wire.Envelope{{Body: req.Shared}}
		}
		if err := s.checkBody.CheckBody(ctx, p, req.ChatID, req.MessageID, envs); err != nil {
			return wire.SendResult{}, err
		}
	}
	devs, err := s.recipients(ctx, cm.members, p.DeviceID)
	if err != nil {
		return wire.SendResult{}, err
	}
	return s.SendChecked(ctx, p, c, devs, req)
}

// sendChecked commits a message whose sender, chat, kind and blocks are
// checked: Send's end, and the business send path's (which opened the
// direct chat, checked blocks both ways and read the devices itself, so
// a business message costs no second round of reads). The envelopes must
// match devs.
func (s *Service) SendChecked(ctx context.Context, p parley.Principal, c Chat, devs []Device, req SendRequest) (wire.SendResult, error) {
	if err := s.matchEnvelopes(devs, req.Envelopes, req.Shared != nil); err != nil {
		return wire.SendResult{}, err
	}
	if req.Shared != nil {
		if err := s.checkShared(req.Shared); err != nil {
			return wire.SendResult{}, err
		}
	}
	// Microseconds, as PostgreSQL keeps them: a retry, answered from the
	// store, then reports the time the first answer did.
	now := s.now().Truncate(time.Microsecond)
	expires, notify := now.Add(s.cfg.Retention), true
	if c.DisappearAfter > 0 && c.DisappearAfter < s.cfg.Retention {
		expires, notify = now.Add(c.DisappearAfter), false
	}
	meta := &MessageMeta{ChatID: c.ID, ID: req.MessageID, SenderAccount: p.AccountID, SenderDevice: p.DeviceID,
		Kind: req.Kind, Ref: req.Ref, CreatedAt: now}
	entry := func(device int64, body []byte) Entry {
		return Entry{DeviceID: device, Type: EntryMessage, ChatID: c.ID, MessageID: req.MessageID,
			Kind: req.Kind, Ref: req.Ref, SenderAccount: p.AccountID, SenderDevice: p.DeviceID, Body: body,
			CreatedAt: now, ExpiresAt: expires, NotifyExpiry: notify}
	}
	a := &Append{ChatID: c.ID, Sequenced: true, Meta: meta, Extra: req.Extra}
	if req.Shared != nil {
		// One body for all: every recipient device gets an entry that
		// refers to it, with its own key part if the sender gave one.
		keys := make(map[int64][]byte, len(req.Envelopes))
		for _, env := range req.Envelopes {
			keys[env.DeviceID] = env.Body
		}
		a.Shared = req.Shared
		a.Entries = make([]Entry, len(devs))
		for i, d := range devs {
			a.Entries[i] = entry(d.ID, req.Shared)
			a.Entries[i].Shared, a.Entries[i].Key = true, keys[d.ID]
		}
	} else {
		a.Entries = make([]Entry, len(req.Envelopes))
		for i, env := range req.Envelopes {
			a.Entries[i] = entry(env.DeviceID, env.Body)
		}
	}
	if err := s.commit(ctx, a); err != nil {
		return wire.SendResult{}, err
	}
	if a.Err != nil {
		if parley.ErrorCode(a.Err) == parley.EConflict {
			return wire.SendResult{}, &parley.Error{Code: parley.EConflict, Message: "this message id is already used in this chat", Details: map[string]any{"field": "message_id"}}
		}
		return wire.SendResult{}, a.Err
	}
	return wire.SendResult{MessageID: req.MessageID, Seq: a.Seq, CreatedAt: meta.CreatedAt, Duplicate: a.Duplicate}, nil
}

func (s *Service) checkMaySend(ctx context.Context, p parley.Principal, cm chatMembers, m Member, req SendRequest) error {
	c := cm.chat
	switch c.Kind {
	case ChatDirect:
		for _, o := range cm.members {
			if o.AccountID == p.AccountID {
				continue
			}
			if b, err := s.reads.isBlocked(ctx, o.AccountID, p.AccountID); err != nil {
				return fmt.Errorf("is blocked: %w", err)
			} else if b {
				return parley.Errorf(parley.EBlocked, "this person has blocked you")
			}
			if b, err := s.reads.isBlocked(ctx, p.AccountID, o.AccountID); err != nil {
				return fmt.Errorf("is blocked: %w", err)
			} else if b {
				return parley.Errorf(parley.EBlocked, "you have blocked this person; unblock them to send")
			}
		}
	case ChatGroup:
		if c.OnlyAdminsSend && m.Role != RoleAdmin {
			return parley.Errorf(parley.EForbidden, "only admins may send messages in this group")
		}
	}
	if req.Kind != KindEdit && req.Kind != KindDelete {
		return nil
	}
	target, err := s.store.GetMessage(ctx, c.ID, req.Ref)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such message in this chat, or it is too old to change", Details: map[string]any{"ref": req.Ref}}
	} else if err != nil {
		return fmt.Errorf("get message: %w", err)
	}
	if target.Kind != KindMessage {
		return parley.Errorf(parley.EInvalid, "only a message can be edited or deleted")
	}
	age := s.now().Sub(target.CreatedAt)
	if req.Kind == KindEdit {
		if target.SenderAccount != p.AccountID {
			return parley.Errorf(parley.EForbidden, "you can only edit your own messages")
		}
		if age > s.cfg.EditWindow {
			return &parley.Error{Code: parley.EWindowClosed, Message: "the edit window has closed", Details: map[string]any{"window_seconds": int64(s.cfg.EditWindow / time.Second)}}
		}
		return nil
	}
	if target.SenderAccount != p.AccountID && !(c.Kind == ChatGroup && m.Role == RoleAdmin) {
		return parley.Errorf(parley.EForbidden, "you can only delete your own messages for everyone")
	}
	if age > s.cfg.DeleteWindow {
		return &parley.Error{Code: parley.EWindowClosed, Message: "the delete-for-everyone window has closed", Details: map[string]any{"window_seconds": int64(s.cfg.DeleteWindow / time.Second)}}
	}
	return nil
}

// checkShared checks a shared body's size.
func (s *Service) checkShared(body []byte) error {
	if len(body) == 0 {
		return &parley.Error{Code: parley.EInvalid, Message: "the shared body is empty", Details: map[string]any{"field": "shared"}}
	}
	if len(body) > s.cfg.MaxEnvelope {
		return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("the shared body is larger than %d bytes", s.cfg.MaxEnvelope), Details: map[string]any{"field": "shared", "limit": s.cfg.MaxEnvelope}}
	}
	return nil
}

// matchEnvelopes checks that envs has one envelope for each of devs and
// none for another device; with subset (a shared body), envs may leave
// devices out.
func (s *Service) matchEnvelopes(devs []Device, envs []wire.Envelope, subset bool) error {
	want := make(map[int64]bool, len(devs))
	for _, d := range devs {
		want[d.ID] = true
	}
	seen := make(map[int64]bool, len(envs))
	extra := []int64{}
	for _, e := range envs {
		if seen[e.DeviceID] {
			return &parley.Error{Code: parley.EInvalid, Message: "two envelopes for one device", Details: map[string]any{"device_id": e.DeviceID}}
		}
		seen[e.DeviceID] = true
		if len(e.Body) == 0 {
			return &parley.Error{Code: parley.EInvalid, Message: "an envelope body is empty", Details: map[string]any{"device_id": e.DeviceID}}
		}
		if len(e.Body) > s.cfg.MaxEnvelope {
			return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("an envelope is larger than %d bytes", s.cfg.MaxEnvelope), Details: map[string]any{"device_id": e.DeviceID, "limit": s.cfg.MaxEnvelope}}
		}
		if !want[e.DeviceID] {
			extra = append(extra, e.DeviceID)
		}
	}
	missing := []int64{}
	for _, d := range devs {
		if !seen[d.ID] && !subset {
			missing = append(missing, d.ID)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		return &parley.Error{Code: parley.EDevicesChanged, Message: "the recipients' devices have changed; fetch them and encrypt again",
			Details: map[string]any{"missing": missing, "extra": extra}}
	}
	return nil
}

// Pending returns up to limit (1 to 1000) of the caller device's queued
// entries with id > after, oldest first. Entries past their expiry are
// never handed out, even before Sweep deletes them; fewer than limit
// entries means there are no more.
func (s *Service) Pending(ctx context.Context, p parley.Principal, after int64, limit int) ([]wire.Entry, error) {
	if limit <= 0 || limit > 1000 {
		return nil, &parley.Error{Code: parley.EInvalid, Message: "limit must be 1 to 1000", Details: map[string]any{"field": "limit"}}
	}
	now := s.now()
	var out []wire.Entry
	for len(out) < limit {
		want := limit - len(out)
		es, err := s.store.Pending(ctx, p.DeviceID, after, want)
		if err != nil {
			return nil, fmt.Errorf("pending: %w", err)
		}
		for _, e := range es {
			if e.ExpiresAt.IsZero() || now.Before(e.ExpiresAt) {
				out = append(out, *e.Wire())
			}
		}
		if len(es) < want {
			break
		}
		after = es[len(es)-1].ID
	}
	return out, nil
}

// Ack removes entries from the caller device's inbox: the server forgets an
// envelope once its device has it. It returns once the deletion is
// committed. The first device of each recipient to acknowledge a message
// makes a "delivered" receipt for the sender.
//
// Acks from all devices go through one ack committer (ackLoop), so that a
// burst of acks costs one transaction, not one each.
func (s *Service) Ack(ctx context.Context, p parley.Principal, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > 1000 {
		return &parley.Error{Code: parley.EInvalid, Message: "at most 1000 ids per ack", Details: map[string]any{"field": "ids"}}
	}
	req := &ackReq{p: p, ids: ids, done: make(chan error, 1)}
	select {
	case s.acks <- req:
	case <-ctx.Done():
		return parley.Errorf(parley.EUnavailable, "request cancelled before ack")
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return parley.Errorf(parley.EUnavailable, "request cancelled while acking")
	}
}

// Resume prepares a device's resume from cursor after and returns the id
// to replay from. A client that resumes from N says it holds every entry up
// to N, so those still queued lost their ack (a dropped socket, a node that
// died before committing it) and are acknowledged here: otherwise their
// senders would never see "delivered", and after the retention would be
// told the messages expired. Entries younger than Config.ResumeGrace are
// the exception: nodes of a cluster can push a device's entries slightly
// out of id order, so one below the cursor may still have been on its way
// when the socket dropped. Those are replayed (the client drops the ones
// it has), from just before the oldest of them.
func (s *Service) Resume(ctx context.Context, p parley.Principal, after int64) (int64, error) {
	from, cursor := after, int64(0)
	fresh := s.now().Add(-s.cfg.ResumeGrace)
	for cursor < after {
		es, err := s.store.Pending(ctx, p.DeviceID, cursor, 1000)
		if err != nil {
			return after, fmt.Errorf("pending: %w", err)
		}
		var ids []int64
		for _, e := range es {
			if e.ID > after {
				break
			}
			if e.CreatedAt.After(fresh) {
				from = min(from, e.ID-1)
			} else {
				ids = append(ids, e.ID)
			}
			cursor = e.ID
		}
		if len(ids) > 0 {
			if err := s.Ack(ctx, p, ids); err != nil {
				return after, err
			}
		}
		if len(es) < 1000 || cursor >= after || es[len(es)-1].ID > after {
			break
		}
	}
	return from, nil
}

type ackReq struct {
	p    parley.Principal
	ids  []int64
	done chan error
}

// maxAckBatch bounds the ids deleted in one ack transaction.
const maxAckBatch = 8192

func (s *Service) ackLoop(ctx context.Context) {
	var batch []*ackReq
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			for {
				select {
				case req := <-s.acks:
					req.done <- parley.Errorf(parley.EUnavailable, "server is shutting down")
				default:
					return
				}
			}
		case req := <-s.acks:
			batch = append(batch, req)
		}
		n := len(batch[0].ids)
	gather:
		for n < maxAckBatch {
			select {
			case req := <-s.acks:
				batch = append(batch, req)
				n += len(req.ids)
			default:
				break gather
			}
		}
		acks := make([]DeviceAck, len(batch))
		accountOf := make(map[int64]int64, len(batch))
		for i, req := range batch {
			acks[i] = DeviceAck{DeviceID: req.p.DeviceID, IDs: req.ids}
			accountOf[req.p.DeviceID] = req.p.AccountID
		}
		// Not cut short by shutdown once started: callers are waiting.
		err := s.ackDelivered(context.WithoutCancel(ctx), acks, accountOf)
		if err != nil {
			s.log.Error("ack commit failed", "acks", len(batch), "err", err)
			err = commitError(err)
		}
		// Callers return once their receipts are committed too, so a
		// client that saw its ack succeed knows the sender will hear of it.
		// While this batch commits, more acks queue up for the next one.
		for _, req := range batch {
			req.done <- err
		}
	}
}

// ackDelivered deletes acked entries, raises "delivered" receipts for
// them and tells their senders, in one transaction
// (Store.AckDelivered), then publishes the senders' entries as the group
// committer publishes its own. Only messages get delivered receipts:
// edits, deletes and reactions are not worth a receipt each.
func (s *Service) ackDelivered(ctx context.Context, acks []DeviceAck, accountOf map[int64]int64) error {
	senders := map[msgKey]int64{}
	devices := map[int64][]Device{}
	receipts := func(ctx context.Context, acked []Entry) ([]Receipt, error) {
		clear(senders)
		clear(devices)
		var rs []Receipt
		var accounts []int64
		for _, e := range acked {
			acct := accountOf[e.DeviceID]
			if e.Type == EntryMessage && e.Kind == KindMessage && e.SenderAccount != acct && e.MessageID != "" {
				rs = append(rs, Receipt{ChatID: e.ChatID, MessageID: e.MessageID, AccountID: acct, Status: ReceiptDelivered})
				senders[msgKey{e.ChatID, e.MessageID}] = e.SenderAccount
				if _, ok := devices[e.SenderAccount]; !ok {
					devices[e.SenderAccount] = nil
					accounts = append(accounts, e.SenderAccount)
				}
			}
		}
		if len(accounts) == 0 {
			return rs, nil
		}
		devs, err := s.reads.devicesOf(ctx, accounts)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		for _, d := range devs {
			devices[d.AccountID] = append(devices[d.AccountID], d)
		}
		return rs, nil
	}
	notify := func(raised []Receipt) []*Append {
		return s.receiptEntries(raised, func(r Receipt) int64 { return senders[msgKey{r.ChatID, r.MessageID}] },
			func(account int64) []Device { return devices[account] })
	}
	appends, err := s.store.AckDelivered(ctx, acks, receipts, notify)
	if err != nil {
		return err
	}
	s.publishEntries(appends)
	return nil
}

type msgKey struct {
	chat int64
	id   string
}

// sendReceipts tells each message's sender about raised receipts through
// the group committer. senders gives each message's sender where known;
// otherwise it is looked up, and a message no longer known (pruned: too old
// for a receipt to matter) is skipped.
func (s *Service) sendReceipts(ctx context.Context, raised []Receipt, senders map[msgKey]int64) error {
	devices := map[int64][]Device{}
	var shown []Receipt
	for _, r := range raised {
		k := msgKey{r.ChatID, r.MessageID}
		sender, ok := senders[k]
		if !ok {
			meta, err := s.store.GetMessage(ctx, r.ChatID, r.MessageID)
			if parley.ErrorCode(err) == parley.ENotFound {
				continue
			} else if err != nil {
				return fmt.Errorf("get message: %w", err)
			}
			sender = meta.SenderAccount
			senders[k] = sender
		}
		shown = append(shown, r)
		if _, ok := devices[sender]; !ok {
			devs, err := s.reads.devicesOf(ctx, []int64{sender})
			if err != nil {
				return fmt.Errorf("list devices: %w", err)
			}
			devices[sender] = devs
		}
	}
	appends := s.receiptEntries(shown, func(r Receipt) int64 { return senders[msgKey{r.ChatID, r.MessageID}] },
		func(account int64) []Device { return devices[account] })
	return s.commit(ctx, appends...)
}

// receiptEntries tells senders about raised receipts: one append per
// (chat, sender, recipient, status), in the order of raised, with an
// entry for each of the sender's devices. senderOf gives a receipt's
// message's sender, devicesOf a sender's devices.
func (s *Service) receiptEntries(raised []Receipt, senderOf func(Receipt) int64, devicesOf func(account int64) []Device) []*Append {
	type key struct {
		chat, sender, recipient int64
		status                  ReceiptStatus
	}
	groups := map[key][]string{}
	var order []key
	for _, r := range raised {
		k := key{r.ChatID, senderOf(r), r.AccountID, r.Status}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r.MessageID)
	}
	appends := make([]*Append, 0, len(order))
	for _, k := range order {
		body, _ := json.Marshal(wire.ReceiptBody{Status: k.status.String(), AccountID: k.recipient, MessageIDs: groups[k]})
		appends = append(appends, s.entriesFor(devicesOf(k.sender), k.chat, 0, EntryReceipt, body))
	}
	return appends
}

// MarkRead records that the caller read messages in a chat. The caller's
// other devices are told (to clear unread counts). Senders are told unless
// the reader or, reciprocally, the sender has read receipts turned off.
// Ids of unknown messages are skipped (one may have expired), but
// ENotFound is returned when none of them is a message of the chat.
func (s *Service) MarkRead(ctx context.Context, p parley.Principal, chatID int64, messageIDs []string) error {
	if len(messageIDs) == 0 || len(messageIDs) > 1000 {
		return &parley.Error{Code: parley.EInvalid, Message: "name 1 to 1000 message ids", Details: map[string]any{"field": "message_ids"}}
	}
	for _, id := range messageIDs {
		if !ValidMessageID(id) {
			return &parley.Error{Code: parley.EInvalid, Message: "a message id is malformed", Details: map[string]any{"field": "message_ids"}}
		}
	}
	if _, _, err := s.memberChat(ctx, p, chatID); err != nil {
		return err
	}
	reader, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	senders := map[msgKey]int64{}
	var rs []Receipt
	known := 0
	for _, id := range slices.Compact(slices.Sorted(slices.Values(messageIDs))) {
		meta, err := s.store.GetMessage(ctx, chatID, id)
		if parley.ErrorCode(err) == parley.ENotFound {
			continue
		} else if err != nil {
			return fmt.Errorf("get message: %w", err)
		}
		known++
		if meta.SenderAccount == p.AccountID {
			continue
		}
		senders[msgKey{chatID, id}] = meta.SenderAccount
		rs = append(rs, Receipt{ChatID: chatID, MessageID: id, AccountID: p.AccountID, Status: ReceiptRead})
	}
	if known == 0 {
		// A typo, not an expired message among real ones: say so.
		return &parley.Error{Code: parley.ENotFound, Message: "no such message in this chat", Details: map[string]any{"field": "message_ids"}}
	}
	raised, err := s.store.RaiseReceipts(ctx, rs)
	if err != nil {
		return fmt.Errorf("raise receipts: %w", err)
	}
	// Sync to the reader's other devices, always.
	if len(raised) > 0 {
		ids := make([]string, len(raised))
		for i, r := range raised {
			ids[i] = r.MessageID
		}
		body, _ := json.Marshal(wire.ReceiptBody{Status: "read", AccountID: p.AccountID, MessageIDs: ids})
		a, err := s.toAccount(ctx, chatID, p.AccountID, p.DeviceID, EntryReceipt, body)
		if err != nil {
			return err
		}
		if err := s.commit(ctx, a); err != nil {
			return err
		}
	}
	if !reader.ReadReceipts {
		return nil
	}
	var shown []Receipt
	optedOut := map[int64]bool{}
	for _, r := range raised {
		sender := senders[msgKey{r.ChatID, r.MessageID}]
		off, ok := optedOut[sender]
		if !ok {
			a, err := s.store.GetAccount(ctx, sender)
			if err != nil && parley.ErrorCode(err) != parley.ENotFound {
				return fmt.Errorf("get account: %w", err)
			}
			off = err != nil || !a.ReadReceipts
			optedOut[sender] = off
		}
		if !off {
			shown = append(shown, r)
		}
	}
	return s.sendReceipts(ctx, shown, senders)
}

// SendHistory passes an opaque history bundle from one of the caller's
// devices to another (newly linked) one. ENotFound for a device that is not
// the caller's; ETooLarge over MaxHistoryBundle.
func (s *Service) SendHistory(ctx context.Context, p parley.Principal, toDevice int64, bundle []byte) error {
	if len(bundle) == 0 {
		return &parley.Error{Code: parley.EInvalid, Message: "the bundle is empty", Details: map[string]any{"field": "bundle"}}
	}
	if int64(len(bundle)) > s.cfg.MaxHistoryBundle {
		return &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("a history bundle may be at most %d bytes", s.cfg.MaxHistoryBundle), Details: map[string]any{"limit": s.cfg.MaxHistoryBundle}}
	}
	if toDevice == p.DeviceID {
		return parley.Errorf(parley.EInvalid, "a device cannot send history to itself")
	}
	devs, err := s.store.ListDevices(ctx, p.AccountID)
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	if !slices.ContainsFunc(devs, func(d Device) bool { return d.ID == toDevice }) {
		return &parley.Error{Code: parley.ENotFound, Message: "no such device on your account", Details: map[string]any{"device_id": toDevice}}
	}
	now := s.now()
	return s.commit(ctx, &Append{Entries: []Entry{{DeviceID: toDevice, Type: EntryHistory, SenderAccount: p.AccountID,
		SenderDevice: p.DeviceID, Body: bundle, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Retention)}}})
}

// Typing tells the other members of a chat that the caller is composing or
// has paused. It is ephemeral: it goes over the bus, never to the store.
func (s *Service) Typing(ctx context.Context, p parley.Principal, chatID int64, state string) error {
	if state != "composing" && state != "paused" {
		return &parley.Error{Code: parley.EInvalid, Message: "typing state must be composing or paused", Details: map[string]any{"field": "state"}}
	}
	cm, _, err := s.reads.memberOf(ctx, p, chatID)
	if err != nil {
		return err
	}
	for _, m := range cm.members {
		if m.AccountID == p.AccountID {
			continue
		}
		// A block hides typing both ways, like messages in a 1:1 chat.
		if b, err := s.reads.isBlocked(ctx, m.AccountID, p.AccountID); err != nil {
			return fmt.Errorf("is blocked: %w", err)
		} else if b {
			continue
		}
		if b, err := s.reads.isBlocked(ctx, p.AccountID, m.AccountID); err != nil {
			return fmt.Errorf("is blocked: %w", err)
		} else if b {
			continue
		}
		s.Publish(AccountSubject(m.AccountID), wire.Event{Type: wire.EventTyping, ChatID: chatID, AccountID: p.AccountID, State: state})
	}
	return nil
}

// MayWatchPresence reports whether the caller may see account id's
// online status, which follows its last-seen privacy.
func (s *Service) MayWatchPresence(ctx context.Context, p parley.Principal, id int64) (bool, error) {
	prof, err := s.profiles.Profile(ctx, p, id)
	if err != nil {
		return false, err
	}
	if prof.LastSeen != nil {
		return true, nil
	}
	// Never seen yet, but visible: check the setting itself.
	viewer, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return false, err
	}
	target, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return false, err
	}
	if viewer.LastSeenVisibility == VisibleNobody && viewer.ID != target.ID {
		return false, nil
	}
	return s.profiles.canSee(ctx, viewer.ID, &viewer, target, target.LastSeenVisibility)
}

// SetPresence announces that the account went online or offline.
func (s *Service) SetPresence(ctx context.Context, p parley.Principal, online bool) {
	ev := wire.Event{Type: wire.EventPresence, AccountID: p.AccountID, State: "offline"}
	if online {
		ev.State = "online"
	} else {
		t := s.now()
		ev.LastSeen = &t
	}
	// Last seen and last active are written when the account goes
	// offline, not on every connect: a connect costs no write.
	if !online {
		if err := s.TouchDevice(ctx, p); err != nil {
			s.log.Warn("touch device", "device", p.DeviceID, "err", err)
		}
	}
	s.Publish(PresenceSubject(p.AccountID), ev)
}
