package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// deployment makes a data directory like the server's: a WAL database
// with a media table, blobs under media/, a secret and NATS state. It
// returns the writer connection and the blobs' hashes.
func deployment(t testing.TB, dir string, blobs ...string) (*sql.DB, []string) {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(filepath.Join(dir, DBFile)), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, s := range []string{
		"CREATE TABLE media (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL)",
		"CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	var shas []string
	for i, b := range blobs {
		sum := sha256.Sum256([]byte(b))
		sha := hex.EncodeToString(sum[:])
		writeFile(t, blobPath(filepath.Join(dir, MediaDir), sha), b)
		if _, err := db.Exec("INSERT INTO media VALUES (?, ?)", fmt.Sprint("m", i), sha); err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha)
	}
	writeFile(t, filepath.Join(dir, MediaDir, "tmp", "put-123"), "half an upload")
	writeFile(t, filepath.Join(dir, SecretFile), strings.Repeat("s", 32))
	writeFile(t, filepath.Join(dir, "nats", "jetstream", "x"), "bus state")
	return db, shas
}

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func count(t testing.TB, path, table string) int {
	t.Helper()
	db, err := open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupUnderWrites backs up while a writer commits without pause:
// the copy holds every row committed before Create began, the blobs, the
// secret and no NATS state, and restores into a new directory.
func TestBackupUnderWrites(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	db, shas := deployment(t, data, "first photo", "second photo")

	var committed atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := db.Exec("INSERT INTO messages VALUES (?, 'hi')", i); err != nil {
				done <- err
				return
			}
			committed.Store(int64(i))
		}
	}()
	for committed.Load() < 100 {
		time.Sleep(time.Millisecond)
	}
	before := committed.Load()
	out := filepath.Join(t.TempDir(), "b1")
	m, err := Create(ctx, data, out)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if st, err := os.Stat(filepath.Join(out, DBFile)); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o600 {
		t.Errorf("backup database mode %v, want 0600", st.Mode().Perm())
	}
	if m.Blobs != 2 || m.Referenced != 2 || !m.Secret || m.DBBytes == 0 {
		t.Errorf("manifest %+v, want 2 blobs, 2 referenced, a secret, a database", m)
	}
	got := count(t, filepath.Join(out, DBFile), "messages")
	if int64(got) < before {
		t.Errorf("backup holds %d messages, want at least the %d committed before it", got, before)
	}
	for _, p := range []string{"nats", filepath.Join(MediaDir, "tmp")} {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			t.Errorf("backup holds %s, want it left out", p)
		}
	}

	restored := filepath.Join(t.TempDir(), "data")
	if _, err := Restore(ctx, out, restored); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if n := count(t, filepath.Join(restored, DBFile), "messages"); n != got {
		t.Errorf("restored %d messages, want %d", n, got)
	}
	for i, sha := range shas {
		b, err := os.ReadFile(blobPath(filepath.Join(restored, MediaDir), sha))
		if want := []string{"first photo", "second photo"}[i]; err != nil || string(b) != want {
			t.Errorf("restored blob %d: got %q, %v, want %q", i, b, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(restored, SecretFile)); err != nil || string(b) != strings.Repeat("s", 32) {
		t.Errorf("restored secret: got %q, %v", b, err)
	}
}

func TestCreateRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("no database", func(t *testing.T) {
		_, err := Create(ctx, t.TempDir(), filepath.Join(t.TempDir(), "b"))
		if !errors.Is(err, ErrNoDatabase) {
			t.Errorf("got %v, want ErrNoDatabase", err)
		}
	})
	t.Run("target not empty", func(t *testing.T) {
		data := t.TempDir()
		deployment(t, data)
		out := t.TempDir()
		writeFile(t, filepath.Join(out, "x"), "x")
		if _, err := Create(ctx, data, out); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("got %v, want a not-empty error", err)
		}
	})
	t.Run("referenced blob missing", func(t *testing.T) {
		data := t.TempDir()
		_, shas := deployment(t, data, "photo")
		os.Remove(blobPath(filepath.Join(data, MediaDir), shas[0]))
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Create(ctx, data, out); err == nil || !strings.Contains(err.Error(), "missing") {
			t.Errorf("got %v, want a missing-blob error", err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a failed backup left its directory behind")
		}
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".b.partial-*")); len(m) > 0 {
			t.Errorf("a failed backup left %v behind", m)
		}
	})
}

func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	_, shas := deployment(t, data, "photo")
	out := filepath.Join(t.TempDir(), "b")
	if _, err := Create(ctx, data, out); err != nil {
		t.Fatal(err)
	}
	t.Run("target not empty", func(t *testing.T) {
		if _, err := Restore(ctx, out, data); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("got %v, want a not-empty error", err)
		}
	})
	t.Run("no manifest", func(t *testing.T) {
		if _, err := Restore(ctx, data, filepath.Join(t.TempDir(), "d")); err == nil || !strings.Contains(err.Error(), "not a complete backup") {
			t.Errorf("got %v, want an incomplete-backup error", err)
		}
	})
	t.Run("damaged blob", func(t *testing.T) {
		writeFile(t, blobPath(filepath.Join(out, MediaDir), shas[0]), "phot0")
		if _, err := Restore(ctx, out, filepath.Join(t.TempDir(), "d")); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("got %v, want a damaged-blob error", err)
		}
	})
}
