#!/bin/sh
# fuzz.sh runs every Fuzz target of the module, one after the other, for
# FUZZTIME each (default 30s). Targets are found by name, so a new one
# runs without editing this file. A failure stops the loop; its input is
# left under the package's testdata/fuzz/ to commit with the fix.
set -eu
FUZZTIME=${FUZZTIME:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "== $pkg $name ($FUZZTIME)"
		go test -run='^$' -fuzz="^$name\$" -fuzztime="$FUZZTIME" "$pkg"
	done
done
