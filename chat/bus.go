package chat

import (
	"context"
	"io"
)

// Bus carries events between nodes: new inbox entries for connected
// devices, typing and presence. It is fire-and-forget; anything that must not
// be lost is in the Store first. internal/nats implements it on an embedded
// or external NATS server.
type Bus interface {
	// Publish sends data on subject.
	Publish(subject string, data []byte) error
	// Subscribe calls fn for each message on subject (which may contain
	// NATS wildcards) until the returned function is called.
	Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func() error, err error)
}

// CodeSender delivers one-time registration codes. internal/otp has the
// log and SMS-gateway senders.
type CodeSender interface {
	SendCode(ctx context.Context, phone, code string) error
}

// BlobStore keeps media bytes addressed by their SHA-256. internal/blob
// has the on-disk implementation.
type BlobStore interface {
	// Put stores r and returns its lower-case hex SHA-256 and size. It
	// returns ETooLarge if r has more than max bytes.
	Put(ctx context.Context, r io.Reader, max int64) (sha256 string, size int64, err error)
	// Open returns the blob, or ErrNotFound.
	Open(ctx context.Context, sha256 string) (io.ReadSeekCloser, error)
	// Delete removes the blob; a missing blob is not an error.
	Delete(ctx context.Context, sha256 string) error
}
