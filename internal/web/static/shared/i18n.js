// i18n.js: message dictionaries per language. t(key, params) looks the key
// up in the current language, falls back to English and then to the key,
// and fills {name} placeholders. The choice is kept in localStorage.

export function createI18n(dicts, storageKey = 'parley.lang') {
  const listeners = new Set();
  const supported = Object.keys(dicts);
  let lang = localStorage.getItem(storageKey) ||
    (navigator.language || 'en').slice(0, 2);
  if (!supported.includes(lang)) lang = 'en';
  document.documentElement.lang = lang;

  const t = (key, params) => {
    let s = (dicts[lang] && dicts[lang][key]) ?? dicts.en[key] ?? key;
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
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
