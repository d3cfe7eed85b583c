package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/parleyhq/parley"
)

func newDisk(t *testing.T) (*Disk, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatalf("NewDisk: %v", err)
	}
	return d, dir
}

func sum(data string) string {
	h := sha256.Sum256([]byte(data))
	return hex.EncodeToString(h[:])
}

// files lists the blob files under dir, and separately the temporary ones.
func files(t *testing.T, dir string) (blobs, temps []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			temps = append(temps, rel)
		} else {
			blobs = append(blobs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return blobs, temps
}

func put(t *testing.T, d *Disk, data string, max int64) (string, int64, error) {
	t.Helper()
	return d.Put(context.Background(), strings.NewReader(data), max)
}

func read(t *testing.T, d *Disk, sha string) string {
	t.Helper()
	rc, err := d.Open(context.Background(), sha)
	if err != nil {
		t.Fatalf("Open(%s): %v", sha, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	for _, data := range []string{"hello, parley", "", strings.Repeat("x", 1<<20)} {
		d, dir := newDisk(t)
		sha, size, err := put(t, d, data, 1<<20)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if want := sum(data); sha != want {
			t.Errorf("sha: got %s, want %s", sha, want)
		}
		if size != int64(len(data)) {
			t.Errorf("size: got %d, want %d", size, len(data))
		}
		if got := read(t, d, sha); got != data {
			t.Errorf("read back %d bytes, want %d", len(got), len(data))
		}
		blobs, temps := files(t, dir)
		want := filepath.Join(sha[:2], sha[2:4], sha)
		if len(blobs) != 1 || blobs[0] != want || len(temps) != 0 {
			t.Errorf("files: got %v and temps %v, want [%s] and none", blobs, temps, want)
		}
	}
}

func TestOpenSeeks(t *testing.T) {
	d, _ := newDisk(t)
	sha, _, err := put(t, d, "0123456789", 100)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(rc); string(b) != "6789" {
		t.Errorf("got %q after seeking to 6, want %q", b, "6789")
	}
}

func TestDedup(t *testing.T) {
	d, dir := newDisk(t)
	first, _, err := put(t, d, "same bytes", 100)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := put(t, d, "same bytes", 100)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("got %s then %s, want the same hash", first, second)
	}
	if blobs, temps := files(t, dir); len(blobs) != 1 || len(temps) != 0 {
		t.Errorf("got files %v and temps %v, want one file", blobs, temps)
	}
}

func TestTooLarge(t *testing.T) {
	d, dir := newDisk(t)
	if _, _, err := put(t, d, "12345", 5); err != nil {
		t.Errorf("Put of exactly max bytes: %v", err)
	}
	_, _, err := put(t, d, "123456", 5)
	if got := parley.ErrorCode(err); got != parley.ETooLarge {
		t.Errorf("Put of max+1 bytes: got %v, want %s", err, parley.ETooLarge)
	}
	if _, _, err := put(t, d, "x", 0); parley.ErrorCode(err) != parley.ETooLarge {
		t.Errorf("Put of 1 byte with max 0: got %v, want %s", err, parley.ETooLarge)
	}
	if blobs, temps := files(t, dir); len(blobs) != 1 || len(temps) != 0 {
		t.Errorf("got files %v and temps %v, want only the blob that fit", blobs, temps)
	}
}

func TestOpenBadHash(t *testing.T) {
	d, dir := newDisk(t)
	sha, _, err := put(t, d, "secret", 100)
	if err != nil {
		t.Fatal(err)
	}
	// A file a path traversal would reach.
	if err := os.WriteFile(filepath.Join(dir, "outside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sha string }{
		{"Empty", ""},
		{"Short", sha[:63]},
		{"Long", sha + "0"},
		{"UpperCase", strings.ToUpper(sha)},
		{"NotHex", strings.Repeat("g", 64)},
		{"Traversal", "../../outside"},
		{"PaddedTraversal", "../" + strings.Repeat("0", 58) + "/../x"},
		{"Slashes", sha[:2] + "/" + sha[3:]},
		{"Missing", sum("never stored")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := d.Open(context.Background(), tt.sha)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, parley.ErrNotFound) {
				t.Errorf("Open(%q): got %v, want ErrNotFound", tt.sha, err)
			}
		})
	}
}

func TestConcurrentPutsOfSameContent(t *testing.T) {
	d, dir := newDisk(t)
	data := strings.Repeat("concurrent ", 10000)
	const n = 16
	shas := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sha, _, err := d.Put(context.Background(), strings.NewReader(data), 1<<20)
			if err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
			shas[i] = sha
		})
	}
	wg.Wait()
	for i, sha := range shas {
		if sha != sum(data) {
			t.Errorf("Put %d: got %s, want %s", i, sha, sum(data))
		}
	}
	if blobs, temps := files(t, dir); len(blobs) != 1 || len(temps) != 0 {
		t.Errorf("got files %v and temps %v, want one file", blobs, temps)
	}
	if got := read(t, d, sum(data)); got != data {
		t.Error("stored bytes differ from what was put")
	}
}

func TestPutFailuresLeaveNothing(t *testing.T) {
	d, dir := newDisk(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := d.Put(canceled, strings.NewReader("x"), 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled ctx: got %v, want %v", err, context.Canceled)
	}
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom))
	if _, _, err := d.Put(context.Background(), r, 100); !errors.Is(err, boom) {
		t.Errorf("Put of failing reader: got %v, want %v", err, boom)
	}
	if _, _, err := d.Put(context.Background(), bytes.NewReader(nil), -1); parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("Put with negative max: got %v, want %s", err, parley.EInvalid)
	}
	if blobs, temps := files(t, dir); len(blobs) != 0 || len(temps) != 0 {
		t.Errorf("got files %v and temps %v, want none", blobs, temps)
	}
}

func TestNewDiskRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, "tmp", "put-stale"), filepath.Join(dir, "tmp", "put-fresh")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp file: got %v, want it removed", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file: got %v, want it kept (a Put may be writing it)", err)
	}
}
