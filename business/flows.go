package business

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
)

// WhatsApp Flows, as Meta's Flows management API runs them: a business
// account's Flows, each with metadata (name, categories, endpoint), one
// Flow JSON asset and a status with Meta's lifecycle (docs/FLOWS.md):
//
//	DRAFT --publish--> PUBLISHED --deprecate--> DEPRECATED
//	PUBLISHED <--operator or endpoint health--> THROTTLED, BLOCKED
//
// Only a DRAFT is edited or deleted; publishing and deprecating cannot
// be undone. Every change of status after creation is announced to the
// business with Meta's `flows` webhook (event FLOW_STATUS_CHANGE).

// FlowStatus is a Flow's place in its lifecycle.
type FlowStatus string

// The statuses of a Flow, as Meta spells them.
const (
	FlowDraft      FlowStatus = "DRAFT"
	FlowPublished  FlowStatus = "PUBLISHED"
	FlowThrottled  FlowStatus = "THROTTLED"
	FlowBlocked    FlowStatus = "BLOCKED"
	FlowDeprecated FlowStatus = "DEPRECATED"
)

// FlowCategories are the categories a Flow may declare, as Meta lists
// them.
var FlowCategories = []string{"SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US",
	"CUSTOMER_SUPPORT", "SURVEY", "OTHER"}

// The Flows error codes of Meta's management API.
const (
	MetaFlowBlocked       = 139000 // blocked by integrity
	MetaFlowNotUpdatable  = 139001 // a Flow that is not a draft cannot be updated
	MetaFlowNotPublish    = 139002 // publishing in an invalid state, with validation errors, without an endpoint
	MetaFlowNotDeprecate  = 139003 // deprecating a draft, or a deprecated Flow
	MetaFlowNotDeletable  = 139004 // deleting a Flow that is not a draft
	MetaFlowMetricsAbsent = 139006 // not enough data for metrics
)

