package main

import (
	"testing"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// TestDescribeOrder: the inbox line of an order_details message names
// the total, the items and how to pay it; an order_status one its status.
func TestDescribeOrder(t *testing.T) {
	details := client.Body{Interactive: &wire.Interactive{Type: "order_details", Action: wire.InteractiveAction{Name: "review_and_pay",
		Parameters: &wire.CTAParameters{OrderParameters: wire.OrderParameters{ReferenceID: "trip-7", Currency: "USD",
			TotalAmount:     &wire.Amount{Value: 2050, Offset: 100},
			PaymentSettings: []wire.PaymentSetting{{Type: "payment_gateway", PaymentGateway: &wire.PaymentGateway{ConfigurationName: "main"}}},
			Order:           &wire.OrderDetails{Status: "pending", Items: []wire.OrderLine{{Name: "Seat 12A", Quantity: 2}}}}}}}}
	status := client.Body{Interactive: &wire.Interactive{Type: "order_status", Action: wire.InteractiveAction{Name: "review_order",
		Parameters: &wire.CTAParameters{OrderParameters: wire.OrderParameters{ReferenceID: "trip-7",
			Order: &wire.OrderDetails{Status: "partially_shipped", Description: "one seat left"}}}}}}
	for _, c := range []struct {
		b    client.Body
		want string
	}{
		{details, "order trip-7: 20.50 USD (2 × Seat 12A); pay with: parley pay 3 trip-7"},
		{status, "order trip-7 is partially shipped: one seat left"},
		{client.Body{Text: "hello"}, ""},
	} {
		if got := describeOrder(3, c.b); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
