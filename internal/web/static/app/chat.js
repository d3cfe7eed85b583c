// chat.js: one conversation. History comes from the device store in
// pages; only a window of at most MAX_ROWS messages is in the DOM, so a
// chat with 10,000 messages scrolls as lightly as one with ten: scrolling
// up loads an older page and drops the newest rows beyond the window, and
// scrolling back down does the reverse.

import { icon } from './icons.js';
import { h, replace, formatTime, toast } from '../shared/view.js';
import { t, errorText, i18n } from './i18n.js';
import { avatar, ticks, askText, confirmDialog, pickChat, dialog } from './widgets.js';
import { renderInteractive, renderTemplate } from './business.js';
import { renderFlowReply } from './flows.js';
import { PENDING_SORT } from './db.js';
import { showSafetyNumber } from './safety.js';
import { MUTE_CHOICES, applyMute, muteChoice } from './push.js';
import { VoiceRecorder, voicePlayer, sendVoiceNote } from './voice.js';
import { ChatSearch, jumpTo } from './chat-info.js';

const PAGE = 40;
const MAX_ROWS = 120;
const EDGE = 400; // px from an end that loads the next page
const EDIT_WINDOW = 15 * 60 * 1000;
const DELETE_WINDOW = 48 * 3600 * 1000;
const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