// Flow is a business account's WhatsApp Flow. JSON is its Flow JSON
// asset ("" until one is uploaded); JSONVersion and DataAPIVersion are
// read from it, and ValidationErrors is the outcome of its validation
// (ValidateFlowJSON), empty when it is valid.
type Flow struct {
	ID               int64
	BusinessID       int64
	Name             string
	Categories       []string
	Status           FlowStatus
	EndpointURI      string
	JSON             string
	JSONVersion      string
	DataAPIVersion   string
	ValidationErrors []FlowValidationError
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// FlowStore holds Flows and the Flows encryption keys of numbers. It is
// part of Store.
type FlowStore interface {
	// CreateFlow inserts f and sets f.ID. EConflict if the business has
	// a Flow of that name.
	CreateFlow(ctx context.Context, f *Flow) error
	// GetFlow returns a Flow, or ErrNotFound.
	GetFlow(ctx context.Context, id int64) (Flow, error)
	// FlowByName returns the business's Flow of that name, or ErrNotFound.
	FlowByName(ctx context.Context, businessID int64, name string) (Flow, error)
	// ListFlows returns the business's Flows with id > after, ascending
	// by id, at most limit.
	ListFlows(ctx context.Context, businessID, after int64, limit int) ([]Flow, error)
	// UpdateFlow writes every field of f but ID, BusinessID, Status and
	// CreatedAt, if the Flow's status is still f.Status: ErrNotFound if
	// there is no such Flow, EConflict if its status changed or the name
	// is taken.
	UpdateFlow(ctx context.Context, f Flow) error
	// SetFlowStatus moves a Flow from status from to status to:
	// ErrNotFound if there is no such Flow, EConflict if its status is
	// not from.
	SetFlowStatus(ctx context.Context, id int64, from, to FlowStatus, at time.Time) error
	// DeleteFlow deletes a Flow whose status is DRAFT: ErrNotFound if
	// there is no such Flow, EConflict if it is not a draft.
	DeleteFlow(ctx context.Context, id int64) error
	// SetFlowKey stores (or replaces) a number's Flows public key, PEM.
	SetFlowKey(ctx context.Context, numberID int64, pem string, at time.Time) error
	// FlowKey returns a number's Flows public key, or ErrNotFound.
	FlowKey(ctx context.Context, numberID int64) (string, error)
	// ListNumbers and GetBusiness are BusinessAccountStore's.
	ListNumbers(ctx context.Context, businessID int64) ([]BusinessNumber, error)
	GetBusiness(ctx context.Context, id int64) (Business, error)
	// CreateFlowSession records a Flow message sent to a person;
	// EConflict if its wamid is recorded.
	CreateFlowSession(ctx context.Context, s FlowSession) error
	// GetFlowSession returns the Flow message sent as wamid, or
	// ErrNotFound.
	GetFlowSession(ctx context.Context, wamid string) (FlowSession, error)
	// CompleteFlowSession sets CompletedAt: ErrNotFound if there is no
	// such session, EConflict if it is completed already.
	CompleteFlowSession(ctx context.Context, wamid string, at time.Time) error
	// CountFlowSessions returns how many messages opened Flow flowID
	// since since.
	CountFlowSessions(ctx context.Context, flowID int64, since time.Time) (int, error)
}

// Flows is the service of WhatsApp Flows: their management API, the
// validation of their Flow JSON and their status webhooks.
// Service.Flows returns it; it is safe for concurrent use.
type Flows struct {
	st      FlowStore
	now     func() time.Time
	enqueue func(ctx context.Context, ws ...*Webhook) error
	// localEndpoints lets endpoint URIs be plain http on a loopback
	// host (development and tests); Meta requires https.
	localEndpoints bool
	call           FlowCaller // the businesses' endpoints (Deps.FlowCaller); nil: none
	health         healthMoves
}

// FlowInput is what a business gives to create a Flow or update its
// metadata; a nil field is left as it is on update.
type FlowInput struct {
	Name        *string
	Categories  []string
	EndpointURI *string
	CloneFlowID int64  // create only: copy that Flow's JSON (and endpoint)
	FlowJSON    string // create only: the Flow JSON asset
	Publish     bool   // create only: publish once created, if valid
}

func flowErr(code int, msg string) *CloudError { return &CloudError{Code: code, Message: msg} }

// own returns the Flow if it is the business's; a Meta "does not exist"
// (ENotFound) otherwise.
func (fs *Flows) own(ctx context.Context, biz Business, id int64) (Flow, error) {
	f, err := fs.st.GetFlow(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && f.BusinessID != biz.ID) {
		return Flow{}, &parley.Error{Code: parley.ENotFound, Message: "no such flow", Details: map[string]any{"flow_id": id}}
	} else if err != nil {
		return Flow{}, fmt.Errorf("get flow: %w", err)
	}
	return f, nil
}

// Get returns one of the business's Flows. ENotFound if it has none of
// that id.
func (fs *Flows) Get(ctx context.Context, biz Business, id int64) (Flow, error) {
	return fs.own(ctx, biz, id)
}

// ByName returns the business's Flow of that name. ENotFound if none.
func (fs *Flows) ByName(ctx context.Context, biz Business, name string) (Flow, error) {
	f, err := fs.st.FlowByName(ctx, biz.ID, name)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Flow{}, &parley.Error{Code: parley.ENotFound, Message: "no such flow", Details: map[string]any{"flow_name": name}}
	}
	return f, err
}

// List returns the business's Flows with id > after, at most limit.
func (fs *Flows) List(ctx context.Context, biz Business, after int64, limit int) ([]Flow, error) {
	return fs.st.ListFlows(ctx, biz.ID, after, limit)
}

func (fs *Flows) checkName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "name is required, at most 200 characters")
	}
	return parley.CheckText("name", name, parley.Line)
}

