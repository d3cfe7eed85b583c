package busline

import (
	"crypto/rand"
	"errors"
	"sort"
	"sync"
	"time"
)

// The states of a booking.
const (
	Held      = "held"      // a seat is held while the person finishes the Flow and pays
	Paid      = "paid"      // paid: the ticket is sent
	Cancelled = "cancelled" // cancelled (refunded if it was paid) or its hold ran out
)

// Booking is one seat on one trip for one person.
type Booking struct {
	Ref        string // the booking reference, also the order's reference_id
	Trip       Trip
	Seat       string
	Passenger  string
	WaID       string // the customer, as the webhooks name them
	FlowToken  string
	Status     string
	HeldUntil  time.Time
	OrderWamid string    // the order_details message
	PaidAt     time.Time // when the payment was captured (zero until then)
	Reminded   bool
}

// Errors of the store.
var (
	// ErrSeatTaken: someone else holds or owns the seat.
	ErrSeatTaken = errors.New("the seat is taken")
	// ErrNoBooking: no such booking (or not this person's).
	ErrNoBooking = errors.New("no such booking")
)

// session is one Flow sent to one person, named by its flow token.
type session struct {
	WaID string
	Sent time.Time // when the Flow was sent
	Trip string    // the departure picked
	Ref  string    // the booking it holds, once a seat is picked
}

// store holds the timetable's seats, the bookings and the Flow sessions,
// in memory. One mutex guards all of it, so holding a seat is atomic:
// of two people who pick the same seat at once, exactly one gets it.
type store struct {
	mu       sync.Mutex
	seats    map[string]string // trip id + "/" + seat → the booking holding it
	bookings map[string]*Booking
	sessions map[string]*session
}

func newStore() *store {
	return &store{seats: map[string]string{}, bookings: map[string]*Booking{}, sessions: map[string]*session{}}
}

func (s *store) newSession(token, waID string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[token] = &session{WaID: waID, Sent: now}
}

// flowSentSince counts the Flows sent to waID after t.
func (s *store) flowSentSince(waID string, t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, x := range s.sessions {
		if x.WaID == waID && x.Sent.After(t) {
			n++
		}
	}
	return n
}

// session returns a copy of the session of token.
func (s *store) session(token string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[token]
	if !ok {
		return session{}, false
	}
	return *x, true
}

func (s *store) pickTrip(token, trip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.sessions[token]; ok {
		x.Trip = trip
	}
}

// owner returns the live booking that holds trip's seat, expiring a
// hold that ran out. The caller holds s.mu.
func (s *store) owner(trip, seat string, now time.Time) *Booking {
	ref, ok := s.seats[trip+"/"+seat]
	if !ok {
		return nil
	}
	b := s.bookings[ref]
	if b.Status == Held && now.After(b.HeldUntil) {
		b.Status = Cancelled
		delete(s.seats, trip+"/"+seat)
		return nil
	}
	return b
}

// taken returns the trip's seats that someone holds or owns.
func (s *store) taken(trip string, now time.Time) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, seat := range allSeats() {
		if s.owner(trip, seat, now) != nil {
			out[seat] = true
		}
	}
	return out
}

// hold gives the session of token the seat on its trip until until, and
// releases the seat it held before. ErrSeatTaken when another booking
// has the seat. It returns the booking.
func (s *store) hold(token, seat string, now, until time.Time) (Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[token]
	if !ok {
		return Booking{}, ErrNoBooking
	}
	trip, ok := tripByID(x.Trip)
	if !ok {
		return Booking{}, ErrNoBooking
	}
	if b := s.owner(trip.ID, seat, now); b != nil {
		if b.FlowToken != token {
			return Booking{}, ErrSeatTaken
		}
		b.HeldUntil = until
		return *b, nil
	}
	if old, ok := s.bookings[x.Ref]; ok && old.Status == Held {
		old.Status = Cancelled
		delete(s.seats, old.Trip.ID+"/"+old.Seat)
	}
	b := &Booking{Ref: newRef(), Trip: trip, Seat: seat, WaID: x.WaID, FlowToken: token, Status: Held, HeldUntil: until}
	s.bookings[b.Ref] = b
	s.seats[trip.ID+"/"+seat] = b.Ref
	x.Ref = b.Ref
	return *b, nil
}

// update changes the booking ref under the lock; fn returns an error to
// change nothing. It returns the booking as fn left it.
func (s *store) update(ref string, fn func(b *Booking) error) (Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bookings[ref]
	if !ok {
		return Booking{}, ErrNoBooking
	}
	c := *b
	if err := fn(&c); err != nil {
		return c, err
	}
	if c.Status == Cancelled && b.Status != Cancelled {
		delete(s.seats, b.Trip.ID+"/"+b.Seat)
	}
	*b = c
	return c, nil
}

// confirm marks the booking ref paid at now, and reports whether it
// changed: false for a booking already paid (a payment webhook comes
// again with each refund). A hold that ran out while the person paid
// keeps its seat if no one took it since; ErrSeatTaken otherwise.
func (s *store) confirm(ref string, now time.Time) (Booking, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bookings[ref]
	if !ok {
		return Booking{}, false, ErrNoBooking
	}
	if !b.PaidAt.IsZero() {
		return *b, false, nil
	}
	key := b.Trip.ID + "/" + b.Seat
	if cur, ok := s.seats[key]; ok && cur != ref {
		if o := s.owner(b.Trip.ID, b.Seat, now); o != nil {
			return *b, false, ErrSeatTaken
		}
	}
	s.seats[key] = ref
	b.Status, b.PaidAt = Paid, now
	return *b, true, nil
}

// booking returns a copy of the booking ref.
func (s *store) booking(ref string) (Booking, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bookings[ref]
	if !ok {
		return Booking{}, false
	}
	return *b, true
}

// latestPaid returns the customer's paid booking that leaves next.
func (s *store) latestPaid(waID string, now time.Time) (Booking, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Booking
	for _, b := range s.bookings {
		if b.WaID == waID && b.Status == Paid && b.Trip.Departure.After(now) {
			out = append(out, *b)
		}
	}
	if len(out) == 0 {
		return Booking{}, false
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Trip.Departure.Before(out[j].Trip.Departure) })
	return out[0], true
}

// due returns the paid bookings leaving within (now, now+ahead] that
// were not reminded yet.
func (s *store) due(now time.Time, ahead time.Duration) []Booking {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Booking
	for _, b := range s.bookings {
		if b.Status == Paid && !b.Reminded && b.Trip.Departure.After(now) && !b.Trip.Departure.After(now.Add(ahead)) {
			out = append(out, *b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// refAlphabet leaves out letters that read like digits (I, O).
const refAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newRef returns a booking reference like "BL-7K3Q9X".
func newRef() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = refAlphabet[int(b[i])%len(refAlphabet)]
	}
	return "BL-" + string(b)
}
