// channels.js: the Updates tab. The followed channels with their unread
// counts, a channel's timeline (react, vote, forward, mute, subscribe),
// and the directory (browse and search; promoted results are labelled).
// New posts arrive live as channel_post frames on the WebSocket.

import { icon } from './icons.js';
import { h, replace, toast, formatTime, formatMoney, debounce } from '../shared/view.js';
import { t, errorText, i18n } from './i18n.js';
import { avatar, pickChat, dialog } from './widgets.js';
import { sponsoredSlot } from './ads.js';
import { newChannelButton, adminChannels, insightsLink, PostComposer } from './channels-admin.js';

const REACTIONS = ['👍', '❤️', '😂', '😮', '🙏'];

export class ChannelList {
  constructor(core) {
    this.core = core;
    this.channels = [];
    this.q = '';
    this.list = h('ul.chat-list#channel-list', { 'aria-label': t('tab.updates') });
    this.el = h('div.channel-side',
      h('div.row.channel-actions', h('a.btn.find-channels#find-channels', { href: '#/directory' }, icon('find'), ' ' + t('ch.find')),
        newChannelButton(core)),
      sponsoredSlot(core, 'updates_list'), // docs/ADS.md
      this.list);
    this.onFrame = (ev) => this.onChannel(ev.detail);
    core.addEventListener('channel', this.onFrame);
    this.load();
  }

  destroy() { this.core.removeEventListener('channel', this.onFrame); }

  async load() {
    try {
      const [{ channels }, admin] = await Promise.all([this.core.api.get('/v1/channels'), adminChannels(this.core)]);
      // The channels the person runs come first, then those they follow.
      this.channels = admin.filter((a) => !channels.some((c) => c.id === a.id)).concat(channels);
      this.render();
    } catch (e) {
      replace(this.list, h('li.error', errorText(e)));
    }
  }

  onChannel(f) {
    if (f.type === 'channel_follow') return this.load();
    const ch = this.channels.find((c) => c.id === f.channel_id);
    if (!ch) return;
    if (f.type === 'channel_post') {
      ch.last_seq = Math.max(ch.last_seq, f.post.seq);
      if (!location.hash.startsWith('#/channel/' + ch.id)) ch.unread = (ch.unread || 0) + 1;
      ch.lastText = f.post.text;
      ch.lastAt = f.post.created_at;
    }
    if (f.type === 'channel_suspended') { ch.suspended = true; ch.suspend_reason = f.reason; }
    this.render();
  }

  markRead(id) {
    const ch = this.channels.find((c) => c.id === id);
    if (ch && ch.unread) { ch.unread = 0; this.render(); }
  }

  filter(q) {
    if (q === this.q) return;
    this.q = q;
    this.render();
  }

