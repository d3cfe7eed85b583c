package business

import (
	"context"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/chat"
)

// Store is everything business messaging persists: business
// accounts and their numbers and tokens, conversations with customers
// (the service window), message records, templates, the webhook outbox,
// the usage ledger, click-to-chat links and product catalogs. It is part
// of Store, so both stores implement it and internal/storetest checks
// both.
//
// As for Store, a missing row is ErrNotFound and a duplicate EConflict
// unless a method says otherwise.
type Store interface {
	BusinessAccountStore
	BusinessMessageStore
	TemplateStore
	WebhookStore
	billing.LedgerStore
	LinkStore
	billing.Store // wallets, cards, charges, invoices; it reads the usage and money ledgers
	CatalogStore
	NumberSettingStore
	FlowStore
	BusinessSettingStore
	OrderStore
	CloudKeyStore

	// From the chat core's tables: a number's account and cloud device, media, blocks.
	// CreateAccount inserts a and sets a.ID. It returns EConflict if the
	// phone number is taken.
	CreateAccount(ctx context.Context, a *chat.Account) error
	// CreateDevice inserts d with the hash of its bearer token and sets d.ID.
	// It returns ELimit, atomically, if the account already has limit
	// devices.
	CreateDevice(ctx context.Context, d *chat.Device, tokenHash []byte, limit int) error
	// DeleteMedia deletes the media and its attachments to chats, or
	// returns ErrNotFound. The blob stays: blobs are content-addressed
	// and other media may share it.
	DeleteMedia(ctx context.Context, id string) error
	// DevicesOf returns the devices of all the given accounts, ascending by id.
	DevicesOf(ctx context.Context, accountIDs []int64) ([]chat.Device, error)
	// GetAccount returns the account, or ErrNotFound.
	GetAccount(ctx context.Context, id int64) (chat.Account, error)
	// GetDeviceList returns the account's signed device list, or
	// ErrNotFound when it never published one.
	GetDeviceList(ctx context.Context, accountID int64) (chat.StoredDeviceList, error)
	// GetAccountByPhone returns the account with that E.164 number, or ErrNotFound.
	GetAccountByPhone(ctx context.Context, phone string) (chat.Account, error)
	// GetMedia returns the media, or ErrNotFound.
	GetMedia(ctx context.Context, id string) (chat.Media, error)
	// IsBlocked reports whether accountID has blocked otherID.
	IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error)
	// Block records that accountID blocks blockedID (a number's Block
	// Users API); blocking twice is not an error. Unblock removes it.
	// ListBlocked returns the ids accountID has blocked, ascending.
	Block(ctx context.Context, accountID, blockedID int64) error
	Unblock(ctx context.Context, accountID, blockedID int64) error
	ListBlocked(ctx context.Context, accountID int64) ([]int64, error)
	// MediaVisibleTo reports whether accountID is a member of a chat the
	// media is attached to.
	MediaVisibleTo(ctx context.Context, mediaID string, accountID int64) (bool, error)
}

// BusinessAccountStore holds businesses, numbers and tokens.
type BusinessAccountStore interface {
	// CreateBusiness inserts b and sets b.ID.
	CreateBusiness(ctx context.Context, b *Business) error
	// GetBusiness returns the business, or ErrNotFound.
	GetBusiness(ctx context.Context, id int64) (Business, error)
	// ListBusinesses returns every business, ascending by id.
	ListBusinesses(ctx context.Context) ([]Business, error)
	// UpdateBusiness writes every field of b but ID and CreatedAt, or
	// returns ErrNotFound.
	UpdateBusiness(ctx context.Context, b Business) error

	// CreateNumber inserts n and sets n.ID. EConflict if the account
	// already is a business number.
	CreateNumber(ctx context.Context, n *BusinessNumber) error
	// GetNumber returns the number, or ErrNotFound.
	GetNumber(ctx context.Context, id int64) (BusinessNumber, error)
	// NumberByAccount returns the number whose account is accountID, or
	// ErrNotFound.
	NumberByAccount(ctx context.Context, accountID int64) (BusinessNumber, error)
	// ListNumbers returns the business's numbers (every number when
	// businessID is 0), ascending by id.
	ListNumbers(ctx context.Context, businessID int64) ([]BusinessNumber, error)
	// UpdateNumber writes DisplayName, Throughput, TierLimit, Quality and
	// Status, or returns ErrNotFound.
	UpdateNumber(ctx context.Context, n BusinessNumber) error

	// CreateBusinessToken inserts t with the hash of its secret and sets t.ID.
	CreateBusinessToken(ctx context.Context, t *BusinessToken, hash []byte) error
	// BusinessTokenByHash returns the token, revoked or not, or ErrNotFound.
	BusinessTokenByHash(ctx context.Context, hash []byte) (BusinessToken, error)
	// ListBusinessTokens returns the business's tokens, ascending by id.
	ListBusinessTokens(ctx context.Context, businessID int64) ([]BusinessToken, error)
	// RevokeBusinessToken sets RevokedAt, or returns ErrNotFound.
	RevokeBusinessToken(ctx context.Context, businessID, id int64, at time.Time) error
}

