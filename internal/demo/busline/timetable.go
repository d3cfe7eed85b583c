package busline

import (
	"fmt"
	"strings"
	"time"
)

// IST is the bus company's time zone (India Standard Time), fixed so the
// demo needs no time zone database.
var IST = time.FixedZone("IST", 5*3600+1800)

// City is a stop of the network.
type City struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Cities are the network's stops, in the order the Flow lists them.
var Cities = []City{
	{"blr", "Bangalore"}, {"mys", "Mysore"}, {"maa", "Chennai"},
	{"hyd", "Hyderabad"}, {"goi", "Goa"}, {"cok", "Kochi"},
}

func cityName(id string) (string, bool) {
	for _, c := range Cities {
		if c.ID == id {
			return c.Title, true
		}
	}
	return "", false
}

// departureTimes are the day's departures on every route (IST).
var departureTimes = []string{"0630", "1400", "2215"}

// Seat rows and letters of the bus: 10 rows of A B | C D (A and D by the
// window).
const seatRows = 10

var seatLetters = []string{"A", "B", "C", "D"}

// Trip is one departure of one route.
type Trip struct {
	ID        string // from-to-YYYYMMDD-HHMM
	From, To  string // city ids
	Departure time.Time
	FareMinor int64 // INR paise
}

// Title reads like "Bangalore → Mysore, Thu 24 Dec 06:30".
func (t Trip) Title() string {
	f, _ := cityName(t.From)
	to, _ := cityName(t.To)
	return fmt.Sprintf("%s → %s, %s", f, to, t.Departure.Format("Mon 2 Jan 15:04"))
}

// fare is the price of a route: a base and a part per pair of cities,
// the same both ways.
func fare(from, to string) int64 {
	a, b := 0, 0
	for i, c := range Cities {
		if c.ID == from {
			a = i
		}
		if c.ID == to {
			b = i
		}
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return 45000 + int64(d)*15000
}

// trips returns the departures of a route on a day ("2006-01-02").
func trips(from, to, day string) ([]Trip, error) {
	if _, ok := cityName(from); !ok {
		return nil, fmt.Errorf("unknown city %q", from)
	}
	if _, ok := cityName(to); !ok {
		return nil, fmt.Errorf("unknown city %q", to)
	}
	if from == to {
		return nil, fmt.Errorf("from and to are the same city")
	}
	d, err := time.ParseInLocation("2006-01-02", day, IST)
	if err != nil {
		return nil, fmt.Errorf("bad date %q", day)
	}
	var out []Trip
	for _, hm := range departureTimes {
		t, _ := tripByID(fmt.Sprintf("%s-%s-%s-%s", from, to, d.Format("20060102"), hm))
		out = append(out, t)
	}
	return out, nil
}

// tripByID parses a trip id back into its trip.
func tripByID(id string) (Trip, bool) {
	p := strings.Split(id, "-")
	if len(p) != 4 {
		return Trip{}, false
	}
	if _, ok := cityName(p[0]); !ok {
		return Trip{}, false
	}
	if _, ok := cityName(p[1]); !ok || p[0] == p[1] {
		return Trip{}, false
	}
	at, err := time.ParseInLocation("20060102 1504", p[2]+" "+p[3], IST)
	if err != nil {
		return Trip{}, false
	}
	known := false
	for _, hm := range departureTimes {
		known = known || hm == p[3]
	}
	if !known {
		return Trip{}, false
	}
	return Trip{ID: id, From: p[0], To: p[1], Departure: at, FareMinor: fare(p[0], p[1])}, true
}

// allSeats lists the bus's seats, row by row: 1A 1B 1C 1D 2A ...
func allSeats() []string {
	out := make([]string, 0, seatRows*len(seatLetters))
	for r := 1; r <= seatRows; r++ {
		for _, l := range seatLetters {
			out = append(out, fmt.Sprintf("%d%s", r, l))
		}
	}
	return out
}

func validSeat(s string) bool {
	for _, x := range allSeats() {
		if x == s {
			return true
		}
	}
	return false
}

// rupees writes paise as "₹450.00".
func rupees(minor int64) string {
	return fmt.Sprintf("₹%d.%02d", minor/100, minor%100)
}