func checkCategories(cs []string) ([]string, error) {
	if len(cs) == 0 {
		return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "categories is required: one or more of "+strings.Join(FlowCategories, ", "))
	}
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !slices.Contains(FlowCategories, c) {
			return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("unknown category %q: use %s", c, strings.Join(FlowCategories, ", ")))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// checkEndpoint refuses an endpoint URI that is not https (or plain http
// on a loopback host, when the service allows local endpoints).
func (fs *Flows) checkEndpoint(uri string) error {
	if uri == "" {
		return nil
	}
	u, err := url.Parse(uri)
	bad := err != nil || u.Host == "" || len(uri) > 2000
	if !bad && u.Scheme != "https" {
		h := u.Hostname()
		bad = !(fs.localEndpoints && u.Scheme == "http" && (h == "localhost" || h == "127.0.0.1" || h == "::1"))
	}
	if bad {
		return cloudErrDetails(MetaInvalidParameter, "Invalid Endpoint URI", "endpoint_uri must be an https URL")
	}
	return nil
}

// Create makes a DRAFT Flow from in: with in.FlowJSON (validated) or a
// copy of in.CloneFlowID's JSON, and published at once if in.Publish and
// the JSON is valid. Errors: CloudError 100 (name taken or invalid,
// categories, endpoint, the clone source), or a publish error.
func (fs *Flows) Create(ctx context.Context, biz Business, in FlowInput) (Flow, error) {
	if in.Name == nil {
		return Flow{}, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "name is required")
	}
	if err := fs.checkName(*in.Name); err != nil {
		return Flow{}, err
	}
	cats, err := checkCategories(in.Categories)
	if err != nil {
		return Flow{}, err
	}
	now := fs.now()
	f := Flow{BusinessID: biz.ID, Name: strings.TrimSpace(*in.Name), Categories: cats, Status: FlowDraft, CreatedAt: now, UpdatedAt: now}
	if in.EndpointURI != nil {
		if err := fs.checkEndpoint(*in.EndpointURI); err != nil {
			return Flow{}, err
		}
		f.EndpointURI = *in.EndpointURI
	}
	if in.CloneFlowID != 0 {
		if in.FlowJSON != "" {
			return Flow{}, cloudErrDetails(MetaInvalidParameter, "Only one clone source can be set", "give flow_json or clone_flow_id, not both")
		}
		src, err := fs.own(ctx, biz, in.CloneFlowID)
		if err != nil {
			return Flow{}, cloudErrDetails(MetaInvalidParameter, "Flow with specified ID does not exist", fmt.Sprintf("clone_flow_id %d", in.CloneFlowID))
		}
		in.FlowJSON = src.JSON
		if in.EndpointURI == nil {
			f.EndpointURI = src.EndpointURI
		}
	}
	if in.FlowJSON != "" {
		f.setJSON(in.FlowJSON)
	}
	if err := fs.st.CreateFlow(ctx, &f); parley.ErrorCode(err) == parley.EConflict {
		return Flow{}, cloudErrDetails(MetaInvalidParameter, "Flow name is not unique", fmt.Sprintf("the account already has a Flow named %q", f.Name))
	} else if err != nil {
		return Flow{}, fmt.Errorf("create flow: %w", err)
	}
	if in.Publish {
		return fs.Publish(ctx, biz, f.ID)
	}
	return f, nil
}

// setJSON sets the asset and what its validation tells.
func (f *Flow) setJSON(doc string) {
	f.JSON = doc
	v := ValidateFlowJSON([]byte(doc))
	f.JSONVersion, f.DataAPIVersion, f.ValidationErrors = v.Version, v.DataAPIVersion, v.Errors
}