// Batch is a group of business writes committed in one
// transaction (see Businesses' committer): message records, conversations,
// reach, webhooks and ledger entries.
type Batch struct {
	Messages      []BusinessMessage // existing records are left as they are
	Conversations []Conversation    // created or replaced, in order; LastInboundAt never moves back
	Reach         []Reach
	Webhooks      []*Webhook            // known keys are skipped (ID stays 0)
	Usage         []*billing.UsageEntry // known keys are skipped (ID stays 0)
	// Charges are the rated usage entries; a known key is skipped, and
	// each new charge is debited from its business's wallet (created with
	// the charge's currency if needed).
	Charges []billing.Charge
	// OrderLinks tie orders to the order_details messages that carry them.
	OrderLinks []OrderLink
}

// OrderLink ties an order to the message that carries it: its chat, its
// customer and its wamid.
type OrderLink struct {
	OrderID, ChatID, CustomerID int64
	MessageID                   string
}

// Reach is a number reaching a customer outside the service window.
type Reach struct {
	NumberID   int64
	CustomerID int64
	At         time.Time
}

// BusinessMessageStore holds conversations, message records, reach and
// quality signals.
type BusinessMessageStore interface {
	// CommitBusiness writes the batch in one transaction, with the same
	// semantics as PutBusinessMessage, PutConversation, RecordReach,
	// EnqueueWebhooks and AppendUsage.
	CommitBusiness(ctx context.Context, b *Batch) error
	// GetConversation returns the conversation of a number with a
	// customer, or ErrNotFound.
	GetConversation(ctx context.Context, numberID, customerID int64) (Conversation, error)
	// PutConversation creates or replaces the conversation.
	PutConversation(ctx context.Context, c Conversation) error
	// PutBusinessMessage records m; a record with the same NumberID and
	// ID is left as it is (not an error).
	PutBusinessMessage(ctx context.Context, m BusinessMessage) error
	// GetBusinessMessage returns a record, or ErrNotFound.
	GetBusinessMessage(ctx context.Context, numberID int64, id string) (BusinessMessage, error)
	// CountMarketing counts outbound MARKETING template records to
	// customerID (from any business) created at or after since.
	CountMarketing(ctx context.Context, customerID int64, since time.Time) (int, error)
	// Reached reports whether the number reached customerID outside the
	// service window at or after since, and how many distinct customers it
	// reached so in total since then.
	Reached(ctx context.Context, numberID, customerID int64, since time.Time) (already bool, total int, err error)
	// ReachedByBusiness is Reached for all the numbers of a business (the
	// portfolio): whether any of them reached customerID, and how many
	// distinct customers they reached in all.
	ReachedByBusiness(ctx context.Context, businessID, customerID int64, since time.Time) (already bool, total int, err error)
	// RecordReach notes that the number reached customerID outside the
	// service window at t.
	RecordReach(ctx context.Context, numberID, customerID int64, t time.Time) error
	// RememberUserID records that the business was given userID
	// (UserID) for accountID; a known pair is left as it is.
	RememberUserID(ctx context.Context, businessID int64, userID string, accountID int64) error
	// AccountOfUserID returns the account that a user id given to the
	// business names, or ErrNotFound.
	AccountOfUserID(ctx context.Context, businessID int64, userID string) (int64, error)
	// PruneBusiness deletes, up to limit rows of each table, message
	// records created before p.Messages, reach rows before p.Reach,
	// quality signals before p.Quality, and delivered or failed webhooks
	// created before p.Webhooks with their attempts. It returns how many
	// rows it deleted; call again while that reaches limit.
	PruneBusiness(ctx context.Context, p BusinessPrune, limit int) (int, error)
	// AddQualitySignal records a block or report of a number by a customer;
	// one per kind and customer is kept.
	AddQualitySignal(ctx context.Context, numberID, customerID int64, kind string, t time.Time) error
	// CountQualitySignals counts the number's signals at or after since.
	CountQualitySignals(ctx context.Context, numberID int64, since time.Time) (int, error)
}

