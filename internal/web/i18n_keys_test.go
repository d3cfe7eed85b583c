package web_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// languages every web client must have, besides English.
var languages = []string{"fr", "es", "pt-BR", "hi", "ar"}

// loadTables is a script that imports each client's translation module in
// the page and returns its tables, the lazily loaded ones included, with
// the plural categories of each language (Intl.PluralRules):
// {client: {tables: {lang: {key: string | {category: string}}}}, plurals: {lang: [category]}}.
const loadTables = `(async () => {
  const base = document.querySelector('link[rel=modulepreload][href$="/shared/i18n.js"]').href.replace(/shared\/i18n\.js$/, '');
  const out = {};
  const all = async (m) => {
    const t = { ...m.dicts };
    for (const [l, f] of Object.entries(m.lazy || {})) t[l] = (await f()).default;
    return t;
  };
  out.app = await all(await import(base + 'app/i18n.js'));
  // A console's English and French are its i18n.js and one more module's
  // tables; its lazy tables hold both.
  const withExtra = async (m, extra) => {
    const t = await all(m);
    for (const l of Object.keys(extra)) t[l] = { ...t[l], ...extra[l] };
    return t;
  };
  out.business = await withExtra(await import(base + 'business/i18n.js'), (await import(base + 'business/billing.js')).billingDicts);
  out.admin = await withExtra(await import(base + 'admin/i18n.js'), (await import(base + 'admin/revenue.js')).revenueDicts);
  out.console = await all(await import(base + 'shared/console.js'));
  const plurals = {};
  for (const l of ['en', 'fr', 'es', 'pt-BR', 'hi', 'ar']) plurals[l] = new Intl.PluralRules(l).resolvedOptions().pluralCategories;
  return JSON.stringify({ tables: out, plurals });
})()`

// placeholder is a {name} that t() fills; a {{name}} is literal text (a
// template parameter shown as an example) and may be translated.
var placeholder = regexp.MustCompile(`(?:^|[^{])\{(\w+)\}`)

// placeholders returns the sorted distinct {names} of a message (of all
// its plural forms).
func placeholders(v any) []string {
	seen := map[string]bool{}
	add := func(s string) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			seen[m[1]] = true // m[1] is the name
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case map[string]any:
		for _, f := range v {
			if s, ok := f.(string); ok {
				add(s)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestI18nKeys fails when a key of a client's English table is missing in
// another language, a language has a key English lacks, a placeholder
// differs, or a plural message lacks a form the language's plural rules
// need. A plural form may leave out {n} ("one message" in Arabic is
// "رسالة واحدة"), but every other placeholder must be there.
func TestI18nKeys(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := servertest.Start(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.Endpoint("/"))
	p.WaitJS(`document.readyState === 'complete'`, "page loaded")
	var got struct {
		Tables  map[string]map[string]map[string]any `json:"tables"`
		Plurals map[string][]string                  `json:"plurals"`
	}
	if err := json.Unmarshal([]byte(webtest.Eval[string](p, loadTables)), &got); err != nil {
		t.Fatal(err)
	}
	for _, client := range []string{"app", "business", "admin", "console"} {
		tables := got.Tables[client]
		en := tables["en"]
		if len(en) == 0 {
			t.Fatalf("%s: no English table", client)
		}
		for _, lang := range languages {
			tab, ok := tables[lang]
			if !ok {
				t.Errorf("%s: no %s table", client, lang)
				continue
			}
			for key, ev := range en {
				v, ok := tab[key]
				if !ok {
					t.Errorf("%s/%s: %q is missing", client, lang, key)
					continue
				}
				want, have := placeholders(ev), placeholders(v)
				if pf, plural := v.(map[string]any); plural {
					if _, wasPlural := ev.(map[string]any); !wasPlural {
						t.Errorf("%s/%s: %q has plural forms, English does not", client, lang, key)
						continue
					}
					for _, cat := range got.Plurals[lang] {
						if _, ok := pf[cat]; !ok {
							t.Errorf("%s/%s: %q lacks the plural form %q", client, lang, key, cat)
						}
					}
					have = slices.DeleteFunc(have, func(s string) bool { return s == "n" })
					want = slices.DeleteFunc(want, func(s string) bool { return s == "n" })
					for _, cat := range pf {
						s, _ := cat.(string)
						if extra := slices.DeleteFunc(placeholders(s), func(p string) bool { return p == "n" || slices.Contains(want, p) }); len(extra) > 0 {
							t.Errorf("%s/%s: %q: unknown placeholders %v", client, lang, key, extra)
						}
					}
				} else if _, wasPlural := ev.(map[string]any); wasPlural {
					t.Errorf("%s/%s: %q has no plural forms, English does", client, lang, key)
					continue
				}
				if !slices.Equal(want, have) {
					t.Errorf("%s/%s: %q has placeholders %v, English %v", client, lang, key, have, want)
				}
			}
			for key := range tab {
				if _, ok := en[key]; !ok {
					t.Errorf("%s/%s: %q is not an English key", client, lang, key)
				}
			}
		}
	}
}
