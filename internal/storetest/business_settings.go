package storetest

import (
	"context"
	"testing"

	"github.com/parleyhq/parley"
)

func testBusinessSettings(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Business settings")
	other := newBusiness(t, s, "Other settings")
	if _, err := s.GetBusinessSetting(ctx, b.ID, "webhooks"); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("get missing setting: got %v, want %s", err, parley.ENotFound)
	}
	ok(t, "put", s.PutBusinessSetting(ctx, b.ID, "webhooks", []byte(`{"version":"v23.0","note":"Zoë 👟"}`), t0))
	ok(t, "put other kind", s.PutBusinessSetting(ctx, b.ID, "upload:1", []byte(`{"a":1}`), t0))
	ok(t, "put other business", s.PutBusinessSetting(ctx, other.ID, "webhooks", []byte(`{"version":"other"}`), t0))
	ok(t, "replace", s.PutBusinessSetting(ctx, b.ID, "webhooks", []byte(`{"version":"v24.0"}`), t0.Add(1)))
	got, err := s.GetBusinessSetting(ctx, b.ID, "webhooks")
	ok(t, "get", err)
	if string(got) != `{"version":"v24.0"}` {
		t.Errorf("get: got %s, want the replaced document", got)
	}
	if got, _ := s.GetBusinessSetting(ctx, other.ID, "webhooks"); string(got) != `{"version":"other"}` {
		t.Errorf("other business's document: got %s", got)
	}
	ok(t, "delete", s.DeleteBusinessSetting(ctx, b.ID, "upload:1"))
	ok(t, "delete again", s.DeleteBusinessSetting(ctx, b.ID, "upload:1"))
	if _, err := s.GetBusinessSetting(ctx, b.ID, "upload:1"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("get deleted: got %v, want %s", err, parley.ENotFound)
	}
	if got, _ := s.GetBusinessSetting(ctx, b.ID, "webhooks"); string(got) != `{"version":"v24.0"}` {
		t.Errorf("delete removed another kind: got %s", got)
	}
	if err := s.PutBusinessSetting(ctx, 987654321, "webhooks", []byte(`{}`), t0); err == nil {
		t.Error("put for an unknown business: got nil, want an error")
	}
}
