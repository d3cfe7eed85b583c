package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/wire"
)

// businessTests are the conformance tests of parley.BusinessStore.
var businessTests = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"Businesses", testBusinesses},
	{"Orders", testOrders},
	{"UpdateProduct", testUpdateProduct},
	{"BusinessNumbers", testBusinessNumbers},
	{"BusinessTokens", testBusinessTokens},
	{"Conversations", testConversations},
	{"BusinessMessages", testBusinessMessages},
	{"CommitWithBusiness", testCommitWithBusiness},
	{"Reach", testReach},
	{"ReachByBusiness", testReachByBusiness},
	{"Templates", testTemplates},
	{"WebhookOutbox", testWebhookOutbox},
	{"WebhookClaimOrder", testWebhookClaimOrder},
	{"WebhookFailedHoldsNoLonger", testWebhookFailedHoldsNoLonger},
	{"UsageLedger", testUsageLedger},
	{"UserIDs", testUserIDs},
	{"CloudKeys", testCloudKeys},
	{"Links", testLinks},
	{"PruneBusiness", testPruneBusiness},
	{"Catalogs", testCatalogs},
	{"OwnedCatalogs", testOwnedCatalogs},
	{"NumberSettings", testNumberSettings},
	{"BusinessSettings", testBusinessSettings},
	{"TemplateByID", testTemplateByID},
	{"LinkPrefill", testLinkPrefill},
	{"Flows", testFlows},
	{"FlowSessions", testFlowSessions},
}

func newBusiness(t testing.TB, s Store, name string) business.Business {
	t.Helper()
	b := business.Business{Name: name, Category: "RETAIL", AppSecret: "secret-" + name, PricingModel: "PMP", CreatedAt: t0}
	ok(t, "create business", s.CreateBusiness(context.Background(), &b))
	return b
}

func newNumber(t testing.TB, s Store, b business.Business, phone string) business.BusinessNumber {
	t.Helper()
	a := newAccount(t, s, phone)
	d := newDevice(t, s, a.ID, "cloud")
	n := business.BusinessNumber{BusinessID: b.ID, AccountID: a.ID, DeviceID: d.ID, Phone: phone, DisplayName: b.Name,
		TierLimit: 1000, Quality: business.QualityGreen, Status: business.NumberConnected, CreatedAt: t0}
	ok(t, "create number", s.CreateNumber(context.Background(), &n))
	return n
}

func testBusinesses(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Acme")
	got, err := s.GetBusiness(ctx, b.ID)
	ok(t, "get business", err)
	wantDiff(t, "business", got, b)
	b.Verified, b.CallbackURL, b.VerifyToken, b.Website = true, "https://acme.example/hook", "vt", "https://acme.example"
	ok(t, "update business", s.UpdateBusiness(ctx, b))
	got, err = s.GetBusiness(ctx, b.ID)
	ok(t, "GetBusiness", err)
	wantDiff(t, "updated business", got, b)
	b2 := newBusiness(t, s, "Beta")
	all, err := s.ListBusinesses(ctx)
	ok(t, "list businesses", err)
	wantDiff(t, "businesses", all, []business.Business{b, b2})
	_, err = s.GetBusiness(ctx, 9999)
	wantCode(t, "get missing business", err, parley.ENotFound)
	wantCode(t, "update missing business", s.UpdateBusiness(ctx, business.Business{ID: 9999, Name: "x"}), parley.ENotFound)
}

func testBusinessNumbers(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Acme")
	n := newNumber(t, s, b, "+15550001000")
	got, err := s.GetNumber(ctx, n.ID)
	ok(t, "get number", err)
	wantDiff(t, "number", got, n)
	got, err = s.NumberByAccount(ctx, n.AccountID)
	ok(t, "number by account", err)
	wantDiff(t, "number by account", got, n)
	dup := n
	wantCode(t, "second number on one account", s.CreateNumber(ctx, &dup), parley.EConflict)
	n.Throughput, n.TierLimit, n.Quality, n.Status = 200, 10000, business.QualityYellow, business.NumberFlagged
	ok(t, "update number", s.UpdateNumber(ctx, n))
	other := newNumber(t, s, newBusiness(t, s, "Other"), "+15550001001")
	mine, err := s.ListNumbers(ctx, b.ID)
	ok(t, "list numbers", err)
	wantDiff(t, "numbers of business", mine, []business.BusinessNumber{n})
	all, err := s.ListNumbers(ctx, 0)
	ok(t, "ListNumbers", err)
	wantDiff(t, "all numbers", all, []business.BusinessNumber{n, other})
	_, err = s.NumberByAccount(ctx, 9999)
	wantCode(t, "number of a person", err, parley.ENotFound)
}

