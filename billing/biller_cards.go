package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
)

// The operator's rate cards: listed, read, and added in advance.

// RateCardInfo describes a card version.
type RateCardInfo struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Regime    string    `json:"regime"`
	Currency  string    `json:"currency"`
	Effective time.Time `json:"effective"`
	Source    string    `json:"source"` // builtin | operator
	Markets   []string  `json:"markets"`
}

func cardInfo(c *Card) RateCardInfo {
	src := c.Source
	if src != "operator" {
		src = "builtin"
	}
	return RateCardInfo{Name: c.Name, Version: c.Version, Regime: string(c.Regime), Currency: c.Currency, Effective: c.EffectiveFrom,
		Source: src, Markets: c.Markets()}
}

// RateCards lists every card version.
func (bl *Biller) RateCards(ctx context.Context) ([]RateCardInfo, error) {
	cat, err := bl.catalog(ctx)
	if err != nil {
		return nil, err
	}
	var out []RateCardInfo
	for _, n := range cat.Names() {
		for _, c := range cat.Versions(n) {
			out = append(out, cardInfo(c))
		}
	}
	return out, nil
}

// RateCardText returns the text of a card version.
func (bl *Biller) RateCardText(ctx context.Context, name string, version int) (string, error) {
	recs, err := bl.st.ListRateCards(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.Name == name && r.Version == version {
			return r.Text, nil
		}
	}
	if t, ok := BuiltinText(name, version); ok {
		return t, nil
	}
	return "", &parley.Error{Code: parley.ENotFound, Message: fmt.Sprintf("no rate card %s version %d", name, version)}
}

// AddRateCard validates a card version and stores it. A card that does
// not parse is EInvalid with the wrong line in Details["line"]; a
// version that takes effect sooner than the notice, or that is out of
// step with the card's other versions, is EInvalid; an existing version
// is EConflict.
func (bl *Biller) AddRateCard(ctx context.Context, text string) (RateCardInfo, error) {
	c, err := Parse(text)
	if err != nil {
		var le *LineError
		if errors.As(err, &le) {
			return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error(), Details: map[string]any{"line": le.Line}}
		}
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error()}
	}
	now := bl.now()
	if !c.EffectiveFrom.After(now.Add(bl.cfg.Notice)) {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("rate card refused: a new version must take effect after %s (rates are announced in advance)",
			now.Add(bl.cfg.Notice).UTC().Format(time.RFC3339)), Details: map[string]any{"field": "effective"}}
	}
	if c.Currency != bl.cfg.Currency {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("rate card refused: the currency is %s; this server bills in %s", c.Currency, bl.cfg.Currency),
			Details: map[string]any{"field": "currency"}}
	}
	if err := bl.load(ctx); err != nil {
		return RateCardInfo{}, err
	}
	bl.mu.Lock()
	defer bl.mu.Unlock()
	for _, o := range bl.cat.Versions(c.Name) {
		if o.Version == c.Version {
			return RateCardInfo{}, &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("rate card %s version %d exists; add a new version", c.Name, c.Version)}
		}
	}
	next, err := NewCatalog()
	if err != nil {
		return RateCardInfo{}, err
	}
	for _, n := range bl.cat.Names() {
		for _, o := range bl.cat.Versions(n) {
			if err := next.Add(o); err != nil {
				return RateCardInfo{}, err
			}
		}
	}
	c.Source = "operator"
	if err := next.Add(c); err != nil {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error()}
	}
	if err := bl.st.PutRateCard(ctx, RateCardRecord{Name: c.Name, Version: c.Version, Text: text, Effective: c.EffectiveFrom, CreatedAt: now}); err != nil {
		return RateCardInfo{}, fmt.Errorf("put rate card: %w", err)
	}
	bl.cat = next
	return cardInfo(c), nil
}
