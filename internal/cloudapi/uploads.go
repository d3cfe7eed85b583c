package cloudapi

import "strings"

// mediaOfHandle returns the media id an upload handle names. A handle is
// "4::" followed by the media Graph id (docs/CLOUD-API-ENDPOINTS.md).
func mediaOfHandle(h string) (string, bool) {
	rest, ok := strings.CutPrefix(h, "4::")
	if !ok || rest == "" {
		return "", false
	}
	return rest, true
}
