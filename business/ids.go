package business

import (
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"regexp"
	"strings"
)

// Ids on the Cloud API surface (docs/CLOUD-API-ENDPOINTS.md, "Ids").
//
// Message ids: a business's message is its wamid, which is also its id in
// the chat. A customer's message has the id its client chose, unique only
// within its chat; on the Cloud API it is named by InboundWamid, which
// encodes the chat and that id, so that it is unique across the server
// and can be turned back (ParseInboundWamid) when the business replies,
// reacts or marks it read.
//
// Graph ids: businesses, numbers, templates, catalogs, products, links and Flows
// each draw their ids from a range of their own (migration 00715), so the
// kind of an object is a function of its id (KindOf) and GET /{id} finds
// the right object. Rows created before that migration keep their small
// ids, which are read as before.
//
// Media ids are the chat core's 128-bit hex ids written as 40-digit
// decimal strings (MediaGraphID), which no int64 Graph id can equal.

// Kind is the kind of a Graph object, as its id tells.
type Kind int

// The kinds of Graph objects. KindLegacy is an id below every range: a
// row made before ranges existed, whose kind its path must tell.
const (
	KindLegacy Kind = iota
	KindBusiness
	KindNumber
	KindTemplate
	KindCatalog
	KindProduct
	KindLink
	// KindFlow is a WhatsApp Flow (flows.go). It is numbered apart from
	// the kinds above so that kinds other branches add after KindLink
	// keep ranges of their own (migration 00780).
	KindFlow Kind = 12
)

// KindRange is the size of each kind's id range: kind k's ids start above
// k*KindRange. Every id stays below 2^53, exact in JavaScript.
const KindRange = 100_000_000_000_000

// KindOf returns the kind of a Graph id.
func KindOf(id int64) Kind {
	if id <= 0 {
		return KindLegacy
	}
	k := Kind(id / KindRange)
	if k > KindLink && k != KindFlow {
		return KindLegacy
	}
	return k
}

// IsKind reports whether id may name an object of kind k: it is in k's
// range, or a legacy id (which only the path's kind can resolve).
func IsKind(id int64, k Kind) bool {
	kk := KindOf(id)
	return kk == k || kk == KindLegacy
}

var outboundWamid = regexp.MustCompile(`^wamid\.[0-9a-f]{32}$`)

// IsOutboundWamid reports whether id has the form of a business's wamid
// (NewWamid).
func IsOutboundWamid(id string) bool { return outboundWamid.MatchString(id) }

const inboundPrefix = "wamid.HB"

// InboundWamid is the Cloud API id of a customer's message msgID in chat
// chatID: "wamid.HB" and the URL-safe base64 of the chat id (8 bytes,
// big-endian) and the message id.
func InboundWamid(chatID int64, msgID string) string {
	buf := make([]byte, 8, 8+len(msgID))
	binary.BigEndian.PutUint64(buf, uint64(chatID))
	buf = append(buf, msgID...)
	return inboundPrefix + base64.RawURLEncoding.EncodeToString(buf)
}

// ParseInboundWamid returns the chat and the client's message id that
// InboundWamid encoded; ok is false for any other string.
func ParseInboundWamid(id string) (chatID int64, msgID string, ok bool) {
	rest, found := strings.CutPrefix(id, inboundPrefix)
	if !found {
		return 0, "", false
	}
	buf, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(buf) <= 8 {
		return 0, "", false
	}
	chatID = int64(binary.BigEndian.Uint64(buf[:8]))
	msgID = string(buf[8:])
	if chatID <= 0 || InboundWamid(chatID, msgID) != id {
		return 0, "", false
	}
	return chatID, msgID, true
}

// chatRef is the Cloud API id of a message that content in chat chatID
// refers to (a reply's context, a reaction's target): a business's wamid
// stays as it is, a customer's message id becomes its InboundWamid.
func chatRef(chatID int64, ref string) string {
	if ref == "" || IsOutboundWamid(ref) {
		return ref
	}
	return InboundWamid(chatID, ref)
}

// mediaBase is added to a media id's value so that every media Graph id
// has 40 digits (2^128 < 10^39).
var mediaBase = new(big.Int).Exp(big.NewInt(10), big.NewInt(39), nil)

var hexMediaID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// MediaGraphID is the Cloud API id of the chat core's media id (32 hex
// digits): a 40-digit decimal string. Other strings are returned as they
// are.
func MediaGraphID(id string) string {
	if !hexMediaID.MatchString(id) {
		return id
	}
	v, _ := new(big.Int).SetString(id, 16)
	return v.Add(v, mediaBase).String()
}

// MediaIDOf returns the chat core's media id of a Cloud API media id: a
// MediaGraphID, or the hex id itself (accepted as before). ok is false
// for anything else.
func MediaIDOf(s string) (id string, ok bool) {
	if hexMediaID.MatchString(s) {
		return s, true
	}
	if len(s) != 40 || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	v, _ := new(big.Int).SetString(s, 10)
	v.Sub(v, mediaBase)
	if v.Sign() < 0 || v.BitLen() > 128 {
		return "", false
	}
	h := v.Text(16)
	return strings.Repeat("0", 32-len(h)) + h, true
}
