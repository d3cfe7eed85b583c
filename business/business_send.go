package business

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// OutboundMessage is a business's message, as the Cloud API surface
// decoded it. For a template, Template is set and Content is filled in by
// SendMessage; for a reaction, Kind is KindReaction, Ref the target and
// Content.Emoji the emoji; otherwise Content is the message.
type OutboundMessage struct {
	To           string
	Recipient    string // a business-scoped user id (UserID), used when To is empty
	Type         string // text, image, video, audio, document, sticker, location, reaction, interactive, template
	Kind         chatpkg.MessageKind
	Ref          string
	Content      wire.Content
	Template     *TemplateSend
	CallbackData string
	// order is the order an order_details message carries: it is linked
	// to the message's chat in the message's own commit, so a person's
	// client that reads it on arrival finds it.
	order int64
}

// TemplateSend names a template and gives its parameters.
type TemplateSend struct {
	Name       string
	Language   string
	Components []TemplateSendComponent
}

// Sent is the result of an accepted send.
type Sent struct {
	WaID      string
	MessageID string
	Quote     billing.Quote // what the message costs when it is delivered
	// ChatID and CustomerID are set when the message was sent (not on a
	// send accepted and then failed by a status webhook).
	ChatID     int64
	CustomerID int64
}

// DryRun answers what a message would cost and whether it would be
// accepted, without sending it (POST /{version}/{id}/message_quotes).
type DryRun struct {
	billing.Quote
	To      string      `json:"to"`
	Allowed bool        `json:"allowed"`
	Refusal *CloudError `json:"refusal"`
	// Failure is the error of a send that would be accepted and then
	// failed by a status webhook (FailsLater), nothing charged.
	Failure             *CloudError `json:"failure"`
	ServiceWindowOpen   bool        `json:"service_window_open"`
	ServiceWindowUntil  *time.Time  `json:"service_window_until"`
	FreeEntryPointOpen  bool        `json:"free_entry_point_open"`
	FreeEntryPointUntil *time.Time  `json:"free_entry_point_until"`
}

// QuoteMessage runs a send's checks and prices it without sending: no
// throughput token, hold or record is taken. A refusal by the rules is
// reported in the result (Allowed false), not as an error.
func (b *Service) QuoteMessage(ctx context.Context, biz Business, n BusinessNumber, m OutboundMessage) (DryRun, error) {
	d := &DryRun{}
	s, err := b.send(ctx, biz, n, m, d)
	if ce, ok := AsCloudError(err); ok {
		d.Allowed, d.Refusal = false, ce
		if d.Currency == "" {
			d.Quote = s.Quote // the refusal's, as the send's header has it
		}
		return *d, nil
	} else if err != nil {
		return DryRun{}, err
	}
	d.Allowed = true
	return *d, nil
}

// cloudPrincipal is the principal of a number's cloud device.
func cloudPrincipal(n BusinessNumber) parley.Principal {
	return parley.Principal{AccountID: n.AccountID, DeviceID: n.DeviceID}
}

// NewWamid returns a fresh message id in Meta's style.
func NewWamid() string { return "wamid." + randomHex(16) }

// SendMessage applies the rules and sends a business's message to a
// customer through the number's cloud device: one envelope per customer
// device, holding the Content as JSON. The CloudErrors it returns are
// Meta's synchronous ones: 368 (number paused), 130429 (throughput),
// 132001 (no such approved template), 132000 (parameter mismatch), 131042
// (payment), 100 (invalid parameter). The errors Meta reports through a
// status instead (FailsLater) are reported the same way: the send is
// accepted with a wamid and a failed status webhook carries the error.
// Sent.Quote is set on every outcome, a refusal included (amount 0,
// reason "refused").
func (b *Service) SendMessage(ctx context.Context, biz Business, n BusinessNumber, m OutboundMessage) (Sent, error) {
	if isOrderMessage(m) {
		return b.sendOrder(ctx, biz, n, m) // orders.go
	}
	return b.send(ctx, biz, n, m, nil)
}

// RefusedQuote is the quote of a send refused before anything about it
// was known (its body did not decode): nothing charged.
func (b *Service) RefusedQuote() billing.Quote {
	return billing.Quote{Currency: b.bill.Currency(), Reason: ReasonRefused}
}

