package wire

import "encoding/json"

// Content is the plaintext body schema of a message, shared by people's
// clients (client.Body is an alias of it) and by the server-held cloud
// devices of business numbers, which are the only parties on the server
// that read bodies: a cloud device is an endpoint, like a phone.
//
// Which fields are set depends on the kind and the content: Text for a
// message or an edit (ReplyTo and Forwarded optional; MediaID or MediaURL
// with MediaType for an attachment, Text is then its caption), Emoji for a
// reaction (empty to remove one), nothing for a delete. The structured
// fields (Location, Interactive, Reply, Template, Referral) are what a
// client renders as real controls; Text always carries a plain rendering
// so that an older client still shows something sensible.
type Content struct {
	Text      string `json:"text,omitempty"`
	ReplyTo   string `json:"reply_to,omitempty"`
	Forwarded bool   `json:"forwarded,omitempty"`
	MediaID   string `json:"media_id,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	Emoji     string `json:"emoji,omitempty"`
	// MediaKey and MediaSHA256 open an end-to-end encrypted attachment:
	// the file's own AES-256 key and the SHA-256 of its ciphertext, both
	// base64 (docs/E2EE.md). They travel only inside the encrypted body.
	MediaKey    string `json:"media_key,omitempty"`
	MediaSHA256 string `json:"media_sha256,omitempty"`

	// MediaKind is image, video, audio, document or sticker, when the
	// attachment's role matters (a business's media message).
	MediaKind string `json:"media_kind,omitempty"`
	// MediaURL is an attachment the client fetches itself (a business sent
	// it by link).
	MediaURL    string            `json:"media_url,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	Location    *Location         `json:"location,omitempty"`
	Interactive *Interactive      `json:"interactive,omitempty"`
	Reply       *InteractiveReply `json:"interactive_reply,omitempty"`
	Template    *RenderedTemplate `json:"template,omitempty"`
	Referral    *Referral         `json:"referral,omitempty"`
	// RequestWelcome is what a customer's client sends, with nothing
	// else, when its user opens a chat with a business number for the
	// first time: the business may get a request_welcome webhook
	// (business/automation.go).
	RequestWelcome bool `json:"request_welcome,omitempty"`
	// Contacts are shared contact cards (a business's contacts message, or
	// a person sharing a contact with a business).
	Contacts []ContactCard `json:"contacts,omitempty"`
	// Products are the catalog items a product or product_list message
	// shows, as the server found them when the business sent it: the
	// customer's client renders them without reading the catalog.
	Products []CatalogProduct `json:"products,omitempty"`
	// Order is a customer's cart, sent in reply to a product message.
	Order *Order `json:"order,omitempty"`
	// Voice marks an audio attachment as a voice note recorded in the app,
	// with what the receiver draws before the audio arrives.
	Voice *VoiceNote `json:"voice,omitempty"`
}

// VoiceNote is a voice note's length and waveform: 48 loudness levels
// from 0 to 100, scaled to the loudest (docs/WEB.md, "Voice notes").
type VoiceNote struct {
	DurationMS int64 `json:"duration_ms"`
	Waveform   []int `json:"waveform,omitempty"`
}

// CatalogProduct is a catalog item as a customer's client shows it. Price
// is an exact decimal in the currency's major unit ("12.99").
type CatalogProduct struct {
	CatalogID    string `json:"catalog_id"`
	RetailerID   string `json:"product_retailer_id"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Price        string `json:"price"`
	Currency     string `json:"currency"`
	ImageURL     string `json:"image_url,omitempty"`
	Availability string `json:"availability,omitempty"`
}

// Order is a cart placed from a business's catalog, in the Cloud API's
// shape (the webhook's order object).
type Order struct {
	CatalogID    string      `json:"catalog_id"`
	Text         string      `json:"text,omitempty"`
	ProductItems []OrderItem `json:"product_items"`
}

// OrderItem is one line of an order. ItemPrice is the unit price in the
// currency's major unit, an exact decimal number (12.99); a customer's
// client may leave it and Currency out, and the server fills them in from
// the catalog.
type OrderItem struct {
	ProductRetailerID string      `json:"product_retailer_id"`
	Quantity          int         `json:"quantity"`
	ItemPrice         json.Number `json:"item_price,omitempty"`
	Currency          string      `json:"currency,omitempty"`
}

// ContactCard is a shared contact, in the Cloud API's shape.
type ContactCard struct {
	Name      ContactName      `json:"name"`
	Phones    []ContactPhone   `json:"phones,omitempty"`
	Emails    []ContactEmail   `json:"emails,omitempty"`
	Org       *ContactOrg      `json:"org,omitempty"`
	URLs      []ContactURL     `json:"urls,omitempty"`
	Addresses []ContactAddress `json:"addresses,omitempty"`
	Birthday  string           `json:"birthday,omitempty"` // YYYY-MM-DD
}

// ContactName is a contact's name; FormattedName is required.
type ContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Suffix        string `json:"suffix,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
}

