package business

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/wire"
)

// Catalog is a product catalog that a business account owns. A business
// may own several (Meta's owned_product_catalogs); one of them is
// connected to the account (product_catalogs), created on first use.
// Product and product_list messages and customers' orders may name any
// catalog the business owns; a catalog_message opens the connected one.
type Catalog struct {
	ID         int64
	BusinessID int64
	Name       string
	Connected  bool
	CreatedAt  time.Time
}

// Product is an item of a catalog. RetailerID is the business's own key
// (Meta's retailer_id, product_retailer_id in messages), unique within the
// catalog. PriceMinor is in the minor unit of Currency (cents).
type Product struct {
	ID           int64
	CatalogID    int64
	RetailerID   string
	Name         string
	Description  string
	PriceMinor   int64
	Currency     string
	ImageURL     string
	Availability string // see Availabilities
	CreatedAt    time.Time
}

// Availabilities are the values a product's availability may take, as
// Meta's catalogs spell them.
var Availabilities = []string{"in stock", "out of stock", "preorder", "available for order", "discontinued"}

// MetaParameterValue is Meta's "Parameter value is not valid" (131009):
// a catalog or product that the business does not have.
const MetaParameterValue = 131009

// CatalogStore holds catalogs and their products. It is part of
// BusinessStore.
type CatalogStore interface {
	// EnsureCatalog returns the business's connected catalog. With none
	// connected, it connects the business's oldest catalog, or creates one
	// named name (with CreatedAt at) if the business has none.
	EnsureCatalog(ctx context.Context, businessID int64, name string, at time.Time) (Catalog, error)
	// CreateCatalog inserts c, not connected, and sets c.ID.
	CreateCatalog(ctx context.Context, c *Catalog) error
	// GetCatalog returns a catalog, or ErrNotFound.
	GetCatalog(ctx context.Context, id int64) (Catalog, error)
	// ListCatalogs returns the business's catalogs with id > after,
	// ascending by id, at most limit.
	ListCatalogs(ctx context.Context, businessID, after int64, limit int) ([]Catalog, error)
	// ConnectCatalog makes the catalog the business's connected one
	// (and the one connected before no longer); ErrNotFound if it is not
	// a catalog of the business.
	ConnectCatalog(ctx context.Context, businessID, catalogID int64) error
	// DeleteCatalog deletes a catalog; ErrNotFound if there is none,
	// EConflict if it is connected or has products.
	DeleteCatalog(ctx context.Context, id int64) error
	// CreateProduct inserts p and sets p.ID. EConflict if the catalog
	// has a product with that RetailerID; ErrNotFound if there is no such
	// catalog.
	CreateProduct(ctx context.Context, p *Product) error
	// GetProduct returns a product, or ErrNotFound.
	GetProduct(ctx context.Context, id int64) (Product, error)
	// ListProducts returns the catalog's products with id > after,
	// ascending by id, at most limit.
	ListProducts(ctx context.Context, catalogID, after int64, limit int) ([]Product, error)
	// FindProducts returns the catalog's products whose RetailerID is in
	// retailerIDs, in no particular order; unknown ids are left out.
	FindProducts(ctx context.Context, catalogID int64, retailerIDs []string) ([]Product, error)
	// DeleteProduct deletes a product, or returns ErrNotFound.
	DeleteProduct(ctx context.Context, id int64) error
	// UpdateProduct writes p's fields but its catalog and creation time;
	// ErrNotFound if there is no such product, EConflict if the catalog
	// has another product with p's RetailerID.
	UpdateProduct(ctx context.Context, p Product) error
}

// PriceString formats the product's price as an exact decimal in the
// currency's major unit: 1299 USD is "12.99", 500 JPY is "500".
func (p Product) PriceString() string { return billing.FormatMinor(p.PriceMinor, p.Currency) }

// Catalogs is the service of product catalogs: the catalogs each
// business owns and their products, and the checks of the product messages a
// business sends and the orders its customers place. Service.Catalogs
// returns it; it is safe for concurrent use.
type Catalogs struct {
	st  CatalogStore
	now func() time.Time
}