// The quote reasons of a send that is not priced: refused at once (no
// wamid), or accepted and failed by a status webhook.
const (
	ReasonRefused       = "refused"
	ReasonUndeliverable = "undeliverable"
)

// asyncOr hands a CloudError that Meta reports through a status
// (FailsLater) to failLater, and returns any other error as it is.
func asyncOr(err error, failLater func(*CloudError) (Sent, error)) (Sent, error) {
	if ce, ok := AsCloudError(err); ok && FailsLater(ce.Code) {
		return failLater(ce)
	}
	return Sent{}, err
}

// send is SendMessage, or its dry run when dry is set: then it stops
// before anything is written and fills dry in.
func (b *Service) send(ctx context.Context, biz Business, n BusinessNumber, m OutboundMessage, dry *DryRun) (out Sent, err error) {
	category := "service" // a free-form message's; a template's once found
	if m.Template != nil {
		category = ""
	}
	priced := m.Kind == "" || m.Kind == chatpkg.KindMessage // reactions are not
	quoteCategory := func() string {
		if !priced {
			return ""
		}
		return category
	}
	defer func() {
		if err != nil && out.Quote.Currency == "" {
			out = Sent{Quote: billing.Quote{Currency: b.bill.Currency(), Category: quoteCategory(), Reason: ReasonRefused}}
		}
	}()
	if err := checkNumberActive(n); err != nil {
		return Sent{}, err
	}
	if dry == nil {
		if err := b.takeToken(n); err != nil {
			return Sent{}, err
		}
	}
	var phone string
	var phoneErr error
	if m.To == "" && m.Recipient != "" {
		// Sent to a business-scoped user id: the customer it names, or a
		// failed status (131026) for one the business was never given.
		acct, err := b.recipientAccount(ctx, biz, m.Recipient)
		if ce, ok := AsCloudError(err); ok && ce.Code == MetaUndeliverable {
			phoneErr = err
		} else if err != nil {
			return Sent{}, err
		}
		phone = acct.Phone
	} else if phone, phoneErr = recipientPhone(m.To); phoneErr != nil && phone == "" {
		return Sent{}, phoneErr
	}
	wamid := NewWamid()
	now := b.now()
	if dry != nil {
		dry.To = WaID(phone)
	}
	var template Template
	if m.Template != nil {
		t, err := b.templates.find(ctx, biz, *m.Template, now, dry == nil)
		if err != nil {
			return Sent{}, err
		}
		template = t
		r, err := t.render(m.Template.Components)
		if err != nil {
			return Sent{}, err
		}
		m.Content = wire.Content{Text: plainTemplate(r), Template: r, ReplyTo: m.Content.ReplyTo}
		if hm := r.HeaderMedia; hm != nil {
			m.Content.MediaID, m.Content.MediaURL, m.Content.MediaKind, m.Content.Filename = hm.ID, hm.Link, hm.Kind, hm.Filename
		}
		category = strings.ToLower(string(t.Category))
	}
	// failLater accepts the send and reports ce in a failed status, as
	// Meta does for the errors it finds after accepting a message.
	failLater := func(ce *CloudError) (Sent, error) {
		q := billing.Quote{Currency: b.bill.Currency(), Category: quoteCategory(), Reason: ReasonUndeliverable}
		if dry != nil {
			dry.Quote, dry.Failure = q, ce
			return Sent{}, nil
		}
		st := wire.StatusUpdate{ID: wamid, Status: "failed", Timestamp: unixString(now), RecipientID: WaID(phone), BizOpaqueCallbackData: m.CallbackData,
			Errors: []wire.WebhookError{webhookError(ce.Code, ce.Message, ce.Details)}}
		if m.To == "" {
			st.RecipientUserID = m.Recipient
		}
		v := messagesValue(n)
		v.Statuses = []wire.StatusUpdate{st}
		if err := b.enqueue(ctx, newWebhook(now, biz.ID, "st:"+wamid+":failed", convKey(n, phone), "messages", v)); err != nil {
			return Sent{}, err
		}
		b.enqueued()
		return Sent{WaID: WaID(phone), MessageID: wamid, Quote: q}, nil
	}
	if ce, ok := AsCloudError(phoneErr); ok {
		return failLater(ce)
	}
	customer, err := b.st.GetAccountByPhone(ctx, phone)
	if parley.ErrorCode(err) == parley.ENotFound {
		return failLater(cloudErrDetails(MetaUndeliverable, "Message undeliverable", "The recipient is not on this Parley server"))
	} else if err != nil {
		return Sent{}, fmt.Errorf("get account: %w", err)
	}
	if customer.ID == n.AccountID {
		return Sent{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "a number cannot message itself")
	}
	conv, err := b.conversation(ctx, n.ID, customer.ID)
	if err != nil {
		return Sent{}, err
	}
	inWin, winUntil := serviceWindow(conv, now, b.cfg.ServiceWindow)
	inEP, opensEP, epUntil := freeEntryPoint(conv, now, b.cfg.EntryPointReply, b.cfg.EntryPointWindow)
	if dry != nil {
		dry.ServiceWindowOpen = inWin
		if !winUntil.IsZero() {
			dry.ServiceWindowUntil = &winUntil
		}
		if inEP {
			dry.FreeEntryPointOpen, dry.FreeEntryPointUntil = true, &epUntil
		}
	}
	templateID := template.ID
	if template.Category == CategoryMarketing {
		if err := b.checkMarketing(ctx, conv, customer.ID, now); err != nil {
			return asyncOr(err, failLater)
		}
	} else if m.Template == nil {
		if err := checkFreeForm(inWin); err != nil {
			return asyncOr(err, failLater)
		}
	}
	if err := b.checkNotBlocking(ctx, n, customer.ID); err != nil {
		return Sent{}, err
	}
	if blocked, err := b.st.IsBlocked(ctx, customer.ID, n.AccountID); err != nil {
		return Sent{}, fmt.Errorf("is blocked: %w", err)
	} else if blocked {
		return failLater(cloudErrDetails(MetaUserStoppedMarketing, "User has blocked this business",
			"The recipient has blocked this business number"))
	}
	if !inWin {
		if err := b.checkTier(ctx, n, customer.ID, now); err != nil {
			return asyncOr(err, failLater)
		}
	}
	sent := Sent{WaID: WaID(phone), MessageID: wamid, CustomerID: customer.ID}
	ptype, billable := entryPointType(inEP), false
	opened := false
	if biz.PricingModel == "CBP" {
		if conv.ConversationUntil == nil {
			conv.ConversationUntil = map[string]time.Time{}
		}
		if conversationOpens(conv.ConversationUntil, category, now) {
			opened = true
			conv.ConversationUntil[category] = now.Add(24 * time.Hour)
		}
	}
	if m.Kind == "" || m.Kind == chatpkg.KindMessage {
		// Price it as the ledger will record it at delivery, and hold the
		// amount (refusing it if the wallet or a budget cap cannot take it).
		pm := BusinessMessage{ID: wamid, CustomerPhone: phone, Category: category, PricingType: ptype, InWindow: inWin, ConversationOpened: opened}
		us := usageFor(biz, n, pm, conv, now)
		var perr error
		if ptype, billable, perr = b.decidePricing(ctx, biz, us); perr != nil {
			return Sent{}, perr
		}
		if dry != nil {
			q, err := b.bill.Check(ctx, payer(biz), us)
			dry.Quote = q
			return Sent{}, payment(err)
		}
		q, err := b.bill.Reserve(ctx, payer(biz), wamid, us)
		if err != nil {
			return Sent{}, payment(err)
		}
		sent.Quote = q
		defer func() {
			if err != nil {
				b.bill.Release(biz.ID, wamid)
			}
		}()
	} else if dry != nil {
		dry.Quote = billing.Quote{Currency: b.bill.Currency(), Reason: string(billing.ReasonNotMetered)}
		return Sent{}, nil
	} else {
		sent.Quote = billing.Quote{Currency: b.bill.Currency(), Reason: string(billing.ReasonNotMetered)}
	}
	p := cloudPrincipal(n)
	chat, err := b.svc.DirectChat(ctx, p.AccountID, customer.ID)
	if err != nil {
		return Sent{}, err
	}
	if err := chatIDs(&m, chat.ID); err != nil {
		return Sent{}, err
	}
	sent.ChatID = chat.ID
	if m.Content.MediaID != "" {
		if err := b.svc.ShareMedia(ctx, p, m.Content.MediaID, chat.ID); err != nil {
			if c := parley.ErrorCode(err); c == parley.ENotFound || c == parley.EForbidden {
				return Sent{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "media id: no such media uploaded by this number")
			}
			return Sent{}, err
		}
	}
	if m.Kind == "" {
		m.Kind = chatpkg.KindMessage
	}
	bm := BusinessMessage{NumberID: n.ID, ID: wamid, Outbound: true, ChatID: chat.ID, CustomerID: customer.ID, CustomerPhone: phone,
		Category: category, PricingType: ptype, Billable: billable, InWindow: inWin, ConversationOpened: opened, CallbackData: m.CallbackData, CreatedAt: now,
		TemplateID: templateID}
	if m.Kind != chatpkg.KindMessage {
		bm.Category = "" // reactions are not billed
	}
	body, err := json.Marshal(m.Content)
	if err != nil {
		return Sent{}, fmt.Errorf("encode content: %w", err)
	}
	hooks, err := b.WebhookSettingsOf(ctx, biz.ID)
	if err != nil {
		return Sent{}, err
	}
	st := b.status(biz, hooks, n, bm, "sent", now)
	v := messagesValue(n)
	v.Statuses = []wire.StatusUpdate{st}
	// The record and the sent status commit with the message, in the core's
	// group commit (Append.Business): a receipt cannot overtake them.
	after := &Batch{Messages: []BusinessMessage{bm},
		Webhooks: []*Webhook{newWebhook(b.now(), biz.ID, "st:"+wamid+":sent", convKey(n, phone), "messages", v)}}
	if m.order != 0 {
		after.OrderLinks = []OrderLink{{OrderID: m.order, ChatID: chat.ID, CustomerID: customer.ID, MessageID: wamid}}
	}
	if m.Kind == chatpkg.KindMessage {
		dirty := conv.ChatID != chat.ID || opened
		conv.ChatID = chat.ID
		if opensEP {
			dirty = true
			conv.Replied = true
			conv.EntryPointUntil = epUntil
		}
		if dirty {
			after.Conversations = []Conversation{conv}
		}
		if !inWin {
			after.Reach = []Reach{{NumberID: n.ID, CustomerID: customer.ID, At: now}}
		}
	}
	b.hookSeal.seal(after.Webhooks) // committed by the chat core, with the message
	// A Flow's session exists before its message can arrive: a client may
	// open the Flow the moment it sees the message.
	b.recordSession(ctx, n, chat.ID, customer.ID, wamid, m.Content)
	if err := b.sendBody(ctx, p, chat, customer.ID, wamid, m.Kind, m.Ref, body, after); err != nil {
		switch parley.ErrorCode(err) {
		case parley.EBlocked:
			return Sent{}, cloudErrDetails(MetaUserStoppedMarketing, "User has blocked this business", "The recipient has blocked this business number")
		case parley.ENotFound, parley.EInvalid:
			return Sent{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", parley.ErrorMessage(err))
		case parley.ETooLarge:
			return Sent{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "the message is too large")
		}
		return Sent{}, err
	}
	b.enqueued()
	// The message is sent: a failure to record the user id is not the
	// send's, and the next message to the customer records it again.
	_ = b.rememberUserID(ctx, biz.ID, customer.ID, st.RecipientUserID)
	if m.Kind == chatpkg.KindMessage && opensEP && conv.EntryPointLink != 0 {
		_ = b.st.CountLink(ctx, conv.EntryPointLink, "replies")
	}
	if m.Kind == chatpkg.KindMessage && !inWin {
		if err := b.upgradeTier(ctx, n, now); err != nil {
			return Sent{}, err
		}
	}
	return sent, nil
}

// sendBody sends one body to every device of the customer (and of the
// number's account but its cloud device), end-to-end encrypted where the
// customer's account has a signed device list (cloudKeys.seal); after, if not nil,
// commits with the message. A message takes the short path: the chat,
// the blocks (the customer's one checked by send, the number's here) and
// the devices are read here once, and Service.sendChecked skips Send's
// second round of the same reads. Reactions take Service.Send, which
// checks their target, refetching the devices if they change underneath.
func (b *Service) sendBody(ctx context.Context, p parley.Principal, chat chatpkg.Chat, customerID int64, id string, kind chatpkg.MessageKind, ref string, body []byte, after *Batch) error {
	envelopes := func(devs []chatpkg.Device) ([]wire.Envelope, error) {
		if len(devs) == 0 {
			return nil, parley.Errorf(parley.ENotFound, "the recipient has no device")
		}
		// Encrypted by the cloud device to each device of the customer's
		// signed list; in the clear to a customer who never published one
		// (cloudkeys.go).
		return b.keys.seal(ctx, p, chat.ID, customerID, id, devs, body)
	}
	if kind == chatpkg.KindMessage {
		if blocked, err := b.st.IsBlocked(ctx, p.AccountID, customerID); err != nil {
			return fmt.Errorf("is blocked: %w", err)
		} else if blocked {
			return parley.Errorf(parley.EBlocked, "this number has blocked the recipient")
		}
		devs, err := b.st.DevicesOf(ctx, []int64{customerID, p.AccountID})
		if err != nil {
			return fmt.Errorf("devices of: %w", err)
		}
		devs = slices.DeleteFunc(devs, func(d chatpkg.Device) bool { return d.ID == p.DeviceID })
		envs, err := envelopes(devs)
		if err != nil {
			return err
		}
		_, err = b.svc.SendChecked(ctx, p, chat, devs, chatpkg.SendRequest{ChatID: chat.ID, MessageID: id, Kind: kind, Envelopes: envs, Extra: after})
		return err
	}
	for attempt := 0; ; attempt++ {
		devs, err := b.svc.Recipients(ctx, chat.ID, p.DeviceID)
		if err != nil {
			return err
		}
		envs, err := envelopes(devs)
		if err != nil {
			return err
		}
		_, err = b.svc.Send(ctx, p, chatpkg.SendRequest{ChatID: chat.ID, MessageID: id, Kind: kind, Ref: ref, Envelopes: envs, Extra: after})
		if parley.ErrorCode(err) == parley.EDevicesChanged && attempt < 3 {
			continue
		}
		return err
	}
}

// status builds a status update with its pricing object, and the
// conversation object where the business's webhook version has it
// (statusConversation).
func (b *Service) status(biz Business, w WebhookSettings, n BusinessNumber, m BusinessMessage, status string, at time.Time) wire.StatusUpdate {
	st := wire.StatusUpdate{ID: m.ID, Status: status, Timestamp: unixString(at), RecipientID: WaID(m.CustomerPhone), BizOpaqueCallbackData: m.CallbackData}
	if m.CustomerID != 0 {
		st.RecipientUserID = UserID(biz.ID, m.CustomerID, m.CustomerPhone)
	}
	if m.Category != "" {
		st.Pricing = &wire.Pricing{Billable: m.Billable, PricingModel: biz.PricingModel, Category: m.Category, Type: m.PricingType}
		if biz.PricingModel == "CBP" {
			st.Pricing.Type = ""
			st.Conversation = &wire.StatusConversation{ID: fmt.Sprintf("%d-%d-%s", n.ID, m.CustomerID, m.Category)}
			st.Conversation.Origin.Type = m.Category
			if m.PricingType == PricingFreeEntryPoint {
				st.Conversation.Origin.Type = "referral_conversion"
			}
		} else {
			st.Conversation = statusConversation(w, n, m)
		}
	}
	return st
}

// MarkRead marks a customer's message read on behalf of the number.
// CloudError 100 for an unknown message id.
//
// messageID is the message's InboundWamid; the client's own id of a
// message received before wamids were given is accepted too.
func (b *Service) MarkRead(ctx context.Context, n BusinessNumber, messageID string) error {
	m, err := b.st.GetBusinessMessage(ctx, n.ID, messageID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && m.Outbound) {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("message_id %q is not a message this number received", messageID))
	} else if err != nil {
		return fmt.Errorf("get business message: %w", err)
	}
	raw := messageID
	if _, id, ok := ParseInboundWamid(messageID); ok {
		raw = id
	}
	return b.svc.MarkRead(ctx, cloudPrincipal(n), m.ChatID, []string{raw})
}

