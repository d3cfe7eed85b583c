package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

func testNumberSettings(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Settings")
	n := newNumber(t, s, b, "+15550007001")
	other := newNumber(t, s, b, "+15550007002")
	if _, err := s.GetNumberSetting(ctx, n.ID, "profile"); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("get missing setting: got %v, want %s", err, parley.ENotFound)
	}
	ok(t, "put", s.PutNumberSetting(ctx, n.ID, "profile", []byte(`{"about":"Zoë's shop 👟"}`), t0))
	ok(t, "put other kind", s.PutNumberSetting(ctx, n.ID, "settings", []byte(`{"a":1}`), t0))
	ok(t, "put other number", s.PutNumberSetting(ctx, other.ID, "profile", []byte(`{"about":"other"}`), t0))
	ok(t, "replace", s.PutNumberSetting(ctx, n.ID, "profile", []byte(`{"about":"new"}`), t0.Add(1)))
	got, err := s.GetNumberSetting(ctx, n.ID, "profile")
	ok(t, "get", err)
	if string(got) != `{"about":"new"}` {
		t.Errorf("get profile: got %s, want the replaced document", got)
	}
	if got, _ := s.GetNumberSetting(ctx, other.ID, "profile"); string(got) != `{"about":"other"}` {
		t.Errorf("other number's profile: got %s", got)
	}
	if err := s.PutNumberSetting(ctx, 987654321, "profile", []byte(`{}`), t0); err == nil {
		t.Error("put for an unknown number: got nil, want an error")
	}
}

func testTemplateByID(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Templates by id")
	other := newBusiness(t, s, "Other")
	tpl := business.Template{BusinessID: b.ID, Name: "hello", Language: "en_US", Category: business.CategoryUtility, ParameterFormat: "positional",
		Components: []business.TemplateComponent{{Type: "BODY", Text: "Hi"}}, Status: business.TemplateApproved, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create", s.CreateTemplate(ctx, &tpl))
	tpl.Components = []business.TemplateComponent{{Type: "BODY", Text: "Hello there"}}
	tpl.Status, tpl.Reason, tpl.Category, tpl.UpdatedAt = business.TemplatePending, "", business.CategoryMarketing, at(time.Hour)
	ok(t, "edit", s.EditTemplate(ctx, tpl))
	got, err := s.GetTemplate(ctx, tpl.ID)
	ok(t, "get", err)
	wantDiff(t, "edited template", got, tpl)
	if err := s.EditTemplate(ctx, business.Template{ID: tpl.ID + 1000}); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("edit a missing template: got %v, want %s", err, parley.ENotFound)
	}
	if err := s.DeleteTemplate(ctx, other.ID, tpl.ID); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("delete another business's template: got %v, want %s", err, parley.ENotFound)
	}
	ok(t, "delete", s.DeleteTemplate(ctx, b.ID, tpl.ID))
	if _, err := s.GetTemplate(ctx, tpl.ID); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("get a deleted template: got %v, want %s", err, parley.ENotFound)
	}
}

func testLinkPrefill(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "QR")
	n := newNumber(t, s, b, "+15550007101")
	l := business.Link{BusinessID: b.ID, NumberID: n.ID, Code: "qr1", Prefill: "Hi!", CreatedAt: t0}
	ok(t, "create", s.CreateLink(ctx, &l))
	ok(t, "set prefill", s.SetLinkPrefill(ctx, l.ID, "Où est ma commande ?"))
	got, err := s.LinkByCode(ctx, "qr1")
	ok(t, "get", err)
	if got.Prefill != "Où est ma commande ?" {
		t.Errorf("prefill: got %q, want the new one", got.Prefill)
	}
	if err := s.SetLinkPrefill(ctx, l.ID+1000, "x"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("set prefill of a missing link: got %v, want %s", err, parley.ENotFound)
	}
}
