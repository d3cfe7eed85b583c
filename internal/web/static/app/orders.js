// orders.js: orders a business sends in the chat (docs/COMMERCE.md, "For
// the person"). An order_details message is drawn as the order (items,
// subtotal, tax, shipping, discount, total, expiry) with its live state
// and timeline from GET /v1/chats/{chat}/orders/{reference}; "Review and
// pay" opens a sheet that pays it with POST /v1/orders/pay, one
// idempotency key per attempt. An order_status message (the business
// moving the order, a payment received, a refund) is drawn as a step of
// the order and refreshes every drawing of that order in the thread.

import { h } from '../shared/view.js';
import { t, errorText, i18n } from './i18n.js';
import { icon } from './icons.js';
import { overlay } from './flows.js';

// views caches each order's view per chat; cards holds the redraw of
// every order card on screen, by "chat/reference".
const views = new Map();
const cards = new Map();

function key(chat, ref) { return chat + '/' + ref; }

function fetchView(core, chat, ref, fresh) {
  const k = key(chat, ref);
  if (fresh || !views.has(k)) {
    const p = core.api.get(`/v1/chats/${chat}/orders/${encodeURIComponent(ref)}`);
    views.set(k, p);
    p.catch(() => views.delete(k));
  }
  return views.get(k);
}

// refreshOrder reads the order again and redraws its cards. Calls while
// a read is on its way make one more read after it (a chat opening with
// many order_status messages of one order reads it twice, not each time,
// and a status that arrives mid-read is not missed).
const reading = new Map(); // key → read again when this one ends
export function refreshOrder(core, chat, ref) {
  const k = key(chat, ref);
  if (reading.has(k)) { reading.set(k, true); return; }
  reading.set(k, false);
  fetchView(core, chat, ref, true).then(() => {
    const set = cards.get(k);
    if (set) for (const redraw of [...set]) redraw();
  }).catch(() => {}).finally(() => {
    const again = reading.get(k);
    reading.delete(k);
    if (again) refreshOrder(core, chat, ref);
  });
}

function watch(chat, ref, el, redraw) {
  const k = key(chat, ref);
  if (!cards.has(k)) cards.set(k, new Set());
  const set = cards.get(k);
  const fn = () => { if (!el.isConnected && el.dataset.drawn) { set.delete(fn); return; } redraw(); };
  set.add(fn);
}

// money formats an amount in minor units (Parley's offset is always 100).
export function money(minor, currency) {
  const v = Number(minor || 0) / 100;
  try {
    return new Intl.NumberFormat(i18n.lang, { style: 'currency', currency: currency || 'USD' }).format(v);
  } catch {
    return v.toFixed(2) + ' ' + (currency || '');
  }
}

function amount(a, currency) { return a ? money(a.value, currency) : ''; }

