// business.js: business messages rendered as real controls. A reply
// button, a list row or a template quick reply sends the structured reply
// (parley.InteractiveReply) with reply_to naming the offering message, so
// the business receives Meta's interactive/button webhook.

import { h } from '../shared/view.js';
import { t } from './i18n.js';
import { openFlow } from './flows.js';
import { renderOrder, renderOrderStatus } from './orders.js';

// renderInteractive draws an interactive message (button, list, cta_url,
// product, product_list, flow, order_details, order_status); choose(reply)
// is called with the person's choice, order(cart) with a cart from a
// product message. chat {core, id, send(body), answered()} opens Flows
// (flows.js) and draws orders (orders.js).
export function renderInteractive(m, choose, order, chat) {
  const it = m.interactive;
  const answered = m.answered;
  const box = h('div.interactive', { 'data-type': it.type });
  if (it.header && it.header.text) box.append(h('div.i-header', it.header.text));
  if (it.body && it.body.text) box.append(h('div.text', it.body.text));
  if (it.footer && it.footer.text) box.append(h('div.i-footer.muted', it.footer.text));
  const a = it.action || {};
  if (it.type === 'button') {
    box.append(h('div.i-buttons', { role: 'group', 'aria-label': t('biz.choices') }, (a.buttons || []).map((b) =>
      h('button.btn.choice', {
        type: 'button', 'data-choice': b.reply.id, disabled: !!answered, 'aria-pressed': answered === b.reply.id ? 'true' : 'false',
        onclick: () => choose({ type: 'button_reply', id: b.reply.id, title: b.reply.title }),
      }, b.reply.title))));
  } else if (it.type === 'list') {
    const panel = h('div.i-list.hidden', { role: 'listbox', 'aria-label': a.button || t('biz.choose') },
      (a.sections || []).map((s) => h('div.i-section',
        s.title ? h('div.i-section-title.muted', s.title) : null,
        (s.rows || []).map((r) => h('button.btn.choice.list-row', {
          type: 'button', role: 'option', 'data-choice': r.id, disabled: !!answered, 'aria-selected': answered === r.id ? 'true' : 'false',
          onclick: () => choose({ type: 'list_reply', id: r.id, title: r.title, description: r.description || undefined }),
        }, h('span.row-title', r.title), r.description ? h('span.row-desc.muted', r.description) : null)))));
    const toggle = h('button.btn.list-open', {
      type: 'button', 'aria-expanded': 'false', disabled: !!answered,
      onclick: () => {
        const open = panel.classList.toggle('hidden') === false;
        toggle.setAttribute('aria-expanded', String(open));
        if (open) { const first = panel.querySelector('button'); if (first) first.focus(); }
      },
    }, '☰ ' + (a.button || t('biz.choose')));
    box.append(toggle, panel);
  } else if (it.type === 'cta_url' && a.parameters) {
    box.append(ctaLink(a.parameters.url, a.parameters.display_text));
  } else if ((it.type === 'product' || it.type === 'product_list') && m.products && m.products.length) {
    box.append(renderProducts(m, it, order));
  } else if (it.type === 'flow' && a.parameters && chat) {
    box.append(h('button.btn.choice.flow', { type: 'button', disabled: !!answered,
      onclick: () => openFlow(chat.core, chat.id, m, { send: chat.send, done: chat.answered }) }, a.parameters.flow_cta || t('flow.open')));
  } else if (it.type === 'order_details' && a.parameters && chat) {
    box.append(renderOrder(m, chat.core, chat.id));
  } else if (it.type === 'order_status' && a.parameters && chat) {
    box.replaceChildren(renderOrderStatus(m, chat.core, chat.id));
  }
  if (answered) box.append(h('div.muted.answered', t('biz.answered')));
  return box;
}