func testBusinessTokens(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Acme")
	tok := business.BusinessToken{BusinessID: b.ID, Name: "ci", CreatedAt: t0, ExpiresAt: at(time.Hour)}
	ok(t, "create token", s.CreateBusinessToken(ctx, &tok, []byte("hash-1")))
	got, err := s.BusinessTokenByHash(ctx, []byte("hash-1"))
	ok(t, "token by hash", err)
	wantDiff(t, "token", got, tok)
	ok(t, "revoke", s.RevokeBusinessToken(ctx, b.ID, tok.ID, at(time.Minute)))
	ok(t, "revoke again", s.RevokeBusinessToken(ctx, b.ID, tok.ID, at(2*time.Minute)))
	got, err = s.BusinessTokenByHash(ctx, []byte("hash-1"))
	ok(t, "BusinessTokenByHash", err)
	if !got.RevokedAt.Equal(at(time.Minute)) {
		t.Errorf("revoked at: got %v, want %v (the first revocation)", got.RevokedAt, at(time.Minute))
	}
	wantCode(t, "revoke another business's token", s.RevokeBusinessToken(ctx, b.ID+1, tok.ID, t0), parley.ENotFound)
	list, err := s.ListBusinessTokens(ctx, b.ID)
	ok(t, "ListBusinessTokens", err)
	if len(list) != 1 {
		t.Errorf("tokens: got %d, want 1", len(list))
	}
	_, err = s.BusinessTokenByHash(ctx, []byte("nope"))
	wantCode(t, "unknown token", err, parley.ENotFound)
}

func testConversations(t *testing.T, s Store) {
	ctx := context.Background()
	_, err := s.GetConversation(ctx, 1, 2)
	wantCode(t, "missing conversation", err, parley.ENotFound)
	c := business.Conversation{NumberID: 1, CustomerID: 2, ChatID: 3, LastInboundAt: t0, EntryPointAt: at(time.Second),
		EntryPointLink: 7, MarketingOptOut: true, ConversationUntil: map[string]time.Time{"marketing": at(24 * time.Hour)}}
	ok(t, "put", s.PutConversation(ctx, c))
	got, err := s.GetConversation(ctx, 1, 2)
	ok(t, "get", err)
	wantDiff(t, "conversation", got, c)
	c.Replied, c.EntryPointUntil, c.ConversationUntil = true, at(72*time.Hour), nil
	ok(t, "replace", s.PutConversation(ctx, c))
	got, err = s.GetConversation(ctx, 1, 2)
	ok(t, "GetConversation", err)
	wantDiff(t, "replaced conversation", got, c)
}

func testBusinessMessages(t *testing.T, s Store) {
	ctx := context.Background()
	m := business.BusinessMessage{NumberID: 1, ID: "wamid.a", Outbound: true, ChatID: 2, CustomerID: 3, CustomerPhone: "+15550000003",
		Category: "marketing", PricingType: business.PricingRegular, Billable: true, InWindow: true, CallbackData: "cb", CreatedAt: t0}
	ok(t, "put", s.PutBusinessMessage(ctx, m))
	changed := m
	changed.Category = "utility"
	ok(t, "put again", s.PutBusinessMessage(ctx, changed))
	got, err := s.GetBusinessMessage(ctx, 1, "wamid.a")
	ok(t, "get", err)
	wantDiff(t, "message (first write wins)", got, m)
	ok(t, "put other", s.PutBusinessMessage(ctx, business.BusinessMessage{NumberID: 2, ID: "wamid.b", Outbound: true, CustomerID: 3,
		CustomerPhone: "+15550000003", Category: "marketing", CreatedAt: at(time.Hour)}))
	n, err := s.CountMarketing(ctx, 3, t0)
	ok(t, "count marketing", err)
	if n != 2 {
		t.Errorf("marketing since t0: got %d, want 2", n)
	}
	n, err = s.CountMarketing(ctx, 3, at(time.Minute))
	ok(t, "CountMarketing", err)
	if n != 1 {
		t.Errorf("marketing since t0+1m: got %d, want 1", n)
	}
	_, err = s.GetBusinessMessage(ctx, 1, "nope")
	wantCode(t, "missing message", err, parley.ENotFound)
}

