#!/bin/sh
# fuzz.sh runs every Fuzz target of the module, one after the other, for
# FUZZTIME each (default 30s), with FUZZPARALLEL workers (default: one
# per core). Targets are found by name, so a new one runs without editing
# this file. A failure that writes a failing input stops the loop; the
# input is left under the package's testdata/fuzz/ to commit with the fix.
# A failure that writes none ("context deadline exceeded" at the end of
# FUZZTIME on a loaded machine: Go's coordinator race, golang/go#75804,
# fixed in Go 1.27) is reported and the loop goes on.
set -eu
FUZZTIME=${FUZZTIME:-30s}
par=""
[ -n "${FUZZPARALLEL:-}" ] && par="-parallel=$FUZZPARALLEL"
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "== $pkg $name ($FUZZTIME)"
		dir="$pkg/testdata/fuzz/$name"
		before=$(ls "$dir" 2>/dev/null | wc -l)
		if ! go test -run='^$' -fuzz="^$name\$" -fuzztime="$FUZZTIME" $par "$pkg"; then
			if [ "$(ls "$dir" 2>/dev/null | wc -l)" -gt "$before" ]; then
				echo "fuzz.sh: $name wrote a failing input under $dir" >&2
				exit 1
			fi
			echo "fuzz.sh: $name failed without a failing input (golang/go#75804); going on" >&2
		fi
	done
done
