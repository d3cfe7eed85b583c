package storetest

import (
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// testFlows: Flows are unique by name within a business, their ids are
// Flow Graph ids, updates and status moves are conditional on the
// status read, only drafts are deleted, and numbers keep one Flows
// public key each.
func testFlows(t *testing.T, s Store) {
	ctx := t.Context()
	acme, other := newBusiness(t, s, "Acme"), newBusiness(t, s, "Other")
	verr := []business.FlowValidationError{{Error: "INVALID_PROPERTY_VALUE", ErrorType: "FLOW_JSON_ERROR", Message: "bad", LineStart: 1,
		LineEnd: 1, ColumnStart: 2, ColumnEnd: 3, Pointers: []business.FlowErrorPointer{{LineStart: 1, LineEnd: 1, ColumnStart: 2, ColumnEnd: 3, Path: "screens[0]"}}}}
	f := business.Flow{BusinessID: acme.ID, Name: "Booking", Categories: []string{"APPOINTMENT_BOOKING", "OTHER"}, Status: business.FlowDraft,
		EndpointURI: "https://acme.example/flow", JSON: `{"version":"7.0"}`, JSONVersion: "7.0", DataAPIVersion: "3.0",
		ValidationErrors: verr, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create flow", s.CreateFlow(ctx, &f))
	if business.KindOf(f.ID) != business.KindFlow {
		t.Fatalf("flow id %d has kind %v, want KindFlow", f.ID, business.KindOf(f.ID))
	}
	dup := business.Flow{BusinessID: acme.ID, Name: "Booking", Status: business.FlowDraft, CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, "create duplicate name", s.CreateFlow(ctx, &dup), parley.EConflict)
	elsewhere := business.Flow{BusinessID: other.ID, Name: "Booking", Status: business.FlowDraft, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "same name in another business", s.CreateFlow(ctx, &elsewhere))
	second := business.Flow{BusinessID: acme.ID, Name: "Survey", Categories: []string{"SURVEY"}, Status: business.FlowDraft, CreatedAt: at(time.Second), UpdatedAt: at(time.Second)}
	ok(t, "create second flow", s.CreateFlow(ctx, &second))

	got, err := s.GetFlow(ctx, f.ID)
	ok(t, "get flow", err)
	wantDiff(t, "flow", got, f)
	got, err = s.FlowByName(ctx, acme.ID, "Booking")
	ok(t, "flow by name", err)
	wantDiff(t, "flow by name", got, f)
	_, err = s.FlowByName(ctx, acme.ID, "Nope")
	wantCode(t, "flow by missing name", err, parley.ENotFound)
	_, err = s.GetFlow(ctx, second.ID+elsewhere.ID)
	wantCode(t, "get missing flow", err, parley.ENotFound)
	list, err := s.ListFlows(ctx, acme.ID, 0, 10)
	ok(t, "list flows", err)
	wantDiff(t, "flows", list, []business.Flow{f, second})
	list, err = s.ListFlows(ctx, acme.ID, f.ID, 1)
	ok(t, "list flows after the first", err)
	wantDiff(t, "flows after the first", list, []business.Flow{second})

	f.Name, f.Categories, f.ValidationErrors, f.UpdatedAt = "Bus booking", []string{"OTHER"}, []business.FlowValidationError{}, at(time.Minute)
	ok(t, "update flow", s.UpdateFlow(ctx, f))
	got, err = s.GetFlow(ctx, f.ID)
	ok(t, "get updated flow", err)
	wantDiff(t, "updated flow", got, f)
	taken := second
	taken.Name = "Bus booking"
	wantCode(t, "update to a taken name", s.UpdateFlow(ctx, taken), parley.EConflict)

	ok(t, "publish", s.SetFlowStatus(ctx, f.ID, business.FlowDraft, business.FlowPublished, at(time.Hour)))
	wantCode(t, "publish twice", s.SetFlowStatus(ctx, f.ID, business.FlowDraft, business.FlowPublished, at(time.Hour)), parley.EConflict)
	wantCode(t, "status of a missing flow", s.SetFlowStatus(ctx, second.ID+elsewhere.ID, business.FlowDraft, business.FlowPublished, t0), parley.ENotFound)
	wantCode(t, "update a flow no longer a draft", s.UpdateFlow(ctx, f), parley.EConflict)
	wantCode(t, "delete a published flow", s.DeleteFlow(ctx, f.ID), parley.EConflict)
	got, err = s.GetFlow(ctx, f.ID)
	ok(t, "get published flow", err)
	if got.Status != business.FlowPublished || !got.UpdatedAt.Equal(at(time.Hour)) {
		t.Fatalf("published flow: status %s at %v, want PUBLISHED at %v", got.Status, got.UpdatedAt, at(time.Hour))
	}
	ok(t, "delete a draft", s.DeleteFlow(ctx, second.ID))
	wantCode(t, "delete it twice", s.DeleteFlow(ctx, second.ID), parley.ENotFound)

	n := newNumber(t, s, acme, "+15550107001")
	_, err = s.FlowKey(ctx, n.ID)
	wantCode(t, "no key yet", err, parley.ENotFound)
	ok(t, "set key", s.SetFlowKey(ctx, n.ID, "PEM-1", t0))
	ok(t, "replace key", s.SetFlowKey(ctx, n.ID, "PEM-2", at(time.Hour)))
	k, err := s.FlowKey(ctx, n.ID)
	ok(t, "get key", err)
	if k != "PEM-2" {
		t.Fatalf("key %q, want PEM-2", k)
	}
}

// testFlowSessions: a Flow message's session is recorded once, read
// back, and completed once.
func testFlowSessions(t *testing.T, s Store) {
	ctx := t.Context()
	fs := business.FlowSession{Wamid: "wamid.00000000000000000000000000000001", FlowID: 1200000000000001, NumberID: 200000000000001,
		ChatID: 42, CustomerID: 7, Token: "tok-1", CreatedAt: t0}
	ok(t, "create session", s.CreateFlowSession(ctx, fs))
	wantCode(t, "create it twice", s.CreateFlowSession(ctx, fs), parley.EConflict)
	got, err := s.GetFlowSession(ctx, fs.Wamid)
	ok(t, "get session", err)
	wantDiff(t, "session", got, fs)
	_, err = s.GetFlowSession(ctx, "wamid.nope")
	wantCode(t, "get missing session", err, parley.ENotFound)
	ok(t, "complete", s.CompleteFlowSession(ctx, fs.Wamid, at(time.Minute)))
	wantCode(t, "complete twice", s.CompleteFlowSession(ctx, fs.Wamid, at(time.Hour)), parley.EConflict)
	wantCode(t, "complete missing", s.CompleteFlowSession(ctx, "wamid.nope", t0), parley.ENotFound)
	got, err = s.GetFlowSession(ctx, fs.Wamid)
	ok(t, "get completed session", err)
	if !got.CompletedAt.Equal(at(time.Minute)) {
		t.Fatalf("completed at %v, want %v", got.CompletedAt, at(time.Minute))
	}
}
