// channels-admin.js: running a channel from the app (docs/CHANNELS.md):
// create one, post text, a picture or a poll from the channel's own
// screen, and read its insights (#/channel/ID/insights). The Updates tab
// lists the channels the person administers with those they follow.

import { icon } from './icons.js';
import { h, replace, toast, formatTime } from '../shared/view.js';
import { t, errorText, i18n } from './i18n.js';
import { dialog } from './widgets.js';

const CATEGORIES = ['news', 'sports', 'entertainment', 'business', 'lifestyle', 'people', 'organizations', 'technology', 'education', 'other'];

// newChannelButton opens the form that creates a channel.
export function newChannelButton(core) {
  return h('button.btn#new-channel', { type: 'button', onclick: () => createChannel(core) }, icon('newChat'), ' ' + t('cha.new'));
}

async function createChannel(core) {
  const name = h('input#channel-name', { required: true, maxlength: 100 });
  const handle = h('input#channel-handle', { required: true, maxlength: 32, pattern: '@?[A-Za-z][A-Za-z0-9_]{2,31}', autocapitalize: 'none', spellcheck: 'false' });
  const desc = h('textarea#channel-desc', { rows: 3, maxlength: 2000 });
  const category = h('select#channel-category', CATEGORIES.map((c) => h('option', { value: c, selected: c === 'other' }, t('cha.cat.' + c))));
  const region = (navigator.language || '').split('-')[1] || '';
  const country = h('input#channel-country', { maxlength: 2, pattern: '[A-Za-z]{2}', value: region.length === 2 ? region.toUpperCase() : '' });
  const listed = h('input#channel-listed', { type: 'checkbox', checked: true });
  // The handle follows the name until the person edits it.
  let touched = false;
  handle.addEventListener('input', () => { touched = true; });
  name.addEventListener('input', () => {
    if (!touched) handle.value = name.value.toLowerCase().normalize('NFD').replace(/[^a-z0-9]+/g, '').replace(/^[^a-z]+/, '').slice(0, 32);
  });
  for (;;) {
    const ok = await dialog(t('cha.new'), [
      h('label.field', h('span', t('cha.name')), name),
      h('label.field', h('span', t('cha.handle')), handle, h('small.muted', t('cha.handleHelp'))),
      h('label.field', h('span', t('cha.description')), desc),
      h('div.row',
        h('label.field.grow', h('span', t('cha.category')), category),
        h('label.field', h('span', t('cha.country')), country)),
      h('label.row', listed, t('cha.listed')),
    ], t('create'));
    if (!ok) return;
    try {
      const ch = await core.api.post('/v1/channels', {
        handle: handle.value.trim(), name: name.value.trim(), description: desc.value.trim(), category: category.value,
        country: country.value.trim().toUpperCase(), language: i18n.lang.split('-')[0], listed: listed.checked, follow_policy: 'anyone',
        allow_forwards: true, allow_reactions: true,
      });
      core.emit('channel', { type: 'channel_follow', channel_id: ch.id, state: 'created' }); // the Updates list reloads
      location.hash = `#/channel/${ch.id}`;
      return;
    } catch (e) {
      toast(errorText(e), 'error'); // the form comes back with what was typed
    }
  }
}

// adminChannels returns the channels the person administers.
export async function adminChannels(core) {
  try {
    const { channels } = await core.api.get('/v1/channels/admin');
    return channels || [];
  } catch { return []; }
}

// insightsLink is the channel header's button to the insights screen.
export function insightsLink(id) {
  return h('a.icon-btn#channel-insights', { href: `#/channel/${id}/insights`, 'aria-label': t('cha.insights'), title: t('cha.insights') }, icon('chart'));
}

