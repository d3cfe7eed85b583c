// Package backup owns online backups of a SQLite deployment's data
// directory and their restore. A backup is a directory holding a
// consistent copy of the database (taken with VACUUM INTO while the
// server runs), the media blobs it refers to, the server secret and a
// manifest written last.
//
// It imports the SQLite driver and the standard library only; it knows
// the data directory's layout (parley.db, media/, secret, nats/) as
// internal/server and internal/blob define it.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// The names inside a data directory and a backup.
const (
	DBFile       = "parley.db" // the SQLite database
	MediaDir     = "media"     // content-addressed blobs: media/ab/cd/<sha256>
	SecretFile   = "secret"    // the server secret (login code hashes)
	ManifestFile = "parley-backup.json"

	// FormatVersion is the manifest's version; Restore refuses others.
	FormatVersion = 1
)

// Manifest describes a backup. Create writes it last, so a backup
// without one is incomplete.
type Manifest struct {
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	DBBytes    int64     `json:"db_bytes"`
	Blobs      int       `json:"blobs"`
	BlobBytes  int64     `json:"blob_bytes"`
	Referenced int       `json:"referenced_blobs"` // distinct blobs the database refers to
	Secret     bool      `json:"secret"`
}

// ErrNoDatabase is returned by Create when dataDir holds no SQLite
// database, as in a PostgreSQL deployment.
var ErrNoDatabase = errors.New("no SQLite database")

