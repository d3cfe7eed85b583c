// shell.js: the frame of the signed-in app: the side bar (chats or
// channels, search, actions), the main pane (the routed view) and the
// offline banner. On a phone-sized screen one pane shows at a time.

import { icon } from './icons.js';
import { h, replace, debounce, formatTime, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { avatar, ticks, askPhone, dialog } from './widgets.js';
import { ChatView } from './chat.js';
import { GroupInfo } from './group.js';
import { ChannelList, ChannelView, Directory } from './channels.js';
import { ChannelInsights } from './channels-admin.js';
import { ContactInfo } from './chat-info.js';
import { Settings } from './settings.js';

export class Shell {
  constructor(core, { logout }) {
    this.core = core;
    this.logout = logout;
    this.view = null;
    this.build();
    const redraw = () => this.scheduleList();
    core.addEventListener('chats', redraw);
    core.addEventListener('typing', redraw);
    core.addEventListener('conn', (ev) => this.showConn(ev.detail.state));
    core.addEventListener('outbox', (ev) => this.showOutbox(ev.detail.pending));
    core.addEventListener('notice', (ev) => {
      const d = ev.detail;
      if (d.key === 'sendFailed') toast(t('notice.sendFailed', { error: errorText(d) }), 'error');
      else toast(t('notice.' + d.key, d));
    });
  }

  build() {
    this.banner = h('div.banner.hidden', { role: 'status', 'aria-live': 'polite' });
    this.search = h('input#chat-search', { type: 'search', placeholder: t('search'), 'aria-label': t('searchChats'),
      oninput: debounce(() => this.renderSide(), 120) });
    this.sideBody = h('div.side-body');
    this.tabChats = h('a.tab#tab-chats', { href: '#/' }, t('tab.chats'));
    this.tabUpdates = h('a.tab#tab-updates', { href: '#/updates' }, t('tab.updates'));
    this.side = h('aside.side', { 'aria-label': t('sidebar') },
      h('header.side-head',
        h('h1.brand', t('appName')),
        h('div.row',
          h('button.icon-btn#new-chat', { 'aria-label': t('newChat'), title: t('newChat'), onclick: () => this.newChat() }, icon('newChat')),
          h('button.icon-btn#new-group', { 'aria-label': t('newGroup'), title: t('newGroup'), onclick: () => this.newGroup() }, icon('newGroup')),
          h('a.icon-btn#open-settings', { href: '#/settings', 'aria-label': t('settings'), title: t('settings') }, '⚙'))),
      h('nav.tabs', { 'aria-label': t('sections') }, this.tabChats, this.tabUpdates),
      h('div.side-search', this.search),
      this.sideBody);
    this.main = h('section.main', { 'aria-label': t('conversation') });
    this.el = h('div.app', this.banner, h('div.panes', this.side, this.main));
  }

  relabel(route) {
    const old = this.el;
    this.build();
    old.replaceWith(this.el);
    this.route = null;
    this.go(route);
  }

  go(route) {
    this.route = route;
    const { name, args } = route;
    const id = Number(args[0]);
    if (this.view && this.view.destroy) this.view.destroy();
    this.view = null;
    this.core.setOpenChat(0);
    const updates = name === 'updates' || name === 'channel' || name === 'directory';
    this.tabChats.setAttribute('aria-current', updates ? 'false' : 'page');
    this.tabUpdates.setAttribute('aria-current', updates ? 'page' : 'false');
    this.sideMode = updates ? 'channels' : 'chats';
    if (this.channelList && !updates) { this.channelList.destroy(); this.channelList = null; }
    if (updates && !this.channelList) this.channelList = new ChannelList(this.core);
    if (name === 'chat' && id) {
      const c = this.core.chats.get(id);
      const info = c && c.view && c.view.kind === 'direct' ? ContactInfo : GroupInfo;
      this.view = args[1] === 'info' ? new info(this.core, id) : new ChatView(this.core, id);
    } else if (name === 'channel' && id) {
      this.view = args[1] === 'insights' ? new ChannelInsights(this.core, id) : new ChannelView(this.core, id);
    } else if (name === 'directory') {
      this.view = new Directory(this.core);
    } else if (name === 'settings') {
      this.view = new Settings(this.core, { logout: this.logout });
    } else if (name === 'c' && args[0]) {
      this.openLink(args[0]);
    }
    this.el.classList.toggle('has-main', !!this.view);
    replace(this.main, this.view ? this.view.el : h('div.empty', h('p.muted', updates ? t('pickChannel') : t('pickChat'))));
    if (this.view && this.view.shown) this.view.shown();
    this.renderSide();
  }

  scheduleList() {
    if (this.listFrame) return;
    this.listFrame = requestAnimationFrame(() => {
      this.listFrame = 0;
      if (this.sideMode === 'chats') this.renderSide();
    });
  }

  renderSide() {
    if (this.sideMode === 'channels') {
      replace(this.sideBody, this.channelList.el);
      this.channelList.filter(this.search.value);
      return;
    }
    const q = this.search.value.trim().toLowerCase();
    const current = this.route && this.route.name === 'chat' ? Number(this.route.args[0]) : 0;
    const chats = this.core.chatList().filter((c) => !q || this.core.chatName(c).toLowerCase().includes(q));
    const list = h('ul.chat-list', { 'aria-label': t('tab.chats') }, chats.map((c) => this.chatItem(c, current)));
    const parts = [list];
    if (!chats.length) parts.push(h('p.muted.pad', q ? t('noMatches') : t('noChats')));
    if (q.length >= 2) {
      const found = h('ul.chat-list.search-results', { 'aria-label': t('messages') });
      parts.push(h('h2.side-sub', t('messages')), found);
      this.core.db.search(q, 20).then((rows) => replace(found, rows.map((m) => {
        const c = this.core.chats.get(m.chat);
        return h('li', h('a.chat-item', { href: `#/chat/${m.chat}` },
          h('div.grow', h('div.chat-name', c ? this.core.chatName(c) : ''), h('div.chat-preview', m.text))));
      })));
    }
    replace(this.sideBody, parts);
  }

  chatItem(c, current) {
    const core = this.core;
    const name = core.chatName(c);
    const biz = c.view.kind === 'direct' ? core.business(c) : null;
    const last = c.meta.last;
    const typing = core.typingIn(c.view.id);
    let preview = '';
    if (typing.length) preview = t('typing');
    else if (last) {
      if (last.deleted) preview = t('deleted');
      else if (last.system) preview = t('sys.' + last.system, { who: '' });
      else preview = (last.media && !last.text ? (last.voice ? t('voice.note') : '📎 ' + t('media')) : last.text);
      if (c.view.kind === 'group' && last.sender && !last.mine && !last.system) preview = core.name(last.sender) + ': ' + preview;
    }
    const unread = c.meta.unread || 0;
    return h('li', h('a.chat-item', {
      href: `#/chat/${c.view.id}`, 'data-chat': c.view.id, 'aria-current': c.view.id === current ? 'page' : 'false',
    },
    avatar(name, biz ? 'biz' : c.view.kind),
    h('div.grow',
      h('div.row', h('span.chat-name.grow', name, biz && biz.verified ? h('span.verified', { title: t('verified'), 'aria-label': t('verified') }, ' ✔') : null),
        h('time.chat-time.muted', last ? formatTime(last.at) : '')),
      h('div.row', h('span.chat-preview.grow', { class: typing.length ? 'typing' : '' },
        last && last.mine && !last.system ? ticks(last.status) : null, preview),
      unread ? h('span.badge.unread', { 'aria-hidden': 'true' }, unread) : null,
      unread ? h('span.sr-only', t('unreadN', { n: unread })) : null))));
  }

  showConn(state) {
    clearTimeout(this.bannerTimer);
    if (state === 'online') {
      this.banner.classList.add('hidden');
      this.el.classList.remove('offline');
      return;
    }
    const text = state === 'replaced' ? t('conn.replaced') : t('conn.offline');
    // A short blip (a reconnect) does not deserve a banner.
    this.bannerTimer = setTimeout(() => {
      this.banner.textContent = text;
      this.banner.classList.remove('hidden');
      this.el.classList.add('offline');
    }, state === 'connecting' ? 1500 : 300);
  }

  showOutbox(pending) {
    this.el.dataset.outbox = pending;
  }

  async newChat() {
    const phone = await askPhone(t('newChat'));
    if (!phone) return;
    try {
      const contact = await this.core.lookup(phone);
      if (!contact) return toast(t('notOnParley', { phone }), 'error');
      const id = await this.core.openDirect(contact.id);
      location.hash = `#/chat/${id}`;
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async newGroup() {
    const subject = h('input#group-subject', { required: true, maxlength: 100 });
    const phones = h('textarea#group-phones', { rows: 3, placeholder: '+14155550101, +14155550102' });
    const ok = await dialog(t('newGroup'), [
      h('label.field', h('span', t('group.subject')), subject),
      h('label.field', h('span', t('group.members')), phones),
    ], t('create'));
    if (!ok) return;
    try {
      const ids = [];
      for (const p of phones.value.split(/[\s,;]+/).filter(Boolean)) {
        const c = await this.core.lookup(p);
        if (!c) return toast(t('notOnParley', { phone: p }), 'error');
        ids.push(c.id);
      }
      const id = await this.core.createGroup(subject.value.trim(), ids);
      location.hash = `#/chat/${id}`;
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  // openLink follows a click-to-chat link: the link names a business
  // number and a prefilled text; the chat opens with the text in the
  // composer and the first message carries the click id (referral).
  async openLink(code) {
    try {
      const link = await this.core.api.get('/c/' + encodeURIComponent(code), { headers: { Accept: 'application/json' } });
      const contact = await this.core.lookup(link.phone);
      if (!contact) throw new Error(t('notOnParley', { phone: link.phone }));
      const id = await this.core.openDirect(contact.id);
      sessionStorage.setItem('parley.referral.' + id, JSON.stringify({ ctwa_clid: link.ctwa_clid }));
      sessionStorage.setItem('parley.prefill.' + id, link.text || '');
      location.replace(`#/chat/${id}`);
    } catch (e) {
      toast(errorText(e), 'error');
      location.replace('#/');
    }
  }
}
