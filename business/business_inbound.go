package business

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// Run is the inbound pipeline of the cloud devices: it reads each business
// number's inbox (customers' messages and receipts for the business's
// messages), turns entries into webhooks in the outbox, updates the service
// window and the ledger, and only then acknowledges the entries (at least
// once; webhook and ledger keys make a replay harmless). It wakes on the
// bus when an entry for a cloud device is published, and polls every
// InboxPoll in case a wake-up was missed. It returns when ctx is done.
func (b *Service) Run(ctx context.Context) error {
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		b.commitLoop(ctx)
	}()
	defer func() { <-committed }()
	heard := make(chan struct{})
	go func() {
		defer close(heard)
		b.runPeers(ctx)
	}()
	defer func() { <-heard }()
	if err := b.loadCloudDevices(ctx); err != nil {
		b.log.Error("load cloud devices", "err", err)
	}
	unsub, err := b.bus.Subscribe("parley.dev.*", func(subject string, _ []byte) {
		id, err := strconv.ParseInt(strings.TrimPrefix(subject, "parley.dev."), 10, 64)
		if err != nil {
			return
		}
		b.mu.Lock()
		num, ok := b.cloud[id]
		b.mu.Unlock()
		if ok {
			select {
			case b.wake <- num:
			default: // the poll will catch it
			}
		}
	})
	if err != nil {
		b.log.Warn("subscribe for cloud inboxes; polling only", "err", err)
	} else {
		defer unsub()
	}
	// Numbers are drained concurrently, each by at most one goroutine at a
	// time (its inbox is processed in order); a wake-up for a number being
	// drained is remembered and served when that drain ends.
	const maxDrains = 16
	active := map[int64]bool{}
	again := map[int64]bool{}
	finished := make(chan int64)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		probe := time.NewTicker(b.cfg.FlowProbeEvery)
		defer probe.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-probe.C:
				b.flows.ProbeUnhealthy(ctx)
			}
		}
	}()
	start := func(num int64) {
		if active[num] {
			again[num] = true
			return
		}
		if len(active) >= maxDrains {
			again[num] = true
			return
		}
		active[num] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.drain(ctx, num)
			select {
			case finished <- num:
			case <-ctx.Done():
			}
		}()
	}
	t := time.NewTicker(b.cfg.InboxPoll)
	defer t.Stop()
	prune := time.NewTicker(b.cfg.PruneEvery)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-prune.C:
			if n, err := b.Prune(ctx); err != nil && ctx.Err() == nil {
				b.log.Error("prune business rows", "err", err)
			} else if n > 0 {
				b.log.Info("pruned business rows", "rows", n)
			}
		case num := <-b.wake:
			start(num)
		case num := <-finished:
			delete(active, num)
			var next []int64
			for n := range again {
				if !active[n] {
					next = append(next, n)
				}
			}
			for _, n := range next {
				if len(active) >= maxDrains {
					break
				}
				delete(again, n)
				start(n)
			}
		case <-t.C:
			if err := b.loadCloudDevices(ctx); err != nil && ctx.Err() == nil {
				b.log.Error("load cloud devices", "err", err)
				continue
			}
			b.mu.Lock()
			nums := make([]int64, 0, len(b.cloud))
			for _, num := range b.cloud {
				nums = append(nums, num)
			}
			b.mu.Unlock()
			for _, num := range nums {
				if !active[num] {
					start(num)
				}
			}
		}
	}
}

func (b *Service) loadCloudDevices(ctx context.Context) error {
	ns, err := b.st.ListNumbers(ctx, 0)
	if err != nil {
		return err
	}
	b.mu.Lock()
	for _, n := range ns {
		b.cloud[n.DeviceID] = n.ID
	}
	b.mu.Unlock()
	// Numbers made before the cloud devices had keys get them here.
	for _, n := range ns {
		if err := b.keys.ensure(ctx, n); err != nil && ctx.Err() == nil {
			b.log.Error("publish cloud device keys", "number", n.ID, "err", err)
		}
	}
	return nil
}

