// The Parley Business console: a business signs in with its system access
// token and manages its presence through the Cloud-API-compatible surface
// (docs/BUSINESS.md, docs/CONSOLES.md).

import { replace, toast } from '../shared/view.js';
import { h, startConsole, card, table, field, select, tag, action, barChart, when } from '../shared/console.js';
import { check, components, placeholders, CATEGORIES } from './templates.js';
import { dicts, lazy } from './i18n.js';
import { billing, billingDicts } from './billing.js';
import { ads } from './ads.js';
import { catalogs } from './catalogs.js';

const LANGUAGES = ['en_US', 'en_GB', 'en', 'fr', 'fr_FR', 'es', 'es_MX', 'de', 'it', 'pt_BR', 'nl', 'ar', 'hi', 'id'];

async function signIn(api) {
  const dbg = await api.get('/debug_token');
  const d = dbg.data || {};
  const scope = (d.granular_scopes || []).find((s) => s.scope === 'whatsapp_business_management');
  if (!d.is_valid || !scope || !scope.target_ids.length) {
    const e = new Error('invalid token');
    e.status = 401;
    throw e;
  }
  const waba = scope.target_ids[0];
  const [biz, nums] = await Promise.all([api.get('/' + waba + '?fields=id,name'), api.get('/' + waba + '/phone_numbers')]);
  return { waba, name: biz.name, numbers: nums.data || [], expires: d.expires_at };
}

// ---- Overview: profile and numbers ---------------------------------------

async function overview(ctx, api, t) {
  const nums = (await api.get('/' + ctx.waba + '/phone_numbers')).data || [];
  ctx.numbers = nums;
  const numbers = card(t('ov.numbers'), table([
    { label: t('ov.phone'), cell: (n) => '+' + n.display_phone_number },
    { label: t('ov.name'), cell: (n) => n.verified_name },
    { label: t('ov.quality'), cell: (n) => tag(n.quality_rating, t('q.' + n.quality_rating)) },
    { label: t('ov.tier'), cell: (n) => t('tier.' + n.messaging_limit_tier) },
    { label: t('ov.throughput'), cell: (n) => n.throughput && n.throughput.level },
    { label: t('ov.status'), cell: (n) => tag(n.status) },
  ], nums, { caption: t('ov.numbers'), empty: t('ov.nonumbers') }),
  h('p.muted.hint', t('ov.qualityhelp')));
  const parts = [h('section.card.stack', h('h2', ctx.name),
    h('p.muted', t('ov.account', { id: ctx.waba })),
    h('p.muted', ctx.expires ? t('ov.expires', { when: when(ctx.expires) }) : t('ov.noexpiry'))), numbers];
  if (nums.length) parts.push(await profileCard(ctx, api, t, nums[0].id));
  return h('div.stack', parts);
}

async function profileCard(ctx, api, t, numberID) {
  const p = ((await api.get('/' + numberID + '/whatsapp_business_profile')).data || [{}])[0] || {};
  const desc = h('textarea', { rows: 3, maxlength: 512, value: p.description || '' });
  const addr = h('input', { type: 'text', value: p.address || '' });
  const vert = h('input', { type: 'text', value: p.vertical || '' });
  const site = h('input', { type: 'url', value: (p.websites || [])[0] || '' });
  const btn = h('button.btn.primary', { type: 'submit' }, t('c.save'));
  return h('form.card.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(btn, async () => {
        const body = { messaging_product: 'whatsapp', description: desc.value, address: addr.value, vertical: vert.value };
        if (site.value) body.websites = [site.value];
        await api.post('/' + numberID + '/whatsapp_business_profile', body);
        toast(t('c.saved'));
      }, t).catch(() => {});
    },
  }, h('h2', t('ov.profile')),
  field(t('ov.description'), desc), h('div.form-grid', field(t('ov.address'), addr), field(t('ov.vertical'), vert), field(t('ov.website'), site)),
  h('div', btn));
}