// Catalog returns the business's connected catalog, creating it (named
// after the business) on first use.
func (cs *Catalogs) Catalog(ctx context.Context, biz Business) (Catalog, error) {
	c, err := cs.st.EnsureCatalog(ctx, biz.ID, biz.Name, cs.now())
	if err != nil {
		return Catalog{}, fmt.Errorf("ensure catalog: %w", err)
	}
	return c, nil
}

// own returns the catalog if it is the business's; ENotFound
// otherwise, without saying whether it exists.
func (cs *Catalogs) own(ctx context.Context, biz Business, catalogID int64) (Catalog, error) {
	c, err := cs.st.GetCatalog(ctx, catalogID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && c.BusinessID != biz.ID) {
		return Catalog{}, &parley.Error{Code: parley.ENotFound, Message: "no such catalog", Details: map[string]any{"catalog_id": catalogID}}
	} else if err != nil {
		return Catalog{}, fmt.Errorf("get catalog: %w", err)
	}
	return c, nil
}

// CreateProduct adds a product to the business's catalog and returns it.
// Errors: ENotFound (not the business's catalog), EInvalid (a field),
// EConflict (the retailer id is taken in this catalog).
func (cs *Catalogs) CreateProduct(ctx context.Context, biz Business, catalogID int64, p Product) (Product, error) {
	if _, err := cs.own(ctx, biz, catalogID); err != nil {
		return Product{}, err
	}
	if err := checkProduct(&p); err != nil {
		return Product{}, err
	}
	p.ID, p.CatalogID, p.CreatedAt = 0, catalogID, cs.now()
	if err := cs.st.CreateProduct(ctx, &p); parley.ErrorCode(err) == parley.EConflict {
		return Product{}, &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("the catalog already has a product with retailer_id %q", p.RetailerID),
			Details: map[string]any{"field": "retailer_id"}}
	} else if err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	return p, nil
}

