package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBillingBodyAsCurlSendsIt: `curl -d '{...}'` sends a JSON document as
// application/x-www-form-urlencoded. It used to be parsed as a form with
// one unknown key and answered 200 with nothing changed, so a budget cap
// the business thought was set was not, and an operator's field was not
// refused (issue 13, defect 9).
func TestBillingBodyAsCurlSendsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	patch := func(ctype, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(e.ctx, "PATCH", fmt.Sprintf("%s/v23.0/%d/billing", e.srv.URL, e.biz.ID), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	const form = "application/x-www-form-urlencoded"

	if code, b := patch(form, `{"budget_caps":{"marketing":5000}}`); code != 200 {
		t.Fatalf("JSON sent as a form: got %d %s, want 200", code, b)
	}
	if got := e.wallet().BudgetCaps["marketing"]; got != 5000 {
		t.Errorf("marketing cap after a JSON body sent as a form: got %d, want 5000", got)
	}
	if code, b := patch(form, `{"credit_limit_micros":1000000}`); code != 400 {
		t.Errorf("operator field sent as a form: got %d %s, want 400", code, b)
	}
	if code, b := patch(form, `low_balance_micros=700`); code != 200 {
		t.Errorf("form fields: got %d %s, want 200", code, b)
	}
	for _, ctype := range []string{form, "text/plain", ""} {
		body := `{"budget_cap":{"marketing":1}}` // misspelt: no parameter of the endpoint
		if ctype == form {
			body = "budget_cap=1"
		}
		code, b := patch(ctype, body)
		var me metaError
		if code != 400 || json.Unmarshal(b, &me) != nil || me.Error.Code != 100 {
			t.Errorf("no known parameter (%q): got %d %s, want 400 with code 100", ctype, code, b)
		}
	}
	if got := e.wallet().BudgetCaps["marketing"]; got != 5000 {
		t.Errorf("marketing cap after refused bodies: got %d, want 5000", got)
	}
}
