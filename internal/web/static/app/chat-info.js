// chat-info.js: what a chat's details add to the conversation, and the
// search inside one chat.
//
//   ContactInfo   #/chat/ID/info of a direct chat: the person (or
//                 business), their safety number when this device has
//                 end-to-end sessions (core.safetyNumber), the chat's
//                 media, mute, block
//   chatExtras    the media and mute cards, for a group's info too
//   ChatSearch    the bar under a chat's header: finds messages of this
//                 chat on the device and jumps to them
//
// Everything is read from the device's store: the server keeps no history.

import { icon } from './icons.js';
import { h, replace, toast, formatTime, debounce } from '../shared/view.js';
import { t, errorText, i18n } from './i18n.js';
import { avatar } from './widgets.js';
import { MUTE_CHOICES, applyMute, muteChoice } from './push.js';

// scanChat walks chat's messages from the newest and returns up to limit
// of those keep accepts.
export function scanChat(core, chat, keep, limit) {
  const idx = core.db.idb.transaction('messages').objectStore('messages').index('chat_sort');
  const out = [];
  return new Promise((resolve, reject) => {
    const req = idx.openCursor(IDBKeyRange.bound([chat, -Infinity], [chat, Infinity]), 'prev');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const c = req.result;
      if (!c || out.length >= limit) return resolve(out);
      if (!c.value.deleted && !c.value.system && keep(c.value)) out.push(c.value);
      c.continue();
    };
  });
}

// chatExtras are the media and notification cards of chat id.
export function chatExtras(core, id) {
  const grid = h('ul.media-grid#chat-media', { 'aria-label': t('info.media') });
  scanChat(core, id, (m) => !!m.media_id, 60).then((rows) => {
    if (!rows.length) return replace(grid, h('li.muted', t('info.noMedia')));
    replace(grid, rows.map((m) => {
      const type = m.media_type || '';
      const item = h('li.media-item', { 'data-key': m.key });
      if (type.startsWith('image/')) {
        core.mediaURL(m.media_id, '', m).then((url) => item.append(h('a', { href: url, target: '_blank', rel: 'noopener' },
          h('img', { src: url, alt: m.text || m.filename || t('media'), loading: 'lazy' })))).catch(() => {});
      } else {
        item.append(h('a.media-chip', { href: `#/chat/${id}`, onclick: () => sessionStorage.setItem('parley.jump.' + id, m.key) },
          m.voice || type.startsWith('audio/') ? icon('mic') : icon('attach'),
          h('span', m.voice ? t('voice.note') : (m.filename || t('media'))), h('small.muted', formatTime(m.at, i18n.lang))));
      }
      return item;
    }));
  }).catch(() => {});
  const path = `/v1/chats/${id}/mute`;
  const mute = h('select#info-mute', { 'aria-label': t('mute'), onchange: async () => {
    try { await applyMute(core.api, path, mute.value); toast(t('saved')); } catch (e) { toast(errorText(e), 'error'); }
  } }, MUTE_CHOICES.map((c) => h('option', { value: c }, t('mute.' + c))));
  muteChoice(core.api, path).then((c) => { mute.value = c; }).catch(() => {});
  return [
    h('div.card.stack', h('h3', t('info.media')), grid),
    h('div.card.stack', h('label.field', h('span', t('mute')), mute)),
  ];
}

// ContactInfo is a direct chat's details.
export class ContactInfo {
  constructor(core, id) {
    this.core = core;
    this.id = id;
    this.body = h('div.pane-body');
    this.el = h('section.contact-info', h('header.chat-head',
      h('a.icon-btn.back', { href: `#/chat/${id}`, 'aria-label': t('back') }, '←'),
      h('h2.grow', t('info.contact'))), this.body);
  }

