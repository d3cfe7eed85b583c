# Thin on purpose: each target is one command you could type yourself.
.PHONY: run test build bench fuzz

FUZZTIME ?= 30s

# Build, then exec the binary: make's child is the server itself, so
# stopping make (ctrl-c) stops the server (go run would leave its child).
run:
	go build -o bin/parley ./cmd/parley
	exec ./bin/parley serve

test:
	go vet ./...
	CGO_ENABLED=1 go test -race -count=1 -timeout 30m ./...

build:
	CGO_ENABLED=0 go build -trimpath -o bin/parley ./cmd/parley

bench:
	go run ./cmd/parley bench messaging

# Every Fuzz target in turn, FUZZTIME each: make fuzz FUZZTIME=10m
fuzz:
	FUZZTIME=$(FUZZTIME) sh scripts/fuzz.sh