func (b *Service) drain(ctx context.Context, numberID int64) {
	for ctx.Err() == nil {
		n, err := b.ProcessInbox(ctx, numberID)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("process cloud inbox", "number", numberID, "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
	}
}

// ProcessInbox handles up to one page of a number's cloud inbox and
// returns how many entries it acknowledged.
func (b *Service) ProcessInbox(ctx context.Context, numberID int64) (int, error) {
	n, err := b.st.GetNumber(ctx, numberID)
	if err != nil {
		return 0, fmt.Errorf("get number: %w", err)
	}
	biz, err := b.st.GetBusiness(ctx, n.BusinessID)
	if err != nil {
		return 0, fmt.Errorf("get business: %w", err)
	}
	p := cloudPrincipal(n)
	entries, err := b.svc.Pending(ctx, p, 0, 200)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	// The business's rating lock is held from the first rating to the
	// commit: see billing.Biller.LockRating.
	unlock := b.bill.LockRating(biz.ID)
	committed := false
	defer func() { unlock(!committed) }()
	in := &inboundBatch{b: b, biz: biz, n: n, accounts: map[int64]chat.Account{}, convs: map[int64]*Conversation{}}
	defer in.releaseKeys()
	ids := make([]int64, 0, len(entries))
	for _, e := range entries {
		retry, err := in.entry(ctx, e)
		if err != nil {
			return 0, fmt.Errorf("entry %d: %w", e.ID, err)
		}
		if !retry {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return 0, nil // only receipts that overtook their messages' records: the next poll retries them
	}
	batch := &Batch{Messages: in.msgs, Webhooks: in.hooks, Usage: in.usage, Charges: in.charges}
	for _, c := range in.convs {
		batch.Conversations = append(batch.Conversations, *c)
	}
	if err := b.write(ctx, batch); err != nil {
		return 0, fmt.Errorf("commit business batch: %w", err)
	}
	committed = true
	if err := in.storeKeys(ctx); err != nil {
		return 0, err
	}
	if in.charged {
		if err := b.bill.CheckLowBalance(ctx, biz.ID); err != nil {
			b.log.Error("low balance check", "business", biz.ID, "err", err)
		}
	}
	if err := b.svc.Ack(ctx, p, ids); err != nil {
		return 0, fmt.Errorf("ack: %w", err)
	}
	return len(ids), nil
}

type inboundBatch struct {
	b        *Service
	biz      Business
	n        BusinessNumber
	accounts map[int64]chat.Account
	convs    map[int64]*Conversation
	hooks    []*Webhook
	usage    []*billing.UsageEntry
	charges  []billing.Charge
	charged  bool  // a charge has an amount: check the low-balance threshold after the commit
	amounts  *bool // the business's PricingAmounts, once read
	msgs     []BusinessMessage
	// keys is the number's cloud device, held from the first encrypted
	// entry until its state is stored after the commit (cloudkeys.go).
	keys *heldDevice
}

// open decrypts an encrypted message entry with the number's cloud device
// and returns its content.
func (in *inboundBatch) open(ctx context.Context, e wire.Entry) ([]byte, error) {
	if in.keys == nil {
		h, err := in.b.keys.hold(ctx, cloudPrincipal(in.n))
		if err != nil {
			return nil, fmt.Errorf("cloud device keys: %w", err)
		}
		in.keys = h
	}
	in.keys.saved = false
	return in.keys.dev.Open(ctx, in.keys.dir, e)
}

// storeKeys stores the cloud device's state after the batch's webhooks
// are committed and before its entries are acknowledged: a failure
// leaves the entries to be decrypted again from the stored state (the
// webhooks' keys make the replay harmless), and a stored state never
// marks as seen a message whose webhook is not written. It then tops the
// device's one-time keys up.
func (in *inboundBatch) storeKeys(ctx context.Context) error {
	if in.keys == nil {
		return nil
	}
	in.keys.logNotices()
	if err := in.keys.save(ctx); err != nil {
		return fmt.Errorf("store cloud device keys: %w", err)
	}
	if err := in.keys.replenish(ctx); err != nil {
		in.b.log.Error("replenish cloud device keys", "number", in.n.ID, "err", err)
	}
	return nil
}

func (in *inboundBatch) releaseKeys() {
	if in.keys != nil {
		in.keys.release()
		in.keys = nil
	}
}

func (in *inboundBatch) account(ctx context.Context, id int64) (chat.Account, error) {
	if a, ok := in.accounts[id]; ok {
		return a, nil
	}
	a, err := in.b.st.GetAccount(ctx, id)
	if err != nil {
		return chat.Account{}, err
	}
	in.accounts[id] = a
	return a, nil
}

func (in *inboundBatch) conv(ctx context.Context, customerID int64) (*Conversation, error) {
	if c, ok := in.convs[customerID]; ok {
		return c, nil
	}
	c, err := in.b.conversation(ctx, in.n.ID, customerID)
	if err != nil {
		return nil, err
	}
	in.convs[customerID] = &c
	return &c, nil
}

// entry handles one inbox entry. retry means: leave it in the inbox and
// try again later.
func (in *inboundBatch) entry(ctx context.Context, e wire.Entry) (retry bool, err error) {
	switch {
	case e.Type == chat.EntryMessage && e.SenderAccount != in.n.AccountID && e.Kind != chat.KindSystem:
		var failed error
		if isEncrypted(e.Body) {
			plain, err := in.open(ctx, e)
			switch {
			case errors.Is(err, e2ee.ErrReplay):
				return false, nil // a replayed ciphertext is dropped, as a person's app drops it
			case decryptFailed(err):
				in.b.log.Warn("customer message cannot be decrypted", "number", in.n.ID, "chat", e.ChatID, "message", e.MessageID,
					"sender", e.SenderAccount, "device", e.SenderDevice, "err", err)
				failed = err
			case err != nil:
				return false, err
			default:
				e.Body = plain
			}
		}
		return false, in.message(ctx, e, failed)
	case e.Type == chat.EntryReceipt:
		return in.receipt(ctx, e)
	}
	return false, nil // events, history, system messages, our own echoes
}

// message turns a customer's message into a webhook. failed is set when
// the message was encrypted and the cloud device could not decrypt it:
// the webhook then says so in its errors (docs/BUSINESS.md).
func (in *inboundBatch) message(ctx context.Context, e wire.Entry, failed error) error {
	if e.Kind == chat.KindEdit || e.Kind == chat.KindDelete {
		return nil // the Cloud API has no edits or deletes from customers
	}
	cust, err := in.account(ctx, e.SenderAccount)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	wamid := InboundWamid(e.ChatID, e.MessageID)
	msg := wire.InboundMessage{From: WaID(cust.Phone), ID: wamid, Timestamp: unixString(e.CreatedAt)}
	var c wire.Content
	decodeErr := json.Unmarshal(e.Body, &c)
	if decodeErr == nil && failed == nil && c.MediaKey != "" {
		if failed, err = in.openMedia(ctx, &c); err != nil {
			return err
		}
	}
	conv, err := in.conv(ctx, cust.ID)
	if err != nil {
		return err
	}
	switch {
	case failed != nil:
		msg.Type = "unknown"
		msg.Errors = []wire.WebhookError{webhookError(MetaUndecryptable, "Message could not be decrypted",
			"The customer's message is end-to-end encrypted and the number's cloud device could not decrypt it: "+undecryptableReason(failed))}
	case e.Kind == chat.KindReaction:
		msg.Type = "reaction"
		msg.Reaction = &wire.InboundReaction{MessageID: chatRef(e.ChatID, e.Ref), Emoji: c.Emoji}
	case decodeErr != nil:
		msg.Type = "unknown"
		msg.Errors = []wire.WebhookError{webhookError(131051, "Message type unknown", "Message type is currently not supported.")}
	case c.RequestWelcome:
		if ok, err := in.welcomeWanted(ctx, conv); err != nil || !ok {
			return err
		}
		msg.Type = "request_welcome"
	default:
		in.describe(ctx, &msg, e.ChatID, c)
		if c.Referral != nil {
			ref, err := in.b.links.referral(ctx, c.Referral)
			if err != nil {
				return err
			}
			msg.Referral = ref
			if ref != nil && ref.CtwaClid != "" && entryPointStarts(*conv, e.CreatedAt, in.b.cfg.ServiceWindow) {
				conv.EntryPointAt, conv.EntryPointUntil, conv.Replied = e.CreatedAt, time.Time{}, false
				if click, err := in.b.st.GetClick(ctx, ref.CtwaClid); err == nil {
					conv.EntryPointLink = click.LinkID
					_ = in.b.st.CountLink(ctx, click.LinkID, "chats")
					if in.b.onAdChat != nil {
						in.b.onAdChat(ctx, ref.CtwaClid)
					}
				}
			}
		}
	}
	if e.Kind == chat.KindMessage {
		conv.ChatID = e.ChatID
		if e.CreatedAt.After(conv.LastInboundAt) {
			conv.LastInboundAt = e.CreatedAt
		}
		in.msgs = append(in.msgs, BusinessMessage{NumberID: in.n.ID, ID: wamid, ChatID: e.ChatID,
			CustomerID: cust.ID, CustomerPhone: cust.Phone, CreatedAt: e.CreatedAt})
	}
	v := messagesValue(in.n)
	uid := UserID(in.biz.ID, cust.ID, cust.Phone)
	if err := in.b.rememberUserID(ctx, in.biz.ID, cust.ID, uid); err != nil {
		return err
	}
	contact := wire.WebhookContact{WaID: WaID(cust.Phone), UserID: uid}
	contact.Profile.Name, contact.Profile.Username = cust.DisplayName, cust.Username
	v.Contacts = []wire.WebhookContact{contact}
	msg.FromUserID = uid
	v.Messages = []wire.InboundMessage{msg}
	in.hooks = append(in.hooks, newWebhook(in.b.now(), in.biz.ID, fmt.Sprintf("in:%d:%s:%d", in.n.ID, e.MessageID, e.ChatID), convKey(in.n, cust.Phone), "messages", v))
	return nil
}

// describe fills the type and payload of an inbound message from content.
func (in *inboundBatch) describe(ctx context.Context, msg *wire.InboundMessage, chatID int64, c wire.Content) {
	if c.ReplyTo != "" {
		msg.Context = &wire.InboundContext{From: WaID(in.n.Phone), ID: chatRef(chatID, c.ReplyTo)}
	}
	switch {
	case c.Reply != nil && (c.Reply.Type == "button_reply" || c.Reply.Type == "list_reply"):
		msg.Type = "interactive"
		ch := &wire.ReplyChoice{ID: c.Reply.ID, Title: c.Reply.Title, Description: c.Reply.Description}
		msg.Interactive = &wire.InboundInteractive{Type: c.Reply.Type}
		if c.Reply.Type == "button_reply" {
			ch.Description = ""
			msg.Interactive.ButtonReply = ch
		} else {
			msg.Interactive.ListReply = ch
		}
	case c.Reply != nil && c.Reply.Type == "nfm_reply":
		msg.Type = "interactive"
		name := c.Reply.Name
		if name == "" {
			name = "flow"
		}
		msg.Interactive = &wire.InboundInteractive{Type: "nfm_reply", NfmReply: &wire.NfmReply{Name: name, Body: c.Reply.Body, ResponseJSON: c.Reply.ResponseJSON}}
	case c.Order != nil:
		msg.Type = "order"
		o := in.b.catalogs.completeOrder(ctx, in.biz.ID, *c.Order)
		msg.Order = &o
	case c.Reply != nil && c.Reply.Type == "button":
		msg.Type = "button"
		msg.Button = &wire.InboundButton{Text: c.Reply.Title, Payload: c.Reply.Payload}
	case len(c.Contacts) > 0:
		msg.Type = "contacts"
		msg.Contacts = c.Contacts
	case c.Location != nil:
		msg.Type = "location"
		msg.Location = c.Location
	case c.MediaID != "" || c.MediaURL != "":
		kind := c.MediaKind
		if kind == "" {
			kind = mediaKindOf(c.MediaType)
		}
		m := &wire.InboundMedia{ID: MediaGraphID(c.MediaID), MimeType: c.MediaType, Caption: c.Text, Filename: c.Filename, Link: c.MediaURL}
		if c.MediaID != "" {
			if hooks, err := in.b.WebhookSettingsOf(ctx, in.biz.ID); err == nil {
				m.URL = hooks.mediaURL(m.ID)
			}
			if md, err := in.b.st.GetMedia(ctx, c.MediaID); err == nil {
				m.SHA256 = md.SHA256
				if m.MimeType == "" {
					m.MimeType = md.ContentType
				}
			}
		}
		msg.Type = kind
		switch kind {
		case "image":
			msg.Image = m
		case "video":
			msg.Video = m
		case "audio":
			msg.Audio = m
		case "sticker":
			msg.Sticker = m
		default:
			msg.Type, msg.Document = "document", m
		}
	case c.Text != "":
		msg.Type = "text"
		msg.Text = &wire.InboundText{Body: c.Text}
	default:
		msg.Type = "unknown"
		msg.Errors = []wire.WebhookError{webhookError(131051, "Message type unknown", "Message type is currently not supported.")}
	}
}

// openMedia replaces an attachment that the customer's app encrypted (its
// key came in the decrypted message) by a plaintext copy owned by the
// number, which the business downloads by the webhook's media id as it
// does any customer's file: the business's end, hosted here, holds the
// plaintext. failed is set when the file does not open (its hash or its
// authentication fails) or is not a file the Cloud API takes; err when
// the store could not be reached.
func (in *inboundBatch) openMedia(ctx context.Context, c *wire.Content) (failed, err error) {
	_, r, err := in.b.svc.MediaBytes(ctx, c.MediaID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return fmt.Errorf("%w: the attachment is gone", e2ee.ErrTampered), nil
	} else if err != nil {
		return nil, err
	}
	ct, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("read attachment: %w", err)
	}
	plain, err := e2ee.DecryptMedia(ct, e2ee.MediaKey{Key: c.MediaKey, SHA256: c.MediaSHA256})
	if err != nil {
		return fmt.Errorf("%w: attachment: %v", e2ee.ErrTampered, err), nil
	}
	max, err := checkMediaUpload(c.MediaType, int64(len(plain)))
	if err != nil {
		return fmt.Errorf("%w: attachment: %v", e2ee.ErrTampered, err), nil
	}
	m, err := in.b.svc.StoreMediaOf(ctx, cloudPrincipal(in.n), c.MediaType, max, bytes.NewReader(plain))
	switch parley.ErrorCode(err) {
	case "":
	case parley.EInvalid, parley.ETooLarge, parley.ELimit:
		return fmt.Errorf("%w: attachment: %v", e2ee.ErrTampered, err), nil
	default:
		return nil, fmt.Errorf("store the opened attachment: %w", err)
	}
	c.MediaID, c.MediaKey, c.MediaSHA256 = m.ID, "", ""
	return nil, nil
}

// MetaUndecryptable is the error of an inbound webhook whose message the
// cloud device could not decrypt: Meta's "message type unknown" code, so
// that a business's code that handles unknown messages handles it, with
// a title and details of its own.
const MetaUndecryptable = 131051

// undecryptableReason says in a sentence why a message did not decrypt,
// without the ciphertext.
func undecryptableReason(err error) string {
	switch {
	case strings.Contains(err.Error(), "attachment"):
		return "its attachment does not open, or is not a file the Cloud API takes."
	case errors.Is(err, e2ee.ErrUntrusted):
		return "the sending device is not in the customer's signed device list."
	case errors.Is(err, e2ee.ErrNotForYou):
		return "the customer's app did not encrypt it to the business."
	case errors.Is(err, e2ee.ErrNoSession):
		return "its session key never reached the business."
	case errors.Is(err, e2ee.ErrMisrouted):
		return "its type is not allowed on this path."
	}
	return "it does not authenticate (tampered with, or sent on a session the business no longer has)."
}

func mediaKindOf(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/webp"):
		return "sticker"
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	return "document"
}

// recordGrace is how long a receipt waits for its message's record: the
// record is committed just after the message, so a fast device's receipt
// can arrive first.
const recordGrace = time.Minute

func (in *inboundBatch) receipt(ctx context.Context, e wire.Entry) (retry bool, err error) {
	var r wire.ReceiptBody
	if err := json.Unmarshal(e.Body, &r); err != nil {
		return false, nil // not ours to fail on
	}
	status := r.Status
	if status == "expired" {
		status = "failed"
	}
	if status != "delivered" && status != "read" && status != "failed" {
		return false, nil
	}
	var ms []BusinessMessage
	for _, id := range r.MessageIDs {
		m, err := in.b.st.GetBusinessMessage(ctx, in.n.ID, id)
		if parley.ErrorCode(err) == parley.ENotFound {
			if in.b.now().Sub(e.CreatedAt) < recordGrace && strings.HasPrefix(id, "wamid.") {
				return true, nil
			}
			continue
		} else if err != nil {
			return false, fmt.Errorf("get business message: %w", err)
		}
		if m.Outbound {
			ms = append(ms, m)
		}
	}
	hooks, err := in.b.WebhookSettingsOf(ctx, in.biz.ID)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		id := m.ID
		st := in.b.status(in.biz, hooks, in.n, m, status, e.CreatedAt)
		if status == "failed" {
			st.Pricing = nil
			st.Errors = []wire.WebhookError{webhookError(MetaUndeliverable, "Message undeliverable", "The message was not delivered before it expired")}
		} else if m.Category != "" {
			conv, err := in.conv(ctx, m.CustomerID)
			if err != nil {
				return false, err
			}
			// Priced at delivery with the card in effect then, as the
			// charge is: the delivered status says what the ledger does.
			us := usageFor(in.biz, in.n, m, *conv, e.CreatedAt)
			ptype, billable, err := in.b.decidePricing(ctx, in.biz, us)
			if err != nil {
				return false, err
			}
			if st.Pricing != nil {
				st.Pricing.Billable = billable
				if st.Pricing.Type != "" {
					st.Pricing.Type = ptype
				}
			}
			in.usage = append(in.usage, us...)
			cs, err := in.b.bill.RateLocked(ctx, payer(in.biz), us, m.ID)
			if err != nil {
				return false, err
			}
			in.charges = append(in.charges, cs...)
			if len(cs) > 0 {
				if err := in.price(ctx, st.Pricing, cs); err != nil {
					return false, err
				}
			} else if status == "read" {
				// As Meta: pricing rides on sent and on the one of
				// delivered and read that came first (the one rated).
				st.Pricing = nil
			}
		}
		if status == "failed" {
			in.b.bill.Release(in.biz.ID, m.ID)
		}
		v := messagesValue(in.n)
		v.Statuses = []wire.StatusUpdate{st}
		in.hooks = append(in.hooks, newWebhook(in.b.now(), in.biz.ID, "st:"+id+":"+status, convKey(in.n, m.CustomerPhone), "messages", v))
	}
	return false, nil
}

