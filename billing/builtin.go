package billing

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

//go:embed cards/*.card
var builtinFS embed.FS

// The names of the built-in cards, one per regime.
const (
	CardConversation = "conversation-2024"
	CardPerMessage25 = "per-message-2025-07"
	CardPerMessage26 = "per-message-2026-10"
)

// CardFor returns the built-in card name of a regime.
func CardFor(r Regime) string {
	switch r {
	case Conversation:
		return CardConversation
	case PerMessage2026:
		return CardPerMessage26
	}
	return CardPerMessage25
}

// Builtin returns the example cards that ship with Parley (cards/*.card):
// every version of one card per regime. They panic-free parse at build
// time through a test; an error here is a bug.
func Builtin() ([]*Card, error) {
	names, err := fs.Glob(builtinFS, "cards/*.card")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []*Card
	for _, n := range names {
		b, err := builtinFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		c, err := Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("built-in card %s: %w", strings.TrimPrefix(n, "cards/"), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Catalog holds card versions by name. The zero value is empty and
// ready; it is not safe for concurrent mutation.
type Catalog struct {
	cards map[string][]*Card // by EffectiveFrom ascending
}

// NewCatalog returns a catalog of the given cards.
func NewCatalog(cards ...*Card) (*Catalog, error) {
	c := &Catalog{}
	for _, k := range cards {
		if err := c.Add(k); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BuiltinCatalog returns a catalog of the built-in cards.
func BuiltinCatalog() *Catalog {
	cs, err := Builtin()
	if err != nil {
		panic(err) // the embedded cards are tested
	}
	c, err := NewCatalog(cs...)
	if err != nil {
		panic(err)
	}
	return c
}

// Add adds a card version, replacing the one with the same name and
// version. Versions of one name must share regime and currency, and a
// later version must take effect later.
func (c *Catalog) Add(k *Card) error {
	if c.cards == nil {
		c.cards = map[string][]*Card{}
	}
	vs := slices.DeleteFunc(c.cards[k.Name], func(o *Card) bool { return o.Version == k.Version })
	for _, o := range vs {
		if o.Regime != k.Regime || o.Currency != k.Currency {
			return fmt.Errorf("card %s: version %d has regime %s %s, version %d has %s %s", k.Name, o.Version, o.Regime, o.Currency, k.Version, k.Regime, k.Currency)
		}
		if (o.Version < k.Version) != o.EffectiveFrom.Before(k.EffectiveFrom) {
			return fmt.Errorf("card %s: version %d must take effect after version %d (and before any later one)", k.Name, max(o.Version, k.Version), min(o.Version, k.Version))
		}
	}
	vs = append(vs, k)
	slices.SortFunc(vs, func(a, b *Card) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	c.cards[k.Name] = vs
	return nil
}

// At returns the version of card name in effect at t: the one with the
// latest EffectiveFrom at or before t. A version is therefore fixed for
// the whole period it was in effect.
func (c *Catalog) At(name string, t time.Time) (*Card, error) {
	vs := c.cards[name]
	if len(vs) == 0 {
		return nil, fmt.Errorf("no rate card %q", name)
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].EffectiveFrom.After(t) {
			return vs[i], nil
		}
	}
	return nil, fmt.Errorf("rate card %q has no version in effect at %s (the first takes effect %s)", name, t.UTC().Format(time.RFC3339), vs[0].EffectiveFrom.Format(time.DateOnly))
}

// Versions returns the versions of card name, oldest first.
func (c *Catalog) Versions(name string) []*Card { return slices.Clone(c.cards[name]) }

// Names returns the card names, sorted.
func (c *Catalog) Names() []string {
	var ns []string
	for n := range c.cards {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}
