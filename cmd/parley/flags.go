package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// usageOnce makes a bad flag print fs's usage to w and nothing else: the
// flag package would also print the error, which main prints once more.
// Call it after setting fs.Usage.
func usageOnce(fs *flag.FlagSet, w io.Writer) {
	usage := fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(w)
		defer fs.SetOutput(io.Discard)
		usage()
	}
}

// commandFlags returns a flag set for `parley NAME` whose usage reads
// "usage: parley NAME [flags] ARGS" then the flags, and which prints a bad
// flag's error once (see usageOnce).
func commandFlags(name, argsUsage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: parley %s\nflags:\n", strings.TrimSpace(name+" [flags] "+argsUsage))
		fs.PrintDefaults()
	}
	usageOnce(fs, w)
	return fs
}

// version is what parley --version prints: the module version the binary
// was built from (with its commit when built from a checkout) and Go's.
func version() string {
	v, rev, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := "parley " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " commit " + rev
		if dirty {
			out += " (modified)"
		}
	}
	return out + " " + runtime.Version()
}
