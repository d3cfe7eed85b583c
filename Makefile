# Thin on purpose: each target is one command you could type yourself.
.PHONY: run test build bench fuzz

run:
	go run ./cmd/parley serve

test:
	go vet ./...
	CGO_ENABLED=1 go test -race -count=1 -timeout 15m ./...

build:
	CGO_ENABLED=0 go build -trimpath -o bin/parley ./cmd/parley

bench:
	go run ./cmd/parley bench messaging
