package busline

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestHoldIsAtomic: of many people who pick the same seat at once,
// exactly one holds it; a hold that ran out frees the seat; a paid seat
// stays taken.
func TestHoldIsAtomic(t *testing.T) {
	st := newStore()
	now := time.Date(2026, 12, 20, 10, 0, 0, 0, IST)
	trip := "blr-mys-20261224-0630"
	const n = 50
	for i := range n {
		tok := fmt.Sprint("t", i)
		st.newSession(tok, fmt.Sprint("9190000000", i), now)
		st.pickTrip(tok, trip)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.hold(fmt.Sprint("t", i), "3A", now, now.Add(15*time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, ErrSeatTaken):
				lost++
			default:
				t.Errorf("hold: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != n-1 {
		t.Fatalf("got %d holds and %d refusals, want 1 and %d", won, lost, n-1)
	}
	if !st.taken(trip, now)["3A"] {
		t.Fatal("3A is not taken after the race")
	}
	later := now.Add(16 * time.Minute)
	if st.taken(trip, later)["3A"] {
		t.Fatal("3A is still taken after its hold ran out")
	}
	b, err := st.hold("t7", "3A", later, later.Add(15*time.Minute))
	if err != nil {
		t.Fatalf("hold after expiry: %v", err)
	}
	if _, changed, err := st.confirm(b.Ref, later); err != nil || !changed {
		t.Fatalf("confirm: %v %v", changed, err)
	}
	if _, changed, _ := st.confirm(b.Ref, later); changed {
		t.Fatal("a second confirm changed the booking")
	}
	if st.taken(trip, later.Add(time.Hour))["3A"] != true {
		t.Fatal("a paid seat was freed when its hold time passed")
	}
	if _, err := st.hold("t8", "3A", later, later.Add(time.Minute)); !errors.Is(err, ErrSeatTaken) {
		t.Fatalf("hold of a paid seat: %v", err)
	}
}
