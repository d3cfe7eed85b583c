package parley

// Principal is an authenticated device acting for its account.
type Principal struct {
	AccountID int64
	DeviceID  int64
}

// AdsPolicy says whether ads are allowed on this server: the people-side
// revenue models turn them off in nonprofit mode, and the channels and
// business contexts ask before they promote or attribute to an ad.
type AdsPolicy interface {
	// AdsOff returns EAdsDisabled when ads are off, else nil.
	AdsOff() error
}

// AdsAllowed allows ads: the policy of a server without revenue models.
type AdsAllowed struct{}

// AdsOff returns nil.
func (AdsAllowed) AdsOff() error { return nil }