export class ChatView {
  constructor(core, id) {
    this.core = core;
    this.id = id;
    this.rows = [];
    this.nodes = new Map(); // key → {el, sig}
    this.hasOlder = true;
    this.hasNewer = false;
    this.loading = false;
    this.replyTo = null;
    this.editing = null;
    this.file = null;
    // Where the unread messages began when the chat was opened: the
    // marker stays there while the chat is on screen.
    const meta = core.chats.get(id) && core.chats.get(id).meta;
    this.firstUnread = meta && meta.unreadIds && meta.unreadIds[0];
    this.unreadAtOpen = (meta && meta.unreadIds && meta.unreadIds.length) || 0;
    this.build();
    this.onMessages = (ev) => { if (ev.detail.chat === this.id) this.refresh(); };
    this.onChats = () => this.renderHead();
    this.onTyping = (ev) => { if (!ev.detail.chat || ev.detail.chat === this.id) this.renderHead(); };
    this.onPresence = () => this.renderHead();
    this.onVisible = () => { if (document.visibilityState === 'visible') core.markRead(this.id); };
    core.addEventListener('messages', this.onMessages);
    core.addEventListener('chats', this.onChats);
    core.addEventListener('typing', this.onTyping);
    core.addEventListener('presence', this.onPresence);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  get chat() { return this.core.chats.get(this.id); }

  build() {
    this.head = h('header.chat-head');
    this.inner = h('div.msgs-inner');
    this.scroller = h('div.msgs', { role: 'log', 'aria-label': t('messages'), tabindex: '0', onscroll: () => this.onScroll() }, this.inner);
    this.jump = h('button.jump.hidden', { type: 'button', 'aria-label': t('jumpLatest'), onclick: () => this.loadLatest() }, '↓');
    this.context = h('div.compose-context.hidden');
    this.input = h('textarea#composer', { rows: 1, 'aria-label': t('typeMessage'), placeholder: t('typeMessage'),
      onkeydown: (ev) => {
        if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); this.submit(); }
        if (ev.key === 'Escape') this.clearContext();
      },
      oninput: () => this.typed() });
    this.fileInput = h('input#attach.sr-only', { type: 'file', accept: 'image/*,video/mp4,audio/*,application/pdf', onchange: () => this.picked() });
    this.voice = new VoiceRecorder({
      onSend: (blob, voice) => sendVoiceNote(this.core, this.id, blob, voice, this.replyTo ? { reply_to: this.replyTo.id } : {})
        .then(() => { this.clearContext(); this.scrollToBottom(); }),
      onState: (on) => this.composer.classList.toggle('recording', on),
    });
    this.composer = h('form.composer', { onsubmit: (ev) => { ev.preventDefault(); this.submit(); } },
      h('label.icon-btn', { for: 'attach', title: t('attach') }, icon('attach'), h('span.sr-only', t('attach'))), this.fileInput,
      this.input, this.voice.panel, this.voice.button,
      h('button.btn.primary#send', { type: 'submit', 'aria-label': t('send') }, icon('send')));
    this.blockedNote = h('div.blocked-note.hidden');
    this.search = new ChatSearch(this);
    this.el = h('section.chat', { 'data-chat': this.id }, this.head, this.search.el, h('div.msgs-wrap', this.scroller, this.jump),
      this.context, this.blockedNote, this.composer);
    const prefill = sessionStorage.getItem('parley.prefill.' + this.id);
    if (prefill) {
      this.input.value = prefill;
      sessionStorage.removeItem('parley.prefill.' + this.id);
    }
  }

  async shown() {
    this.core.setOpenChat(this.id);
    this.renderHead();
    const peer = this.core.peerOf(this.chat && this.chat.view);
    if (peer) {
      this.core.watchPresence([peer]);
      this.core.profile(peer, { fresh: true }).then(() => this.renderHead()).catch(() => {});
    }
    await this.loadLatest();
    const jump = sessionStorage.getItem('parley.jump.' + this.id); // from the chat's media list
    if (jump) {
      sessionStorage.removeItem('parley.jump.' + this.id);
      const row = await this.core.db.get('messages', jump);
      if (row) await jumpTo(this, row.key, row.sort);
    }
    this.input.focus();
  }

  destroy() {
    const c = this.core;
    c.removeEventListener('messages', this.onMessages);
    c.removeEventListener('chats', this.onChats);
    c.removeEventListener('typing', this.onTyping);
    c.removeEventListener('presence', this.onPresence);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.composing) c.sendTyping(this.id, 'paused');
    clearTimeout(this.typingTimer);
    this.voice.cancel();
  }

  // ---- header ----

  renderHead() {
    const c = this.chat;
    if (!c || !c.view) {
      replace(this.head, h('a.icon-btn.back', { href: '#/', 'aria-label': t('back') }, '←'), h('span.muted', t('loading')));
      return;
    }
    const core = this.core;
    const v = c.view;
    const name = core.chatName(c);
    const biz = v.kind === 'direct' ? core.business(c) : null;
    const typing = core.typingIn(this.id);
    let status = '';
    if (typing.length) status = v.kind === 'group' ? t('typingNames', { names: typing.map((a) => core.name(a)).join(', ') }) : t('typing');
    else if (v.kind === 'group') status = v.members.map((m) => (m.account_id === core.me ? t('you') : core.name(m.account_id))).join(', ');
    else if (biz) status = t('businessAccount');
    else {
      const peer = core.peerOf(v);
      const pr = core.presence.get(peer);
      const prof = core.profiles.get(peer);
      if (pr && pr.state === 'online') status = t('online');
      else {
        const seen = (pr && pr.last_seen) || (prof && prof.last_seen);
        if (seen) status = t('lastSeen', { time: formatTime(seen, i18n.lang) });
      }
    }
    const actions = [];
    const infoLabel = v.kind === 'group' ? t('groupInfo') : t('info.contact');
    actions.push(this.search.button(), h('a.icon-btn#chat-info', { href: `#/chat/${this.id}/info`, 'aria-label': infoLabel, title: infoLabel }, icon('info')));
    actions.push(h('button.icon-btn#chat-menu', { type: 'button', 'aria-label': t('chatMenu'), title: t('chatMenu'), onclick: () => this.chatMenu(biz) }, '⋮'));
    replace(this.head,
      h('a.icon-btn.back', { href: '#/', 'aria-label': t('back') }, '←'),
      avatar(name, biz ? 'biz' : v.kind),
      h('div.grow',
        h('h2.chat-title', name, biz && biz.verified ? h('span.verified#verified-badge', { title: t('verified'), 'aria-label': t('verified') }, ' ✔') : null),
        h('div.chat-status.muted', { 'aria-live': 'polite' }, status),
        // The business's end runs on its hosting provider, which holds its
        // end-to-end keys and reads what is sent to it (docs/E2EE.md).
        biz ? h('div.chat-hosted.muted#biz-hosted', t('biz.hostedBy', { host: biz.hosted_by || location.host })) : null),
      actions);
    const canSend = !(v.only_admins_send && !core.isAdmin(v)) && v.members.some((m) => m.account_id === core.me);
    this.composer.classList.toggle('hidden', !canSend);
    this.blockedNote.classList.toggle('hidden', canSend);
    this.blockedNote.textContent = canSend ? '' : t('onlyAdmins');
  }

  async chatMenu(biz) {
    const core = this.core;
    const v = this.chat.view;
    const peer = core.peerOf(v);
    const items = [];
    if (biz) {
      items.push(['biz-block', t('biz.block'), async () => { await core.api.post(`/v1/business/${peer}/block`); toast(t('biz.blocked')); }]);
      items.push(['biz-report', t('biz.report'), async () => { await core.api.post(`/v1/business/${peer}/report`); toast(t('biz.reported')); }]);
      items.push(['biz-stop-marketing', t('biz.stopMarketing'), async () => { await core.api.put(`/v1/business/${peer}/marketing`, { opt_out: true }); toast(t('biz.marketingStopped')); }]);
      items.push(['biz-resume-marketing', t('biz.resumeMarketing'), async () => { await core.api.put(`/v1/business/${peer}/marketing`, { opt_out: false }); toast(t('biz.marketingResumed')); }]);
    } else if (peer) {
      const { blocked } = await core.api.get('/v1/blocks');
      if (blocked.includes(peer)) items.push(['unblock', t('unblock'), async () => { await core.api.del(`/v1/blocks/${peer}`); toast(t('unblocked')); }]);
      else items.push(['block', t('block'), async () => { await core.api.put(`/v1/blocks/${peer}`); toast(t('blockedToast')); }]);
      items.push(['safety-number', t('safetyNumber'), () => showSafetyNumber(core, peer)]);
    }
    const timers = [0, 86400, 604800, 7776000];
    if (v.kind === 'direct' || core.isAdmin(v)) {
      items.push(['disappearing', t('disappearing'), async () => {
        const sel = h('select#disappear-select', timers.map((s) => h('option', { value: s, selected: s === v.disappear_after_seconds }, t('timer.' + s))));
        if (await dialog(t('disappearing'), h('label.field', h('span', t('disappearing')), sel))) {
          await core.api.put(`/v1/chats/${this.id}/disappearing`, { seconds: Number(sel.value) });
          await core.refreshChats();
        }
      }]);
    }
    items.push(['mute', t('mute'), async () => {
      const current = await muteChoice(core.api, `/v1/chats/${this.id}/mute`).catch(() => 'off');
      const sel = h('select#mute-select', MUTE_CHOICES.map((c) => h('option', { value: c, selected: c === current }, t('mute.' + c))));
      if (await dialog(t('mute'), h('label.field', h('span', t('mute')), sel))) {
        await applyMute(core.api, `/v1/chats/${this.id}/mute`, sel.value);
        toast(t('saved'));
      }
    }]);
    await actionSheet(t('chatMenu'), items);
  }

  // ---- loading ----

  async loadLatest() {
    const rows = await this.core.db.page(this.id, { limit: PAGE });
    this.rows = rows;
    this.hasOlder = rows.length === PAGE;
    this.hasNewer = false;
    this.render();
    this.scrollToBottom();
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jump.classList.add('hidden');
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
  }

  async onScroll() {
    if (this.loading) return;
    const s = this.scroller;
    // Keep loading while an end is near: a page may not fill the screen.
    for (let i = 0; i < 5; i++) {
      if (s.scrollTop < EDGE && this.hasOlder) await this.loadOlder();
      else if (s.scrollHeight - s.scrollTop - s.clientHeight < EDGE && this.hasNewer) await this.loadNewer();
      else break;
    }
    this.jump.classList.toggle('hidden', !this.hasNewer && this.atBottom());
  }

  // keepInPlace runs change (which re-renders the window) so that the row
  // of key stays where it was on screen.
  keepInPlace(key, change) {
    const before = this.nodes.get(key);
    const top = before ? before.el.offsetTop - this.scroller.scrollTop : 0;
    change();
    const after = this.nodes.get(key);
    if (after) this.scroller.scrollTop = after.el.offsetTop - top;
  }

  async loadOlder() {
    if (!this.rows.length) return;
    this.loading = true;
    try {
      const older = await this.core.db.page(this.id, { before: this.rows[0].sort, limit: PAGE });
      this.hasOlder = older.length === PAGE;
      if (!older.length) return;
      this.keepInPlace(this.rows[0].key, () => {
        this.rows = older.concat(this.rows);
        if (this.rows.length > MAX_ROWS) {
          // Drop the newest rows: they are off screen, below.
          this.rows = this.rows.slice(0, MAX_ROWS);
          this.hasNewer = true;
        }
        this.render();
      });
    } finally {
      this.loading = false;
    }
  }

  async loadNewer() {
    if (!this.rows.length) return;
    this.loading = true;
    try {
      const last = this.rows[this.rows.length - 1];
      const newer = await this.core.db.page(this.id, { after: last.sort, limit: PAGE, dir: 'next' });
      this.hasNewer = newer.length === PAGE;
      if (!newer.length) return;
      this.keepInPlace(last.key, () => {
        this.rows = this.rows.concat(newer);
        if (this.rows.length > MAX_ROWS) {
          // Drop the oldest rows: they are off screen, above.
          this.rows = this.rows.slice(this.rows.length - MAX_ROWS);
          this.hasOlder = true;
        }
        this.render();
      });
    } finally {
      this.loading = false;
    }
  }

  // refresh re-reads the window from the store after a change (a new
  // message, a receipt, an edit) and follows the bottom if it was there.
  async refresh() {
    if (this.refreshing) { this.refreshAgain = true; return; }
    this.refreshing = true;
    try {
      const stick = this.atBottom();
      if (this.hasNewer) {
        // Scrolled back in history: only re-read the rows on screen.
        const first = this.rows[0];
        this.rows = first ? await this.core.db.page(this.id, { after: first.sort - 1e-6, limit: this.rows.length, dir: 'next' }) : [];
        this.render();
        this.jump.classList.remove('hidden');
      } else {
        // The window starts at its first row the server has numbered: a
        // pending row's sort drops to its sequence number once sent, so
        // bounding by it would lose the row (a new chat's first message).
        const first = this.rows.find((m) => m.sort < PENDING_SORT);
        let rows = first
          ? await this.core.db.page(this.id, { after: first.sort - 1e-6, limit: MAX_ROWS + PAGE, dir: 'next' })
          : await this.core.db.page(this.id, { limit: Math.max(PAGE, this.rows.length) });
        if (rows.length > MAX_ROWS) {
          rows = rows.slice(rows.length - MAX_ROWS);
          this.hasOlder = true;
        }
        this.rows = rows;
        this.render();
        if (stick) this.scrollToBottom();
      }
      if (document.visibilityState === 'visible') this.core.markRead(this.id);
    } finally {
      this.refreshing = false;
    }
    if (this.refreshAgain) {
      this.refreshAgain = false;
      this.refresh();
    }
  }

  // ---- rendering ----

  render() {
    const next = new Map();
    const els = this.rows.map((m) => {
      const sig = this.core.namesVersion + JSON.stringify(m);
      const old = this.nodes.get(m.key);
      const el = old && old.sig === sig ? old.el : this.renderMessage(m);
      next.set(m.key, { el, sig });
      return el;
    });
    this.nodes = next;
    // A separator before each day's first message, and the unread marker.
    const out = [];
    let day = '';
    this.rows.forEach((m, i) => {
      const at = new Date(m.at);
      const key = at.toDateString();
      if (!Number.isNaN(at.getTime()) && key !== day) {
        day = key;
        out.push(h('div.day-sep', { role: 'separator' }, h('span', dayLabel(at, i18n.lang))));
      }
      if (this.firstUnread && m.id === this.firstUnread) {
        out.push(h('div.unread-marker#unread-marker', { role: 'separator' }, h('span', t('unreadN', { n: this.unreadAtOpen }))));
      }
      // A bubble's tail marks the first of a run of one sender's messages.
      const prev = this.rows[i - 1];
      els[i].classList.toggle('run-start', !prev || !!prev.system || prev.sender !== m.sender || out[out.length - 1] !== els[i - 1]);
      out.push(els[i]);
    });
    // A device linked to an existing account starts empty: say why.
    if (!this.rows.length && this.core.session.linked && !this.hasOlder) {
      out.push(h('div.empty-chat#empty-chat', { role: 'note' }, h('p', t('hist.emptyTitle')), h('p.muted', t('hist.emptyWhy')),
        h('p', h('a#empty-restore', { href: '#/settings' }, t('hist.restoreLink')))));
    }
    this.inner.replaceChildren(...out);
    this.el.dataset.rows = String(els.length);
  }

  renderMessage(m) {
    if (m.system) return h('div.sys', { 'data-key': m.key }, h('span', systemText(this.core, m.system)));
    const core = this.core;
    const v = this.chat && this.chat.view;
    const group = v && v.kind === 'group';
    const parts = [];
    if (group && !m.mine) parts.push(h('div.sender', core.name(m.sender)));
    if (m.forwarded) parts.push(h('div.fwd.muted', '↪ ' + t('forwarded')));
    if (m.reply_to && !m.interactive_reply) {
      const q = this.rows.find((r) => r.id === m.reply_to);
      parts.push(h('div.quote', q ? (q.mine ? t('you') : core.name(q.sender)) + ': ' + (q.text || (q.media_id ? t('media') : '')) : t('replyTo')));
    }
    if (m.deleted) parts.push(h('div.text.deleted.muted', t('deleted')));
    else {
      if (m.media_id || m.media_url) parts.push(this.renderMedia(m));
      if (m.location) parts.push(h('div.location', '📍 ' + (m.location.name || '') + ' ' + (m.location.address || ''),
        ' ', h('span.muted', `${m.location.latitude}, ${m.location.longitude}`)));
      if (m.interactive && !m.mine) parts.push(renderInteractive(m, (reply) => this.choose(m, reply), (cart) => this.order(m, cart), this.bizChat(m)));
      else if (m.interactive_reply && m.interactive_reply.type === 'nfm_reply') parts.push(renderFlowReply(m));
      else if (m.template) parts.push(renderTemplate(m, (reply) => this.choose(m, reply), m.mine ? null : this.bizChat(m)));
      else if (m.text) parts.push(h('div.text', m.text));
      if (m.undecodable) parts.push(h('div.text.muted', t('undecodable')));
    }
    parts.push(h('div.meta', m.edited && !m.deleted ? h('span.muted', t('edited') + ' ') : null,
      h('time.muted', { datetime: m.at }, formatTime(m.at, i18n.lang)), m.mine ? ticks(m.status) : null,
      m.status === 'failed' ? h('span.error', ' ' + t('notSent')) : null));
    const reacts = Object.values(m.reactions || {});
    const counts = {};
    for (const e of reacts) counts[e] = (counts[e] || 0) + 1;
    const mineReact = (m.reactions || {})[core.me];
    return h('div.msg', { class: m.mine ? 'mine' : 'theirs', 'data-key': m.key, 'data-id': m.id, 'data-status': m.status || '' },
      h('div.bubble', parts,
        reacts.length ? h('div.reactions', { 'aria-label': t('reactions') }, Object.entries(counts).map(([e, n]) =>
          h('button.reaction', { type: 'button', class: e === mineReact ? 'own' : '', 'aria-label': `${e} ${n}`,
            onclick: () => core.react(this.id, m, e === mineReact ? '' : e) }, e, n > 1 ? ' ' + n : ''))) : null),
      m.deleted ? null : h('button.icon-btn.msg-more', { type: 'button', 'aria-label': t('messageActions'), title: t('messageActions'),
        onclick: () => this.messageMenu(m) }, '⋯'));
  }

  renderMedia(m) {
    const box = h('div.media');
    const type = m.media_type || '';
    const label = m.filename || t('media');
    if (m.media_url) {
      box.append(h('a', { href: m.media_url, target: '_blank', rel: 'noopener noreferrer' }, '📎 ' + label));
      return box;
    }
    if (m.voice || type.startsWith('audio/')) return voicePlayer(this.core, m);
    this.core.mediaURL(m.media_id, '', m).then((url) => {
      if (type.startsWith('image/')) box.append(h('img', { src: url, alt: m.text || label, loading: 'lazy' }));
      else if (type.startsWith('video/')) box.append(h('video', { src: url, controls: true }));
      else box.append(h('a', { href: url, download: label }, '📎 ' + label));
    }).catch(() => box.append(h('span.muted', t('mediaGone'))));
    return box;
  }

  async choose(m, reply) {
    await this.core.db.update('messages', m.key, (row) => (row ? { ...row, answered: reply.id || reply.payload || reply.title } : undefined));
    const body = { text: reply.title, reply_to: m.id, interactive_reply: reply };
    await this.core.send(this.id, 'message', '', body);
  }

  // bizChat is what a Flow or an order in message m needs of the chat
  // (business.js): the core, the chat, sending a reply, marking m answered.
  bizChat(m) {
    return { core: this.core, id: this.id, send: (body) => this.core.send(this.id, 'message', '', body),
      answered: () => this.core.db.update('messages', m.key, (row) => (row ? { ...row, answered: 'flow' } : undefined)) };
  }

  // order sends a cart from a product message, in reply to it.
  async order(m, cart) {
    await this.core.db.update('messages', m.key, (row) => (row ? { ...row, answered: 'order' } : undefined));
    const n = cart.product_items.reduce((sum, it) => sum + it.quantity, 0);
    await this.core.send(this.id, 'message', '', { text: t('biz.orderText', { n }), reply_to: m.id, order: cart });
  }

  async messageMenu(m) {
    const core = this.core;
    const v = this.chat.view;
    const age = Date.now() - new Date(m.at).getTime();
    const items = [
      ['reply', t('reply'), () => this.setReply(m)],
      ['forward', t('forward'), async () => {
        const to = await pickChat(core, t('forwardTo'));
        if (to) { await core.forward(m, to); toast(t('forwardedToast')); }
      }],
    ];
    if (m.text) items.push(['copy', t('copy'), () => navigator.clipboard && navigator.clipboard.writeText(m.text)]);
    if (m.mine && m.text && !m.media_id && age < EDIT_WINDOW && m.status !== 'pending') items.push(['edit', t('edit'), () => this.setEdit(m)]);
    if ((m.mine || core.isAdmin(v) && v.kind === 'group') && age < DELETE_WINDOW && m.status !== 'pending') {
      items.push(['delete', t('deleteForEveryone'), async () => {
        if (await confirmDialog(t('deleteForEveryone'), t('deleteConfirm'), t('delete'))) core.deleteForEveryone(this.id, m);
      }]);
    }
    const quick = QUICK_REACTIONS.map((e) => h('button.icon-btn.react-pick', { type: 'button', 'aria-label': t('reactWith', { emoji: e }),
      onclick: () => { core.react(this.id, m, (m.reactions || {})[core.me] === e ? '' : e); } }, e));
    await actionSheet(t('messageActions'), items, h('div.row.react-row', { role: 'group', 'aria-label': t('react') }, quick));
  }

  // ---- composing ----

  setReply(m) {
    this.editing = null;
    this.replyTo = m;
    this.showContext(t('replyingTo', { name: m.mine ? t('you') : this.core.name(m.sender) }) + ': ' + (m.text || t('media')));
  }

  setEdit(m) {
    this.replyTo = null;
    this.editing = m;
    this.input.value = m.text;
    this.showContext(t('editing'));
  }

  showContext(text) {
    replace(this.context, h('span.grow', text),
      h('button.icon-btn', { type: 'button', 'aria-label': t('cancel'), onclick: () => this.clearContext() }, '✕'));
    this.context.classList.remove('hidden');
    this.input.focus();
  }

  clearContext() {
    if (this.editing) this.input.value = '';
    this.replyTo = null;
    this.editing = null;
    this.file = null;
    this.fileInput.value = '';
    this.context.classList.add('hidden');
    replace(this.context);
  }

  picked() {
    const f = this.fileInput.files[0];
    if (!f) return;
    this.file = f;
    this.editing = null;
    const preview = f.type.startsWith('image/')
      ? h('img.attach-preview', { src: URL.createObjectURL(f), alt: f.name })
      : h('span', '📎 ' + f.name);
    replace(this.context, h('div.grow.row', preview, h('span.muted', t('addCaption'))),
      h('button.icon-btn', { type: 'button', 'aria-label': t('cancel'), onclick: () => this.clearContext() }, '✕'));
    this.context.classList.remove('hidden');
    this.input.focus();
  }

  typed() {
    this.autosize();
    if (!this.composing) {
      this.composing = true;
      this.core.sendTyping(this.id, 'composing');
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.composing = false;
      this.core.sendTyping(this.id, 'paused');
    }, 3000);
  }

  autosize() {
    this.input.rows = Math.min(6, Math.max(1, this.input.value.split('\n').length));
  }

  async submit() {
    const text = this.input.value.trim();
    const core = this.core;
    if (!text && !this.file) return;
    try {
      if (this.editing) {
        const m = this.editing;
        this.clearContext();
        this.input.value = '';
        if (text !== m.text) await core.edit(this.id, m, text);
        return;
      }
      const body = { text };
      if (this.replyTo) body.reply_to = this.replyTo.id;
      const ref = sessionStorage.getItem('parley.referral.' + this.id);
      if (ref) {
        body.referral = JSON.parse(ref);
        sessionStorage.removeItem('parley.referral.' + this.id);
      }
      if (this.file) {
        const f = this.file;
        const media = await core.upload(this.id, f);
        Object.assign(body, { media_id: media.id, media_type: media.content_type, filename: f.name,
          media_key: media.media_key, media_sha256: media.media_sha256 });
      }
      this.input.value = '';
      this.autosize();
      this.clearContext();
      if (this.composing) { this.composing = false; clearTimeout(this.typingTimer); core.sendTyping(this.id, 'paused'); }
      await core.send(this.id, 'message', '', body);
      this.scrollToBottom();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
}

// actionSheet shows a list of actions in a dialog; extra goes on top.
// dayLabel names a day for a separator: "Today", "Yesterday", else the
// date (with the year when it is not this one), in the page's language.
function dayLabel(d, lang) {
  const midnight = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((midnight(d) - midnight(new Date())) / 86400000);
  if (days === 0 || days === -1) {
    const s = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(days, 'day');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  const opts = { weekday: 'long', day: 'numeric', month: 'long' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(lang, opts).format(d);
}

export function actionSheet(title, items, extra = null) {
  return new Promise((resolve) => {
    const dlg = h('dialog.sheet', { 'aria-label': title }, h('div.stack', h('h2', title), extra,
      h('ul.action-list', items.map(([id, label, fn]) => h('li', h('button.btn.action', {
        type: 'button', 'data-action': id,
        onclick: async () => {
          dlg.close();
          try { await fn(); } catch (e) { toast(errorText(e), 'error'); }
        },
      }, label)))),
      h('div.row.dialog-actions', h('button.btn', { type: 'button', onclick: () => dlg.close() }, t('cancel')))));
    if (extra) extra.addEventListener('click', (ev) => { if (ev.target.closest('button')) dlg.close(); });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

export function systemText(core, ev) {
  const who = ev.actor === core.me ? t('you') : core.name(ev.actor);
  const accounts = (ev.accounts || []).map((a) => (a === core.me ? t('you') : core.name(a))).join(', ');
  return t('sys.' + ev.event, { who, accounts, subject: ev.subject || '', role: ev.role || '',
    timer: t('timer.' + (ev.disappear_after_seconds || 0)) });
}