// Update changes a draft's metadata. CloudError 139001 if the Flow is
// not a draft, 100 for an invalid field; ENotFound.
func (fs *Flows) Update(ctx context.Context, biz Business, id int64, in FlowInput) (Flow, error) {
	f, err := fs.own(ctx, biz, id)
	if err != nil {
		return Flow{}, err
	}
	if f.Status != FlowDraft {
		return Flow{}, flowErr(MetaFlowNotUpdatable, "Flow can't be updated")
	}
	if in.Name != nil {
		if err := fs.checkName(*in.Name); err != nil {
			return Flow{}, err
		}
		f.Name = strings.TrimSpace(*in.Name)
	}
	if in.Categories != nil {
		if f.Categories, err = checkCategories(in.Categories); err != nil {
			return Flow{}, err
		}
	}
	if in.EndpointURI != nil {
		if err := fs.checkEndpoint(*in.EndpointURI); err != nil {
			return Flow{}, err
		}
		f.EndpointURI = *in.EndpointURI
	}
	return f, fs.update(ctx, f)
}

func (fs *Flows) update(ctx context.Context, f Flow) error {
	f.UpdatedAt = fs.now()
	err := fs.st.UpdateFlow(ctx, f)
	if parley.ErrorCode(err) == parley.EConflict {
		if other, e := fs.st.FlowByName(ctx, f.BusinessID, f.Name); e == nil && other.ID != f.ID {
			return cloudErrDetails(MetaInvalidParameter, "Flow name is not unique", fmt.Sprintf("the account already has a Flow named %q", f.Name))
		}
		return flowErr(MetaFlowNotUpdatable, "Flow can't be updated")
	}
	if err != nil {
		return fmt.Errorf("update flow: %w", err)
	}
	return nil
}

// UploadJSON replaces a draft's Flow JSON asset and returns the Flow
// with its validation errors (a Flow with errors is stored all the same,
// as Meta does). CloudError 139001 if it is not a draft; ENotFound.
func (fs *Flows) UploadJSON(ctx context.Context, biz Business, id int64, doc []byte) (Flow, error) {
	f, err := fs.own(ctx, biz, id)
	if err != nil {
		return Flow{}, err
	}
	if f.Status != FlowDraft {
		return Flow{}, flowErr(MetaFlowNotUpdatable, "Flow can't be updated")
	}
	f.setJSON(string(doc))
	return f, fs.update(ctx, f)
}

// Publish makes a draft PUBLISHED. CloudError 139002 (not a draft, no
// Flow JSON, validation errors, a dynamic Flow without endpoint_uri or
// without a public key on any of the business's numbers); ENotFound.
func (fs *Flows) Publish(ctx context.Context, biz Business, id int64) (Flow, error) {
	f, err := fs.own(ctx, biz, id)
	if err != nil {
		return Flow{}, err
	}
	switch {
	case f.Status != FlowDraft:
		return Flow{}, flowErr(MetaFlowNotPublish, "Publishing Flow in invalid state")
	case f.JSON == "":
		return Flow{}, &CloudError{Code: MetaFlowNotPublish, Message: "Publishing Flow with validation errors", Details: "the Flow has no Flow JSON asset"}
	case len(f.ValidationErrors) > 0:
		return Flow{}, &CloudError{Code: MetaFlowNotPublish, Message: "Publishing Flow with validation errors", Details: f.ValidationErrors[0].Message}
	case f.DataAPIVersion != "" && f.EndpointURI == "":
		return Flow{}, flowErr(MetaFlowNotPublish, "Publishing without specifying endpoint_uri is forbidden")
	}
	if f.DataAPIVersion != "" {
		if _, err := fs.SigningKey(ctx, biz); err != nil {
			return Flow{}, err
		}
	}
	return fs.move(ctx, f, FlowPublished)
}

// SigningKey returns the Flows public key of one of the business's
// numbers (the first that has one). CloudError 139002 "Missing Flows
// Signed Public Key" if none has.
func (fs *Flows) SigningKey(ctx context.Context, biz Business) (string, error) {
	ns, err := fs.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return "", fmt.Errorf("list numbers: %w", err)
	}
	for _, n := range ns {
		if k, err := fs.st.FlowKey(ctx, n.ID); err == nil {
			return k, nil
		} else if parley.ErrorCode(err) != parley.ENotFound {
			return "", fmt.Errorf("flow key: %w", err)
		}
	}
	return "", flowErr(MetaFlowNotPublish, "Missing Flows Signed Public Key")
}

