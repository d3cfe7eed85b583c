package main

import (
	"context"
	"errors"
	"io"
)

// bench runs a benchmark; see docs/PERFORMANCE.md.
func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("bench: not built yet")
}
