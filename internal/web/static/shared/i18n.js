// i18n.js: message dictionaries per language. t(key, params) looks the key
// up in the current language, falls back to English and then to the key,
// and fills {name} placeholders.
//
// The language is the one chosen in the app (kept in localStorage), else
// the first of the browser's languages (navigator.languages) that the app
// has, matched by the whole tag (pt-BR) and then by its primary subtag
// (pt, pt-PT → pt-BR; fr-CA → fr), else English. <html lang> follows it,
// and <html dir> is rtl for a right-to-left language (Arabic).
//
// A message that depends on a count is an object of plural forms keyed by
// Intl.PluralRules categories ({ one: '{n} follower', other: '{n}
// followers' }); the count is params.n, written with Intl.NumberFormat.
//
// dicts holds the tables loaded with the page (English at least); lazy
// maps other languages to a function returning a promise of the module
// whose default export is the table (() => import('./i18n-es.js')), so a
// table is fetched only when someone uses that language. ready resolves
// once the current language's table is there.

const rtl = new Set(['ar', 'fa', 'he', 'ur']);

// pickLang returns the language of supported that best fits wanted (a
// list of BCP 47 tags, most wanted first), or 'en'.
export function pickLang(supported, wanted) {
  const lower = supported.map((l) => l.toLowerCase());
  for (const w of wanted) {
    if (!w) continue;
    const tag = String(w).toLowerCase();
    const exact = lower.indexOf(tag);
    if (exact >= 0) return supported[exact];
    const primary = tag.split('-')[0];
    const i = lower.findIndex((l) => l.split('-')[0] === primary);
    if (i >= 0) return supported[i];
  }
  return 'en';
}

export function createI18n(dicts, storageKey = 'parley.lang', lazy = {}) {
  const listeners = new Set();
  const supported = [...new Set([...Object.keys(dicts), ...Object.keys(lazy)])];
  const stored = localStorage.getItem(storageKey);
  let lang = stored && supported.includes(stored) ? stored
    : pickLang(supported, navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);

  const load = async (l) => {
    if (dicts[l] || !lazy[l]) return;
    try {
      dicts[l] = (await lazy[l]()).default;
    } catch (err) {
      console.warn('i18n: cannot load ' + l, err); // English stands in
    }
  };
  const mark = () => {
    document.documentElement.lang = lang;
    document.documentElement.dir = rtl.has(lang.split('-')[0]) ? 'rtl' : 'ltr';
  };
  mark();
  const ready = load(lang);

  const t = (key, params) => {
    let s = (dicts[lang] && dicts[lang][key]) ?? dicts.en[key] ?? key;
    const n = params && typeof params.n === 'number' ? params.n : null;
    if (typeof s === 'object') s = s[new Intl.PluralRules(lang).select(n ?? 0)] ?? s.other;
    if (params) {
      const shown = { ...params };
      if (n !== null) shown.n = new Intl.NumberFormat(lang).format(n);
      s = s.replace(/\{(\w+)\}/g, (m, k) => (k in shown ? String(shown[k]) : m));
    }
    return s;
  };
  return {
    t,
    supported,
    ready,
    get lang() { return lang; },
    get dir() { return document.documentElement.dir; },
    async set(next) {
      if (!supported.includes(next) || next === lang) return;
      await load(next);
      lang = next;
      localStorage.setItem(storageKey, next);
      mark();
      for (const fn of listeners) fn(next);
    },
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}

// langNames are the languages' names in themselves, for the pickers.
export const langNames = {
  en: 'English', fr: 'Français', es: 'Español', 'pt-BR': 'Português (Brasil)', hi: 'हिन्दी', ar: 'العربية',
};