// testCommitWithBusiness checks Append.Business: written with an append
// that commits, not with a duplicate or a failed one.
func testCommitWithBusiness(t *testing.T, s Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	batch := func(id string) *business.Batch {
		return &business.Batch{
			Messages: []business.BusinessMessage{{NumberID: 7, ID: id, Outbound: true, ChatID: f.chat.ID, CustomerID: f.bob.ID,
				CustomerPhone: "+15550000003", Category: "utility", PricingType: business.PricingRegular, Billable: true, CreatedAt: t0}},
			Webhooks: []*business.Webhook{hook(1, "st:"+id+":sent", "c", t0)},
		}
	}
	m := f.message(f.chat.ID, "wamid.1", t0, f.bobDev)
	m.Extra = batch("wamid.1")
	commit(t, s, m)
	got, err := s.GetBusinessMessage(ctx, 7, "wamid.1")
	ok(t, "business message committed with the append", err)
	if got.ChatID != f.chat.ID || got.Category != "utility" {
		t.Errorf("business message: got %+v", got)
	}
	if id := m.Extra.(*business.Batch).Webhooks[0].ID; id == 0 {
		t.Error("webhook: got no id, want the outbox row's")
	} else if w := got0(t, s, id); w.Key != "st:wamid.1:sent" {
		t.Errorf("webhook: got key %q", w.Key)
	}

	dup := f.message(f.chat.ID, "wamid.1", t0, f.bobDev)
	dup.Extra = batch("wamid.dup")
	conflict := f.message(f.chat.ID, "wamid.1", t0, f.bobDev)
	conflict.Meta.SenderAccount = f.bob.ID
	conflict.Extra = batch("wamid.conflict")
	next := f.message(f.chat.ID, "wamid.2", t0, f.bobDev)
	next.Extra = batch("wamid.2")
	commit(t, s, dup, conflict, next)
	if !dup.Duplicate || conflict.Err == nil || next.Err != nil || next.Duplicate {
		t.Fatalf("appends: got dup %v, conflict err %v, next err %v", dup.Duplicate, conflict.Err, next.Err)
	}
	for _, id := range []string{"wamid.dup", "wamid.conflict"} {
		_, err := s.GetBusinessMessage(ctx, 7, id)
		wantCode(t, "business batch of "+id, err, parley.ENotFound)
	}
	_, err = s.GetBusinessMessage(ctx, 7, "wamid.2")
	ok(t, "business batch of the next append", err)
}

// testReachByBusiness: a portfolio's reach counts each customer once,
// whichever of its numbers reached them, and no other business's.
func testReachByBusiness(t *testing.T, s Store) {
	ctx := context.Background()
	b, other := newBusiness(t, s, "portfolio"), newBusiness(t, s, "other")
	n1, n2 := newNumber(t, s, b, "+14155550701"), newNumber(t, s, b, "+14155550702")
	o := newNumber(t, s, other, "+14155550703")
	ok(t, "n1 reaches 10", s.RecordReach(ctx, n1.ID, 10, t0))
	ok(t, "n2 reaches 10", s.RecordReach(ctx, n2.ID, 10, at(time.Hour)))
	ok(t, "n2 reaches 11", s.RecordReach(ctx, n2.ID, 11, at(time.Hour)))
	ok(t, "other reaches 12", s.RecordReach(ctx, o.ID, 12, at(time.Hour)))
	already, total, err := s.ReachedByBusiness(ctx, b.ID, 10, t0)
	ok(t, "reached by business", err)
	if !already || total != 2 {
		t.Errorf("portfolio reach of 10: got %v %d, want true 2", already, total)
	}
	already, total, err = s.ReachedByBusiness(ctx, b.ID, 12, t0)
	ok(t, "ReachedByBusiness", err)
	if already || total != 2 {
		t.Errorf("portfolio reach of 12 (another business's customer): got %v %d, want false 2", already, total)
	}
	already, total, err = s.ReachedByBusiness(ctx, b.ID, 10, at(30*time.Minute))
	ok(t, "ReachedByBusiness", err)
	if !already || total != 2 {
		t.Errorf("portfolio reach since 30m: got %v %d, want true 2 (n2 reached 10 again)", already, total)
	}
	already, total, err = s.ReachedByBusiness(ctx, other.ID+1000, 10, t0)
	ok(t, "ReachedByBusiness", err)
	if already || total != 0 {
		t.Errorf("reach of an unknown business: got %v %d, want false 0", already, total)
	}
}

