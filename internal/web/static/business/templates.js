// templates.js: the server's template rules (template.go), mirrored so the
// console can show problems while the business types. check() returns
// {errors, review}: errors are what the server refuses outright (code 100),
// keyed by field; review is what its automatic review would answer
// (REJECTED with INCORRECT_CATEGORY or INVALID_FORMAT), so the business can
// fix the category or the wording before submitting. The server stays the
// judge: this only saves a round trip.

const NAME = /^[a-z0-9_]{1,512}$/;
const PLACEHOLDER = /\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g;

// PROMOTIONAL is the server's default list (BusinessConfig.PromotionalWords).
export const PROMOTIONAL = ['sale', 'discount', '% off', 'offer', 'promo', 'coupon', 'deal', 'buy now',
  'limited time', 'free gift', 'shop now'];

export const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];

// placeholders returns the distinct parameter names in text, in order.
export function placeholders(text) {
  const out = [];
  for (const m of String(text || '').matchAll(PLACEHOLDER)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

const bytes = (s) => new TextEncoder().encode(s).length;

// components builds Meta's component list from the form's values.
export function components(v) {
  const out = [];
  if (v.header.trim()) out.push({ type: 'HEADER', format: 'TEXT', text: v.header });
  out.push({ type: 'BODY', text: v.body });
  if (v.footer.trim()) out.push({ type: 'FOOTER', text: v.footer });
  const buttons = v.buttons.split(',').map((s) => s.trim()).filter(Boolean);
  if (buttons.length) out.push({ type: 'BUTTONS', buttons: buttons.map((text) => ({ type: 'QUICK_REPLY', text })) });
  return out;
}

// check validates the form values {name, language, category, format,
// header, body, footer, buttons}. Each error is {key, params} for i18n.
export function check(v) {
  const errors = {};
  if (!NAME.test(v.name)) errors.name = { key: 'tpl.err.name' };
  if (!CATEGORIES.includes(v.category)) errors.category = { key: 'tpl.err.category' };
  if (!v.language.trim()) errors.language = { key: 'tpl.err.language' };
  if (!v.body.trim()) errors.body = { key: 'tpl.err.body' };
  else if (bytes(v.body) > 1024) errors.body = { key: 'tpl.err.bodylong', params: { n: bytes(v.body) } };
  if (placeholders(v.footer).length) errors.footer = { key: 'tpl.err.footer' };
  for (const f of ['header', 'body']) {
    if (errors[f]) continue;
    for (const p of placeholders(v[f])) {
      const positional = /^[0-9]+$/.test(p);
      if ((v.format === 'positional') !== positional) {
        errors[f] = { key: 'tpl.err.format', params: { p: '{{' + p + '}}', format: v.format } };
        break;
      }
    }
  }
  // The automatic review (Businesses.review).
  let review = null;
  if (v.category === 'UTILITY' || v.category === 'AUTHENTICATION') {
    const text = [v.header, v.body, v.footer, v.buttons].join(' ').toLowerCase();
    const found = PROMOTIONAL.filter((w) => text.includes(w));
    if (found.length) review = { reason: 'INCORRECT_CATEGORY', words: found };
  }
  if (!review && v.format === 'positional') {
    for (const text of [v.header, v.body, v.footer]) {
      const ps = placeholders(text);
      if (ps.some((p, i) => p !== String(i + 1) && !ps.includes(String(i + 1)))) {
        review = { reason: 'INVALID_FORMAT' };
        break;
      }
    }
  }
  return { errors, review };
}
