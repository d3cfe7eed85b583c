package sqlstore

import (
	"strconv"
	"strings"
	"sync"
)

var rebound sync.Map // query text → text with $n placeholders

// Rebind returns q with each ? placeholder outside a quoted string
// numbered $1, $2, … in order, as PostgreSQL wants. Results are cached:
// query texts are constants or built from a few shapes.
func Rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	quote := byte(0)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	s := b.String()
	rebound.Store(q, s)
	return s
}