  render() {
    const q = this.q.trim().toLowerCase();
    const current = Number((location.hash.match(/^#\/channel\/(\d+)/) || [])[1] || 0);
    const rows = this.channels.filter((c) => !q || c.name.toLowerCase().includes(q) || c.handle.includes(q));
    replace(this.list, rows.length ? rows.map((c) => h('li', h('a.chat-item', {
      href: `#/channel/${c.id}`, 'data-channel': c.id, 'aria-current': c.id === current ? 'page' : 'false',
    }, avatar(c.name, 'channel'),
    h('div.grow',
      h('div.row', h('span.chat-name.grow', c.name, c.verified ? h('span.verified', { 'aria-label': t('verified') }, ' ✔') : null),
        c.muted ? h('span.muted', { 'aria-label': t('ch.muted') }, icon('bellOff')) : null),
      h('div.row', h('span.chat-preview.grow', c.suspended ? t('ch.suspended') : (c.lastText || '@' + c.handle)),
        c.unread ? h('span.badge.unread', { 'aria-hidden': 'true' }, c.unread) : null,
        c.unread ? h('span.sr-only', t('unreadN', { n: c.unread })) : null)))))
      : h('li.muted.pad', t('ch.none')));
  }
}

export class ChannelView {
  constructor(core, id) {
    this.core = core;
    this.id = id;
    this.posts = [];
    this.next = 0;
    this.head = h('header.chat-head');
    this.list = h('div.msgs-inner.posts');
    this.more = h('button.btn.load-older.hidden', { type: 'button', onclick: () => this.loadOlder() }, t('ch.older'));
    this.scroller = h('div.msgs', { role: 'region', 'aria-label': t('ch.posts'), tabindex: '0' }, this.more, this.list);
    this.el = h('section.chat.channel', { 'data-channel': id }, this.head, h('div.msgs-wrap', this.scroller));
    this.onFrame = (ev) => this.onChannel(ev.detail);
    core.addEventListener('channel', this.onFrame);
  }

  destroy() { this.core.removeEventListener('channel', this.onFrame); }

  async shown() {
    try {
      this.ch = await this.core.api.get(`/v1/channels/${this.id}`);
      this.renderHead();
      if (this.ch.role && !this.composer) {
        this.composer = new PostComposer(this.core, this.id, (post) => this.onChannel({ type: 'channel_post', channel_id: this.id, post }));
        this.el.append(this.composer.el);
      }
      const { posts, next } = await this.core.api.get(`/v1/channels/${this.id}/posts?limit=20`);
      this.posts = posts.reverse();
      this.next = next || 0;
      this.more.classList.toggle('hidden', !this.next);
      this.render();
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.read();
    } catch (e) {
      replace(this.list, h('p.error', errorText(e)));
    }
  }

  read() {
    const last = this.posts[this.posts.length - 1];
    if (!last || !this.ch.following) return;
    const api = this.core.api;
    api.post(`/v1/channels/${this.id}/read`, { seq: last.seq }).catch(() => {});
    api.post(`/v1/channels/${this.id}/views`, { seqs: this.posts.slice(-100).map((p) => p.seq) }).catch(() => {});
    const side = document.querySelector(`#channel-list [data-channel="${this.id}"] .unread`);
    if (side) side.remove();
  }

  async loadOlder() {
    const { posts, next } = await this.core.api.get(`/v1/channels/${this.id}/posts?limit=20&before=${this.next}`);
    this.posts = posts.reverse().concat(this.posts);
    this.next = next || 0;
    this.more.classList.toggle('hidden', !this.next);
    this.render();
  }

  onChannel(f) {
    if (f.channel_id !== this.id) return;
    if (f.type === 'channel_post') {
      if (!this.posts.some((p) => p.seq === f.post.seq)) this.posts.push(f.post);
      const stick = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 60;
      this.render();
      if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
      this.read();
    } else if (f.type === 'channel_post_edited') {
      this.posts = this.posts.map((p) => (p.seq === f.post.seq ? { ...p, ...f.post } : p));
      this.render();
    } else if (f.type === 'channel_post_deleted') {
      this.posts = this.posts.filter((p) => p.seq !== f.post.seq);
      this.render();
    } else if (f.type === 'channel_suspended') {
      this.ch.suspended = true;
      this.ch.suspend_reason = f.reason;
      this.renderHead();
    }
  }

  async act(fn) {
    try { await fn(); } catch (e) { toast(errorText(e), 'error'); }
  }

  renderHead() {
    const c = this.ch;
    const api = this.core.api;
    const follow = c.following
      ? h('button.btn#unfollow', { type: 'button', onclick: () => this.act(async () => { await api.del(`/v1/channels/${this.id}/follow`); await this.reload(); }) }, t('ch.unfollow'))
      : h('button.btn.primary#follow', { type: 'button', onclick: () => this.act(async () => { await api.put(`/v1/channels/${this.id}/follow`); await this.reload(); }) },
        c.requested ? t('ch.requested') : t('ch.follow'));
    const mute = c.following ? h('button.icon-btn#mute', { type: 'button', 'aria-pressed': c.muted ? 'true' : 'false',
      'aria-label': c.muted ? t('ch.unmute') : t('ch.mute'), title: c.muted ? t('ch.unmute') : t('ch.mute'),
      onclick: () => this.act(async () => { await api.put(`/v1/channels/${this.id}/mute`, { muted: !c.muted }); await this.reload(); }) }, icon(c.muted ? 'bellOff' : 'bell')) : null;
    replace(this.head,
      h('a.icon-btn.back', { href: '#/updates', 'aria-label': t('back') }, '←'),
      avatar(c.name, 'channel'),
      h('div.grow', h('h2.chat-title', c.name, c.verified ? h('span.verified', { 'aria-label': t('verified') }, ' ✔') : null),
        h('div.chat-status.muted', c.suspended ? t('ch.suspendedReason', { reason: c.suspend_reason || '' })
          : t('ch.followers', { n: c.followers }) + ' · @' + c.handle),
        h('div.chat-hosted.muted#channel-public', t('ch.public'))),
      mute,
      c.role ? insightsLink(this.id) : null,
      c.role ? null : h('button.btn#subscribe', { type: 'button', onclick: () => this.subscribe() }, t('ch.subscribe')),
      follow,
      h('button.icon-btn#report-channel', { type: 'button', 'aria-label': t('ch.report'), title: t('ch.report'), onclick: () => this.report(0) }, '⚑'));
  }

  async reload() {
    this.ch = await this.core.api.get(`/v1/channels/${this.id}`);
    this.renderHead();
    this.render();
  }

  async subscribe() {
    const api = this.core.api;
    await this.act(async () => {
      const [{ tiers }, sub] = await Promise.all([api.get(`/v1/channels/${this.id}/tiers`),
        api.get(`/v1/channels/${this.id}/subscription`).catch(() => null)]);
      if (sub && sub.status === 'active') {
        if (await dialog(t('ch.subscription'), h('p', t('ch.subscribedUntil', { time: formatTime(sub.period_end, i18n.lang) })), t('ch.cancelSub'), { danger: true })) {
          await api.del(`/v1/channels/${this.id}/subscription`);
          toast(t('ch.cancelled'));
        }
        return;
      }
      const open = tiers.filter((x) => x.active);
      if (!open.length) return toast(t('ch.noTiers'));
      const sel = h('select#tier-select', open.map((x) => h('option', { value: x.id },
        `${x.name} · ${formatMoney(x.price.amount_minor, x.price.currency, i18n.lang)} / ${t('ch.month')}`)));
      if (!await dialog(t('ch.subscribe'), [h('label.field', h('span', t('ch.tier')), sel), h('p.muted', t('ch.sandbox'))], t('ch.pay'))) return;
      await api.put(`/v1/channels/${this.id}/subscription`, { tier_id: Number(sel.value), payment_method: 'pm_card_visa' });
      toast(t('ch.subscribed'));
      await this.shown();
    });
  }

  async report(seq) {
    const reason = h('input#report-reason', { required: true, maxlength: 500 });
    if (!await dialog(t('ch.report'), h('label.field', h('span', t('ch.reason')), reason), t('ch.report'))) return;
    this.act(async () => {
      await this.core.api.post(`/v1/channels/${this.id}/reports`, { seq, reason: reason.value });
      toast(t('ch.reported'));
    });
  }

  render() {
    replace(this.list, this.posts.map((p) => this.renderPost(p)));
  }

  renderPost(p) {
    const api = this.core.api;
    const c = this.ch;
    const parts = [];
    if (p.locked) {
      parts.push(h('div.text.muted', '🔒 ' + t('ch.locked')), h('button.btn', { type: 'button', onclick: () => this.subscribe() }, t('ch.subscribe')));
    } else {
      if (p.media_id) {
        const box = h('div.media');
        this.core.mediaURL(p.media_id, `/v1/channels/${this.id}/media/${p.media_id}`)
          .then((url) => box.append(h('img', { src: url, alt: p.text || '', loading: 'lazy' })))
          .catch(() => box.append(h('span.muted', t('mediaGone'))));
        parts.push(box);
      }
      if (p.text) parts.push(h('div.text', p.text));
      if (p.link) parts.push(h('a.post-link', { href: safeURL(p.link), target: '_blank', rel: 'noopener noreferrer' }, p.link));
      if (p.poll) parts.push(this.renderPoll(p));
    }
    const reactions = p.reactions || {};
    const canReact = c.following && c.allow_reactions && !p.locked;
    parts.push(h('div.meta', p.edited_at ? h('span.muted', t('edited') + ' ') : null,
      h('span.muted', '👁 ' + (p.views || 0) + ' · '), h('time.muted', { datetime: p.created_at }, formatTime(p.created_at, i18n.lang))));
    const reactRow = h('div.reactions.post-reactions', { role: 'group', 'aria-label': t('reactions') },
      (canReact ? REACTIONS : Object.keys(reactions)).map((e) => h('button.reaction', {
        type: 'button', class: p.my_reaction === e ? 'own' : '', disabled: !canReact, 'aria-pressed': p.my_reaction === e ? 'true' : 'false',
        'aria-label': `${e} ${reactions[e] || 0}`,
        onclick: () => this.act(async () => {
          if (p.my_reaction === e) await api.del(`/v1/channels/${this.id}/posts/${p.seq}/reaction`);
          else await api.put(`/v1/channels/${this.id}/posts/${p.seq}/reaction`, { emoji: e });
          await this.refreshPost(p.seq);
        }),
      }, e, reactions[e] ? ' ' + reactions[e] : '')));
    const actions = h('div.row.post-actions',
      c.allow_forwards && !p.locked ? h('button.icon-btn.post-forward', { type: 'button', 'aria-label': t('forward'), title: t('forward'), onclick: () => this.forward(p) }, '↪') : null,
      h('button.icon-btn', { type: 'button', 'aria-label': t('ch.reportPost'), title: t('ch.reportPost'), onclick: () => this.report(p.seq) }, '⚑'));
    return h('article.post', { 'data-seq': p.seq, 'aria-label': t('ch.post') },
      h('div.bubble', parts, reactRow), actions);
  }

  renderPoll(p) {
    const poll = p.poll;
    const mine = new Set(poll.my_votes || []);
    const total = poll.votes ? poll.votes.reduce((a, b) => a + b, 0) : 0;
    const canVote = this.ch.following && !p.locked;
    return h('fieldset.poll', h('legend.sr-only', p.text || t('ch.poll')),
      poll.options.map((opt, i) => {
        const n = poll.votes ? poll.votes[i] : 0;
        const pct = total ? Math.round((100 * n) / total) : 0;
        return h('button.btn.poll-option', {
          type: 'button', 'data-option': i, 'aria-pressed': mine.has(i) ? 'true' : 'false', disabled: !canVote,
          onclick: () => this.act(async () => {
            let next;
            if (poll.multiple) { next = new Set(mine); if (next.has(i)) next.delete(i); else next.add(i); next = [...next]; }
            else next = mine.has(i) ? [] : [i];
            const view = await this.core.api.put(`/v1/channels/${this.id}/posts/${p.seq}/vote`, { options: next });
            this.replacePost(view);
          }),
        }, h('span.grow', (mine.has(i) ? '● ' : '○ ') + opt), h('span.muted', `${n} · ${pct}%`), h('meter', { min: 0, max: 100, value: pct, 'aria-hidden': 'true' }));
      }),
      h('div.muted', t('ch.voters', { n: poll.voters || 0 })));
  }

  async refreshPost(seq) {
    this.replacePost(await this.core.api.get(`/v1/channels/${this.id}/posts/${seq}`));
  }

  replacePost(view) {
    this.posts = this.posts.map((x) => (x.seq === view.seq ? view : x));
    this.render();
  }

  async forward(p) {
    const to = await pickChat(this.core, t('forwardTo'));
    if (!to) return;
    this.act(async () => {
      const snap = await this.core.api.post(`/v1/channels/${this.id}/posts/${p.seq}/forward`);
      const text = `${snap.channel_name} (@${snap.channel_handle}):\n${snap.text || ''}${snap.link ? '\n' + snap.link : ''}` +
        (snap.poll ? '\n' + snap.poll.options.map((o) => '○ ' + o).join('\n') : '');
      await this.core.send(to, 'message', '', { text, forwarded: true });
      toast(t('forwardedToast'));
    });
  }
}

export class Directory {
  constructor(core) {
    this.core = core;
    this.q = h('input#directory-search', { type: 'search', placeholder: t('ch.search'), 'aria-label': t('ch.search'),
      oninput: debounce(() => this.load(), 200) });
    this.sort = h('select#directory-sort', { 'aria-label': t('ch.sort'), onchange: () => this.load() },
      ['popular', 'growth', 'new'].map((s) => h('option', { value: s }, t('ch.sort.' + s))));
    this.list = h('ul.directory-list', { 'aria-label': t('ch.directory') });
    this.el = h('section.directory', h('header.chat-head', h('a.icon-btn.back', { href: '#/updates', 'aria-label': t('back') }, '←'),
      h('h2.grow', t('ch.directory'))), h('div.pane-body', h('div.row', this.q, this.sort), this.list));
  }

  shown() { this.load(); this.q.focus(); }

  async load() {
    const params = new URLSearchParams({ q: this.q.value.trim(), sort: this.sort.value, limit: '30' });
    try {
      const { channels } = await this.core.api.get('/v1/channels/directory?' + params);
      replace(this.list, channels.length ? channels.map((c) => this.item(c)) : h('li.muted', t('noMatches')));
    } catch (e) {
      replace(this.list, h('li.error', errorText(e)));
    }
  }

  item(c) {
    const api = this.core.api;
    const btn = h('button.btn', { type: 'button', class: c.following ? '' : 'primary', 'data-follow': c.id,
      onclick: async () => {
        try {
          if (c.following) await api.del(`/v1/channels/${c.id}/follow`);
          else await api.put(`/v1/channels/${c.id}/follow`);
          c.following = !c.following;
          btn.textContent = c.following ? t('ch.following') : t('ch.follow');
          btn.classList.toggle('primary', !c.following);
        } catch (e) { toast(errorText(e), 'error'); }
      } }, c.following ? t('ch.following') : t('ch.follow'));
    return h('li.card.row.dir-item', { 'data-channel': c.id },
      avatar(c.name, 'channel'),
      h('div.grow',
        h('div.row', h('a.chat-name', { href: `#/channel/${c.id}` }, c.name), c.verified ? h('span.verified', { 'aria-label': t('verified') }, '✔') : null,
          c.promoted ? h('span.tag.promoted', t('ch.promoted')) : null),
        h('div.muted', '@' + c.handle + ' · ' + t('ch.followers', { n: c.followers })),
        c.description ? h('div.desc', c.description) : null),
      btn);
  }
}

function safeURL(u) {
  try {
    const x = new URL(u);
    return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : '#';
  } catch { return '#'; }
}
