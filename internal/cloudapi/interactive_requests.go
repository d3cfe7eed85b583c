package cloudapi

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/wire"
)

// The interactive messages that ask the customer for something
// (docs/CLOUD-API-ENDPOINTS.md, "Requests for a location or an address"):
// location_request_message shows its body and a "Send location" button,
// and the customer's answer arrives as an ordinary location message whose
// context names the request; address_message opens an address form, and
// the filled form arrives as an nfm_reply named address_message whose
// response_json holds the values. Parley keeps and delivers what the
// business sent; the customer's client draws the button or the form.

// validLocationRequest checks a location_request_message as Meta does: a
// body of 1 to 1024 characters (checked with every interactive body), no
// header or footer, and the action send_location with nothing else.
func validLocationRequest(in *wire.Interactive) error {
	if in.Header != nil || in.Footer != nil {
		return invalid("interactive location_request_message: it has a body only, no header or footer")
	}
	a := in.Action
	if a.Name != "send_location" {
		return invalid("The parameter interactive['action']['name'] must be send_location.")
	}
	if a.Parameters != nil || len(a.Buttons) > 0 || a.Button != "" || len(a.Sections) > 0 || a.CatalogID != "" {
		return invalid("interactive location_request_message: the action takes only its name")
	}
	return nil
}

// addressFields are the fields of an address form in India, the one
// country where Meta offers address messages, with the longest value each
// may have (0: no limit but maxAddressValue).
var addressFields = map[string]int{
	"name": 0, "phone_number": 0, "in_pin_code": 6, "house_number": 0, "floor_number": 0, "tower_number": 0,
	"building_name": 0, "address": 0, "landmark_area": 0, "city": 0, "state": 0,
}

const (
	maxAddressValue = 512 // a value's length in characters
	maxSavedAddress = 10  // saved addresses offered in one message
)

// validAddressMessage checks an address_message: the action
// address_message with parameters; country IN (Meta offers address
// messages to Indian businesses and their Indian customers only); values,
// each saved address's value and validation_errors name only the form's
// fields; a saved address has an id, unique in the message; values fit
// their field.
func validAddressMessage(in *wire.Interactive) error {
	a := in.Action
	p := a.Parameters
	if a.Name != "address_message" || p == nil {
		return invalid("interactive address_message: action name address_message with parameters is required")
	}
	if p.Country == "" {
		return invalid("The parameter interactive['action']['parameters']['country'] is required.")
	}
	if p.Country != "IN" {
		return invalid("interactive address_message: country %q is not supported; address messages are available in IN only", p.Country)
	}
	if p.FlowID != "" || p.FlowName != "" || p.URL != "" || p.DisplayText != "" {
		return invalid("interactive address_message: parameters take country, values, saved_addresses and validation_errors only")
	}
	if err := validAddressValues("values", p.Values); err != nil {
		return err
	}
	if len(p.SavedAddresses) > maxSavedAddress {
		return invalid("interactive address_message: at most %d saved_addresses", maxSavedAddress)
	}
	var ids []string
	for i, s := range p.SavedAddresses {
		if s.ID == "" || len(s.Value) == 0 {
			return invalid("interactive address_message: saved_addresses[%d] needs an id and a value", i)
		}
		if slices.Contains(ids, s.ID) {
			return invalid("interactive address_message: saved_addresses id %q appears twice", s.ID)
		}
		ids = append(ids, s.ID)
		if err := validAddressValues("saved_addresses value", s.Value); err != nil {
			return err
		}
	}
	if err := validAddressValues("validation_errors", messagesOnly(p.ValidationErrors)); err != nil {
		return err
	}
	return nil
}

func validAddressValues(what string, vs map[string]string) error {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first bad field, the same every time
	for _, k := range keys {
		limit, ok := addressFields[k]
		if !ok {
			return invalid("interactive address_message: %s: unknown field %q (fields: %s)", what, k, addressFieldList())
		}
		n := utf8.RuneCountInString(vs[k])
		if (limit > 0 && n > limit) || n > maxAddressValue {
			if limit == 0 {
				limit = maxAddressValue
			}
			return invalid("interactive address_message: %s: %s is longer than %d characters", what, k, limit)
		}
	}
	return nil
}

// messagesOnly is validation_errors with every message cut to nothing:
// their keys must name fields, and a message is not held to the field's
// length.
func messagesOnly(errs map[string]string) map[string]string {
	out := make(map[string]string, len(errs))
	for k, v := range errs {
		if utf8.RuneCountInString(v) <= maxAddressValue {
			v = ""
		}
		out[k] = v
	}
	return out
}

func addressFieldList() string {
	fs := make([]string, 0, len(addressFields))
	for f := range addressFields {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	return strings.Join(fs, ", ")
}
