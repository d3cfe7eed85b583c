package business

import (
	"errors"
	"fmt"
)

// CloudError is an error of the Cloud-API-compatible surface, with Meta's
// numeric code: the business rules answer in Meta's vocabulary because
// that is what businesses' code matches on. internal/cloudapi writes it in
// Meta's error shape; docs/BUSINESS.md lists the codes.
type CloudError struct {
	Code    int    `json:"code"`
	Subcode int    `json:"error_subcode,omitempty"`
	Message string `json:"message"`           // Meta's title
	Details string `json:"details,omitempty"` // error_data.details
}

func (e *CloudError) Error() string {
	return fmt.Sprintf("cloud api error %d: %s", e.Code, e.Message)
}

func cloudErr(code, subcode int, msg string) *CloudError {
	return &CloudError{Code: code, Subcode: subcode, Message: msg}
}

func cloudErrDetails(code int, msg, details string) *CloudError {
	return &CloudError{Code: code, Message: msg, Details: details}
}

// AsCloudError returns err's *CloudError, if any.
func AsCloudError(err error) (*CloudError, bool) {
	var ce *CloudError
	ok := errors.As(err, &ce)
	return ce, ok
}

// The Meta error codes Parley uses.
const (
	MetaInvalidParameter     = 100
	MetaAccessToken          = 190
	MetaPolicyBlock          = 368
	MetaRateLimit            = 80007
	MetaThroughput           = 130429
	MetaUndeliverable        = 131026
	MetaReengagement         = 131047 // outside the 24 h window
	MetaSpamRateLimit        = 131048 // messaging-limit tier reached
	MetaEcosystemHealth      = 131049 // per-user marketing cap
	MetaUserStoppedMarketing = 131050
	MetaPairRateLimit        = 131056
	MetaGeneric              = 131000
	MetaTemplateParams       = 132000
	MetaTemplateMissing      = 132001
)

// FailsLater reports whether Meta reports the error code through a failed
// status webhook rather than in the send's answer: the send answers 200
// with a wamid, then the status carries the error. These are the errors
// Meta finds after accepting a message: the recipient cannot be reached
// (131026, an unknown or invalid-looking number or a block included), the
// 24 h window is closed (131047), the messaging-limit tier is reached
// (131048), the per-user marketing cap holds it back (131049) and the user
// stopped marketing messages (131050). Request errors (100, 132000,
// 132001), throughput (130429, 80007), the pair rate limit (131056),
// payment (131042) and a paused number (368) stay synchronous.
func FailsLater(code int) bool {
	switch code {
	case MetaUndeliverable, MetaReengagement, MetaSpamRateLimit, MetaEcosystemHealth, MetaUserStoppedMarketing:
		return true
	}
	return false
}