// checkProduct normalizes a product's fields and checks them: EInvalid
// names the field.
func checkProduct(p *Product) error {
	bad := func(field, msg string) error {
		return &parley.Error{Code: parley.EInvalid, Message: msg, Details: map[string]any{"field": field}}
	}
	p.RetailerID, p.Name = strings.TrimSpace(p.RetailerID), strings.TrimSpace(p.Name)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	p.Availability = strings.ToLower(strings.TrimSpace(p.Availability))
	if err := parley.CheckText("name", p.Name, parley.Line); err != nil {
		return err
	}
	if err := parley.CheckText("description", p.Description, parley.Lines); err != nil {
		return err
	}
	switch {
	case p.RetailerID == "" || utf8.RuneCountInString(p.RetailerID) > 100:
		return bad("retailer_id", "retailer_id is required, at most 100 characters")
	case p.Name == "" || utf8.RuneCountInString(p.Name) > 200:
		return bad("name", "name is required, at most 200 characters")
	case utf8.RuneCountInString(p.Description) > 5000:
		return bad("description", "description is longer than 5000 characters")
	case p.PriceMinor < 0:
		return bad("price", "price must not be negative")
	case len(p.Currency) != 3 || strings.Trim(p.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "":
		return bad("currency", "currency must be an ISO 4217 code such as USD")
	case p.ImageURL != "" && !strings.HasPrefix(p.ImageURL, "https://") && !strings.HasPrefix(p.ImageURL, "http://"):
		return bad("image_url", "image_url must be an http(s) URL")
	}
	if p.Availability == "" {
		p.Availability = "in stock"
	}
	valid := false
	for _, a := range Availabilities {
		valid = valid || a == p.Availability
	}
	if !valid {
		return bad("availability", "availability must be one of "+strings.Join(Availabilities, ", "))
	}
	return nil
}

// Products lists the business's catalog's products with id > after,
// ascending, at most limit. ENotFound if the catalog is not the business's.
func (cs *Catalogs) Products(ctx context.Context, biz Business, catalogID, after int64, limit int) ([]Product, error) {
	if _, err := cs.own(ctx, biz, catalogID); err != nil {
		return nil, err
	}
	ps, err := cs.st.ListProducts(ctx, catalogID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return ps, nil
}

// DeleteProduct deletes a product of the business's catalog; ENotFound
// for any other id.
func (cs *Catalogs) DeleteProduct(ctx context.Context, biz Business, id int64) error {
	p, err := cs.st.GetProduct(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such product", Details: map[string]any{"id": id}}
	} else if err != nil {
		return fmt.Errorf("get product: %w", err)
	}
	if _, err := cs.own(ctx, biz, p.CatalogID); err != nil {
		return &parley.Error{Code: parley.ENotFound, Message: "no such product", Details: map[string]any{"id": id}}
	}
	if err := cs.st.DeleteProduct(ctx, id); err != nil {
		return fmt.Errorf("delete product: %w", err)
	}
	return nil
}

// CatalogProducts checks the catalog items that a product or
// product_list message names and returns them as the customer will see
// them, in the message's order; nil for any other message. The errors are
// Meta's 131009: the catalog is not the business's, or a
// product_retailer_id is not in it.
func (cs *Catalogs) CatalogProducts(ctx context.Context, biz Business, in *wire.Interactive) ([]wire.CatalogProduct, error) {
	if in != nil && in.Type == "catalog_message" {
		return cs.catalogMessage(ctx, biz, in) // catalog_product.go
	}
	if in == nil || (in.Type != "product" && in.Type != "product_list") {
		return nil, nil
	}
	invalid := func(format string, args ...any) error {
		return cloudErrDetails(MetaParameterValue, "Parameter value is not valid", fmt.Sprintf(format, args...))
	}
	id, err := strconv.ParseInt(in.Action.CatalogID, 10, 64)
	if err != nil {
		return nil, invalid("catalog_id %q is not a catalog of this business", in.Action.CatalogID)
	}
	c, err := cs.own(ctx, biz, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil, invalid("catalog_id %q is not a catalog of this business", in.Action.CatalogID)
	} else if err != nil {
		return nil, err
	}
	var ids []string
	if in.Type == "product" {
		ids = []string{in.Action.ProductRetailerID}
	}
	for _, s := range in.Action.Sections {
		for _, it := range s.ProductItems {
			ids = append(ids, it.ProductRetailerID)
		}
	}
	byID, err := cs.productsByRetailerID(ctx, c.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]wire.CatalogProduct, 0, len(ids))
	for _, rid := range ids {
		p, ok := byID[rid]
		if !ok {
			return nil, invalid("product_retailer_id %q is not in catalog %d", rid, c.ID)
		}
		out = append(out, wire.CatalogProduct{CatalogID: strconv.FormatInt(c.ID, 10), RetailerID: p.RetailerID, Name: p.Name,
			Description: p.Description, Price: p.PriceString(), Currency: p.Currency, ImageURL: p.ImageURL, Availability: p.Availability})
	}
	return out, nil
}

// CheckBody is the check of what a person sends to a business number's
// cloud device (the chat core's BodyCheck): an order must name
// the business's catalog and products in it, at their prices, and a Flow
// reply must carry a JSON object. The errors are EInvalid, with the
// offending field in the details.
func (b *Service) CheckBody(ctx context.Context, p parley.Principal, chatID int64, messageID string, envs []wire.Envelope) error {
	var body []byte
	numberID := int64(0)
	b.mu.Lock()
	for _, e := range envs {
		if n, ok := b.cloud[e.DeviceID]; ok {
			numberID, body = n, e.Body
			break
		}
	}
	b.mu.Unlock()
	if numberID == 0 {
		return nil
	}
	if isEncrypted(body) {
		n, err := b.st.GetNumber(ctx, numberID)
		if err != nil {
			return fmt.Errorf("get number: %w", err)
		}
		plain, err := b.keys.peek(ctx, n, wire.Entry{Type: wire.EntryMessage, Kind: wire.KindMessage, ChatID: chatID, MessageID: messageID,
			SenderAccount: p.AccountID, SenderDevice: p.DeviceID, Body: body})
		if err != nil {
			return nil // what does not decrypt, the pipeline reports
		}
		body = plain
	}
	var c struct {
		Order *wire.Order            `json:"order"`
		Reply *wire.InteractiveReply `json:"interactive_reply"`
	}
	if json.Unmarshal(body, &c) != nil {
		return nil // not structured content: the pipeline reports it as unknown
	}
	if r := c.Reply; r != nil && r.Type == "nfm_reply" {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(r.ResponseJSON), &obj) != nil {
			return &parley.Error{Code: parley.EInvalid, Message: "a Flow reply's response_json must be a JSON object", Details: map[string]any{"field": "interactive_reply.response_json"}}
		}
	}
	if c.Order == nil {
		return nil
	}
	n, err := b.st.GetNumber(ctx, numberID)
	if err != nil {
		return fmt.Errorf("get number: %w", err)
	}
	if err := b.checkCart(ctx, n); err != nil {
		return err
	}
	_, err = b.catalogs.orderProducts(ctx, n.BusinessID, c.Order)
	return err
}