// TemplateStore holds message templates.
type TemplateStore interface {
	// CreateTemplate inserts t and sets t.ID. EConflict if the business
	// has a template with that name and language.
	CreateTemplate(ctx context.Context, t *Template) error
	// GetTemplate returns a template by id, or ErrNotFound.
	GetTemplate(ctx context.Context, id int64) (Template, error)
	// FindTemplate returns the business's template by name and language,
	// or ErrNotFound.
	FindTemplate(ctx context.Context, businessID int64, name, language string) (Template, error)
	// ListTemplates returns the business's templates (every template when
	// businessID is 0) with id > after, ascending by id, at most limit;
	// status filters when not empty.
	ListTemplates(ctx context.Context, businessID int64, status TemplateStatus, after int64, limit int) ([]Template, error)
	// SetTemplateStatus writes Status, Reason and UpdatedAt, or returns
	// ErrNotFound.
	SetTemplateStatus(ctx context.Context, id int64, status TemplateStatus, reason string, at time.Time) error
	// SetTemplateCategory writes Category, PreviousCategory and
	// UpdatedAt, or returns ErrNotFound.
	SetTemplateCategory(ctx context.Context, id int64, category, previous TemplateCategory, at time.Time) error
	// PauseTemplate writes Status, Reason, PausedUntil, Pauses and
	// UpdatedAt, or returns ErrNotFound.
	PauseTemplate(ctx context.Context, id int64, status TemplateStatus, reason string, until time.Time, pauses int, at time.Time) error
	// AddTemplateSignal finds the last template the number sent the
	// customer at or after since, records the block or report against it
	// (one per customer and kind), and returns the template's id and its
	// signals since then; id 0 when no template was sent.
	AddTemplateSignal(ctx context.Context, numberID, customerID int64, kind string, since, at time.Time) (id int64, count int, err error)
	// DeleteTemplates deletes the business's templates of that name (every
	// language) and returns how many.
	DeleteTemplates(ctx context.Context, businessID int64, name string) (int, error)
	// EditTemplate writes Category, Components, Status, Reason and
	// UpdatedAt, or returns ErrNotFound.
	EditTemplate(ctx context.Context, t Template) error
	// DeleteTemplate deletes the business's template with that id, or
	// returns ErrNotFound.
	DeleteTemplate(ctx context.Context, businessID, id int64) error
}

// WebhookStore is the durable webhook outbox and its delivery log.
type WebhookStore interface {
	// EnqueueWebhooks inserts the webhooks and sets their IDs. A webhook
	// whose Key is already in the outbox is skipped (ID stays 0).
	EnqueueWebhooks(ctx context.Context, ws []*Webhook) error
	// ClaimWebhooks returns up to limit pending webhooks due at now,
	// skipping the businesses in skip, and none that has an older pending
	// webhook of its (business, conversation key) never attempted yet: a
	// conversation's webhooks go one at a time and in order while they are
	// accepted, and one whose attempt failed (retried with backoff) holds
	// the later ones back no longer. It moves their NextAttemptAt to
	// leaseUntil so that no other claimer takes them.
	ClaimWebhooks(ctx context.Context, now, leaseUntil time.Time, limit int, skip []int64) ([]Webhook, error)
	// ReleaseWebhooks gives back claimed webhooks that were not attempted
	// (the claimer is shutting down): the pending ones among ids become
	// due at t, so that the next claimer need not wait out the lease.
	ReleaseWebhooks(ctx context.Context, ids []int64, t time.Time) error
	// FinishWebhook records one delivery attempt and the webhook's new
	// state (Status, Attempts, NextAttemptAt, LastError, DeliveredAt).
	FinishWebhook(ctx context.Context, w Webhook, a WebhookAttempt) error
	// FinishWebhooks is FinishWebhook for many webhooks (ws[i] with as[i])
	// in one transaction.
	FinishWebhooks(ctx context.Context, ws []Webhook, as []WebhookAttempt) error
	// ListWebhooks returns the business's webhooks newest first, with id <
	// before (0: from the newest), at most limit.
	ListWebhooks(ctx context.Context, businessID, before int64, limit int) ([]Webhook, error)
	// WebhookAttempts returns a webhook's attempts, oldest first.
	WebhookAttempts(ctx context.Context, webhookID int64) ([]WebhookAttempt, error)
	// ReplayWebhook makes the business's webhook pending and due at t, or
	// returns ErrNotFound.
	ReplayWebhook(ctx context.Context, businessID, id int64, t time.Time) error
}