function when(unix) {
  const d = new Date(Number(unix) * 1000);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(i18n.lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

function at(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(i18n.lang, { dateStyle: 'short', timeStyle: 'short' }).format(d);
}

// statusText is an order status in the person's language.
export function statusText(s) {
  const k = 'order.st.' + s;
  const v = t(k);
  return v === k ? s : v;
}

// lines draws an order's items and amounts.
function lines(p) {
  const o = p.order || {};
  const cur = p.currency;
  const rows = [];
  for (const it of o.items || []) {
    const unit = it.sale_amount || it.amount;
    rows.push(h('div.order-line', { 'data-item': it.retailer_id },
      h('span.grow', it.name, it.quantity > 1 ? h('span.muted', ' × ' + it.quantity) : null),
      it.sale_amount ? h('s.muted', amount({ value: it.amount.value * it.quantity }, cur)) : null,
      h('span.order-amt', amount({ value: unit.value * it.quantity }, cur))));
  }
  const sum = (label, a, minus, cls = '') => (a ? h('div.order-line.order-sum', { class: cls }, h('span.grow', label),
    h('span.order-amt', (minus ? '−' : '') + amount(a, cur))) : null);
  return h('div.order-lines', rows,
    sum(t('order.subtotal'), o.subtotal), sum(t('order.tax'), o.tax), sum(t('order.shipping'), o.shipping),
    o.discount && o.discount.value ? sum(t('order.discount'), o.discount, true) : null,
    sum(t('order.total'), p.total_amount, false, 'order-total'));
}

// renderOrder draws an order_details message in the thread.
export function renderOrder(m, core, chat) {
  const p = m.interactive.action.parameters || {};
  const ref = p.reference_id;
  const o = p.order || {};
  const state = h('div.order-state', { 'aria-live': 'polite' });
  const box = h('div.order-card', { 'data-ref': ref },
    h('div.order-head', icon('bag'), h('span.grow', t('order.title', { ref })), h('span.order-badge', { 'data-status': 'pending' }, statusText('pending'))),
    lines(p),
    o.expiration ? h('div.order-expiry.muted', t('order.payBy', { time: when(o.expiration.timestamp) }),
      o.expiration.description ? ' · ' + o.expiration.description : '') : null,
    state);
  const link = (p.payment_settings || []).find((s) => s.type === 'payment_link');
  const redraw = () => {
    box.dataset.drawn = '1';
    fetchView(core, chat, ref).then((v) => drawState(box, state, v, m, core, chat, link)).catch((e) => {
      state.replaceChildren(h('div.muted', errorText(e)));
    });
  };
  watch(chat, ref, box, redraw);
  redraw();
  return box;
}

function drawState(box, state, v, m, core, chat, link) {
  const badge = box.querySelector('.order-badge');
  // Expired: the server's clock decides (payable is false), this device's
  // clock says so before the next read.
  const pendingPay = (v.payments || []).some((x) => x.status === 'pending');
  const expired = v.status === 'pending' && !v.paid_minor && !pendingPay && !!v.expires_at &&
    (new Date(v.expires_at) < new Date() || (!v.payable && !link));
  let status = v.status;
  if (v.refunded_minor && v.refunded_minor >= v.paid_minor && v.paid_minor) status = 'refunded';
  else if (v.paid_minor && v.status === 'pending') status = 'paid';
  else if (expired) status = 'expired';
  badge.dataset.status = status;
  badge.textContent = statusText(status);
  box.dataset.status = status;
  const parts = [];
  if (v.paid_minor) parts.push(h('div.order-paid', t('order.paid', { amount: money(v.paid_minor, v.currency) })));
  if (v.refunded_minor) parts.push(h('div.order-refunded', t('order.refunded', { amount: money(v.refunded_minor, v.currency) })));
  if (expired) parts.push(h('div.error', t('order.expired')));
  if ((v.timeline || []).length) parts.push(timeline(v));
  if (link && link.payment_link && !v.paid_minor) {
    parts.push(h('a.btn.choice', { href: link.payment_link.uri, target: '_blank', rel: 'noopener noreferrer' }, t('order.payOutside')));
  } else if (v.payable && !expired) {
    parts.push(h('button.btn.primary.order-pay', { type: 'button', onclick: () => review(m, core, chat, v) }, t('order.review')));
  }
  state.replaceChildren(...parts);
}

function timeline(v) {
  return h('details.order-timeline', h('summary', t('order.timeline')),
    h('ol', (v.timeline || []).map((ev) => h('li', { 'data-kind': ev.kind, 'data-status': ev.status },
      h('span.grow', eventText(ev, v.currency)), h('time.muted', { datetime: ev.at }, at(ev.at))))));
}

function eventText(ev, cur) {
  if (ev.kind === 'payment') return t('order.ev.payment.' + ev.status, { amount: money(ev.amount_minor, cur) });
  if (ev.kind === 'refund') return t('order.ev.refund.' + ev.status, { amount: money(ev.amount_minor, cur) });
  return statusText(ev.status) + (ev.description ? ' · ' + ev.description : '');
}

// renderOrderStatus draws an order_status message: the order's new state,
// and refreshes the order's cards above it.
export function renderOrderStatus(m, core, chat) {
  const p = m.interactive.action.parameters || {};
  const o = p.order || {};
  const ref = p.reference_id;
  const box = h('div.order-status', { 'data-ref': ref, 'data-status': o.status || '' },
    // A business cannot move an order to pending: a pending order_status is
    // Parley's notice of a payment or a refund, its text says which.
    h('div.order-head', icon('bag'), h('span.grow', t('order.title', { ref })),
      o.status && o.status !== 'pending' ? h('span.order-badge', { 'data-status': o.status }, statusText(o.status)) : null),
    o.description ? h('div.text', o.description) : null);
  if (ref) queueMicrotask(() => refreshOrder(core, chat, ref));
  return box;
}

// review opens the sheet that pays the order.
function review(m, core, chat, v) {
  const p = v.details || m.interactive.action.parameters || {};
  const err = h('div.error.order-error', { role: 'alert' });
  const method = h('input#order-method', { type: 'text', value: 'pm_card_visa', autocomplete: 'off' });
  let key = newKey();
  const pay = h('button.btn.primary#order-pay-now', { type: 'submit' }, t('order.payAmount', { amount: money(v.total_minor, v.currency) }));
  const close = () => unmount();
  const form = h('form.order-review', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      pay.disabled = true;
      err.textContent = '';
      try {
        await core.api.post('/v1/orders/pay', { chat_id: chat, reference_id: v.reference_id, idempotency_key: key, payment_method: method.value.trim() });
        refreshOrder(core, chat, v.reference_id);
        body.replaceChildren(h('div.order-done', icon('check'), h('p', t('order.thanks', { amount: money(v.total_minor, v.currency) }))),
          h('button.btn.primary', { type: 'button', onclick: close }, t('ok')));
      } catch (e) {
        // A declined card is a failed attempt: the next one gets a new key.
        // Anything else may have been charged: the retry keeps the key.
        if (e.code === 'payment_declined') key = newKey();
        err.textContent = payError(e);
        refreshOrder(core, chat, v.reference_id);
        pay.disabled = e.code === 'order_expired' || e.code === 'conflict';
      }
    },
  }, lines(p),
  p.order && p.order.expiration ? h('p.muted', t('order.payBy', { time: when(p.order.expiration.timestamp) })) : null,
  h('label.field', h('span', t('order.method')), method, h('span.muted', t('order.methodHelp'))),
  err, pay);
  const body = h('div.flow-body', form);
  const sheet = h('div.flow-sheet.order-sheet', { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'order-title', tabindex: '-1',
    onkeydown: (ev) => { if (ev.key === 'Escape') close(); } },
  h('div.flow-panel', h('header.flow-bar', h('span'), h('h2#order-title', t('order.reviewTitle', { ref: v.reference_id })),
    h('button.icon-btn', { type: 'button', 'aria-label': t('flow.close'), title: t('flow.close'), onclick: close }, icon('close'))), body));
  const unmount = overlay(sheet);
  method.focus();
}

function payError(e) {
  if (e.code === 'payment_declined') return t('order.declined');
  if (e.code === 'order_expired') return t('order.expired');
  if (e.code === 'conflict') {
    const r = e.details && e.details.reason;
    return t(r === 'canceled' ? 'order.canceled' : r === 'completed' ? 'order.closed' : 'order.alreadyPaid');
  }
  return errorText(e);
}

function newKey() {
  return 'pay-' + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
}
