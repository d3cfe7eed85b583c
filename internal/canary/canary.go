// Package canary finds a secret (a marker sent in a message, a file's
// bytes) wherever a Parley server keeps things: the end-to-end
// encryption tests send markers and then prove that none of them is
// stored in plaintext (docs/E2EE.md, "Tests").
package canary

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver DumpSQLite reads with
)

// forms are the ways a secret could sit in storage: raw, hex (lower and
// upper case), and base64 at each of the three alignments (the edges
// cut off, since they depend on the bytes around the secret).
func forms(secret []byte) [][]byte {
	out := [][]byte{secret, []byte(hex.EncodeToString(secret)), []byte(strings.ToUpper(hex.EncodeToString(secret)))}
	for pad := range 3 {
		b := base64.StdEncoding.EncodeToString(append(make([]byte, pad), secret...))
		start := (pad*4 + 2) / 3
		out = append(out, []byte(b[start+1:len(b)-4]))
	}
	return out
}

// Leaks returns the names of the blobs in which a form of secret occurs.
func Leaks(secret []byte, blobs map[string][]byte) []string {
	var where []string
	for name, b := range blobs {
		for _, f := range forms(secret) {
			if bytes.Contains(b, f) {
				where = append(where, name)
				break
			}
		}
	}
	return where
}

// DumpSchema returns every row of every table of a PostgreSQL schema as
// text, by table name.
func DumpSchema(t testing.TB, dsn, schema string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, tb := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s.%s t`, pgx.Identifier{schema}.Sanitize(), pgx.Identifier{tb}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out[tb] = []byte(strings.Join(lines, "\n"))
	}
	return out
}

// DumpSQLite returns every row of every table of a SQLite database file
// (its WAL included, read through SQLite) as text, by table name: to say
// which table holds a secret, where a search of the file cannot.
func DumpSQLite(t testing.TB, path string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for names.Next() {
		var n string
		if err := names.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	names.Close()
	out := map[string][]byte{}
	for _, tb := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(tb, `"`, `""`)+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var buf bytes.Buffer
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					buf.Write(b)
				} else {
					fmt.Fprint(&buf, v)
				}
				buf.WriteByte('|')
			}
			buf.WriteByte('\n')
		}
		rows.Close()
		out[tb] = buf.Bytes()
	}
	return out
}