func testReach(t *testing.T, s Store) {
	ctx := context.Background()
	ok(t, "reach 10", s.RecordReach(ctx, 1, 10, t0))
	ok(t, "reach 11", s.RecordReach(ctx, 1, 11, at(time.Hour)))
	ok(t, "reach 10 again", s.RecordReach(ctx, 1, 10, at(2*time.Hour)))
	ok(t, "other number", s.RecordReach(ctx, 2, 12, at(time.Hour)))
	already, total, err := s.Reached(ctx, 1, 10, at(time.Minute))
	ok(t, "reached", err)
	if !already || total != 2 {
		t.Errorf("reached(10): got %v %d, want true 2", already, total)
	}
	already, total, err = s.Reached(ctx, 1, 12, at(90*time.Minute))
	ok(t, "Reached", err)
	if already || total != 1 {
		t.Errorf("reached(12) since 90m: got %v %d, want false 1", already, total)
	}
	ok(t, "signal", s.AddQualitySignal(ctx, 1, 10, "block", t0))
	ok(t, "signal again", s.AddQualitySignal(ctx, 1, 10, "block", at(time.Hour)))
	ok(t, "report", s.AddQualitySignal(ctx, 1, 10, "report", at(time.Hour)))
	n, err := s.CountQualitySignals(ctx, 1, t0)
	ok(t, "count signals", err)
	if n != 2 {
		t.Errorf("signals: got %d, want 2", n)
	}
}

