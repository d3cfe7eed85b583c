package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`x LIKE ? ESCAPE '\' OR y = '?' AND z = ?`, `x LIKE $1 ESCAPE '\' OR y = '?' AND z = $2`},
		{`'it''s ?' || ?`, `'it''s ?' || $1`},
		{`"odd?col" = ?::bigint[]`, `"odd?col" = $1::bigint[]`},
	} {
		if got := Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
