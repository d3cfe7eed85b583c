package wire

// The Cloud API's webhook payloads, in Meta's shape: what business
// enqueues for a business's callback URL (messages, statuses, template
// and account updates all ride in a WebhookEnvelope) and what a receiver
// decodes. They are plain JSON shapes; the outbox rows that carry them
// (business.Webhook) and the Graph API bodies (internal/cloudapi) are not
// here.

type (
	// WebhookEnvelope is the body of every webhook POST.
	WebhookEnvelope struct {
		Object string         `json:"object"`
		Entry  []WebhookEntry `json:"entry"`
	}
	// WebhookEntry is one business account's changes.
	WebhookEntry struct {
		ID      string          `json:"id"`
		Changes []WebhookChange `json:"changes"`
	}
	// WebhookChange is one change: a field name and its value.
	WebhookChange struct {
		Value any    `json:"value"`
		Field string `json:"field"`
	}
	// MessagesValue is the value of a "messages" change.
	MessagesValue struct {
		MessagingProduct string           `json:"messaging_product"`
		Metadata         WebhookMetadata  `json:"metadata"`
		Contacts         []WebhookContact `json:"contacts,omitempty"`
		Messages         []InboundMessage `json:"messages,omitempty"`
		Statuses         []StatusUpdate   `json:"statuses,omitempty"`
	}
	// WebhookMetadata names the business number.
	WebhookMetadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	// WebhookContact is the customer.
	WebhookContact struct {
		Profile struct {
			Name string `json:"name"`
			// Username is the person's username, when they set one
			// (Meta's contacts[].profile.username).
			Username string `json:"username,omitempty"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
		// UserID is the business-scoped user id (business.UserID).
		UserID string `json:"user_id,omitempty"`
	}
	// InboundMessage is a customer's message, in Meta's shape.
	InboundMessage struct {
		From        string              `json:"from"`
		FromUserID  string              `json:"from_user_id,omitempty"`
		ID          string              `json:"id"`
		Timestamp   string              `json:"timestamp"`
		Type        string              `json:"type"`
		Context     *InboundContext     `json:"context,omitempty"`
		Text        *InboundText        `json:"text,omitempty"`
		Image       *InboundMedia       `json:"image,omitempty"`
		Video       *InboundMedia       `json:"video,omitempty"`
		Audio       *InboundMedia       `json:"audio,omitempty"`
		Document    *InboundMedia       `json:"document,omitempty"`
		Sticker     *InboundMedia       `json:"sticker,omitempty"`
		Location    *Location           `json:"location,omitempty"`
		Reaction    *InboundReaction    `json:"reaction,omitempty"`
		Interactive *InboundInteractive `json:"interactive,omitempty"`
		Button      *InboundButton      `json:"button,omitempty"`
		Referral    *Referral           `json:"referral,omitempty"`
		Contacts    []ContactCard       `json:"contacts,omitempty"`
		Order       *Order              `json:"order,omitempty"`
		Errors      []WebhookError      `json:"errors,omitempty"`
	}
	// InboundContext names the message replied to.
	InboundContext struct {
		From string `json:"from,omitempty"`
		ID   string `json:"id"`
	}
	// InboundText is a text body.
	InboundText struct {
		Body string `json:"body"`
	}
	// InboundMedia is a media attachment; ID is retrievable on
	// GET /{version}/{media-id}.
	InboundMedia struct {
		ID       string `json:"id,omitempty"`
		MimeType string `json:"mime_type,omitempty"`
		SHA256   string `json:"sha256,omitempty"`
		Caption  string `json:"caption,omitempty"`
		Filename string `json:"filename,omitempty"`
		Link     string `json:"link,omitempty"` // Parley: an attachment sent by link
		// URL is where the business downloads the media with its token,
		// as Meta's webhooks now carry it (business.WebhookSettings).
		URL string `json:"url,omitempty"`
	}
	// InboundReaction is a reaction to a business message.
	InboundReaction struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	}
	// InboundInteractive is a button or list reply, or a finished Flow
	// (Type nfm_reply).
	InboundInteractive struct {
		Type        string       `json:"type"`
		ButtonReply *ReplyChoice `json:"button_reply,omitempty"`
		ListReply   *ReplyChoice `json:"list_reply,omitempty"`
		NfmReply    *NfmReply    `json:"nfm_reply,omitempty"`
	}
	// NfmReply is a finished Flow: Name is "flow", ResponseJSON the
	// Flow's answers (a JSON object, as a string).
	NfmReply struct {
		Name         string `json:"name"`
		Body         string `json:"body"`
		ResponseJSON string `json:"response_json"`
	}
	// InboundButton is a template quick-reply.
	InboundButton struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	}
	// StatusUpdate is the status of a business's message.
	StatusUpdate struct {
		ID                    string              `json:"id"`
		Status                string              `json:"status"`
		Timestamp             string              `json:"timestamp"`
		RecipientID           string              `json:"recipient_id"`
		RecipientUserID       string              `json:"recipient_user_id,omitempty"`
		BizOpaqueCallbackData string              `json:"biz_opaque_callback_data,omitempty"`
		Conversation          *StatusConversation `json:"conversation,omitempty"`
		Pricing               *Pricing            `json:"pricing,omitempty"`
		Errors                []WebhookError      `json:"errors,omitempty"`
		// Type is "payment" for a payment status (Status pending,
		// captured or failed), with Payment (wire/commerce.go).
		Type    string         `json:"type,omitempty"`
		Payment *PaymentStatus `json:"payment,omitempty"`
	}
	// StatusConversation is the conversation object of a status under
	// conversation-based pricing.
	StatusConversation struct {
		ID                  string `json:"id"`
		ExpirationTimestamp string `json:"expiration_timestamp,omitempty"`
		Origin              struct {
			Type string `json:"type"`
		} `json:"origin"`
	}
	// Pricing is Meta's pricing object. Meta's never has an amount; a
	// business that turns billing's Account.PricingAmounts on gets the charged
	// amount in the parley_ fields, on the status that was charged.
	Pricing struct {
		Billable           bool    `json:"billable"`
		PricingModel       string  `json:"pricing_model"`
		Category           string  `json:"category"`
		Type               string  `json:"type,omitempty"`
		ParleyAmount       *string `json:"parley_amount,omitempty"`
		ParleyAmountMicros *int64  `json:"parley_amount_micros,omitempty"`
		ParleyCurrency     string  `json:"parley_currency,omitempty"`
		ParleyReason       string  `json:"parley_reason,omitempty"`
	}
	// WebhookError is an error in a status or message.
	WebhookError struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
		// Href links to the explanation of the code, as Meta's does.
		Href string `json:"href,omitempty"`
	}
)