// Create backs up the deployment in dataDir into out, which must not exist
// or be empty; the server may be running. It copies, in this order:
//
//  1. the database, with VACUUM INTO on a separate read-only connection.
//     In WAL mode this is one read transaction: a consistent snapshot of
//     every commit before it began, taken without stopping the writer.
//  2. the media blobs. They are written before the row that refers to
//     them is committed, and never change (a blob's name is its SHA-256),
//     so copying the folder after the snapshot gets every blob the
//     snapshot refers to; blobs uploaded since are extra and harmless.
//     Create checks this: every blob the snapshot refers to must be in the
//     copy, or it fails.
//  3. the secret, without which login codes pending in the copy cannot
//     be checked.
//
// NATS state (dataDir/nats) is left out: the bus carries only
// fire-and-forget notifications, and everything that must survive a
// restart is in the database.
//
// The backup is assembled in a temporary directory next to out and renamed
// into place at the end, so out is either complete or absent.
func Create(ctx context.Context, dataDir, out string) (Manifest, error) {
	src := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("%w at %s", ErrNoDatabase, src)
	} else if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := emptyOrAbsent(out); err != nil {
		return Manifest{}, err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()

	m := Manifest{Version: FormatVersion, CreatedAt: time.Now().UTC()}
	dst := filepath.Join(tmp, DBFile)
	if err := snapshot(ctx, src, dst); err != nil {
		return Manifest{}, err
	}
	if err := os.Chmod(dst, 0o600); err != nil { // SQLite created it with the umask's mode
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(dst); err != nil {
		return Manifest{}, err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	m.DBBytes = st.Size()

	m.Blobs, m.BlobBytes, err = copyMedia(ctx, filepath.Join(dataDir, MediaDir), filepath.Join(tmp, MediaDir), false)
	if err != nil {
		return Manifest{}, err
	}
	if m.Referenced, err = checkReferenced(ctx, dst, filepath.Join(tmp, MediaDir)); err != nil {
		return Manifest{}, err
	}

	switch err := copyFile(filepath.Join(dataDir, SecretFile), filepath.Join(tmp, SecretFile), 0o600); {
	case err == nil:
		m.Secret = true
	case errors.Is(err, fs.ErrNotExist): // never started with a generated secret
	default:
		return Manifest{}, err
	}

	if err := writeManifest(tmp, m); err != nil {
		return Manifest{}, err
	}
	if err := syncDir(tmp); err != nil {
		return Manifest{}, err
	}
	// out may be an existing empty directory; rename replaces only that.
	if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	done = true
	if err := syncDir(parent); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Restore copies the backup in from into dataDir, which must not exist or
// be empty (Restore never overwrites a deployment). It checks the
// manifest, the database's integrity and every blob's hash on the way.
// Start the server on dataDir afterwards; it applies any newer
// migrations.
func Restore(ctx context.Context, from, dataDir string) (Manifest, error) {
	m, err := ReadManifest(from)
	if err != nil {
		return Manifest{}, err
	}
	if err := emptyOrAbsent(dataDir); err != nil {
		return Manifest{}, err
	}
	if err := checkIntegrity(ctx, filepath.Join(from, DBFile)); err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	if err := copyFile(filepath.Join(from, DBFile), filepath.Join(dataDir, DBFile), 0o600); err != nil {
		return Manifest{}, err
	}
	n, _, err := copyMedia(ctx, filepath.Join(from, MediaDir), filepath.Join(dataDir, MediaDir), true)
	if err != nil {
		return Manifest{}, err
	}
	if n != m.Blobs {
		return Manifest{}, fmt.Errorf("restore: backup holds %d blobs, its manifest says %d", n, m.Blobs)
	}
	if m.Secret {
		if err := copyFile(filepath.Join(from, SecretFile), filepath.Join(dataDir, SecretFile), 0o600); err != nil {
			return Manifest{}, err
		}
	}
	if err := syncDir(dataDir); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// ReadManifest reads and checks the manifest of the backup in dir.
func ReadManifest(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("%s is not a complete backup: no %s", dir, ManifestFile)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Version != FormatVersion {
		return Manifest{}, fmt.Errorf("backup format version %d, this parley reads %d", m.Version, FormatVersion)
	}
	return m, nil
}

// snapshot writes a consistent copy of the database src to dst.
func snapshot(ctx context.Context, src, dst string) error {
	db, err := open(src)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("snapshot %s: %w", src, err)
	}
	return nil
}

// open opens the SQLite file path read-only, waiting for locks up to 10 s.
// It never creates the file.
func open(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	q := url.Values{}
	q.Add("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// checkReferenced checks that every blob the database db refers to is in
// the media folder media, and returns how many it refers to.
func checkReferenced(ctx context.Context, db, media string) (int, error) {
	d, err := open(db)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, "SELECT DISTINCT sha256 FROM media")
	if err != nil {
		return 0, fmt.Errorf("list media: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return 0, fmt.Errorf("list media: %w", err)
		}
		if !validHash(sha) {
			return 0, fmt.Errorf("media row with a bad hash %q", sha)
		}
		if _, err := os.Stat(blobPath(media, sha)); err != nil {
			return 0, fmt.Errorf("blob %s, referred to by the snapshot, is missing from the copy (removed meanwhile? run the backup again): %w", sha, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list media: %w", err)
	}
	return n, nil
}

// checkIntegrity runs SQLite's integrity check on the database at path.
func checkIntegrity(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup database: %w", err)
	}
	d, err := open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	var res string
	if err := d.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&res); err != nil {
		return fmt.Errorf("check backup database: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("backup database is damaged: %s", res)
	}
	return nil
}

// copyMedia copies the blob files under src (media/ab/cd/<sha256>) to dst,
// skipping Put's temporary folder, and returns their count and bytes. A
// missing src is an empty one. With verify, each file's SHA-256 must be
// its name.
func copyMedia(ctx context.Context, src, dst string, verify bool) (n int, bytes int64, err error) {
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return fs.SkipAll
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "tmp" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !validHash(d.Name()) || rel != blobRel(d.Name()) {
			return nil // not a blob
		}
		var h io.Writer
		var sum = sha256.New()
		if verify {
			h = sum
		}
		size, err := copyFileHash(path, filepath.Join(dst, rel), 0o600, h)
		if err != nil {
			return err
		}
		if verify && hex.EncodeToString(sum.Sum(nil)) != d.Name() {
			return fmt.Errorf("blob %s is damaged: its bytes have another hash", d.Name())
		}
		n++
		bytes += size
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("copy media: %w", err)
	}
	if err := os.MkdirAll(dst, 0o750); err != nil {
		return 0, 0, fmt.Errorf("copy media: %w", err)
	}
	// Make the copied names durable too, not only the bytes.
	err = filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(path)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("copy media: %w", err)
	}
	return n, bytes, nil
}

func blobRel(sha string) string { return filepath.Join(sha[0:2], sha[2:4], sha) }

func blobPath(media, sha string) string { return filepath.Join(media, blobRel(sha)) }

// validHash reports whether s is 64 lower-case hex digits, as blob names are.
func validHash(s string) bool {
	return len(s) == 2*sha256.Size && strings.Trim(s, "0123456789abcdef") == ""
}

// emptyOrAbsent returns an error unless dir does not exist or is an empty
// directory.
func emptyOrAbsent(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty; choose a new directory", dir)
	}
	return nil
}

func copyFile(src, dst string, perm os.FileMode) error {
	_, err := copyFileHash(src, dst, perm, nil)
	return err
}

// copyFileHash copies src to a new file dst (creating its directories),
// syncs it, and writes the bytes to h too when h is not nil.
func copyFileHash(src, dst string, perm os.FileMode, h io.Writer) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	var w io.Writer = out
	if h != nil {
		w = io.MultiWriter(out, h)
	}
	n, err := io.Copy(w, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", src, err)
	}
	return n, nil
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	path := filepath.Join(dir, ManifestFile)
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return syncFile(path)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error { return syncFile(dir) }
