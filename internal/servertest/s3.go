package servertest

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/parleyhq/parley/internal/blob"
)

// S3 starts an S3-compatible object store on loopback (gofakes3: the S3
// REST protocol, signatures included, over real HTTP, keeping objects in
// memory) with one empty bucket, and returns options that reach it. It
// stops when the test ends. Several servers given the same options share
// the bucket, as the nodes of a cluster do.
func S3(t testing.TB) blob.S3Options {
	t.Helper()
	backend := s3mem.New()
	const bucket = "parley-media"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return blob.S3Options{Endpoint: u.Host, Bucket: bucket, AccessKey: "parley", SecretKey: "parley-test-secret",
		Region: "us-east-1", Insecure: true}
}
