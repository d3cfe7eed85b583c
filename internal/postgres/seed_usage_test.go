package postgres_test

import (
	"context"
	"testing"
	"time"
)

func TestSeedUsage(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	n, err := db.SeedUsage(ctx, 0, 2000, 100, []string{"BR", "IN", "DE"}, start, time.Second)
	if err != nil || n != 2000 {
		t.Fatalf("seed: %d, %v; want 2000", n, err)
	}
	if n, err := db.SeedUsage(ctx, 500, 100, 100, []string{"BR", "IN", "DE"}, start, time.Second); err != nil || n != 0 {
		t.Errorf("seed again: %d, %v; want 0 (duplicate keys)", n, err)
	}
	us, err := db.ListUsage(ctx, 0, 0, 3000)
	if err != nil || len(us) != 2000 {
		t.Fatalf("list: %d, %v", len(us), err)
	}
	events := map[string]int{}
	for _, u := range us {
		events[string(u.Event)+" "+u.Category+" "+u.PricingType+" "+u.Model]++
		if want := u.PricingType == "free_customer_service"; u.InWindow != want {
			t.Fatalf("entry in the window %v, want %v: %+v", u.InWindow, want, u)
		}
		if u.BusinessID < 1 || u.BusinessID > 100 || (u.Country != "BR" && u.Country != "IN" && u.Country != "DE") {
			t.Fatalf("entry out of range: %+v", u)
		}
	}
	if !us[10].At.Equal(start.Add(10 * time.Second)) {
		t.Errorf("entry 10 at %s", us[10].At)
	}
	t.Log(events)
	if events["template_delivered marketing regular PMP"] == 0 || events["service_message service free_customer_service PMP"] == 0 || events["entry_point_message service free_entry_point PMP"] == 0 {
		t.Errorf("mix: %v", events)
	}
}
