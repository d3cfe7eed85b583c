// Package blob owns media bytes: Disk implements chat.BlobStore as
// content-addressed files on local disk named by their SHA-256 (one node's
// default), and S3 the same objects in an S3-compatible bucket, which the
// nodes of a cluster share.
//
// It imports the kernel, the chat context's interface and, for S3,
// minio-go.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// staleTemp is how old a leftover temporary file must be for NewDisk to
// remove it; younger ones may belong to a Put in another process.
const staleTemp = time.Hour

// Disk stores each blob in the file dir/ab/cd/<sha256 hex>, where ab and cd
// are the first two pairs of hex digits. Blobs are written to dir/tmp,
// synced, then renamed into place, so a blob file is always complete; the
// same bytes are stored once. Disk is safe for concurrent use, also by
// several processes sharing dir.
type Disk struct {
	dir string
	tmp string
}

var _ chat.BlobStore = (*Disk)(nil)

// NewDisk returns a Disk rooted at dir, creating dir if needed and removing
// temporary files that an interrupted Put left behind.
func NewDisk(dir string) (*Disk, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob dir %q: %w", dir, err)
	}
	d := &Disk{dir: dir, tmp: filepath.Join(dir, "tmp")}
	if err := os.MkdirAll(d.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("create blob dir: %w", err)
	}
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return nil, fmt.Errorf("read blob temp dir: %w", err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(d.tmp, e.Name()))
		}
	}
	return d, nil
}

// Put stores the bytes of r and returns their lower-case hex SHA-256 and
// their count. It returns ETooLarge, and stores nothing, if r has more than
// max bytes, and ctx's error if ctx ends first. Storing bytes already
// stored succeeds and keeps one copy.
func (d *Disk) Put(ctx context.Context, r io.Reader, max int64) (sha string, size int64, err error) {
	defer func() { err = diskFull(err) }()
	f, sha, size, err := spool(ctx, d.tmp, r, max)
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("close blob: %w", err)
	}
	path := d.path(sha)
	if _, err := os.Stat(path); err == nil {
		return sha, size, nil // already stored; the deferred func removes the temp file
	}
	leaf := filepath.Dir(path)
	if err := os.MkdirAll(leaf, 0o750); err != nil {
		return "", 0, fmt.Errorf("create blob dir: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", 0, fmt.Errorf("rename blob into place: %w", err)
	}
	f = nil // renamed: nothing to remove
	// Make the new name durable, and the names of the directories above it,
	// which this or a concurrent Put may have just created.
	for _, dir := range []string{leaf, filepath.Dir(leaf), d.dir} {
		if err := syncDir(dir); err != nil {
			return "", 0, err
		}
	}
	return sha, size, nil
}

// diskFull turns the error of a disk out of space into EUnavailable
// (503, retry later), which tells the client the upload may succeed
// later rather than that the server failed (TestFaultDiskFullSQLite).
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return &parley.Error{Code: parley.EUnavailable, Message: "the server's storage is full; retry later", Err: err}
	}
	return err
}

// spool copies r into a new temporary file in dir while hashing it, and
// returns the file (at its end, open) with the bytes' SHA-256 and count. It
// returns ETooLarge, removing the file, if r has more than max bytes. The
// caller closes and removes the file.
func spool(ctx context.Context, dir string, r io.Reader, max int64) (_ *os.File, sha string, size int64, err error) {
	if max < 0 {
		return nil, "", 0, parley.Errorf(parley.EInvalid, "negative size limit")
	}
	f, err := os.CreateTemp(dir, "put-*")
	if err != nil {
		return nil, "", 0, fmt.Errorf("create blob temp file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// Read one byte more than allowed: getting it means r is too large.
	limit := max + 1
	if max == math.MaxInt64 {
		limit = max
	}
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(readFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil { // stop a long upload when ctx ends
			return 0, err
		}
		return r.Read(p)
	}), limit))
	if err != nil {
		return nil, "", 0, fmt.Errorf("write blob: %w", err)
	}
	if size > max {
		return nil, "", 0, parley.Errorf(parley.ETooLarge, "media is larger than %d bytes", max)
	}
	return f, hex.EncodeToString(h.Sum(nil)), size, nil
}

// Open returns the blob with the given lower-case hex SHA-256, or
// ErrNotFound if there is none or sha is not such a hash.
func (d *Disk) Open(ctx context.Context, sha string) (io.ReadSeekCloser, error) {
	if !validHash(sha) {
		return nil, parley.ErrNotFound
	}
	f, err := os.Open(d.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", sha, err)
	}
	return f, nil
}

// Delete removes the blob; a missing blob or an invalid hash is not an
// error. The media sweep calls it for blobs no media refers to.
func (d *Disk) Delete(ctx context.Context, sha string) error {
	if !validHash(sha) {
		return nil
	}
	if err := os.Remove(d.path(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", sha, err)
	}
	return nil
}

// path returns the file name of a blob; sha must be valid.
func (d *Disk) path(sha string) string {
	return filepath.Join(d.dir, filepath.FromSlash(key(sha)))
}

// key is where a blob lives under the store's root: ab/cd/<sha256>, where
// ab and cd are the first two pairs of hex digits; sha must be valid.
func key(sha string) string {
	return sha[0:2] + "/" + sha[2:4] + "/" + sha
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync blob dir: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync blob dir: %w", err)
	}
	return nil
}

// validHash reports whether s is 64 lower-case hex digits, which also
// keeps it from naming anything outside the store.
func validHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// readFunc is an io.Reader made of a function.
type readFunc func(p []byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