// ---- Templates -------------------------------------------------------------

async function templates(ctx, api, t, refresh) {
  const list = (await api.get('/' + ctx.waba + '/message_templates?limit=200')).data || [];
  const body = (tp) => ((tp.components || []).find((c) => c.type === 'BODY') || {}).text || '';
  return h('div.stack', card(t('tpl.list'), table([
    { label: t('tpl.name'), cell: (x) => h('code', x.name) },
    { label: t('tpl.language'), cell: (x) => x.language },
    { label: t('tpl.category'), cell: (x) => x.category },
    { label: t('tpl.status'), cell: (x) => h('span.row', tag(x.status, t('st.' + x.status)), x.rejected_reason ? h('span.muted', t('reason.' + x.rejected_reason)) : null) },
    { label: t('tpl.body'), cell: (x) => h('span.muted', body(x).slice(0, 80)) },
  ], list, { caption: t('tpl.list'), empty: t('tpl.none'), rowClass: (x) => 'tpl-' + x.name })), templateForm(ctx, api, t, refresh));
}

function templateForm(ctx, api, t, refresh) {
  const el = {
    name: h('input#tpl-name', { type: 'text', autocomplete: 'off', placeholder: 'order_update' }),
    language: select(LANGUAGES.map((l) => [l, l]), 'en_US', { id: 'tpl-language' }),
    category: select(CATEGORIES.map((c) => [c, t('cat.' + c)]), 'UTILITY', { id: 'tpl-category' }),
    format: select([['positional', t('tpl.positional')], ['named', t('tpl.named')]], 'positional', { id: 'tpl-format' }),
    header: h('input#tpl-header', { type: 'text', maxlength: 60 }),
    body: h('textarea#tpl-body', { rows: 4 }),
    footer: h('input#tpl-footer', { type: 'text', maxlength: 60 }),
    buttons: h('input#tpl-buttons', { type: 'text' }),
  };
  const fields = {
    name: field(t('tpl.name'), el.name, { hint: t('tpl.namehint') }),
    language: field(t('tpl.language'), el.language),
    category: field(t('tpl.category'), el.category),
    format: field(t('tpl.format'), el.format),
    header: field(t('tpl.header'), el.header),
    body: field(t('tpl.body'), el.body, { hint: t('tpl.bodyhint') }),
    footer: field(t('tpl.footer'), el.footer),
    buttons: field(t('tpl.buttons'), el.buttons, { hint: t('tpl.buttonshint') }),
  };
  const reviewBox = h('div#tpl-review', { 'aria-live': 'polite' });
  const preview = h('div.preview#tpl-preview', { 'aria-label': t('tpl.preview') });
  const submit = h('button.btn.primary#tpl-submit', { type: 'submit' }, t('tpl.submit'));
  const values = () => Object.fromEntries(Object.entries(el).map(([k, e]) => [k, e.value]));
  let touched = false;

  function update() {
    const v = values();
    const { errors, review } = check(v);
    for (const [k, f] of Object.entries(fields)) {
      // Say nothing about an empty name or body until the business has typed.
      const e = errors[k];
      f.setError(e && (touched || v[k]) ? t(e.key, e.params) : '');
    }
    if (review && review.reason === 'INCORRECT_CATEGORY') {
      replace(reviewBox, h('div.notice.bad.row', { role: 'alert' },
        h('span.grow', t('tpl.review.category', { category: t('cat.' + v.category), words: review.words.join(', ') })),
        h('button.btn#tpl-use-marketing', { type: 'button', onclick: () => { el.category.value = 'MARKETING'; update(); } }, t('tpl.usemarketing'))));
    } else if (review) {
      replace(reviewBox, h('div.notice.bad', { role: 'alert' }, t('tpl.review.format')));
    } else {
      replace(reviewBox);
    }
    const hasErrors = Object.keys(errors).length > 0;
    submit.disabled = hasErrors || !!review;
    submit.setAttribute('aria-disabled', String(submit.disabled));
    replace(preview,
      v.header ? h('div.pv-header', v.header) : null,
      h('div.pv-body', v.body || h('span.muted', t('tpl.previewempty'))),
      v.footer ? h('div.pv-footer', v.footer) : null,
      h('div.pv-buttons', v.buttons.split(',').map((s) => s.trim()).filter(Boolean).map((b) => h('span', b))));
    const ps = [...placeholders(v.header), ...placeholders(v.body)];
    preview.dataset.params = String(ps.length);
    return !submit.disabled;
  }
  for (const e of Object.values(el)) e.addEventListener('input', update);

  const form = h('form.card.stack#tpl-form', {
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      touched = true;
      if (!update()) return;
      const v = values();
      action(submit, async () => {
        const res = await api.post('/' + ctx.waba + '/message_templates', {
          name: v.name, language: v.language, category: v.category, parameter_format: v.format, components: components(v),
        });
        toast(t('tpl.created', { name: v.name, status: t('st.' + res.status) }));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('tpl.new')),
  h('div.form-grid', fields.name, fields.language, fields.category, fields.format),
  h('div.grid2', h('div.stack', fields.header, fields.body, fields.footer, fields.buttons),
    h('div.stack', h('h3', t('tpl.preview')), preview)),
  reviewBox, h('div', submit));
  update();
  return form;
}

// ---- Webhooks ----------------------------------------------------------------

async function webhooks(ctx, api, t, refresh) {
  const [sub, log] = await Promise.all([api.get('/' + ctx.waba + '/subscribed_apps'), api.get('/' + ctx.waba + '/webhook_deliveries?limit=50')]);
  const current = ((sub.data || [])[0] || {}).override_callback_uri || '';
  const url = h('input#wh-url', { type: 'url', value: current, placeholder: 'https://example.com/webhook' });
  const vt = h('input#wh-verify', { type: 'text', autocomplete: 'off' });
  const save = h('button.btn.primary', { type: 'submit' }, t('wh.save'));
  const settings = h('form.card.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(save, async () => {
        await api.post('/' + ctx.waba + '/subscribed_apps', { override_callback_uri: url.value, verify_token: vt.value });
        toast(t('wh.saved'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('wh.settings')),
  h('p.muted', current ? t('wh.current', { url: current }) : t('wh.none')),
  h('div.form-grid', field(t('wh.url'), url), field(t('wh.verify'), vt, { hint: t('wh.verifyhint') })), h('div', save));

  const detail = h('div#wh-detail');
  const rows = log.data || [];
  const event = (d) => {
    try {
      const c = d.payload.entry[0].changes[0];
      const v = c.value || {};
      if (v.statuses) return c.field + ': ' + v.statuses[0].status;
      if (v.messages) return c.field + ': ' + v.messages[0].type;
      if (v.event) return c.field + ': ' + v.event;
      return c.field;
    } catch { return '—'; }
  };
  const logCard = card(t('wh.log'), h('div.row', h('span.grow.muted', t('wh.loghelp')),
    h('button.btn', { type: 'button', onclick: refresh }, t('c.refresh'))),
  table([
    { label: '#', cell: (d) => d.id },
    { label: t('wh.event'), cell: event },
    { label: t('wh.status'), cell: (d) => tag(d.status, t('st.' + d.status)) },
    { label: t('wh.attempts'), cell: (d) => String(d.attempts) },
    { label: t('wh.created'), cell: (d) => when(d.created_time) },
    { label: t('wh.error'), cell: (d) => h('span.muted', d.last_error || '') },
    { label: t('wh.actions'), cell: (d) => h('div.actions',
      h('button.btn', { type: 'button', 'aria-label': t('wh.showattempts', { id: d.id }), onclick: (e) => showAttempts(e.currentTarget, d) }, t('wh.details')),
      h('button.btn', { type: 'button', class: 'replay', 'aria-label': t('wh.replayid', { id: d.id }),
        onclick: (e) => action(e.currentTarget, async () => { await api.post(`/${ctx.waba}/webhook_deliveries/${d.id}/replay`); toast(t('wh.replayed', { id: d.id })); refresh(); }, t).catch(() => {}) },
      t('wh.replay'))) },
  ], rows, { caption: t('wh.log'), empty: t('wh.nolog') }), detail);

  async function showAttempts(btn, d) {
    const at = await action(btn, () => api.get(`/${ctx.waba}/webhook_deliveries/${d.id}/attempts`), t).catch(() => null);
    if (!at) return;
    replace(detail, h('section.card.stack', h('h3', t('wh.attemptsof', { id: d.id })),
      table([
        { label: '#', cell: (a) => String(a.attempt) },
        { label: t('wh.time'), cell: (a) => when(a.time) },
        { label: 'HTTP', cell: (a) => String(a.status_code || '—') },
        { label: t('wh.error'), cell: (a) => a.error || '' },
        { label: 'ms', cell: (a) => String(a.duration_ms) },
      ], at.data || [], { empty: t('wh.noattempts') }),
      h('pre.payload', JSON.stringify(d.payload, null, 2))));
    detail.querySelector('h3').setAttribute('tabindex', '-1');
    detail.querySelector('h3').focus();
  }
  return h('div.stack', settings, logCard);
}

// ---- Click-to-chat -------------------------------------------------------------

async function links(ctx, api, t, refresh) {
  const ls = (await api.get('/' + ctx.waba + '/ctwa_links')).data || [];
  const num = select(ctx.numbers.map((n) => [n.id, '+' + n.display_phone_number + ' · ' + n.verified_name]), ctx.numbers[0] && ctx.numbers[0].id, { id: 'ln-number' });
  const text = h('input#ln-text', { type: 'text', maxlength: 1000 });
  const headline = h('input#ln-headline', { type: 'text' });
  const btn = h('button.btn.primary', { type: 'submit' }, t('ln.create'));
  const form = h('form.card.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(btn, async () => {
        const body = { phone_number_id: num.value, prefilled_message: text.value };
        if (headline.value) body.source = { source_type: 'ad', headline: headline.value };
        await api.post('/' + ctx.waba + '/ctwa_links', body);
        toast(t('ln.created'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('ln.new')), h('div.form-grid', field(t('ln.number'), num), field(t('ln.text'), text), field(t('ln.headline'), headline)), h('div', btn));
  const sum = (k) => ls.reduce((a, l) => a + (l[k] || 0), 0);
  const totals = h('div.figures',
    ...[['clicks', 'ln.clicks'], ['chats_started', 'ln.chats'], ['replies', 'ln.replies']].map(([k, key]) =>
      h('div.figure.card', h('span.muted', t(key)), h('strong', String(sum(k))))));
  const rate = (a, b) => (b ? Math.round((100 * a) / b) + ' %' : '—');
  return h('div.stack', ctx.numbers.length ? form : h('p.notice', t('ov.nonumbers')), card(t('ln.results'), totals, table([
    { label: t('ln.link'), cell: (l) => h('a', { href: l.url, target: '_blank', rel: 'noopener' }, '/c/' + l.code) },
    { label: t('ln.text'), cell: (l) => l.prefilled_message || '' },
    { label: t('ln.clicks'), cell: (l) => String(l.clicks) },
    { label: t('ln.chats'), cell: (l) => String(l.chats_started) },
    { label: t('ln.replies'), cell: (l) => String(l.replies) },
    { label: t('ln.conversion'), cell: (l) => rate(l.chats_started, l.clicks) },
  ], ls, { caption: t('ln.results'), empty: t('ln.none') })));
}

// ---- Channels ------------------------------------------------------------------

let channelNumber = null;
let openChannel = null;

async function channels(ctx, api, t, refresh) {
  if (!ctx.numbers.length) return h('p.notice', t('ov.nonumbers'));
  if (!ctx.numbers.some((n) => n.id === channelNumber)) channelNumber = ctx.numbers[0].id;
  const num = channelNumber;
  const list = (await api.get(`/${num}/channels`)).data || [];
  const pick = select(ctx.numbers.map((n) => [n.id, '+' + n.display_phone_number]), num, {
    id: 'ch-number', onchange: (e) => { channelNumber = e.target.value; openChannel = null; refresh(); },
  });
  const handle = h('input#ch-handle', { type: 'text', autocomplete: 'off' });
  const name = h('input#ch-name', { type: 'text' });
  const desc = h('input#ch-desc', { type: 'text' });
  const cat = h('input#ch-category', { type: 'text', value: 'business' });
  const btn = h('button.btn.primary', { type: 'submit' }, t('ch.create'));
  const create = h('form.card.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(btn, async () => {
        const c = await api.post(`/${num}/channels`, { handle: handle.value, name: name.value, description: desc.value, category: cat.value });
        openChannel = c.id;
        toast(t('ch.created'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('ch.new')), h('div.form-grid', field(t('ch.handle'), handle), field(t('ch.name'), name), field(t('ch.category'), cat), field(t('ch.description'), desc)), h('div', btn));
  const listCard = card(t('ch.list'), field(t('ch.number'), pick), table([
    { label: t('ch.name'), cell: (c) => h('span', c.name, c.verified ? h('span.verified', { 'aria-label': t('ch.verified') }, ' ✓') : null) },
    { label: t('ch.handle'), cell: (c) => '@' + c.handle },
    { label: t('ch.followers'), cell: (c) => String(c.followers) },
    { label: t('ch.state'), cell: (c) => (c.suspended ? tag('suspended', t('ch.suspended')) : tag('approved', t('ch.active'))) },
    { label: t('wh.actions'), cell: (c) => h('button.btn', { type: 'button', 'aria-label': t('ch.openname', { name: c.name }), onclick: () => { openChannel = c.id; refresh(); } }, t('ch.open')) },
  ], list, { caption: t('ch.list'), empty: t('ch.none') }));
  const parts = [listCard];
  const c = list.find((x) => x.id === openChannel);
  if (c) parts.push(await channelDetail(api, t, num, c, refresh));
  parts.push(create);
  return h('div.stack', parts);
}

async function channelDetail(api, t, num, c, refresh) {
  const [ins, page] = await Promise.all([api.get(`/${num}/channels/${c.id}/insights?days=14`), api.get(`/${num}/channels/${c.id}/posts?limit=10`)]);
  const text = h('textarea#post-text', { rows: 3, maxlength: 4096 });
  const btn = h('button.btn.primary', { type: 'submit' }, t('ch.post'));
  const post = h('form.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(btn, async () => { await api.post(`/${num}/channels/${c.id}/posts`, { kind: 'text', text: text.value }); toast(t('ch.posted')); refresh(); }, t).catch(() => {});
    },
  }, field(t('ch.posttext'), text), h('div', btn));
  const views = (ins.posts || []).reduce((a, p) => a + p.views, 0);
  return h('section.card.stack#channel-detail', h('h2', c.name + ' · @' + c.handle),
    c.suspended ? h('p.notice.bad', { role: 'alert' }, t('ch.suspendedwhy', { reason: c.suspend_reason || '' })) : post,
    h('div.figures',
      h('div.figure.card', h('span.muted', t('ch.followers')), h('strong', String(ins.followers))),
      h('div.figure.card', h('span.muted', t('ch.posts')), h('strong', String(c.last_seq))),
      h('div.figure.card', h('span.muted', t('ch.views')), h('strong', String(views)))),
    (ins.days || []).length ? barChart(t('ch.netfollows'), ins.days.map((d) => ({ label: d.date.slice(5), value: Math.max(0, d.net) }))) : null,
    (ins.posts || []).length ? barChart(t('ch.postviews'), ins.posts.slice(0, 12).map((p) => ({ label: '#' + p.seq, value: p.views }))) : null,
    h('h3', t('ch.timeline')),
    table([
      { label: '#', cell: (p) => String(p.seq) },
      { label: t('ch.posttext'), cell: (p) => p.text || p.link || p.kind },
      { label: t('ch.views'), cell: (p) => String(p.views) },
      { label: t('ch.reactions'), cell: (p) => Object.entries(p.reactions || {}).map(([e, n]) => e + ' ' + n).join('  ') },
      { label: t('wh.created'), cell: (p) => when(p.created_at) },
    ], page.posts || [], { empty: t('ch.noposts') }));
}

// ---- Spend ---------------------------------------------------------------------------

async function spend(ctx, api, t) {
  const rows = [];
  let after = 0;
  for (let i = 0; i < 20; i++) { // at most 20 pages of the ledger
    const page = (await api.get(`/${ctx.waba}/usage?after=${after}&limit=1000`)).data || [];
    rows.push(...page);
    if (page.length < 1000) break;
    after = page[page.length - 1].id;
  }
  const billable = rows.filter((r) => r.billable);
  const by = (xs, k) => {
    const m = new Map();
    for (const x of xs) m.set(x[k] || '—', (m.get(x[k] || '—') || 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  };
  const cats = by(billable, 'category');
  return h('div.stack',
    h('p.notice', t('sp.note')),
    h('div.figures',
      h('div.figure.card', h('span.muted', t('sp.delivered')), h('strong#sp-total', String(rows.length))),
      h('div.figure.card', h('span.muted', t('sp.billable')), h('strong#sp-billable', String(billable.length))),
      h('div.figure.card', h('span.muted', t('sp.free')), h('strong', String(rows.length - billable.length)))),
    cats.length ? card(t('sp.bycategory'), barChart(t('sp.bycategory'), cats),
      table([{ label: t('tpl.category'), cell: (x) => x.label }, { label: t('sp.count'), cell: (x) => String(x.value) }], cats)) : null,
    card(t('sp.bycountry'), table([{ label: t('sp.country'), cell: (x) => x.label }, { label: t('sp.count'), cell: (x) => String(x.value) }], by(billable, 'country'), { empty: t('sp.none') })),
    card(t('sp.recent'), table([
      { label: t('wh.time'), cell: (r) => when(r.time) },
      { label: t('sp.event'), cell: (r) => r.event },
      { label: t('tpl.category'), cell: (r) => r.category },
      { label: t('sp.country'), cell: (r) => r.country },
      { label: t('sp.type'), cell: (r) => r.pricing_type },
      { label: t('sp.billable'), cell: (r) => (r.billable ? t('c.yes') : t('c.no')) },
    ], rows.slice(-50).reverse(), { empty: t('sp.none') })));
}

startConsole({
  name: 'Parley Business',
  tokenKey: 'parley.business.token',
  base: '/v23.0',
  lazy,
  dicts: { en: { ...dicts.en, ...billingDicts.en }, fr: { ...dicts.fr, ...billingDicts.fr } },
  tokenHint: 'b.tokenhint',
  signIn,
  label: (ctx) => ctx.name + ' · ' + ctx.waba,
  sections: [
    { id: 'overview', title: 'nav.overview', render: overview },
    { id: 'templates', title: 'nav.templates', render: templates },
    { id: 'webhooks', title: 'nav.webhooks', render: webhooks },
    { id: 'catalogs', title: 'nav.catalogs', render: catalogs },
    { id: 'links', title: 'nav.links', render: links },
    { id: 'channels', title: 'nav.channels', render: channels },
    { id: 'spend', title: 'nav.spend', render: spend },
    { id: 'billing', title: 'nav.billing', render: billing },
    { id: 'ads', title: 'nav.ads', render: ads },
  ],
});

