package busline

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/flowcrypto"
)

// flowJSON is the booking Flow: SEARCH → DEPARTURES → SEATS → PASSENGER
// → CONFIRM, every screen's data served by the endpoint below.
//
//go:embed flow.json
var flowJSON []byte

// signed reports whether body carries the app secret's signature (or no
// secret is known).
func (d *Demo) signed(r *http.Request, body []byte) bool {
	if d.secret == "" {
		return true
	}
	m := hmac.New(sha256.New, []byte(d.secret))
	m.Write(body)
	return hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte("sha256="+hex.EncodeToString(m.Sum(nil))))
}

// flowRequest is a decrypted request from the server.
type flowRequest struct {
	Version   string                     `json:"version"`
	Action    string                     `json:"action"`
	Screen    string                     `json:"screen"`
	FlowToken string                     `json:"flow_token"`
	Data      map[string]json.RawMessage `json:"data"`
}

func (q flowRequest) str(k string) string {
	var s string
	_ = json.Unmarshal(q.Data[k], &s)
	return strings.TrimSpace(s)
}

// errTokenUnknown answers 427: the flow token is not one the demo gave.
var errTokenUnknown = errors.New("unknown flow token")

// flowEndpoint is the Flow endpoint, as Meta's protocol has it: 432 for
// a bad signature, 421 for what does not decrypt, 427 for an unknown
// flow token, else the encrypted next screen.
func (d *Demo) flowEndpoint(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !d.signed(r, body) {
		w.WriteHeader(432)
		return
	}
	payload, sess, err := flowcrypto.DecryptRequest(d.key, body)
	if err != nil {
		w.WriteHeader(421)
		return
	}
	var q flowRequest
	if err := json.Unmarshal(payload, &q); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	answer, err := d.answer(q)
	if errors.Is(err, errTokenUnknown) {
		w.WriteHeader(427)
		return
	} else if err != nil {
		d.log.Warn("busline: flow request", "action", q.Action, "screen", q.Screen, "err", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	plain, _ := json.Marshal(answer)
	text, err := sess.EncryptResponse(plain)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(text)
}

type screen struct {
	Screen string         `json:"screen"`
	Data   map[string]any `json:"data"`
}

// answer is the Flow's logic: the screen that follows a request.
func (d *Demo) answer(q flowRequest) (any, error) {
	if q.Action == "ping" {
		return map[string]any{"data": map[string]string{"status": "active"}}, nil
	}
	if _, ok := q.Data["error"]; ok && q.Action == "data_exchange" {
		d.log.Warn("busline: the server reports a flow error", "screen", q.Screen, "error", q.str("error"), "message", q.str("error_message"))
		return map[string]any{"data": map[string]bool{"acknowledged": true}}, nil
	}
	sess, ok := d.st.session(q.FlowToken)
	if !ok {
		return nil, errTokenUnknown
	}
	now := d.o.Now()
	switch {
	case q.Action == "INIT", q.Action == "BACK" && q.Screen == "DEPARTURES":
		return d.searchScreen(now, ""), nil
	case q.Action == "BACK" && q.Screen == "SEATS":
		return d.departuresScreen(sess.Trip, now)
	case q.Action == "BACK" && (q.Screen == "PASSENGER" || q.Screen == "CONFIRM"):
		return d.seatsScreen(sess.Trip, now, "")
	case q.Action != "data_exchange":
		return nil, fmt.Errorf("unknown action %q on %q", q.Action, q.Screen)
	}
	switch q.Screen {
	case "SEARCH":
		ts, err := trips(q.str("from"), q.str("to"), q.str("date"))
		if err != nil {
			return d.searchScreen(now, "Pick two different cities and a date."), nil
		}
		return d.departuresScreen(ts[0].ID, now)
	case "DEPARTURES":
		t, ok := tripByID(q.str("trip"))
		if !ok || !t.Departure.After(now) {
			return d.departuresScreen(sess.Trip, now)
		}
		d.st.pickTrip(q.FlowToken, t.ID)
		return d.seatsScreen(t.ID, now, "Taken seats cannot be picked.")
	case "SEATS":
		seat := strings.ToUpper(q.str("seat"))
		if !validSeat(seat) {
			return d.seatsScreen(sess.Trip, now, "Pick a seat from the list.")
		}
		b, err := d.st.hold(q.FlowToken, seat, now, now.Add(d.o.HoldFor))
		if errors.Is(err, ErrSeatTaken) {
			return d.seatsScreen(sess.Trip, now, fmt.Sprintf("Sorry, seat %s was just taken by someone else. Pick another seat.", seat))
		} else if err != nil {
			return d.searchScreen(now, "Start again: pick a route and a date."), nil
		}
		return screen{"PASSENGER", map[string]any{"summary": fmt.Sprintf("Seat %s is held for you for %d minutes: %s, %s.",
			b.Seat, int(d.o.HoldFor/time.Minute), b.Trip.Title(), rupees(b.Trip.FareMinor))}}, nil
	case "PASSENGER":
		name := q.str("name")
		if name == "" || len([]rune(name)) > 60 {
			return nil, fmt.Errorf("bad passenger name")
		}
		b, err := d.st.update(sess.Ref, func(b *Booking) error {
			if b.Status != Held || b.FlowToken != q.FlowToken {
				return ErrNoBooking
			}
			b.Passenger = name
			return nil
		})
		if err != nil {
			return d.seatsScreen(sess.Trip, now, "Your hold ran out: pick a seat again.")
		}
		return screen{"CONFIRM", map[string]any{"booking": b.Ref,
			"summary": fmt.Sprintf("%s, seat %s, %s: %s. Booking %s.", b.Passenger, b.Seat, b.Trip.Title(), rupees(b.Trip.FareMinor), b.Ref)}}, nil
	}
	return nil, fmt.Errorf("unknown screen %q", q.Screen)
}

// searchScreen lists the cities and the next 14 days.
func (d *Demo) searchScreen(now time.Time, errMsg string) screen {
	dates := []map[string]string{}
	day := now.In(IST)
	for i := 1; i <= 14; i++ {
		x := day.AddDate(0, 0, i)
		dates = append(dates, map[string]string{"id": x.Format("2006-01-02"), "title": x.Format("Mon 2 Jan")})
	}
	data := map[string]any{"cities": Cities, "dates": dates}
	if errMsg != "" {
		data["error_message"] = errMsg
	}
	return screen{"SEARCH", data}
}

// departuresScreen lists the day's departures of the route of trip id.
func (d *Demo) departuresScreen(id string, now time.Time) (screen, error) {
	t, ok := tripByID(id)
	if !ok {
		return d.searchScreen(now, "Pick a route and a date."), nil
	}
	ts, _ := trips(t.From, t.To, t.Departure.Format("2006-01-02"))
	items := []map[string]any{}
	for _, x := range ts {
		left := len(allSeats()) - len(d.st.taken(x.ID, now))
		items = append(items, map[string]any{"id": x.ID, "title": x.Departure.Format("15:04"),
			"description": fmt.Sprintf("%s · %d seats left", rupees(x.FareMinor), left), "enabled": left > 0 && x.Departure.After(now)})
	}
	return screen{"DEPARTURES", map[string]any{"route": fmt.Sprintf("%s → %s, %s", mustCity(t.From), mustCity(t.To), t.Departure.Format("Mon 2 Jan")),
		"trips": items}}, nil
}

// seatsScreen is the seat map of trip id: every seat, the taken ones
// disabled, and the map drawn as text rows (■ taken, □ free).
func (d *Demo) seatsScreen(id string, now time.Time, notice string) (screen, error) {
	t, ok := tripByID(id)
	if !ok {
		return d.searchScreen(now, "Pick a route and a date."), nil
	}
	taken := d.st.taken(id, now)
	seats := []map[string]any{}
	var rows []string
	row := ""
	for i, s := range allSeats() {
		where := "aisle"
		if strings.HasSuffix(s, "A") || strings.HasSuffix(s, "D") {
			where = "window"
		}
		title := s + " " + where
		if taken[s] {
			title += " (taken)"
		}
		seats = append(seats, map[string]any{"id": s, "title": title, "enabled": !taken[s]})
		mark := "□"
		if taken[s] {
			mark = "■"
		}
		if i%4 == 0 {
			row = fmt.Sprintf("%2d ", i/4+1)
		}
		row += mark
		if i%4 == 1 {
			row += "  "
		}
		if i%4 == 3 {
			rows = append(rows, row)
		}
	}
	if notice == "" {
		notice = "Taken seats cannot be picked."
	}
	return screen{"SEATS", map[string]any{"trip_title": t.Title() + " · " + rupees(t.FareMinor),
		"seat_map": "   AB  CD\n" + strings.Join(rows, "\n") + "\n□ free  ■ taken",
		"notice":   notice, "seats": seats}}, nil
}