// Deprecate makes a published (or throttled or blocked) Flow
// DEPRECATED. CloudError 139003 for a draft or a deprecated Flow;
// ENotFound.
func (fs *Flows) Deprecate(ctx context.Context, biz Business, id int64) (Flow, error) {
	f, err := fs.own(ctx, biz, id)
	if err != nil {
		return Flow{}, err
	}
	switch f.Status {
	case FlowDraft:
		return Flow{}, flowErr(MetaFlowNotDeprecate, "Can't deprecate unpublished flow")
	case FlowDeprecated:
		return Flow{}, flowErr(MetaFlowNotDeprecate, "Flow is already deprecated")
	}
	return fs.move(ctx, f, FlowDeprecated)
}

// Delete deletes a draft. CloudError 139004 for any other status;
// ENotFound.
func (fs *Flows) Delete(ctx context.Context, biz Business, id int64) error {
	f, err := fs.own(ctx, biz, id)
	if err != nil {
		return err
	}
	if f.Status != FlowDraft {
		return flowErr(MetaFlowNotDeletable, "Can't delete published Flow")
	}
	if err := fs.st.DeleteFlow(ctx, id); parley.ErrorCode(err) == parley.EConflict {
		return flowErr(MetaFlowNotDeletable, "Can't delete published Flow")
	} else if err != nil {
		return fmt.Errorf("delete flow: %w", err)
	}
	return nil
}

// SetStatus is the operator's (and endpoint health's) move of a
// published Flow to THROTTLED or BLOCKED and back to PUBLISHED. EInvalid
// for any other move; ENotFound.
func (fs *Flows) SetStatus(ctx context.Context, id int64, to FlowStatus) (Flow, error) {
	f, err := fs.st.GetFlow(ctx, id)
	if err != nil {
		return Flow{}, err
	}
	live := func(s FlowStatus) bool { return s == FlowPublished || s == FlowThrottled || s == FlowBlocked }
	if !live(f.Status) || !live(to) {
		return Flow{}, parley.Errorf(parley.EInvalid, "a Flow moves between PUBLISHED, THROTTLED and BLOCKED only; it is %s", f.Status)
	}
	if f.Status == to {
		return f, nil
	}
	return fs.move(ctx, f, to)
}

// move changes the status (if it still is f.Status) and enqueues Meta's
// FLOW_STATUS_CHANGE webhook.
func (fs *Flows) move(ctx context.Context, f Flow, to FlowStatus) (Flow, error) {
	now := fs.now()
	if err := fs.st.SetFlowStatus(ctx, f.ID, f.Status, to, now); parley.ErrorCode(err) == parley.EConflict {
		return Flow{}, parley.Errorf(parley.EConflict, "the Flow's status changed meanwhile; try again")
	} else if err != nil {
		return Flow{}, fmt.Errorf("set flow status: %w", err)
	}
	from := f.Status
	f.Status, f.UpdatedAt = to, now
	value := map[string]any{"event": "FLOW_STATUS_CHANGE", "message": fmt.Sprintf("Flow %s changed status from %s to %s", f.Name, from, to),
		"flow_id": strconv.FormatInt(f.ID, 10), "old_status": string(from), "new_status": string(to)}
	w := newWebhook(now, f.BusinessID, fmt.Sprintf("flow:%d:%s:%d", f.ID, to, now.UnixNano()), fmt.Sprintf("flow:%d", f.ID), "flows", value)
	if err := fs.enqueue(ctx, w); err != nil {
		return Flow{}, fmt.Errorf("enqueue flow webhook: %w", err)
	}
	return f, nil
}

