package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// The CLI's side of orders in the chat (docs/COMMERCE.md): show an order
// a business sent, and pay it.

// minor writes an amount in minor units at offset 100: 2080 is "20.80".
func minor(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// describeOrder is the inbox line of an order_details or order_status
// message, or "" for any other body.
func describeOrder(chatID int64, b client.Body) string {
	in := b.Interactive
	if in == nil || in.Action.Parameters == nil {
		return ""
	}
	p := in.Action.Parameters
	switch in.Type {
	case "order_details":
		if p.TotalAmount == nil {
			return ""
		}
		line := fmt.Sprintf("order %s: %s %s", p.ReferenceID, minor(p.TotalAmount.Value), p.Currency)
		if o := p.Order; o != nil {
			var items []string
			for _, it := range o.Items {
				items = append(items, fmt.Sprintf("%d × %s", it.Quantity, it.Name))
			}
			line += " (" + strings.Join(items, ", ") + ")"
		}
		if len(p.PaymentSettings) == 1 && p.PaymentSettings[0].Type == "payment_gateway" {
			line += fmt.Sprintf("; pay with: parley pay %d %s", chatID, p.ReferenceID)
		}
		return line
	case "order_status":
		if p.Order == nil {
			return ""
		}
		line := fmt.Sprintf("order %s is %s", p.ReferenceID, strings.ReplaceAll(p.Order.Status, "_", " "))
		if p.Order.Description != "" {
			line += ": " + p.Order.Description
		}
		return line
	}
	return ""
}

func (cl *cli) order(args []string) error {
	rest, err := parse(cl.flagSet("order", "CHAT REFERENCE"), args, 2, 2)
	if err != nil {
		return err
	}
	chat, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	if err := cl.connect(); err != nil {
		return err
	}
	v, err := cl.c.Order(cl.ctx, chat, rest[1])
	if err != nil {
		return fmt.Errorf("order: %w", err)
	}
	fmt.Fprintf(cl.out, "order %s: %s, %s %s", v.ReferenceID, strings.ReplaceAll(v.Status, "_", " "), minor(v.TotalMinor), v.Currency)
	if v.PaidMinor > 0 {
		fmt.Fprintf(cl.out, ", paid %s", minor(v.PaidMinor))
	}
	if v.RefundedMinor > 0 {
		fmt.Fprintf(cl.out, ", refunded %s", minor(v.RefundedMinor))
	}
	fmt.Fprintln(cl.out)
	if d := v.Details; d != nil && d.Order != nil {
		for _, it := range d.Order.Items {
			unit := it.Amount.Value
			if it.SaleAmount != nil {
				unit = it.SaleAmount.Value
			}
			fmt.Fprintf(cl.out, "  %d × %s  %s\n", it.Quantity, it.Name, minor(unit*it.Quantity))
		}
	}
	for _, e := range v.Timeline {
		line := fmt.Sprintf("  %s  %s %s", e.At, e.Kind, e.Status)
		if e.AmountMinor != 0 {
			line += " " + minor(e.AmountMinor)
		}
		if e.Description != "" {
			line += ": " + e.Description
		}
		fmt.Fprintln(cl.out, line)
	}
	if v.Payable {
		fmt.Fprintf(cl.out, "pay with: parley pay %d %s\n", chat, v.ReferenceID)
	}
	return nil
}

func (cl *cli) pay(args []string) error {
	fs := cl.flagSet("pay", "CHAT REFERENCE")
	key := fs.String("key", "", "idempotency key: paying again with it charges once (default: a new one)")
	method := fs.String("method", "card", "payment method")
	rest, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	chat, err := chatArg(rest[0])
	if err != nil {
		return err
	}
	if *key == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		*key = hex.EncodeToString(b[:])
	}
	if err := cl.connect(); err != nil {
		return err
	}
	p, err := cl.c.PayOrder(cl.ctx, wire.PayOrder{ChatID: chat, ReferenceID: rest[1], IdempotencyKey: *key, PaymentMethod: *method})
	if err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	fmt.Fprintf(cl.out, "paid %s %s for order %s (%s, %s)\n", minor(p.AmountMinor), p.Currency, rest[1], p.ID, p.Status)
	return nil
}
