package wire

// PublicBusiness is what a customer's client sees of a business account:
// the profile and the verified badge.
type PublicBusiness struct {
	AccountID   int64  `json:"account_id"`
	Phone       string `json:"phone"`
	Name        string `json:"name"`
	Category    string `json:"category,omitempty"`
	Description string `json:"description,omitempty"`
	Address     string `json:"address,omitempty"`
	Website     string `json:"website,omitempty"`
	Verified    bool   `json:"verified"`
	// HostedBy names who runs the business's end and holds its end-to-end
	// keys (its hosting provider): apps say messages to the business are
	// handled by it on the business's behalf.
	HostedBy string `json:"hosted_by,omitempty"`
}
