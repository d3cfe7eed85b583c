package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// S3Options locate a bucket of an S3-compatible object store.
type S3Options struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // optional
	Insecure  bool   // plain HTTP, for a store on a private network or loopback
	// Prefix is put before every object name ("" for none), so that
	// deployments can share a bucket.
	Prefix string
}

// S3 keeps blobs as objects named <prefix>ab/cd/<sha256> in a bucket that
// every node of a cluster shares, so that media uploaded through one node
// is readable through another and outlives it. Bytes are first spooled to
// a local temporary file, hashed, then uploaded under their hash: an object
// is complete or absent, and the same bytes are stored once.
type S3 struct {
	c   *minio.Client
	o   S3Options
	tmp string
}

var _ chat.BlobStore = (*S3)(nil)

// NewS3 connects to the bucket (which must exist) and spools uploads in tmp.
func NewS3(ctx context.Context, o S3Options, tmp string) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("s3 blob store: an endpoint and a bucket are needed")
	}
	c, err := minio.New(o.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: !o.Insecure, Region: o.Region})
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: %w", err)
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: check bucket %q: %w", o.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3 blob store: bucket %q does not exist", o.Bucket)
	}
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("s3 blob store: create spool dir: %w", err)
	}
	return &S3{c: c, o: o, tmp: tmp}, nil
}

func (s *S3) name(sha string) string { return s.o.Prefix + key(sha) }

// Put stores the bytes of r, as Disk.Put does.
func (s *S3) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	f, sha, size, err := spool(ctx, s.tmp, r, max)
	if err != nil {
		return "", 0, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if _, err := s.c.StatObject(ctx, s.o.Bucket, s.name(sha), minio.StatObjectOptions{}); err == nil {
		return sha, size, nil // already stored
	} else if !notFound(err) {
		return "", 0, fmt.Errorf("s3 blob store: stat %s: %w", sha, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("s3 blob store: rewind spool: %w", err)
	}
	if _, err := s.c.PutObject(ctx, s.o.Bucket, s.name(sha), f, size,
		minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		return "", 0, fmt.Errorf("s3 blob store: put %s: %w", sha, err)
	}
	return sha, size, nil
}

// Open returns the blob, or ErrNotFound. The object is read as the caller
// reads and seeks (ranged GETs).
func (s *S3) Open(ctx context.Context, sha string) (io.ReadSeekCloser, error) {
	if !validHash(sha) {
		return nil, parley.ErrNotFound
	}
	obj, err := s.c.GetObject(ctx, s.o.Bucket, s.name(sha), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: get %s: %w", sha, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if notFound(err) {
			return nil, parley.ErrNotFound
		}
		return nil, fmt.Errorf("s3 blob store: get %s: %w", sha, err)
	}
	return obj, nil
}

// Delete removes the blob; a missing blob or an invalid hash is not an
// error.
func (s *S3) Delete(ctx context.Context, sha string) error {
	if !validHash(sha) {
		return nil
	}
	if err := s.c.RemoveObject(ctx, s.o.Bucket, s.name(sha), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("s3 blob store: delete %s: %w", sha, err)
	}
	return nil
}

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == minio.NoSuchKey
}
