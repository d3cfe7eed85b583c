package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRevenueSwitches: each people-side revenue model is off unless its
// flag or environment variable turns it on, and serve wires them into the
// server.
func TestRevenueSwitches(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	env := envFunc(map[string]string{"PARLEY_DONATIONS": "true", "PARLEY_MIN_DONATION": "250"})
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", seededData(t), "--nonprofit", "--premium-monthly-price", "399"},
			env, strings.NewReader(""), &syncBuffer{}, &stderr)
	}()
	waitOutput(t, &stderr, `"msg":"parley serving"`)
	var logged struct {
		Premium   bool  `json:"premium"`
		Monthly   int64 `json:"premium_monthly_minor"`
		Donations bool  `json:"donations"`
		Min       int64 `json:"min_donation_minor"`
		Nonprofit bool  `json:"nonprofit"`
	}
	var addr string
	for _, line := range strings.Split(stderr.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		switch m["msg"] {
		case "revenue models":
			_ = json.Unmarshal([]byte(line), &logged)
		case "parley serving":
			addr, _ = m["addr"].(string)
		}
	}
	if logged.Premium || logged.Monthly != 399 || !logged.Donations || logged.Min != 250 || !logged.Nonprofit {
		t.Fatalf("revenue models: got %+v, want premium off (monthly 399), donations from 250, nonprofit", logged)
	}
	resp, err := http.Get("http://" + addr + "/v1/transparency")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("transparency with donations on: got %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// TestRevenueFlagsRefuseBadPrices: a price must be a positive number of minor units.
func TestRevenueFlagsRefuseBadPrices(t *testing.T) {
	var stderr syncBuffer
	err := run(context.Background(), []string{"serve", "--premium-yearly-price", "-5"}, envFunc(nil), strings.NewReader(""), &syncBuffer{}, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "premium-yearly-price") {
		t.Fatalf("a negative price: got %v, %s", err, stderr.String())
	}
}
