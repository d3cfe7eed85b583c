package chat

import "testing"

func TestBoundedCacheKeepsAtMostItsSize(t *testing.T) {
	c := newBoundedCache[int, int](3)
	for i := range 10 {
		c.put(i, i, c.generation())
	}
	if got := len(c.m); got != 3 {
		t.Fatalf("got %d entries, want 3", got)
	}
	if _, ok, _ := c.get(9); !ok {
		t.Errorf("the newest entry is not kept")
	}
}

// A value read from the database while an invalidation arrived may be
// older than the write the invalidation announced: it must not be kept.
func TestBoundedCacheRefusesAFillThatRacedAnInvalidation(t *testing.T) {
	for _, inv := range []struct {
		name string
		fn   func(c *boundedCache[int, string])
	}{
		{"drop of that key", func(c *boundedCache[int, string]) { c.drop(1) }},
		{"drop of another key", func(c *boundedCache[int, string]) { c.drop(2) }},
		{"drop where", func(c *boundedCache[int, string]) { c.dropWhere(func(int, string) bool { return false }) }},
		{"clear (the bus went down)", func(c *boundedCache[int, string]) { c.clear() }},
	} {
		t.Run(inv.name, func(t *testing.T) {
			c := newBoundedCache[int, string](10)
			gen := c.generation() // the fill reads the database after this
			inv.fn(&c)
			c.put(1, "stale", gen)
			if v, ok, _ := c.get(1); ok {
				t.Fatalf("got %q cached, want nothing", v)
			}
			c.put(1, "fresh", c.generation())
			if v, ok, _ := c.get(1); !ok || v != "fresh" {
				t.Fatalf("got %q, %v; want the fill after the invalidation kept", v, ok)
			}
		})
	}
}

func TestBoundedCacheOfSizeZeroKeepsNothing(t *testing.T) {
	c := newBoundedCache[int, int](-1)
	c.put(1, 1, c.generation())
	if _, ok, _ := c.get(1); ok {
		t.Fatal("a disabled cache kept an entry")
	}
}