  async shown() {
    const core = this.core;
    const c = core.chats.get(this.id);
    const peer = core.peerOf(c && c.view);
    if (!peer) return replace(this.body, h('p.muted', t('loading')));
    let p = core.profiles.get(peer) || {};
    try { p = await core.profile(peer, { fresh: true }); } catch { /* the cached profile will do */ }
    const biz = p.business;
    const name = core.name(peer);
    const parts = [h('div.card.stack.contact-card',
      h('div.row', avatar(name, biz ? 'biz' : 'direct'), h('div.grow',
        h('h3#contact-name', name, biz && biz.verified ? h('span.verified', { title: t('verified'), 'aria-label': t('verified') }, ' ✔') : null),
        p.phone ? h('div.muted#contact-phone', p.phone) : null,
        biz ? h('div.muted', t('businessAccount')) : null)),
      p.about ? h('p#contact-about', p.about) : null)];
    if (typeof core.safetyNumber === 'function') {
      const box = h('div.card.stack#safety', h('h3', t('info.safety')));
      parts.push(box);
      core.safetyNumber(peer).then((n) => {
        if (!n) return box.remove();
        box.append(h('code.safety-number', String(n).replace(/(\d{5})(?=\d)/g, '$1 ')), h('p.muted', t('info.safetyHelp', { name })));
      }).catch(() => box.remove());
    }
    parts.push(...chatExtras(core, this.id));
    if (!biz) {
      const block = h('button.btn.danger#info-block', { type: 'button' });
      const show = (blocked) => {
        block.textContent = blocked ? t('unblock') : t('info.block', { name });
        block.onclick = async () => {
          try {
            if (blocked) await core.api.del(`/v1/blocks/${peer}`);
            else await core.api.put(`/v1/blocks/${peer}`);
            toast(blocked ? t('unblocked') : t('blockedToast'));
            show(!blocked);
          } catch (e) { toast(errorText(e), 'error'); }
        };
      };
      core.api.get('/v1/blocks').then(({ blocked }) => show(blocked.includes(peer))).catch(() => show(false));
      parts.push(block);
    }
    replace(this.body, parts);
  }
}

// ChatSearch is a chat's find bar. view is the ChatView: jumping loads a
// window of messages around the one found.
export class ChatSearch {
  constructor(view) {
    this.view = view;
    this.input = h('input#chat-find', { type: 'search', placeholder: t('info.searchChat'), 'aria-label': t('info.searchChat'),
      oninput: debounce(() => this.run(), 150),
      onkeydown: (ev) => {
        if (ev.key === 'Escape') this.close();
        if (ev.key === 'Enter') { ev.preventDefault(); const first = this.list.querySelector('button'); if (first) first.click(); }
      } });
    this.count = h('span.muted.find-count', { 'aria-live': 'polite' });
    this.list = h('ul.find-results');
    this.el = h('div.chat-find.hidden', { role: 'search' },
      h('div.row', this.input, this.count,
        h('button.icon-btn', { type: 'button', 'aria-label': t('cancel'), onclick: () => this.close() }, '✕')),
      this.list);
  }

  button() {
    return h('button.icon-btn#chat-search-btn', { type: 'button', 'aria-label': t('info.searchChat'), title: t('info.searchChat'),
      onclick: () => this.open() }, icon('find'));
  }

  open() {
    this.el.classList.remove('hidden');
    this.input.focus();
  }

  close() {
    this.el.classList.add('hidden');
    this.input.value = '';
    replace(this.list);
    this.count.textContent = '';
  }

  async run() {
    const q = this.input.value.trim().toLowerCase();
    if (q.length < 2) { replace(this.list); this.count.textContent = ''; return; }
    const v = this.view;
    const rows = await scanChat(v.core, v.id, (m) => (m.text || '').toLowerCase().includes(q), 50);
    this.count.textContent = t('info.found', { n: rows.length });
    replace(this.list, rows.map((m) => h('li', h('button.find-hit', { type: 'button', 'data-key': m.key, onclick: () => this.jump(m) },
      h('span.find-who', m.mine ? t('you') : v.core.name(m.sender)), h('span.grow.find-text', m.text),
      h('time.muted', { datetime: m.at }, formatTime(m.at, i18n.lang))))));
  }

  // jump shows m in the conversation with the messages around it.
  async jump(m) {
    await jumpTo(this.view, m.key, m.sort);
    replace(this.list);
  }
}

// jumpTo loads a window of view's chat around the message key (at sort)
// and highlights it.
export async function jumpTo(view, key, sort) {
  const db = view.core.db;
  const half = 20;
  const before = await db.page(view.id, { before: sort, limit: half });
  const after = await db.page(view.id, { after: sort - 1e-6, limit: half + 1, dir: 'next' });
  view.rows = before.concat(after);
  view.hasOlder = before.length === half;
  view.hasNewer = after.length === half + 1;
  view.render();
  const node = view.nodes.get(key);
  if (!node) return;
  node.el.scrollIntoView({ block: 'center' });
  node.el.classList.add('found');
  setTimeout(() => node.el.classList.remove('found'), 2000);
  view.jump.classList.toggle('hidden', !view.hasNewer);
}