func testTemplates(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Acme")
	tpl := business.Template{BusinessID: b.ID, Name: "order_update", Language: "en_US", Category: business.CategoryUtility,
		ParameterFormat: "positional", Components: []business.TemplateComponent{{Type: "BODY", Text: "Order {{1}} shipped"}},
		Status: business.TemplatePending, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create", s.CreateTemplate(ctx, &tpl))
	dup := tpl
	wantCode(t, "duplicate name and language", s.CreateTemplate(ctx, &dup), parley.EConflict)
	de := tpl
	de.Language = "de"
	ok(t, "other language", s.CreateTemplate(ctx, &de))
	got, err := s.FindTemplate(ctx, b.ID, "order_update", "en_US")
	ok(t, "find", err)
	wantDiff(t, "template", got, tpl)
	ok(t, "approve", s.SetTemplateStatus(ctx, tpl.ID, business.TemplateApproved, "", at(time.Minute)))
	approved, err := s.ListTemplates(ctx, b.ID, business.TemplateApproved, 0, 10)
	ok(t, "list approved", err)
	if len(approved) != 1 || approved[0].ID != tpl.ID || !approved[0].UpdatedAt.Equal(at(time.Minute)) {
		t.Errorf("approved templates: got %+v, want just %d", approved, tpl.ID)
	}
	ok(t, "recategorize", s.SetTemplateCategory(ctx, tpl.ID, business.CategoryMarketing, business.CategoryUtility, at(2*time.Minute)))
	got, err = s.GetTemplate(ctx, tpl.ID)
	ok(t, "get recategorized", err)
	if got.Category != business.CategoryMarketing || got.PreviousCategory != business.CategoryUtility || !got.UpdatedAt.Equal(at(2*time.Minute)) {
		t.Errorf("recategorized: got category %s, previous %s, updated %v; want MARKETING, UTILITY, %v",
			got.Category, got.PreviousCategory, got.UpdatedAt, at(2*time.Minute))
	}
	wantCode(t, "recategorize a missing template", s.SetTemplateCategory(ctx, tpl.ID+1000, business.CategoryMarketing, business.CategoryUtility, t0), parley.ENotFound)
	page, err := s.ListTemplates(ctx, b.ID, "", tpl.ID, 10)
	ok(t, "ListTemplates", err)
	if len(page) != 1 || page[0].ID != de.ID {
		t.Errorf("page after %d: got %+v, want just %d", tpl.ID, page, de.ID)
	}
	n, err := s.DeleteTemplates(ctx, b.ID, "order_update")
	ok(t, "delete", err)
	if n != 2 {
		t.Errorf("deleted: got %d, want 2", n)
	}
	_, err = s.GetTemplate(ctx, tpl.ID)
	wantCode(t, "deleted template", err, parley.ENotFound)
}

func hook(biz int64, key, conv string, due time.Time) *business.Webhook {
	return &business.Webhook{BusinessID: biz, Key: key, ConvKey: conv, Payload: []byte(`{"k":"` + key + `"}`),
		Status: business.WebhookPending, NextAttemptAt: due, CreatedAt: t0}
}

func testWebhookOutbox(t *testing.T, s Store) {
	ctx := context.Background()
	a := hook(1, "a", "c1", t0)
	ok(t, "enqueue", s.EnqueueWebhooks(ctx, []*business.Webhook{a}))
	again := hook(1, "a", "c1", t0)
	ok(t, "enqueue duplicate", s.EnqueueWebhooks(ctx, []*business.Webhook{again}))
	if a.ID == 0 || again.ID != 0 {
		t.Errorf("ids: got %d and %d, want a new id and 0 for the duplicate", a.ID, again.ID)
	}
	got, err := s.ClaimWebhooks(ctx, t0, at(time.Minute), 10, nil)
	ok(t, "claim", err)
	if len(got) != 1 || got[0].ID != a.ID || !got[0].NextAttemptAt.Equal(at(time.Minute)) {
		t.Fatalf("claim: got %+v, want webhook %d leased to t0+1m", got, a.ID)
	}
	got, err = s.ClaimWebhooks(ctx, at(time.Second), at(time.Minute), 10, nil)
	ok(t, "ClaimWebhooks", err)
	if len(got) != 0 {
		t.Errorf("claim while leased: got %d webhooks, want 0", len(got))
	}
	// A claimer that shuts down gives its lease back.
	ok(t, "release", s.ReleaseWebhooks(ctx, []int64{a.ID}, at(time.Second)))
	got, err = s.ClaimWebhooks(ctx, at(time.Second), at(time.Minute), 10, nil)
	ok(t, "claim after release", err)
	if len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("claim after release: got %+v, want webhook %d", got, a.ID)
	}
	w := got0(t, s, a.ID)
	w.Attempts, w.LastError, w.NextAttemptAt = 1, "status 500", at(time.Hour)
	ok(t, "finish failed", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: t0, StatusCode: 500, Error: "status 500", Duration: time.Millisecond}))
	w.Status, w.Attempts, w.DeliveredAt, w.LastError = business.WebhookDelivered, 2, at(time.Hour), ""
	ok(t, "finish delivered", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 2, At: at(time.Hour), StatusCode: 200}))
	as, err := s.WebhookAttempts(ctx, w.ID)
	ok(t, "attempts", err)
	wantDiff(t, "attempts", as, []business.WebhookAttempt{
		{WebhookID: w.ID, Attempt: 1, At: t0, StatusCode: 500, Error: "status 500", Duration: time.Millisecond},
		{WebhookID: w.ID, Attempt: 2, At: at(time.Hour), StatusCode: 200}})
	log, err := s.ListWebhooks(ctx, 1, 0, 10)
	ok(t, "list", err)
	if len(log) != 1 || log[0].Status != business.WebhookDelivered {
		t.Errorf("log: got %+v, want one delivered webhook", log)
	}
	wantCode(t, "replay of another business", s.ReplayWebhook(ctx, 2, w.ID, t0), parley.ENotFound)
	ok(t, "replay", s.ReplayWebhook(ctx, 1, w.ID, at(2*time.Hour)))
	got, err = s.ClaimWebhooks(ctx, at(2*time.Hour), at(3*time.Hour), 10, nil)
	ok(t, "ClaimWebhooks", err)
	if len(got) != 1 || got[0].ID != w.ID {
		t.Errorf("claim after replay: got %+v, want webhook %d", got, w.ID)
	}
}

func got0(t testing.TB, s Store, id int64) business.Webhook {
	t.Helper()
	ws, err := s.ListWebhooks(context.Background(), 1, id+1, 1)
	ok(t, "list webhooks", err)
	if len(ws) != 1 {
		t.Fatalf("webhook %d: not found", id)
	}
	return ws[0]
}

