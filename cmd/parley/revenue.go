package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/internal/server"
)

const revenueUsage = `usage: parley revenue simulate --from YYYY-MM --to YYYY-MM --model MODEL [flags]

Replays the real metered usage of the months --from to --to (inclusive),
read from the store's usage ledger, under another pricing model, and
compares it with the base: revenue per model (the base, the alternative,
and the three built-in regimes side by side), by category, by market, by
month, and the businesses that would pay most more and most less.

MODEL is a regime (conversation, per_message_2025_07, per_message_2026_10:
its built-in card) or a card name of the catalog. Each card applies to the
whole period, its first version also before it took effect.

Businesses on per-message pricing have no conversation events in the
ledger; under a conversation card each of their messages (outside a free
entry point) is counted as opening a conversation, and the output says
that the figure is an upper bound. See docs/BILLING.md.
`

// revenue runs `parley revenue ...`.
func revenue(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, revenueUsage)
		if len(args) == 0 {
			return errors.New("revenue: name a command (simulate)")
		}
		return nil
	}
	if args[0] != "simulate" {
		return fmt.Errorf("revenue: unknown command %q (want simulate)", args[0])
	}
	return revenueSimulate(ctx, args[1:], getenv, stdout, stderr)
}

func revenueSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("revenue simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o server.Options
	serverFlags(fs, getenv, &o)
	from := fs.String("from", "", "first month replayed, YYYY-MM (required)")
	to := fs.String("to", "", "last month replayed, YYYY-MM, inclusive; --from when empty")
	model := fs.String("model", "", "the alternative: conversation, per_message_2025_07, per_message_2026_10 or a card name (required)")
	base := fs.String("base", billing.CardPerMessage26, "the card the alternative is compared with: a regime or a card name")
	chart := fs.String("chart", "", "also write an SVG chart to this file (.svg)")
	top := fs.Int("top", 10, "businesses listed paying more, and paying less")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of text")
	fs.Usage = func() { fmt.Fprint(stderr, revenueUsage, "\nflags:\n"); fs.PrintDefaults() }
	usageOnce(fs, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("revenue simulate: unexpected argument %q", fs.Arg(0))
	}
	if *from == "" || *model == "" {
		return errors.New("revenue simulate: --from and --model are required")
	}
	if *to == "" {
		*to = *from
	}
	pFrom, err := billing.ParsePeriod(*from)
	if err != nil {
		return fmt.Errorf("revenue simulate: --from: %w", err)
	}
	pTo, err := billing.ParsePeriod(*to)
	if err != nil {
		return fmt.Errorf("revenue simulate: --to: %w", err)
	}
	if pTo < pFrom {
		return fmt.Errorf("revenue simulate: --to %s is before --from %s", pTo, pFrom)
	}
	if *chart != "" && !strings.EqualFold(filepath.Ext(*chart), ".svg") {
		return fmt.Errorf("revenue simulate: --chart %q: only .svg charts are written", *chart)
	}
	cat := billing.BuiltinCatalog()
	alt, err := billing.ModelCard(cat, *model)
	if err != nil {
		return fmt.Errorf("revenue simulate: --model: %w", err)
	}
	baseCard, err := billing.ModelCard(cat, *base)
	if err != nil {
		return fmt.Errorf("revenue simulate: --base: %w", err)
	}

	st, err := server.OpenStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	var streamErr error
	usage, perMessage := billing.LedgerUsage(ctx, st, pFrom, pTo, &streamErr)
	rep, err := billing.BuildReport(cat, usage, billing.ReportOptions{
		Base: baseCard, Alt: alt, Others: []string{billing.CardPerMessage26, billing.CardPerMessage25, billing.CardConversation},
		From: pFrom, To: pTo, Top: *top, Synthesize: perMessage,
	})
	if streamErr != nil {
		return fmt.Errorf("revenue simulate: read the usage ledger: %w", streamErr)
	}
	if err != nil {
		return fmt.Errorf("revenue simulate: %w", err)
	}
	if *chart != "" {
		f, err := os.Create(*chart)
		if err != nil {
			return fmt.Errorf("revenue simulate: %w", err)
		}
		if err := billing.WriteSVG(f, rep); err != nil {
			f.Close()
			return fmt.Errorf("revenue simulate: write chart: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("revenue simulate: write chart: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}
