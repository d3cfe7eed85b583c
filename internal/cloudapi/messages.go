package cloudapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// sendRequest is the body of POST /{version}/{phone-number-id}/messages,
// read leniently.
type sendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"` // a business-scoped user id, when to is empty
	Type             string `json:"type"`
	Status           string `json:"status"`     // "read", to mark a message read
	MessageID        string `json:"message_id"` // with status
	Context          *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`
	Text                  *struct {
		Body       string   `json:"body"`
		PreviewURL flexBool `json:"preview_url"`
	} `json:"text"`
	Image    *mediaObject `json:"image"`
	Video    *mediaObject `json:"video"`
	Audio    *mediaObject `json:"audio"`
	Document *mediaObject `json:"document"`
	Sticker  *mediaObject `json:"sticker"`
	Location *struct {
		Latitude  flexFloat `json:"latitude"`
		Longitude flexFloat `json:"longitude"`
		Name      string    `json:"name"`
		Address   string    `json:"address"`
	} `json:"location"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Interactive *wire.Interactive  `json:"interactive"`
	Contacts    []wire.ContactCard `json:"contacts"`
	Template    *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string  `json:"type"`
			SubType    string  `json:"sub_type"`
			Index      flexInt `json:"index"`
			Parameters []struct {
				Type          string       `json:"type"`
				Text          string       `json:"text"`
				ParameterName string       `json:"parameter_name"`
				Payload       string       `json:"payload"`
				Image         *mediaObject `json:"image"`
				Video         *mediaObject `json:"video"`
				Document      *mediaObject `json:"document"`
				Action        *struct {
					FlowToken      string          `json:"flow_token"`
					FlowActionData json.RawMessage `json:"flow_action_data"`
				} `json:"action"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

type mediaObject struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

func invalid(format string, args ...any) error {
	return &business.CloudError{Code: 100, Message: "Invalid parameter", Details: fmt.Sprintf(format, args...)}
}

// outbound validates the request and turns it into the domain's message.
func (req *sendRequest) outbound() (business.OutboundMessage, error) {
	m := business.OutboundMessage{To: req.To, Recipient: req.Recipient, CallbackData: req.BizOpaqueCallbackData, Kind: chat.KindMessage}
	if req.To == "" && req.Recipient == "" {
		return m, invalid("The parameter to (or recipient, a business-scoped user id) is required.")
	}
	if utf8.RuneCountInString(req.BizOpaqueCallbackData) > 512 {
		return m, invalid("biz_opaque_callback_data is longer than 512 characters")
	}
	if req.Context != nil {
		m.Content.ReplyTo = req.Context.MessageID
	}
	typ := strings.ToLower(req.Type)
	if typ == "" {
		typ = "text" // Meta's default
	}
	m.Type = typ
	switch typ {
	case "text":
		if req.Text == nil || req.Text.Body == "" {
			return m, invalid("The parameter text['body'] is required.")
		}
		if utf8.RuneCountInString(req.Text.Body) > 4096 {
			return m, invalid("text['body'] is longer than 4096 characters")
		}
		m.Content.Text = req.Text.Body
	case "image", "video", "audio", "document", "sticker":
		obj := map[string]*mediaObject{"image": req.Image, "video": req.Video, "audio": req.Audio, "document": req.Document, "sticker": req.Sticker}[typ]
		if obj == nil || (obj.ID == "" && obj.Link == "") {
			return m, invalid("The parameter %s['id'] or %s['link'] is required.", typ, typ)
		}
		if utf8.RuneCountInString(obj.Caption) > 1024 {
			return m, invalid("%s['caption'] is longer than 1024 characters", typ)
		}
		if obj.Link != "" && !strings.HasPrefix(obj.Link, "https://") && !strings.HasPrefix(obj.Link, "http://") {
			return m, invalid("%s['link'] must be an http(s) URL", typ)
		}
		m.Content.MediaKind, m.Content.MediaID, m.Content.MediaURL = typ, obj.ID, obj.Link
		m.Content.Text, m.Content.Filename = obj.Caption, obj.Filename
	case "location":
		l := req.Location
		if l == nil {
			return m, invalid("The parameter location is required.")
		}
		if l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
			return m, invalid("location latitude or longitude is out of range")
		}
		m.Content.Location = &wire.Location{Latitude: float64(l.Latitude), Longitude: float64(l.Longitude), Name: l.Name, Address: l.Address}
		m.Content.Text = strings.TrimSpace(l.Name + " " + l.Address)
	case "reaction":
		if req.Reaction == nil || req.Reaction.MessageID == "" {
			return m, invalid("The parameter reaction['message_id'] is required.")
		}
		if _, _, ok := business.ParseInboundWamid(req.Reaction.MessageID); !ok && !chat.ValidMessageID(req.Reaction.MessageID) {
			return m, invalid("reaction['message_id'] is not a message id")
		}
		m.Kind, m.Ref, m.Content.Emoji = chat.KindReaction, req.Reaction.MessageID, req.Reaction.Emoji
		m.Content.ReplyTo = ""
	case "interactive":
		if err := validInteractive(req.Interactive); err != nil {
			return m, err
		}
		m.Content.Interactive = req.Interactive
		if req.Interactive.Body != nil {
			m.Content.Text = req.Interactive.Body.Text
		}
		if ref, kind := req.Interactive.Header.Media(); ref != nil {
			m.Content.MediaID, m.Content.MediaURL, m.Content.MediaKind, m.Content.Filename = ref.ID, ref.Link, kind, ref.Filename
		}
	case "contacts":
		if len(req.Contacts) == 0 || len(req.Contacts) > 20 {
			return m, invalid("The parameter contacts is required: give 1 to 20 contacts.")
		}
		names := make([]string, 0, len(req.Contacts))
		for i, c := range req.Contacts {
			if strings.TrimSpace(c.Name.FormattedName) == "" {
				return m, invalid("The parameter contacts[%d]['name']['formatted_name'] is required.", i)
			}
			for _, p := range c.Phones {
				if p.Phone == "" && p.WaID == "" {
					return m, invalid("contacts[%d]['phones']: each phone needs phone or wa_id", i)
				}
			}
			names = append(names, c.Name.FormattedName)
		}
		m.Content.Contacts = req.Contacts
		m.Content.Text = strings.Join(names, ", ")
	case "template":
		t := req.Template
		if t == nil || t.Name == "" {
			return m, invalid("The parameter template['name'] is required.")
		}
		if t.Language.Code == "" {
			return m, invalid("The parameter template['language']['code'] is required.")
		}
		ts := &business.TemplateSend{Name: t.Name, Language: t.Language.Code}
		for _, c := range t.Components {
			sc := business.TemplateSendComponent{Type: c.Type, SubType: c.SubType, Index: int(c.Index)}
			for _, p := range c.Parameters {
				text := p.Text
				if text == "" {
					text = p.Payload
				}
				tp := business.TemplateParam{Name: p.ParameterName, Text: text}
				for _, mo := range []struct {
					kind string
					o    *mediaObject
				}{{"image", p.Image}, {"video", p.Video}, {"document", p.Document}} {
					if mo.o != nil && strings.EqualFold(p.Type, mo.kind) {
						tp.Media = &wire.TemplateMedia{Kind: mo.kind, MediaRef: wire.MediaRef{ID: mo.o.ID, Link: mo.o.Link, Filename: mo.o.Filename}}
					}
				}
				if strings.EqualFold(p.Type, "action") {
					if p.Action == nil {
						return m, invalid("The parameter template['components'][]['parameters'][]['action'] is required for a parameter of type action.")
					}
					if d := p.Action.FlowActionData; len(d) > 0 && string(d) != "null" && !isJSONObject(d) {
						return m, invalid("flow_action_data must be a JSON object")
					}
					tp.Action = &business.FlowButtonAction{FlowToken: p.Action.FlowToken, FlowActionData: p.Action.FlowActionData}
				}
				sc.Params = append(sc.Params, tp)
			}
			ts.Components = append(ts.Components, sc)
		}
		m.Template = ts
	default:
		return m, invalid("Unsupported message type %q", req.Type)
	}
	return m, nil
}

func validInteractive(in *wire.Interactive) error {
	if in == nil {
		return invalid("The parameter interactive is required.")
	}
	// A product message's body is optional; cta_url's may be empty.
	if in.Type != "product" && (in.Body == nil || (in.Body.Text == "" && in.Type != "cta_url")) {
		return invalid("The parameter interactive['body']['text'] is required.")
	}
	if in.Body != nil && utf8.RuneCountInString(in.Body.Text) > 1024 {
		return invalid("interactive['body']['text'] is longer than 1024 characters")
	}
	if in.Footer != nil && utf8.RuneCountInString(in.Footer.Text) > 60 {
		return invalid("interactive['footer']['text'] is longer than 60 characters")
	}
	switch {
	case in.Type == "product" && in.Header != nil:
		return invalid("interactive header: a product message has no header")
	case in.Type == "product_list" && (in.Header == nil || in.Header.Type != "text"):
		return invalid("The parameter interactive['header'] is required: a product_list message needs a text header.")
	}
	if h := in.Header; h != nil {
		switch h.Type {
		case "text":
			if h.Text == "" || utf8.RuneCountInString(h.Text) > 60 {
				return invalid("interactive header: a text header needs text of at most 60 characters")
			}
		case "image", "video", "document":
			if in.Type == "list" {
				return invalid("interactive header: a list message's header must be text")
			}
			ref, _ := h.Media()
			if ref == nil || (ref.ID == "") == (ref.Link == "") {
				return invalid("interactive header: a %s header needs %s['id'] or %s['link']", h.Type, h.Type, h.Type)
			}
			if ref.Link != "" && !strings.HasPrefix(ref.Link, "https://") && !strings.HasPrefix(ref.Link, "http://") {
				return invalid("interactive header: %s['link'] must be an http(s) URL", h.Type)
			}
		default:
			return invalid("interactive header: type must be text, image, video or document")
		}
	}
	switch in.Type {
	case "button":
		bs := in.Action.Buttons
		if len(bs) == 0 || len(bs) > 3 {
			return invalid("interactive buttons: give 1 to 3 buttons")
		}
		seen := map[string]bool{}
		for _, b := range bs {
			if b.Reply.ID == "" || b.Reply.Title == "" {
				return invalid("interactive buttons: each button needs reply id and title")
			}
			if utf8.RuneCountInString(b.Reply.Title) > 20 {
				return invalid("interactive buttons: title %q is longer than 20 characters", b.Reply.Title)
			}
			if seen[b.Reply.ID] {
				return invalid("interactive buttons: duplicate id %q", b.Reply.ID)
			}
			seen[b.Reply.ID] = true
		}
	case "list":
		if in.Action.Button == "" {
			return invalid("The parameter interactive['action']['button'] is required.")
		}
		if len(in.Action.Sections) == 0 || len(in.Action.Sections) > 10 {
			return invalid("interactive list: give 1 to 10 sections")
		}
		rows := 0
		for _, s := range in.Action.Sections {
			for _, r := range s.Rows {
				rows++
				if r.ID == "" || r.Title == "" {
					return invalid("interactive list: each row needs an id and a title")
				}
				if utf8.RuneCountInString(r.Title) > 24 {
					return invalid("interactive list: row title %q is longer than 24 characters", r.Title)
				}
			}
		}
		if rows == 0 || rows > 10 {
			return invalid("interactive list: give 1 to 10 rows in total")
		}
	case "cta_url":
		p := in.Action.Parameters
		if in.Action.Name != "cta_url" || p == nil || p.DisplayText == "" || p.URL == "" {
			return invalid("interactive cta_url: action name cta_url with parameters display_text and url is required")
		}
		if !strings.HasPrefix(p.URL, "https://") && !strings.HasPrefix(p.URL, "http://") {
			return invalid("interactive cta_url: url must be an http(s) URL")
		}
	case "product":
		if in.Action.CatalogID == "" || in.Action.ProductRetailerID == "" {
			return invalid("interactive product: action catalog_id and product_retailer_id are required")
		}
	case "product_list":
		return validProductList(in.Action)
	case "flow":
		return validFlow(in.Action)
	case "location_request_message":
		return validLocationRequest(in)
	case "address_message":
		return validAddressMessage(in)
	case "order_details", "order_status":
		// The order's own checks (Meta's 131008 and 131009) are the
		// business context's: business.CheckOrderDetails (payments.go).
		if in.Action.Parameters == nil {
			return invalid("The parameter interactive['action']['parameters'] is required.")
		}
	case "catalog_message":
		if in.Action.Name != "catalog_message" {
			return invalid("interactive catalog_message: action name catalog_message is required")
		}
	default:
		return invalid("Unsupported interactive type %q", in.Type)
	}
	return nil
}

// maxListProducts is how many products a product_list message may show
// in all its sections together.
const maxListProducts = 30

func validProductList(a wire.InteractiveAction) error {
	if a.CatalogID == "" {
		return invalid("The parameter interactive['action']['catalog_id'] is required.")
	}
	if len(a.Sections) == 0 || len(a.Sections) > 10 {
		return invalid("interactive product_list: give 1 to 10 sections")
	}
	total := 0
	seen := map[string]bool{}
	for i, s := range a.Sections {
		if s.Title == "" || utf8.RuneCountInString(s.Title) > 24 {
			return invalid("interactive product_list: section %d needs a title of at most 24 characters", i)
		}
		if len(s.ProductItems) == 0 {
			return invalid("interactive product_list: section %d needs at least one product item", i)
		}
		for _, it := range s.ProductItems {
			if it.ProductRetailerID == "" {
				return invalid("interactive product_list: each product item needs a product_retailer_id")
			}
			if seen[it.ProductRetailerID] {
				return invalid("interactive product_list: product_retailer_id %q appears twice", it.ProductRetailerID)
			}
			seen[it.ProductRetailerID] = true
			total++
		}
	}
	if total > maxListProducts {
		return &business.CloudError{Code: business.MetaParameterValue, Message: "Parameter value is not valid",
			Details: fmt.Sprintf("interactive product_list: %d products; at most %d in all sections", total, maxListProducts)}
	}
	return nil
}

func validFlow(a wire.InteractiveAction) error {
	p := a.Parameters
	if a.Name != "flow" || p == nil {
		return invalid("interactive flow: action name flow with parameters is required")
	}
	if p.FlowMessageVersion != "3" {
		return invalid("interactive flow: flow_message_version must be \"3\"")
	}
	if (p.FlowID == "") == (p.FlowName == "") {
		return invalid("interactive flow: give flow_id or flow_name, not both")
	}
	if n := utf8.RuneCountInString(p.FlowCTA); n == 0 || n > 20 {
		return invalid("interactive flow: flow_cta is required, at most 20 characters")
	}
	if p.Mode != "" && p.Mode != "draft" && p.Mode != "published" {
		return invalid("interactive flow: mode must be draft or published")
	}
	switch p.FlowAction {
	case "", "navigate":
		if p.FlowActionPayload == nil || p.FlowActionPayload.Screen == "" {
			return invalid("interactive flow: a navigate Flow needs flow_action_payload with screen")
		}
		if d := p.FlowActionPayload.Data; len(d) > 0 && string(d) != "null" {
			var obj map[string]json.RawMessage
			if json.Unmarshal(d, &obj) != nil || len(obj) == 0 {
				return invalid("interactive flow: flow_action_payload data must be a non-empty object")
			}
		}
	case "data_exchange":
		if p.FlowActionPayload != nil {
			return invalid("interactive flow: a data_exchange Flow takes no flow_action_payload")
		}
	default:
		return invalid("interactive flow: flow_action must be navigate or data_exchange")
	}
	return nil
}

// message is the request as the domain's message: outbound's checks,
// then the catalog items that a product or product_list message names,
// which the customer receives with it, and the Flow a flow message opens.
func (req *sendRequest) message(ctx context.Context, b *business.Service, biz business.Business) (business.OutboundMessage, error) {
	m, err := req.outbound()
	if err != nil {
		return m, err
	}
	ps, err := b.Catalogs().CatalogProducts(ctx, biz, m.Content.Interactive)
	if err != nil {
		return m, err
	}
	if err := b.Flows().FlowMessage(ctx, biz, m.Content.Interactive); err != nil {
		return m, err
	}
	if len(ps) > 0 {
		m.Content.Products = ps
		if m.Content.Text == "" {
			m.Content.Text = ps[0].Name + " " + ps[0].Price + " " + ps[0].Currency
		}
	}
	return m, nil
}

// decodeSend reads a send request to the caller's number in the path:
// the messages endpoint's and the dry run's common start.
func decodeSend(w http.ResponseWriter, r *http.Request, b *business.Service, biz business.Business) (business.BusinessNumber, sendRequest, error) {
	var req sendRequest
	id, err := pathID(r, "id")
	if err != nil {
		return business.BusinessNumber{}, req, err
	}
	n, err := b.OwnNumber(r.Context(), biz, id)
	if err != nil {
		return business.BusinessNumber{}, req, err
	}
	if err := decode(w, r, 1<<20, &req); err != nil {
		return business.BusinessNumber{}, req, err
	}
	if req.MessagingProduct != "whatsapp" {
		return business.BusinessNumber{}, req, invalid("The parameter messaging_product is required and must be whatsapp.")
	}
	return n, req, nil
}

func sendMessage(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, req, err := decodeSend(w, r, b, biz)
		if err != nil {
			return err
		}
		if req.Status != "" {
			if req.Status != "read" || req.MessageID == "" {
				return invalid("To mark a message read, send status read and message_id.")
			}
			if err := b.MarkRead(r.Context(), n, req.MessageID); err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, map[string]bool{"success": true})
			return nil
		}
		// The price travels in a header: Meta's body has no room for it, and
		// clients that refuse unknown fields must keep working. A refused
		// send has one too (nothing charged, reason "refused").
		w.Header().Set("Parley-Price", b.RefusedQuote().Header())
		m, err := req.message(r.Context(), b, biz)
		if err != nil {
			return err
		}
		sent, err := b.SendMessage(r.Context(), biz, n, m)
		w.Header().Set("Parley-Price", sent.Quote.Header())
		if err != nil {
			return err
		}
		type msg struct {
			ID            string `json:"id"`
			MessageStatus string `json:"message_status,omitempty"`
		}
		out := msg{ID: sent.MessageID}
		if m.Template != nil {
			out.MessageStatus = "accepted"
		}
		contact := map[string]string{"input": req.To, "wa_id": sent.WaID}
		if req.To == "" { // sent to a business-scoped user id: the answer names it, not the number
			contact = map[string]string{"input": req.Recipient, "user_id": req.Recipient}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"messaging_product": "whatsapp",
			"contacts":          []map[string]string{contact},
			"messages":          []msg{out},
		})
		return nil
	}
}

// isJSONObject reports whether raw is a JSON object.
func isJSONObject(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(raw, &obj) == nil && obj != nil
}
