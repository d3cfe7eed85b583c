package wire

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// MarshalWebhook encodes v as Meta encodes a webhook body: compact JSON,
// with no HTML escaping ('<', '>' and '&' stay as they are), and every
// character outside printable ASCII and its controls (DEL and everything
// above) written as a lowercase \uXXXX escape, a character above U+FFFF as
// its UTF-16 surrogate pair. The body is then pure ASCII, so a receiver
// that verifies the signature over the raw bytes and one that re-escapes
// the decoded text before the HMAC (as Meta tells receivers to) agree.
func MarshalWebhook(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return EscapeNonASCII(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// EscapeNonASCII returns b with every byte sequence that is not ASCII
// below DEL replaced by the \uXXXX escape (lowercase hex) of the UTF-16
// code units of its character; an invalid UTF-8 byte becomes \ufffd. It
// is meant for JSON text, where non-ASCII occurs only inside strings, so
// the result decodes to the same value.
func EscapeNonASCII(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf-1 {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf-1 {
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			out = appendUnicodeEscape(appendUnicodeEscape(out, hi), lo)
			continue
		}
		out = appendUnicodeEscape(out, r)
	}
	return out
}

func appendUnicodeEscape(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