func testWebhookClaimOrder(t *testing.T, s Store) {
	ctx := context.Background()
	ws := []*business.Webhook{hook(1, "1", "c1", t0), hook(1, "2", "c1", t0), hook(1, "3", "c2", t0), hook(2, "4", "c1", t0), hook(3, "5", "c9", at(time.Hour))}
	ok(t, "enqueue", s.EnqueueWebhooks(ctx, ws))
	got, err := s.ClaimWebhooks(ctx, t0, at(time.Minute), 10, []int64{2})
	ok(t, "claim", err)
	ids := map[int64]bool{}
	for _, w := range got {
		ids[w.ID] = true
	}
	if len(got) != 2 || !ids[ws[0].ID] || !ids[ws[2].ID] {
		t.Errorf("claimed %v, want the oldest of conversation c1 and c2 of business 1 (%d, %d)", ids, ws[0].ID, ws[2].ID)
	}
	w := got0(t, s, ws[0].ID)
	w.Status, w.Attempts = business.WebhookDelivered, 1
	ok(t, "finish", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: t0, StatusCode: 200}))
	got, err = s.ClaimWebhooks(ctx, t0, at(time.Minute), 10, nil)
	ok(t, "ClaimWebhooks", err)
	ids = map[int64]bool{}
	for _, w := range got {
		ids[w.ID] = true
	}
	if len(got) != 2 || !ids[ws[1].ID] || !ids[ws[3].ID] {
		t.Errorf("second claim %v, want the next of c1 (%d) and business 2's (%d)", ids, ws[1].ID, ws[3].ID)
	}
}

// testWebhookFailedHoldsNoLonger: a webhook in flight holds back the
// later ones of its conversation; once its attempt has failed, they flow
// while it waits for its retry.
func testWebhookFailedHoldsNoLonger(t *testing.T, s Store) {
	ctx := context.Background()
	ws := []*business.Webhook{hook(1, "1", "c1", t0), hook(1, "2", "c1", t0), hook(1, "3", "c1", t0)}
	ok(t, "enqueue", s.EnqueueWebhooks(ctx, ws))
	claim := func(now time.Time) []int64 {
		t.Helper()
		got, err := s.ClaimWebhooks(ctx, now, now.Add(time.Minute), 10, nil)
		ok(t, "claim", err)
		var ids []int64
		for _, w := range got {
			ids = append(ids, w.ID)
		}
		return ids
	}
	if got := claim(t0); len(got) != 1 || got[0] != ws[0].ID {
		t.Fatalf("first claim: got %v, want just the oldest (%d)", got, ws[0].ID)
	}
	if got := claim(t0); len(got) != 0 {
		t.Fatalf("claim while the oldest is in flight: got %v, want none", got)
	}
	w := got0(t, s, ws[0].ID)
	w.Attempts, w.LastError, w.NextAttemptAt = 1, "status 401", at(time.Hour)
	ok(t, "finish failed", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: t0, StatusCode: 401, Error: "status 401"}))
	if got := claim(at(time.Second)); len(got) != 1 || got[0] != ws[1].ID {
		t.Fatalf("claim after the oldest failed: got %v, want the next one (%d)", got, ws[1].ID)
	}
	// The second is in flight and never failed: it holds the third back.
	if got := claim(at(2 * time.Second)); len(got) != 0 {
		t.Fatalf("claim while the second is in flight: got %v, want none", got)
	}
	w = got0(t, s, ws[1].ID)
	w.Status, w.Attempts = business.WebhookDelivered, 1
	ok(t, "finish delivered", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: at(time.Second), StatusCode: 200}))
	if got := claim(at(3 * time.Second)); len(got) != 1 || got[0] != ws[2].ID {
		t.Fatalf("claim after the second was delivered: got %v, want the third (%d)", got, ws[2].ID)
	}
	w = got0(t, s, ws[2].ID)
	w.Status, w.Attempts = business.WebhookDelivered, 1
	ok(t, "finish delivered", s.FinishWebhook(ctx, w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: at(3 * time.Second), StatusCode: 200}))
	// The failed one is retried when due.
	if got := claim(at(time.Hour)); len(got) != 1 || got[0] != ws[0].ID {
		t.Fatalf("claim at the retry: got %v, want the failed one (%d)", got, ws[0].ID)
	}
}