// price adds the charged amount to a status's pricing object when the
// business turned amounts on (billing.Account.PricingAmounts).
func (in *inboundBatch) price(ctx context.Context, p *wire.Pricing, cs []billing.Charge) error {
	var total int64
	for _, c := range cs {
		total += c.Amount
	}
	if total != 0 {
		in.charged = true
	}
	if p == nil {
		return nil
	}
	if in.amounts == nil {
		a, err := in.b.bill.Account(ctx, in.biz.ID)
		if err != nil {
			return err
		}
		in.amounts = &a.PricingAmounts
	}
	if !*in.amounts {
		return nil
	}
	reason := cs[0].Reason
	for _, c := range cs {
		if c.Amount > 0 || !c.Reason.Free() {
			reason = c.Reason
		}
	}
	amount := billing.FormatMicros(total)
	p.ParleyAmount, p.ParleyAmountMicros, p.ParleyCurrency, p.ParleyReason = &amount, &total, cs[0].Currency, string(reason)
	return nil
}

// Prune deletes business rows past their time (BusinessConfig.RecordTTL,
// WebhookLogTTL; reach after 48 h, quality signals after 30 days), in
// batches so that no transaction holds the writer long, and returns how
// many rows went. Run calls it every PruneEvery.
func (b *Service) Prune(ctx context.Context) (int, error) {
	now := b.now()
	p := BusinessPrune{Messages: now.Add(-b.cfg.RecordTTL), Reach: now.Add(-48 * time.Hour),
		Quality: now.Add(-30 * 24 * time.Hour), Webhooks: now.Add(-b.cfg.WebhookLogTTL)}
	const batch = 5000
	total := 0
	for ctx.Err() == nil {
		n, err := b.st.PruneBusiness(ctx, p, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, ctx.Err()
}
