package business

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parleyhq/parley/wire"
)

// FuzzCheckOrderDetails: any order_details action either is refused with
// a CloudError or is accepted with amounts that add up.
func FuzzCheckOrderDetails(f *testing.F) {
	f.Add([]byte(`{"name":"review_and_pay","parameters":{"reference_id":"r1","type":"digital-goods","payment_settings":[{"type":"payment_gateway","payment_gateway":{"configuration_name":"main"}}],"currency":"USD","total_amount":{"value":2080,"offset":100},"order":{"status":"pending","items":[{"retailer_id":"a","name":"A","amount":{"value":500,"offset":100},"quantity":2},{"retailer_id":"b","name":"B","amount":{"value":1000,"offset":100},"sale_amount":{"value":800,"offset":100},"quantity":1}],"subtotal":{"value":1800,"offset":100},"tax":{"value":180,"offset":100},"shipping":{"value":200,"offset":100},"discount":{"value":100,"offset":100},"expiration":{"timestamp":"1900000000"}}}}`))
	f.Add([]byte(`{"name":"review_and_pay","parameters":{"reference_id":"r2","type":"physical-goods","payment_settings":[{"type":"payment_link","payment_link":{"uri":"https://pay.example/x"}}],"currency":"BRL","total_amount":{"value":1,"offset":100}}}`))
	f.Add([]byte(`{"name":"review_and_pay","parameters":{"order":{"items":[{"quantity":9223372036854775807,"amount":{"value":9223372036854775807,"offset":100}}]}}}`))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a wire.InteractiveAction
		if json.Unmarshal(raw, &a) != nil {
			return
		}
		if _, err := CheckOrderDetails(a, now); err != nil {
			if _, ok := AsCloudError(err); !ok {
				t.Fatalf("error %v is not a CloudError", err)
			}
			return
		}
		p := a.Parameters
		if p.TotalAmount == nil || p.TotalAmount.Value <= 0 {
			t.Fatalf("accepted a total of %+v", p.TotalAmount)
		}
		if o := p.Order; o != nil {
			var sub int64
			for _, it := range o.Items {
				u := it.Amount.Value
				if it.SaleAmount != nil {
					u = it.SaleAmount.Value
				}
				sub += u * it.Quantity
			}
			if sub != o.Subtotal.Value || sub < 0 {
				t.Fatalf("accepted a subtotal %d for items adding up to %d", o.Subtotal.Value, sub)
			}
		}
	})
}
