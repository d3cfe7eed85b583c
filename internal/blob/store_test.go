package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/servertest"
)

// Both blob stores keep the same promises: what is stored reads back and
// seeks, the same bytes are stored once, a blob over the limit is refused,
// and a missing or deleted blob is ErrNotFound.
func TestBlobStores(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		testBlobStore(t, d)
	})
	t.Run("s3", func(t *testing.T) {
		s, err := blob.NewS3(context.Background(), servertest.S3(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		testBlobStore(t, s)
	})
}

func testBlobStore(t *testing.T, st chat.BlobStore) {
	ctx := context.Background()
	data := strings.Repeat("parley media ", 1000)
	want := sha256.Sum256([]byte(data))
	sha, size, err := st.Put(ctx, strings.NewReader(data), 1<<20)
	if err != nil || sha != hex.EncodeToString(want[:]) || size != int64(len(data)) {
		t.Fatalf("put: got %s %d %v, want %x %d", sha, size, err, want, len(data))
	}
	if again, _, err := st.Put(ctx, strings.NewReader(data), 1<<20); err != nil || again != sha {
		t.Fatalf("put the same bytes again: %s %v", again, err)
	}
	r, err := st.Open(ctx, sha)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if _, err := r.Seek(13, io.SeekStart); err != nil {
		t.Fatalf("seek: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, []byte(data[13:])) {
		t.Fatalf("read after seek: %d bytes, %v", len(got), err)
	}
	if _, _, err := st.Put(ctx, strings.NewReader("too large"), 3); parley.ErrorCode(err) != parley.ETooLarge {
		t.Errorf("over the limit: got %v, want too_large", err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("0", 64)} {
		if _, err := st.Open(ctx, bad); !errors.Is(err, parley.ErrNotFound) {
			t.Errorf("open %q: got %v, want ErrNotFound", bad, err)
		}
	}
	if err := st.Delete(ctx, sha); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := st.Delete(ctx, sha); err != nil {
		t.Errorf("delete again: %v", err)
	}
	if _, err := st.Open(ctx, sha); !errors.Is(err, parley.ErrNotFound) {
		t.Errorf("open after delete: got %v, want ErrNotFound", err)
	}
}
