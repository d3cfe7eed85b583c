// i18n.js: message dictionaries per language. t(key, params) looks the key
// up in the current language, falls back to English and then to the key,
// and fills {name} placeholders. The choice is kept in localStorage.
//
// A message that depends on a count is an object of plural forms keyed by
// Intl.PluralRules categories ({ one: '{n} follower', other: '{n}
// followers' }); the count is params.n, written with Intl.NumberFormat.

export function createI18n(dicts, storageKey = 'parley.lang') {
  const listeners = new Set();
  const supported = Object.keys(dicts);
  let lang = localStorage.getItem(storageKey) ||
    (navigator.language || 'en').slice(0, 2);
  if (!supported.includes(lang)) lang = 'en';
  document.documentElement.lang = lang;

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
    get lang() { return lang; },
    set(next) {
      if (!supported.includes(next) || next === lang) return;
      lang = next;
      localStorage.setItem(storageKey, next);
      document.documentElement.lang = next;
      for (const fn of listeners) fn(next);
    },
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}