func testUsageLedger(t *testing.T, s Store) {
	ctx := context.Background()
	u := func(key string, biz int64) *billing.UsageEntry {
		return &billing.UsageEntry{Key: key, BusinessID: biz, NumberID: 1, Event: billing.TemplateDelivered, Category: "marketing",
			Country: "BR", PricingType: business.PricingRegular, InWindow: key == "k1", Model: "PMP", Billable: true, MessageID: key, At: t0}
	}
	n, err := s.AppendUsage(ctx, []*billing.UsageEntry{u("k1", 1), u("k2", 1), u("k1", 1), u("k3", 2)})
	ok(t, "append", err)
	if n != 3 {
		t.Errorf("appended: got %d, want 3", n)
	}
	n, err = s.AppendUsage(ctx, []*billing.UsageEntry{u("k2", 1)})
	ok(t, "AppendUsage", err)
	if n != 0 {
		t.Errorf("appended again: got %d, want 0", n)
	}
	mine, err := s.ListUsage(ctx, 1, 0, 10)
	ok(t, "list", err)
	if len(mine) != 2 || mine[0].Key != "k1" || mine[1].Key != "k2" || mine[0].Country != "BR" || !mine[0].Billable ||
		!mine[0].InWindow || mine[1].InWindow {
		t.Errorf("ledger of business 1: got %+v", mine)
	}
	all, err := s.ListUsage(ctx, 0, mine[0].ID, 10)
	ok(t, "ListUsage", err)
	if len(all) != 2 {
		t.Errorf("ledger after first: got %d entries, want 2", len(all))
	}
}

func testLinks(t *testing.T, s Store) {
	ctx := context.Background()
	b := newBusiness(t, s, "Acme")
	n := newNumber(t, s, b, "+15550001000")
	l := business.Link{BusinessID: b.ID, NumberID: n.ID, Code: "abc123", Prefill: "Hi!",
		Source: &wire.Referral{SourceID: "ad-1", SourceType: "ad", Headline: "Sale"}, CreatedAt: t0}
	ok(t, "create", s.CreateLink(ctx, &l))
	dup := l
	wantCode(t, "duplicate code", s.CreateLink(ctx, &dup), parley.EConflict)
	ok(t, "click", s.CreateClick(ctx, business.Click{ID: "ctwa.1", LinkID: l.ID, At: t0}))
	ok(t, "click", s.CreateClick(ctx, business.Click{ID: "ctwa.2", LinkID: l.ID, At: t0}))
	ok(t, "chat", s.CountLink(ctx, l.ID, "chats"))
	ok(t, "reply", s.CountLink(ctx, l.ID, "replies"))
	got, err := s.LinkByCode(ctx, "abc123")
	ok(t, "by code", err)
	l.Clicks, l.Chats, l.Replies = 2, 1, 1
	wantDiff(t, "link", got, l)
	c, err := s.GetClick(ctx, "ctwa.2")
	ok(t, "get click", err)
	wantDiff(t, "click", c, business.Click{ID: "ctwa.2", LinkID: l.ID, At: t0})
	ls, err := s.ListLinks(ctx, b.ID)
	ok(t, "ListLinks", err)
	wantDiff(t, "links", ls, []business.Link{l})
	byID, err := s.GetLink(ctx, l.ID)
	ok(t, "get link", err)
	wantDiff(t, "link by id", byID, l)
}