// Sendable returns the Flow a message names (by id or by name) if it may
// be sent: PUBLISHED or THROTTLED in mode published, and a DRAFT in mode
// draft, as Meta allows. CloudError 131009 otherwise (no such Flow, or
// not in a sendable status).
func (fs *Flows) Sendable(ctx context.Context, biz Business, flowID, flowName, mode string) (Flow, error) {
	var f Flow
	var err error
	if flowID != "" {
		id, perr := strconv.ParseInt(flowID, 10, 64)
		if perr != nil {
			return Flow{}, cloudErrDetails(MetaParameterValue, "Parameter value is not valid", "flow_id must be a Flow id")
		}
		f, err = fs.own(ctx, biz, id)
	} else {
		f, err = fs.ByName(ctx, biz, flowName)
	}
	if parley.ErrorCode(err) == parley.ENotFound {
		return Flow{}, cloudErrDetails(MetaParameterValue, "Parameter value is not valid", "the business has no such Flow")
	} else if err != nil {
		return Flow{}, err
	}
	draft := strings.EqualFold(mode, "draft")
	switch {
	case draft && f.Status == FlowDraft && f.JSON != "":
	case !draft && f.Status == FlowPublished:
	case !draft && f.Status == FlowThrottled:
		// Meta lets a throttled Flow out a few times an hour, so that a
		// business notices without every customer meeting a broken Flow.
		n, err := fs.st.CountFlowSessions(ctx, f.ID, fs.now().Add(-time.Hour))
		if err != nil {
			return Flow{}, fmt.Errorf("count flow sessions: %w", err)
		}
		if n >= ThrottledFlowSends {
			return Flow{}, cloudErrDetails(MetaThroughput, "Rate limit hit",
				fmt.Sprintf("the Flow is THROTTLED (its endpoint is unhealthy): at most %d messages an hour open it", ThrottledFlowSends))
		}
	default:
		return Flow{}, cloudErrDetails(MetaParameterValue, "Parameter value is not valid",
			fmt.Sprintf("the Flow is %s: a published Flow is sent in mode published, a draft with a Flow JSON in mode draft", f.Status))
	}
	return f, nil
}

// ThrottledFlowSends is how many messages may open a THROTTLED Flow in
// an hour.
const ThrottledFlowSends = 10

// minFlowKeyBits is the smallest RSA key taken for the Flows data
// channel; Meta asks for 2048-bit keys.
const minFlowKeyBits = 2048

// SetPublicKey stores the number's Flows public key: a PEM "PUBLIC KEY"
// (PKIX) or "RSA PUBLIC KEY" (PKCS #1) block of an RSA key of at least
// 2048 bits. CloudError 100 for anything else.
func (fs *Flows) SetPublicKey(ctx context.Context, n BusinessNumber, pemText string) error {
	if _, err := ParseFlowPublicKey(pemText); err != nil {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "business_public_key: "+err.Error())
	}
	if err := fs.st.SetFlowKey(ctx, n.ID, strings.TrimSpace(pemText), fs.now()); err != nil {
		return fmt.Errorf("set flow key: %w", err)
	}
	return nil
}

// PublicKey returns the number's Flows public key (PEM), "" if it has
// none.
func (fs *Flows) PublicKey(ctx context.Context, n BusinessNumber) (string, error) {
	k, err := fs.st.FlowKey(ctx, n.ID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return "", nil
	}
	return k, err
}

// ParseFlowPublicKey reads a business's Flows public key from PEM.
func ParseFlowPublicKey(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a PEM block of type %q; want PUBLIC KEY", block.Type)
	}
	if err != nil {
		return nil, errors.New("the PEM block is not a public key")
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	if rk.N.BitLen() < minFlowKeyBits {
		return nil, fmt.Errorf("an RSA key of %d bits; want at least %d", rk.N.BitLen(), minFlowKeyBits)
	}
	return rk, nil
}
