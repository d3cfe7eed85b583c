package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/parleyhq/parley/internal/backup"
)

const backupUsage = `parley backup: copy a SQLite deployment while it runs

  parley backup [--data DIR] --out BACKUPDIR

Writes a consistent snapshot of DIR/parley.db (VACUUM INTO), the media
blobs it refers to and the server secret into BACKUPDIR, which must not
exist or be empty. NATS state is left out: nothing that must survive is
on the bus. Bring it back with parley restore.

PostgreSQL deployments: back up the database with pg_dump (or
pg_basebackup for point-in-time recovery) and copy DIR/media and
DIR/secret beside it; parley backup refuses them.
`

const restoreUsage = `parley restore: bring a backup back into a new data directory

  parley restore --from BACKUPDIR --data NEWDIR

NEWDIR must not exist or be empty; restore never overwrites a
deployment. The database's integrity and every blob's hash are checked
on the way. Then run: parley serve --data NEWDIR
`

// backupCmd runs parley backup.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	usageOnce(fs, stderr)
	data := fs.String("data", envOr(getenv, "PARLEY_DATA_DIR", "parley-data"), "data directory of the deployment (env PARLEY_DATA_DIR)")
	out := fs.String("out", "", "new directory to write the backup to")
	pg := fs.String("postgres", getenv("PARLEY_POSTGRES_DSN"), "a PostgreSQL deployment's DSN: refused, use pg_dump (env PARLEY_POSTGRES_DSN)")
	s3 := fs.String("s3-endpoint", getenv("PARLEY_S3_ENDPOINT"), "a deployment whose media is in an object store: refused, see below (env PARLEY_S3_ENDPOINT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q", fs.Arg(0))
	}
	if *s3 != "" {
		return errors.New("backup: this deployment keeps its media in an object store, which parley backup cannot copy consistently; " +
			"back up the bucket with the store's own versioning or replication, and the database and secret as docs/DEPLOYMENT.md says")
	}
	if *pg != "" {
		return errors.New("backup: this is a PostgreSQL deployment; back up its database with pg_dump or pg_basebackup, and copy the data directory's media/ and secret beside it")
	}
	if *out == "" {
		fs.Usage()
		return errors.New("backup: --out is required")
	}
	m, err := backup.Create(ctx, *data, *out)
	if errors.Is(err, backup.ErrNoDatabase) {
		return fmt.Errorf("backup: %w (a PostgreSQL deployment? back it up with pg_dump or pg_basebackup plus the media/ folder)", err)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s: database %d bytes, %d blobs (%d bytes), secret %v\n",
		*data, *out, m.DBBytes, m.Blobs, m.BlobBytes, m.Secret)
	return nil
}

// restoreCmd runs parley restore.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, restoreUsage); fs.PrintDefaults() }
	usageOnce(fs, stderr)
	from := fs.String("from", "", "backup directory written by parley backup")
	data := fs.String("data", "", "new data directory to restore into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("restore: unexpected argument %q", fs.Arg(0))
	}
	if *from == "" || *data == "" {
		fs.Usage()
		return errors.New("restore: --from and --data are required")
	}
	m, err := backup.Restore(ctx, *from, *data)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored the backup of %s into %s: %d blobs; start it with parley serve --data %s\n",
		m.CreatedAt.Format("2006-01-02 15:04:05Z"), *data, m.Blobs, *data)
	return nil
}