func testPruneBusiness(t *testing.T, s Store) {
	ctx := context.Background()
	msg := func(id string, at time.Time) business.BusinessMessage {
		return business.BusinessMessage{NumberID: 1, ID: id, ChatID: 1, CustomerID: 10, CustomerPhone: "+15550000010", CreatedAt: at}
	}
	ok(t, "old message", s.PutBusinessMessage(ctx, msg("old", t0)))
	ok(t, "new message", s.PutBusinessMessage(ctx, msg("new", at(48*time.Hour))))
	ok(t, "old reach", s.RecordReach(ctx, 1, 10, t0))
	ok(t, "new reach", s.RecordReach(ctx, 1, 11, at(48*time.Hour)))
	ok(t, "old signal", s.AddQualitySignal(ctx, 1, 10, "block", t0))
	ok(t, "new signal", s.AddQualitySignal(ctx, 1, 11, "block", at(48*time.Hour)))
	done, pending, recent := hook(1, "done", "c1", t0), hook(1, "pending", "c2", t0), hook(1, "recent", "c3", at(48*time.Hour))
	recent.CreatedAt = at(48 * time.Hour)
	ok(t, "enqueue", s.EnqueueWebhooks(ctx, []*business.Webhook{done, pending, recent}))
	for _, w := range []*business.Webhook{done, recent} {
		w.Status, w.Attempts, w.DeliveredAt = business.WebhookDelivered, 1, w.CreatedAt
		ok(t, "finish", s.FinishWebhook(ctx, *w, business.WebhookAttempt{WebhookID: w.ID, Attempt: 1, At: w.CreatedAt, StatusCode: 200}))
	}
	cut := at(24 * time.Hour)
	p := business.BusinessPrune{Messages: cut, Reach: cut, Quality: cut, Webhooks: cut}
	n, err := s.PruneBusiness(ctx, p, 1)
	ok(t, "prune one of each", err)
	if n != 4 {
		t.Errorf("pruned with limit 1: got %d rows, want 4 (one per table)", n)
	}
	n, err = s.PruneBusiness(ctx, p, 100)
	ok(t, "prune again", err)
	if n != 0 {
		t.Errorf("pruned again: got %d rows, want 0", n)
	}
	if _, err := s.GetBusinessMessage(ctx, 1, "old"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("old message: got %v, want not found", err)
	}
	if _, err := s.GetBusinessMessage(ctx, 1, "new"); err != nil {
		t.Errorf("new message: %v", err)
	}
	already, total, err := s.Reached(ctx, 1, 10, t0)
	ok(t, "Reached", err)
	if already || total != 1 {
		t.Errorf("reach after pruning: got %v %d, want only the new one", already, total)
	}
	c, err := s.CountQualitySignals(ctx, 1, t0)
	ok(t, "CountQualitySignals", err)
	if c != 1 {
		t.Errorf("signals after pruning: got %d, want 1", c)
	}
	log, err := s.ListWebhooks(ctx, 1, 0, 10)
	ok(t, "list", err)
	var keys []string
	for _, w := range log {
		keys = append(keys, w.Key)
	}
	wantDiff(t, "webhooks kept (the pending one is never pruned)", keys, []string{"recent", "pending"})
	as, err := s.WebhookAttempts(ctx, done.ID)
	ok(t, "WebhookAttempts", err)
	if len(as) != 0 {
		t.Errorf("attempts of a pruned webhook: got %d", len(as))
	}
}

func testUserIDs(t *testing.T, s Store) {
	ctx := context.Background()
	ok(t, "remember", s.RememberUserID(ctx, 1, "US.1", 10))
	ok(t, "remember again", s.RememberUserID(ctx, 1, "US.1", 11)) // a known pair stays as it is
	ok(t, "other business", s.RememberUserID(ctx, 2, "US.1", 12))
	if id, err := s.AccountOfUserID(ctx, 1, "US.1"); err != nil || id != 10 {
		t.Errorf("account of US.1 for business 1: got %d %v, want 10", id, err)
	}
	if id, err := s.AccountOfUserID(ctx, 2, "US.1"); err != nil || id != 12 {
		t.Errorf("account of US.1 for business 2: got %d %v, want 12", id, err)
	}
	_, err := s.AccountOfUserID(ctx, 3, "US.1")
	wantCode(t, "unknown user id", err, parley.ENotFound)
}

// testCloudKeys: a cloud device's sealed state is written by compare and
// swap on its version, so two nodes never both advance one state.
func testCloudKeys(t *testing.T, s Store) {
	ctx := context.Background()
	_, _, err := s.GetCloudKeys(ctx, 77)
	wantCode(t, "no state yet", err, parley.ENotFound)
	ok(t, "first write", s.PutCloudKeys(ctx, 77, []byte("one"), 0))
	wantCode(t, "a second first write", s.PutCloudKeys(ctx, 77, []byte("other"), 0), parley.EConflict)
	st, v, err := s.GetCloudKeys(ctx, 77)
	if err != nil || string(st) != "one" || v != 1 {
		t.Fatalf("after the first write: got %q version %d %v, want \"one\" version 1", st, v, err)
	}
	if v, err := s.CloudKeysVersion(ctx, 77); err != nil || v != 1 {
		t.Errorf("version after the first write: got %d %v, want 1", v, err)
	}
	ok(t, "swap", s.PutCloudKeys(ctx, 77, []byte("two"), 1))
	wantCode(t, "a stale swap", s.PutCloudKeys(ctx, 77, []byte("stale"), 1), parley.EConflict)
	if st, v, err := s.GetCloudKeys(ctx, 77); err != nil || string(st) != "two" || v != 2 {
		t.Errorf("after the swap: got %q version %d %v, want \"two\" version 2", st, v, err)
	}
}
