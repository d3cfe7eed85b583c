package billing

import "fmt"

// BuiltinText returns the text of a built-in card version, as shipped.
func BuiltinText(name string, version int) (string, bool) {
	b, err := builtinFS.ReadFile(fmt.Sprintf("cards/%s.v%d.card", name, version))
	if err != nil {
		return "", false
	}
	return string(b), true
}