// PostComposer is the bar under an administered channel's posts: a text
// post, a picture with a caption, or a poll. onPosted(post) shows the new
// post at once (the poster need not follow the channel to get the frame).
export class PostComposer {
  constructor(core, channelId, onPosted) {
    this.core = core;
    this.id = channelId;
    this.onPosted = onPosted;
    this.file = null;
    this.preview = h('div.compose-context.hidden');
    this.fileInput = h('input#post-attach.sr-only', { type: 'file', accept: 'image/jpeg,image/png,image/gif,image/webp', onchange: () => this.picked() });
    this.input = h('textarea#post-text', { rows: 1, maxlength: 4096, 'aria-label': t('cha.write'), placeholder: t('cha.write'),
      onkeydown: (ev) => { if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); this.post(); } } });
    this.el = h('div.post-composer', this.preview, h('form.composer', { onsubmit: (ev) => { ev.preventDefault(); this.post(); } },
      h('label.icon-btn', { for: 'post-attach', title: t('cha.photo'), 'aria-label': t('cha.photo') }, icon('image')), this.fileInput,
      h('button.icon-btn#new-poll', { type: 'button', title: t('cha.newPoll'), 'aria-label': t('cha.newPoll'), onclick: () => this.poll() }, icon('poll')),
      this.input,
      h('button.btn.primary#post-send', { type: 'submit', 'aria-label': t('cha.post') }, icon('send'))));
  }

  picked() {
    const f = this.fileInput.files[0];
    if (!f) return;
    this.file = f;
    replace(this.preview, h('div.grow.row', h('img.attach-preview', { src: URL.createObjectURL(f), alt: f.name }), h('span.muted', t('addCaption'))),
      h('button.icon-btn', { type: 'button', 'aria-label': t('cancel'), onclick: () => this.clearFile() }, '✕'));
    this.preview.classList.remove('hidden');
    this.input.focus();
  }

  clearFile() {
    this.file = null;
    this.fileInput.value = '';
    this.preview.classList.add('hidden');
    replace(this.preview);
  }

  async send(body) {
    const post = await this.core.api.post(`/v1/channels/${this.id}/posts`, body);
    this.onPosted(post);
    return post;
  }

  async post() {
    const text = this.input.value.trim();
    if (!text && !this.file) return;
    try {
      if (this.file) {
        const media = await this.core.api.request('POST', `/v1/channels/${this.id}/media`, this.file, { contentType: this.file.type });
        await this.send({ kind: 'media', media_id: media.id, text });
        this.clearFile();
      } else {
        await this.send({ kind: 'text', text });
      }
      this.input.value = '';
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async poll() {
    const question = h('input#poll-question', { required: true, maxlength: 300 });
    const options = h('textarea#poll-options', { rows: 4, required: true, placeholder: t('cha.pollOptionsHint') });
    const multiple = h('input#poll-multiple', { type: 'checkbox' });
    if (!await dialog(t('cha.newPoll'), [
      h('label.field', h('span', t('cha.pollQuestion')), question),
      h('label.field', h('span', t('cha.pollOptions')), options),
      h('label.row', multiple, t('cha.pollMultiple')),
    ], t('cha.post'))) return;
    const opts = options.value.split('\n').map((s) => s.trim()).filter(Boolean);
    try {
      await this.send({ kind: 'poll', text: question.value.trim(), poll: { options: opts, multiple: multiple.checked } });
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
}

// ChannelInsights is #/channel/ID/insights: followers, their daily change
// over 30 days as a bar chart, and each recent post's reach.
export class ChannelInsights {
  constructor(core, id) {
    this.core = core;
    this.id = id;
    this.body = h('div.pane-body.insights');
    this.title = h('h2.grow', t('cha.insights'));
    this.el = h('section.channel-insights', { 'data-channel': id }, h('header.chat-head',
      h('a.icon-btn.back', { href: `#/channel/${id}`, 'aria-label': t('back') }, '←'), this.title), this.body);
  }

  async shown() {
    replace(this.body, h('p.muted', t('loading')));
    try {
      const [ch, ins, page] = await Promise.all([
        this.core.api.get(`/v1/channels/${this.id}`),
        this.core.api.get(`/v1/channels/${this.id}/insights?days=30`),
        this.core.api.get(`/v1/channels/${this.id}/posts?limit=100`).catch(() => ({ posts: [] })),
      ]);
      this.title.textContent = t('cha.insightsOf', { name: ch.name });
      this.texts = new Map((page.posts || []).map((p) => [p.seq, p.text || (p.media_id ? t('media') : p.link || '')]));
      this.render(ins);
    } catch (e) {
      replace(this.body, h('p.error', errorText(e)));
    }
  }

  render(ins) {
    const days = ins.days || [];
    const sum = (k) => days.reduce((a, d) => a + (d[k] || 0), 0);
    const nf = new Intl.NumberFormat(i18n.lang);
    const stat = (id, label, value) => h('div.stat.card', { id }, h('div.stat-value', nf.format(value)), h('div.muted', label));
    const posts = ins.posts || [];
    replace(this.body,
      h('div.stats',
        stat('insight-followers', t('cha.followersNow'), ins.followers || 0),
        stat('insight-follows', t('cha.follows30'), sum('follows')),
        stat('insight-unfollows', t('cha.unfollows30'), sum('unfollows')),
        stat('insight-views', t('cha.views'), posts.reduce((a, p) => a + (p.views || 0), 0))),
      h('div.card.stack', h('h3', t('cha.growth')), days.length ? growthChart(days) : h('p.muted', t('cha.noData'))),
      h('div.card.stack', h('h3', t('cha.postsReach')), posts.length
        ? h('table.insight-posts', h('thead', h('tr', h('th', { scope: 'col' }, t('cha.postCol')), h('th.num', { scope: 'col' }, t('cha.viewsCol')),
          h('th.num', { scope: 'col' }, t('cha.reactionsCol')), h('th.num', { scope: 'col' }, t('cha.votersCol')))),
        h('tbody', posts.map((p) => h('tr', { 'data-seq': p.seq },
          h('td', h('div.insight-text', (this.texts && this.texts.get(p.seq)) || '#' + p.seq),
            h('time.muted', { datetime: p.created_at }, formatTime(p.created_at, i18n.lang))),
          h('td.num', nf.format(p.views || 0)),
          h('td.num', nf.format(Object.values(p.reactions || {}).reduce((a, b) => a + b, 0))),
          h('td.num', p.voters ? nf.format(p.voters) : '–')))))
        : h('p.muted', t('cha.noPosts'))));
  }
}

// growthChart draws followers at the end of each day as bars (SVG), with
// a text summary for screen readers.
function growthChart(days) {
  const NS = 'http://www.w3.org/2000/svg';
  const max = Math.max(1, ...days.map((d) => d.followers || 0));
  const w = 10;
  const slots = Math.max(30, days.length); // a young channel's few days stay narrow, at the end
  const offset = (slots - days.length) * w;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${slots * w} 100`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'growth-chart');
  svg.setAttribute('role', 'img');
  const first = days[0];
  const last = days[days.length - 1];
  svg.setAttribute('aria-label', t('cha.growthSummary', { from: first.date, to: last.date, a: first.followers || 0, b: last.followers || 0 }));
  days.forEach((d, i) => {
    const r = document.createElementNS(NS, 'rect');
    const height = Math.max(1, ((d.followers || 0) / max) * 96);
    r.setAttribute('x', String(offset + i * w + 1));
    r.setAttribute('y', String(100 - height));
    r.setAttribute('width', String(w - 2));
    r.setAttribute('height', String(height));
    const title = document.createElementNS(NS, 'title');
    title.textContent = `${d.date}: ${d.followers} (${d.net >= 0 ? '+' : ''}${d.net})`;
    r.append(title);
    svg.append(r);
  });
  return svg;
}
