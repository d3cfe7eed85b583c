// widgets.js: small pieces the screens share: avatars, ticks, and modal
// dialogs built on <dialog> (focus trap and Escape come with it).

import { h } from '../shared/view.js';
import { t } from './i18n.js';

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

// avatar is a coloured circle with initials; the colour follows the name.
export function avatar(name, kind = '') {
  let hash = 0;
  for (const ch of String(name)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return h('span.avatar', { class: 'c' + (hash % 8) + (kind ? ' ' + kind : ''), 'aria-hidden': 'true' }, initials(name));
}

// ticks shows a sent message's state: a clock while queued, one tick when
// the server has it, two when delivered, two blue when read.
export function ticks(status) {
  const map = { pending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };
  if (!map[status]) return null;
  return h('span.ticks', { class: 'ticks-' + status, 'data-status': status, title: t('tick.' + status), 'aria-label': t('tick.' + status) }, map[status]);
}

// dialog shows a modal with content and OK/Cancel; it resolves true on OK
// (a submit) and false on cancel or Escape.
export function dialog(title, content, okLabel = t('ok'), { danger = false } = {}) {
  return new Promise((resolve) => {
    const form = h('form.stack', { method: 'dialog' },
      h('h2', title),
      content,
      h('div.row.dialog-actions',
        h('button.btn', { type: 'button', value: 'cancel', onclick: () => { dlg.close('cancel'); } }, t('cancel')),
        h('button.btn.primary', { type: 'submit', value: 'ok', class: danger ? 'danger' : '' }, okLabel)));
    const dlg = h('dialog', { 'aria-label': title }, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!form.reportValidity()) return;
      dlg.close('ok');
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'ok');
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('input, textarea, select');
    if (first) first.focus();
  });
}

export async function askText(title, label, value = '', { multiline = false, max = 4096 } = {}) {
  const input = multiline
    ? h('textarea#ask-text', { rows: 3, maxlength: max, required: true })
    : h('input#ask-text', { maxlength: max, required: true });
  input.value = value;
  const ok = await dialog(title, h('label.field', h('span', label), input));
  return ok ? input.value.trim() : null;
}

export async function askPhone(title) {
  const input = h('input#ask-phone', { type: 'tel', required: true, placeholder: '+14155550101', autocomplete: 'tel' });
  const ok = await dialog(title, h('label.field', h('span', t('login.phone')), input));
  return ok ? input.value.replace(/[\s()-]/g, '') : null;
}

// confirm asks a yes/no question.
export function confirmDialog(title, text, okLabel, danger = true) {
  return dialog(title, h('p', text), okLabel, { danger });
}

// pickChat lets the person choose one of their chats; resolves its id or 0.
export function pickChat(core, title) {
  return new Promise((resolve) => {
    let chosen = 0;
    const list = h('ul.pick-list', core.chatList().map((c) => h('li', h('button.btn.pick', {
      type: 'button', 'data-chat': c.view.id,
      onclick: () => { chosen = c.view.id; dlg.close('ok'); },
    }, avatar(core.chatName(c), c.view.kind), core.chatName(c)))));
    const dlg = h('dialog', { 'aria-label': title }, h('div.stack', h('h2', title), list,
      h('div.row.dialog-actions', h('button.btn', { type: 'button', onclick: () => dlg.close('cancel') }, t('cancel')))));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(chosen); });
    document.body.append(dlg);
    dlg.showModal();
  });
}