// ContactPhone is a contact's phone number; WaID is set when the number
// is on the platform.
type ContactPhone struct {
	Phone string `json:"phone,omitempty"`
	Type  string `json:"type,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
}

// ContactEmail is a contact's email address.
type ContactEmail struct {
	Email string `json:"email,omitempty"`
	Type  string `json:"type,omitempty"`
}

// ContactOrg is a contact's organisation.
type ContactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

// ContactURL is a contact's web address.
type ContactURL struct {
	URL  string `json:"url,omitempty"`
	Type string `json:"type,omitempty"`
}

// ContactAddress is a contact's postal address.
type ContactAddress struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	Type        string `json:"type,omitempty"`
}

// Location is a point on the map, with an optional name and address.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Interactive is a message with controls: reply buttons, a list, a
// call-to-action URL button, one or several catalog products, or a Flow.
// Its JSON is Meta's interactive object, so a client renders what the
// business sent.
type Interactive struct {
	Type   string             `json:"type"` // button | list | cta_url | product | product_list | flow | location_request_message | address_message
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   *InteractiveText   `json:"body,omitempty"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action InteractiveAction  `json:"action"`
}

// InteractiveHeader is the optional header of an interactive message.
type InteractiveHeader struct {
	Type     string    `json:"type"` // text | image | video | document
	Text     string    `json:"text,omitempty"`
	Image    *MediaRef `json:"image,omitempty"`
	Video    *MediaRef `json:"video,omitempty"`
	Document *MediaRef `json:"document,omitempty"`
}

// MediaRef is media named the Cloud API's way: an uploaded id or a link.
type MediaRef struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Media returns the header's media and its kind, or nil for a text header.
func (h *InteractiveHeader) Media() (*MediaRef, string) {
	switch {
	case h == nil:
		return nil, ""
	case h.Type == "image":
		return h.Image, "image"
	case h.Type == "video":
		return h.Video, "video"
	case h.Type == "document":
		return h.Document, "document"
	}
	return nil, ""
}

// InteractiveText is a body or footer text.
type InteractiveText struct {
	Text string `json:"text"`
}

// InteractiveAction holds the controls: Buttons for type button, Button and
// Sections for a list, Name cta_url and Parameters for a URL button,
// CatalogID and ProductRetailerID for a product, CatalogID and Sections of
// product items for a product_list, Name flow and Parameters for a Flow.
type InteractiveAction struct {
	Buttons           []ReplyButton  `json:"buttons,omitempty"`
	Button            string         `json:"button,omitempty"`
	CatalogID         string         `json:"catalog_id,omitempty"`
	ProductRetailerID string         `json:"product_retailer_id,omitempty"`
	Sections          []ListSection  `json:"sections,omitempty"`
	Name              string         `json:"name,omitempty"`
	Parameters        *CTAParameters `json:"parameters,omitempty"`
}

// ReplyButton is one quick-reply button.
type ReplyButton struct {
	Type  string      `json:"type"` // reply
	Reply ReplyChoice `json:"reply"`
}

// ReplyChoice is the id and title of a button or list row.
type ReplyChoice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ListSection is one titled group of rows of a list message, or of
// product items of a product_list message.
type ListSection struct {
	Title        string        `json:"title,omitempty"`
	Rows         []ReplyChoice `json:"rows,omitempty"`
	ProductItems []ProductItem `json:"product_items,omitempty"`
}

// ProductItem names a catalog item in a product_list section.
type ProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
}