// chatIDs turns the Cloud API ids in m into the chat's: a customer's
// message named by its InboundWamid (a reply's context, a reaction's
// target) becomes the client's id, which must be in chatID, and media Graph
// ids become the chat core's media ids.
func chatIDs(m *OutboundMessage, chatID int64) error {
	ref := func(what string, id *string) error {
		c, raw, ok := ParseInboundWamid(*id)
		if !ok {
			return nil
		}
		if c != chatID {
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", what+": the message is not in this chat")
		}
		*id = raw
		return nil
	}
	if err := ref("context message_id", &m.Content.ReplyTo); err != nil {
		return err
	}
	if err := ref("reaction message_id", &m.Ref); err != nil {
		return err
	}
	media := func(id *string) error {
		if *id == "" {
			return nil
		}
		local, ok := MediaIDOf(*id)
		if !ok {
			return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "media id: no such media uploaded by this number")
		}
		*id = local
		return nil
	}
	if err := media(&m.Content.MediaID); err != nil {
		return err
	}
	if t := m.Content.Template; t != nil && t.HeaderMedia != nil {
		if err := media(&t.HeaderMedia.ID); err != nil {
			return err
		}
	}
	if it := m.Content.Interactive; it != nil {
		if ref, _ := it.Header.Media(); ref != nil {
			if err := media(&ref.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// UploadMedia stores a file uploaded by a business number, owned by its
// account, for sending by id. It takes Meta's media types with Meta's
// size limit per kind (MediaLimit); size is the file's length if known,
// else -1. CloudError 131053 for another type or a larger file.
func (b *Service) UploadMedia(ctx context.Context, n BusinessNumber, contentType string, size int64, r io.Reader) (chatpkg.Media, error) {
	max, err := checkMediaUpload(contentType, size)
	if err != nil {
		return chatpkg.Media{}, err
	}
	m, err := b.svc.StoreMediaOf(ctx, cloudPrincipal(n), contentType, max, r)
	if parley.ErrorCode(err) == parley.ETooLarge {
		return chatpkg.Media{}, cloudErrDetails(MetaMediaUploadError, "Media upload error", parley.ErrorMessage(err))
	}
	return m, err
}

// MediaForBusiness returns media that the business's numbers uploaded or
// received. ENotFound otherwise.
// id is a media Graph id (MediaGraphID) or the chat core's id.
func (b *Service) MediaForBusiness(ctx context.Context, biz Business, id string) (chatpkg.Media, error) {
	id, ok := MediaIDOf(id)
	if !ok {
		return chatpkg.Media{}, parley.Errorf(parley.ENotFound, "no such media")
	}
	m, err := b.st.GetMedia(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return chatpkg.Media{}, parley.Errorf(parley.ENotFound, "no such media")
	} else if err != nil {
		return chatpkg.Media{}, err
	}
	ns, err := b.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return chatpkg.Media{}, err
	}
	for _, n := range ns {
		if m.OwnerID == n.AccountID {
			return m, nil
		}
		if ok, err := b.st.MediaVisibleTo(ctx, id, n.AccountID); err == nil && ok {
			return m, nil
		}
	}
	return chatpkg.Media{}, parley.Errorf(parley.ENotFound, "no such media")
}

// OpenMediaForBusiness opens media that MediaForBusiness allows.
func (b *Service) OpenMediaForBusiness(ctx context.Context, biz Business, id string) (chatpkg.Media, interface {
	Read([]byte) (int, error)
	Seek(int64, int) (int64, error)
	Close() error
}, error) {
	m, err := b.MediaForBusiness(ctx, biz, id)
	if err != nil {
		return chatpkg.Media{}, nil, err
	}
	return b.svc.MediaBytes(ctx, m.ID)
}
