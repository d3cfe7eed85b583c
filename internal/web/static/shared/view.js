// view.js: a tiny DOM helper shared by Parley's web clients. h() builds
// elements; there is no virtual DOM: screens rebuild the parts that change.

// h(tag, props, ...children) creates an element. tag may carry an id and
// classes ("input#phone.wide", "div.row.active"). props: "class", "text", "on<event>" handlers,
// "dataset", "style" is refused (CSP forbids inline styles set by
// attribute; use classes), booleans set or drop the attribute, anything
// else is an attribute. Children are nodes, strings, numbers, arrays,
// or null/false (skipped).
export function h(tag, props, ...children) {
  const m = /^([\w-]*)((?:[#.][\w-]+)*)$/.exec(tag);
  if (!m) throw new Error('h: bad tag ' + tag);
  const el = document.createElement(m[1] || 'div');
  const classes = [];
  for (const part of m[2].match(/[#.][\w-]+/g) || []) {
    if (part[0] === '#') el.id = part.slice(1);
    else classes.push(part.slice(1));
  }
  if (classes.length) el.className = classes.join(' ');
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = null;
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace swaps the children of el for children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// $ and $$ query within root (default document).
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// debounce delays fn until ms have passed without another call.
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// formatTime renders a Date or RFC 3339 string as a short local time, or a
// date when it is not today.
// The language is the page's (set by i18n) unless given, so French reads
// 15:04 and English 3:04 PM.
export function formatTime(v, lang = document.documentElement.lang || undefined) {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) {
    // 24-hour clocks read 00:17, not 0:17 (ICU drops the zero for 'numeric').
    const cycle = new Intl.DateTimeFormat(lang, { hour: 'numeric' }).resolvedOptions().hourCycle;
    const hour = cycle === 'h23' || cycle === 'h24' ? '2-digit' : 'numeric';
    return new Intl.DateTimeFormat(lang, { hour, minute: '2-digit' }).format(d);
  }
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' }).format(d);
}

// formatMoney renders integer minor units in a currency.
export function formatMoney(minor, currency, lang) {
  const digits = new Intl.NumberFormat(lang, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(minor / 10 ** digits);
}

// toast shows a short message in the page's live region.
export function toast(msg, kind = 'info') {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div.toasts', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const el = h('div.toast', { class: 'toast-' + kind }, msg);
  region.append(el);
  setTimeout(() => el.remove(), 4000);
}