// orderProducts checks an order against the business's catalog and
// returns its products by retailer id.
func (cs *Catalogs) orderProducts(ctx context.Context, businessID int64, o *wire.Order) (map[string]Product, error) {
	bad := func(field, msg string, details map[string]any) error {
		if details == nil {
			details = map[string]any{}
		}
		details["field"] = field
		return &parley.Error{Code: parley.EInvalid, Message: msg, Details: details}
	}
	id, err := strconv.ParseInt(o.CatalogID, 10, 64)
	if err != nil {
		return nil, bad("order.catalog_id", "order: catalog_id is not this business's catalog", map[string]any{"catalog_id": o.CatalogID})
	}
	c, err := cs.st.GetCatalog(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && c.BusinessID != businessID) {
		return nil, bad("order.catalog_id", "order: catalog_id is not this business's catalog", map[string]any{"catalog_id": o.CatalogID})
	} else if err != nil {
		return nil, fmt.Errorf("get catalog: %w", err)
	}
	if len(o.ProductItems) == 0 || len(o.ProductItems) > 100 {
		return nil, bad("order.product_items", "order: give 1 to 100 product items", nil)
	}
	ids := make([]string, len(o.ProductItems))
	for i, it := range o.ProductItems {
		ids[i] = it.ProductRetailerID
	}
	byID, err := cs.productsByRetailerID(ctx, c.ID, ids)
	if err != nil {
		return nil, err
	}
	for i, it := range o.ProductItems {
		field := fmt.Sprintf("order.product_items[%d]", i)
		p, ok := byID[it.ProductRetailerID]
		if !ok {
			return nil, bad(field+".product_retailer_id", fmt.Sprintf("order: product %q is not in the business's catalog", it.ProductRetailerID),
				map[string]any{"product_retailer_id": it.ProductRetailerID})
		}
		if it.Quantity < 1 || it.Quantity > 1000 {
			return nil, bad(field+".quantity", "order: quantity must be 1 to 1000", nil)
		}
		if it.Currency != "" && it.Currency != p.Currency {
			return nil, bad(field+".currency", fmt.Sprintf("order: product %q is priced in %s", p.RetailerID, p.Currency), nil)
		}
		if it.ItemPrice != "" {
			if v, ok := billing.ParseMinor(it.ItemPrice.String(), p.Currency); !ok || v != p.PriceMinor {
				return nil, bad(field+".item_price", fmt.Sprintf("order: product %q costs %s %s", p.RetailerID, p.PriceString(), p.Currency), nil)
			}
		}
	}
	return byID, nil
}

// completeOrder is the order as the business's webhook carries it: every
// item with its catalog price and currency.
func (cs *Catalogs) completeOrder(ctx context.Context, businessID int64, o wire.Order) wire.Order {
	byID, err := cs.orderProducts(ctx, businessID, &o)
	if err != nil {
		return o // checked when sent; the catalog changed since: pass it on as sent
	}
	items := make([]wire.OrderItem, len(o.ProductItems))
	for i, it := range o.ProductItems {
		p := byID[it.ProductRetailerID]
		it.ItemPrice, it.Currency = json.Number(p.PriceString()), p.Currency
		items[i] = it
	}
	o.ProductItems = items
	return o
}

// productsByRetailerID returns the catalog's products among ids, by
// retailer id.
func (cs *Catalogs) productsByRetailerID(ctx context.Context, catalogID int64, ids []string) (map[string]Product, error) {
	ps, err := cs.st.FindProducts(ctx, catalogID, ids)
	if err != nil {
		return nil, fmt.Errorf("find products: %w", err)
	}
	byID := make(map[string]Product, len(ps))
	for _, p := range ps {
		byID[p.RetailerID] = p
	}
	return byID, nil
}