// renderProducts lists a product message's catalog items (the server sends
// them with the message, in m.products), grouped by the list's sections,
// each with a quantity, and a button that sends the cart as an order in
// the Cloud API's shape (the server fills in the prices).
function renderProducts(m, it, order) {
  const byID = new Map(m.products.map((p) => [p.product_retailer_id, p]));
  const inputs = [];
  const row = (p) => {
    const input = h('input.qty', { type: 'number', min: '0', max: '99', value: it.type === 'product' ? '1' : '0',
      'aria-label': t('biz.quantity', { name: p.name }), disabled: !!m.answered });
    inputs.push([p.product_retailer_id, input]);
    return h('div.i-product', { 'data-product': p.product_retailer_id },
      h('div.grow', h('div.name', p.name), h('div.price.muted', p.price + ' ' + p.currency),
        p.availability && p.availability !== 'in stock' ? h('div.muted', p.availability) : null),
      input);
  };
  const sections = (it.action && it.action.sections) || [];
  const rows = it.type === 'product_list' && sections.length
    ? sections.map((s) => h('div.i-section', s.title ? h('div.i-section-title.muted', s.title) : null,
      (s.product_items || []).map((pi) => byID.get(pi.product_retailer_id)).filter(Boolean).map(row)))
    : m.products.map(row);
  const place = h('button.btn.choice.order', {
    type: 'button', disabled: !!m.answered || !order,
    onclick: () => {
      const items = [];
      for (const [id, input] of inputs) {
        const n = Math.floor(Number(input.value));
        if (n > 0) items.push({ product_retailer_id: id, quantity: Math.min(n, 99) });
      }
      if (items.length) order({ catalog_id: m.products[0].catalog_id, product_items: items });
    },
  }, '🛒 ' + t('biz.order'));
  return h('div.i-products', rows, place);
}

// renderTemplate draws a template message with its buttons; chat (as
// for renderInteractive) lets a FLOW button open its Flow.
export function renderTemplate(m, choose, chat) {
  const tp = m.template;
  const box = h('div.template', { 'data-template': tp.name });
  if (tp.header) box.append(h('div.i-header', tp.header));
  box.append(h('div.text', tp.body || m.text || ''));
  if (tp.footer) box.append(h('div.i-footer.muted', tp.footer));
  const buttons = (tp.buttons || []).map((b) => {
    if (b.type === 'URL') return ctaLink(b.url, b.text);
    if (b.type === 'FLOW' && chat) {
      // The Flow opens as an interactive flow message's would: the
      // button carries the Flow, its token and how it starts.
      const flowMsg = { ...m, interactive: { type: 'flow', action: { name: 'flow', parameters: {
        flow_id: b.flow_id, flow_token: b.flow_token, flow_action: b.flow_action,
        flow_action_payload: b.flow_action_payload, flow_cta: b.text } } } };
      return h('button.btn.choice.flow', { type: 'button', disabled: !!m.answered,
        onclick: () => openFlow(chat.core, chat.id, flowMsg, { send: chat.send, done: chat.answered }) }, b.text);
    }
    if (b.type === 'PHONE_NUMBER') return h('a.btn.choice', { href: 'tel:' + b.phone_number }, '📞 ' + b.text);
    if (b.type === 'COPY_CODE') {
      return h('button.btn.choice', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(b.payload || b.text) }, '⧉ ' + b.text);
    }
    return h('button.btn.choice', { type: 'button', disabled: !!m.answered || m.mine, 'data-choice': b.payload || b.text,
      onclick: () => choose({ type: 'button', title: b.text, payload: b.payload || b.text }) }, b.text);
  });
  if (buttons.length) box.append(h('div.i-buttons', buttons));
  return box;
}

function ctaLink(url, label) {
  let safe = '';
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') safe = u.href;
  } catch { /* not a URL: shown as text */ }
  if (!safe) return h('span.muted', label);
  return h('a.btn.choice.cta', { href: safe, target: '_blank', rel: 'noopener noreferrer' }, '↗ ' + label);
}