// CTAParameters are the parameters of an action: the label and target of
// a call-to-action URL button (cta_url), or what a Flow message opens
// (flow). Parley does not host Flows: it keeps and delivers these
// parameters, and the customer's client renders the Flow.
type CTAParameters struct {
	DisplayText string `json:"display_text,omitempty"`
	URL         string `json:"url,omitempty"`

	FlowMessageVersion string             `json:"flow_message_version,omitempty"`
	FlowToken          string             `json:"flow_token,omitempty"`
	FlowID             string             `json:"flow_id,omitempty"`
	FlowName           string             `json:"flow_name,omitempty"`
	FlowCTA            string             `json:"flow_cta,omitempty"`
	Mode               string             `json:"mode,omitempty"`        // draft | published
	FlowAction         string             `json:"flow_action,omitempty"` // navigate | data_exchange
	FlowActionPayload  *FlowActionPayload `json:"flow_action_payload,omitempty"`

	// OrderParameters are an order_details, order_status or
	// catalog_message's parameters (commerce.go).
	OrderParameters
	// Country, Values, SavedAddresses and ValidationErrors are an
	// address_message's (internal/cloudapi/interactive_requests.go).
	Country          string            `json:"country,omitempty"`
	Values           map[string]string `json:"values,omitempty"`
	SavedAddresses   []SavedAddress    `json:"saved_addresses,omitempty"`
	ValidationErrors map[string]string `json:"validation_errors,omitempty"`
}

// SavedAddress is an address an address_message offers the customer to
// pick instead of typing one.
type SavedAddress struct {
	ID    string            `json:"id"`
	Value map[string]string `json:"value"`
}

// FlowActionPayload is the first screen of a navigate Flow and its input
// data (any JSON object).
type FlowActionPayload struct {
	Screen string          `json:"screen"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// InteractiveReply is a person's choice in an interactive message (Type
// button_reply or list_reply), a template's quick-reply button (Type
// button, with the button's text and payload), or a finished Flow (Type
// nfm_reply, with Name "flow", Body and ResponseJSON, the Flow's answers
// as a JSON object in a string). ReplyTo of the Content names the message
// that offered the choice.
type InteractiveReply struct {
	Type         string `json:"type"`
	ID           string `json:"id,omitempty"`
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
	Payload      string `json:"payload,omitempty"`
	Name         string `json:"name,omitempty"`
	Body         string `json:"body,omitempty"`
	ResponseJSON string `json:"response_json,omitempty"`
}

// RenderedTemplate is a template message as sent: its name and language,
// and the text of each component after parameter substitution.
type RenderedTemplate struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Category string `json:"category,omitempty"`
	Header   string `json:"header,omitempty"`
	// HeaderMedia is the header of an IMAGE, VIDEO or DOCUMENT template;
	// the content's media fields carry it too.
	HeaderMedia *TemplateMedia      `json:"header_media,omitempty"`
	Body        string              `json:"body"`
	Footer      string              `json:"footer,omitempty"`
	Buttons     []TemplateButtonOut `json:"buttons,omitempty"`
}

// TemplateButtonOut is a rendered template button.
type TemplateButtonOut struct {
	Type    string `json:"type"` // QUICK_REPLY | URL | PHONE_NUMBER | COPY_CODE
	Text    string `json:"text"`
	URL     string `json:"url,omitempty"`
	Phone   string `json:"phone_number,omitempty"`
	Payload string `json:"payload,omitempty"`
	// FlowID is the Flow a FLOW button opens (business/flows.go), and
	// how: FlowAction navigate (at FlowActionPayload's screen, with its
	// data) or data_exchange (INIT at the business's endpoint). FlowToken
	// is the token the business gave at send time ("unused" when it gave
	// none, as Meta does).
	FlowID            string             `json:"flow_id,omitempty"`
	FlowAction        string             `json:"flow_action,omitempty"`
	FlowToken         string             `json:"flow_token,omitempty"`
	FlowActionPayload *FlowActionPayload `json:"flow_action_payload,omitempty"`
}

// Referral is Meta's referral object: where a chat that began from a
// click-to-chat link or ad came from. CtwaClid identifies the click.
type Referral struct {
	SourceURL    string `json:"source_url,omitempty"`
	SourceID     string `json:"source_id,omitempty"`
	SourceType   string `json:"source_type,omitempty"` // ad | post
	Headline     string `json:"headline,omitempty"`
	Body         string `json:"body,omitempty"`
	MediaType    string `json:"media_type,omitempty"`
	ImageURL     string `json:"image_url,omitempty"`
	VideoURL     string `json:"video_url,omitempty"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	CtwaClid     string `json:"ctwa_clid,omitempty"`
}

// TemplateMedia is a template's media header as sent.
type TemplateMedia struct {
	Kind string `json:"kind"` // image | video | document
	MediaRef
}