// LinkStore holds click-to-chat links, their clicks and counters.
type LinkStore interface {
	// CreateLink inserts l and sets l.ID. EConflict if the code is taken.
	CreateLink(ctx context.Context, l *Link) error
	// LinkByCode returns the link, or ErrNotFound.
	LinkByCode(ctx context.Context, code string) (Link, error)
	// GetLink returns the link, or ErrNotFound.
	GetLink(ctx context.Context, id int64) (Link, error)
	// ListLinks returns the business's links, ascending by id.
	ListLinks(ctx context.Context, businessID int64) ([]Link, error)
	// CreateClick inserts c (ClickID is chosen by the caller) and adds one
	// to the link's click count.
	CreateClick(ctx context.Context, c Click) error
	// GetClick returns the click, or ErrNotFound.
	GetClick(ctx context.Context, id string) (Click, error)
	// CountLink adds one to the link's counter named field (chats or
	// replies).
	CountLink(ctx context.Context, linkID int64, field string) error
	// SetLinkPrefill changes the link's prefilled message, or returns
	// ErrNotFound.
	SetLinkPrefill(ctx context.Context, id int64, prefill string) error
}

// BusinessPrune says what PruneBusiness deletes: rows older than each time.
type BusinessPrune struct {
	Messages time.Time
	Reach    time.Time
	Quality  time.Time
	Webhooks time.Time
}

// NumberSettingStore holds a number's settings documents: one JSON body
// per number and kind (business/settings.go), read and written whole.
type NumberSettingStore interface {
	// GetNumberSetting returns the document, or ErrNotFound.
	GetNumberSetting(ctx context.Context, numberID int64, kind string) ([]byte, error)
	// PutNumberSetting creates or replaces the document. ErrNotFound for
	// an unknown number.
	PutNumberSetting(ctx context.Context, numberID int64, kind string, body []byte, at time.Time) error
}

// BusinessSettingStore holds a business account's settings documents: one
// JSON body per business and kind (business/business_settings.go), read
// and written whole.
type BusinessSettingStore interface {
	// GetBusinessSetting returns the document, or ErrNotFound.
	GetBusinessSetting(ctx context.Context, businessID int64, kind string) ([]byte, error)
	// PutBusinessSetting creates or replaces the document. An error for
	// an unknown business.
	PutBusinessSetting(ctx context.Context, businessID int64, kind string, body []byte, at time.Time) error
	// DeleteBusinessSetting removes the document, if there is one.
	DeleteBusinessSetting(ctx context.Context, businessID int64, kind string) error
}

// CloudKeyStore keeps the end-to-end state of the numbers' cloud devices
// (cloudkeys.go), sealed: the store sees only ciphertext.
type CloudKeyStore interface {
	// GetCloudKeys returns a cloud device's sealed state and its version,
	// or ErrNotFound.
	GetCloudKeys(ctx context.Context, deviceID int64) (state []byte, version int64, err error)
	// CloudKeysVersion returns the version of a cloud device's state, or
	// ErrNotFound.
	CloudKeysVersion(ctx context.Context, deviceID int64) (int64, error)
	// PutCloudKeys stores state as version+1 if the stored version is
	// version (0: nothing stored yet), and returns EConflict, storing
	// nothing, otherwise.
	PutCloudKeys(ctx context.Context, deviceID int64, state []byte, version int64) error
}
