// The Parley operator console: whoever runs the server signs in with the
// admin token and runs the platform through the operator API
// (/admin/v1/..., docs/BUSINESS.md, docs/CHANNELS.md, docs/CONSOLES.md).

import { replace, toast, formatMoney } from '../shared/view.js';
import { h, startConsole, card, table, field, select, tag, action, barChart, when } from '../shared/console.js';
import { dicts, lazy } from './i18n.js';
import { revenue, revenueDicts, businessBilling } from './revenue.js';
import { adReview } from './adreview.js';

const REASONS = ['INCORRECT_CATEGORY', 'INVALID_FORMAT', 'PROMOTIONAL', 'ABUSIVE_CONTENT', 'SCAM'];

async function signIn(api) {
  await api.get('/admin/v1/businesses');
  return {};
}

// ---- Businesses and verification ---------------------------------------------

let openBusiness = null;

async function businesses(ctx, api, t, refresh) {
  const list = (await api.get('/admin/v1/businesses')).businesses || [];
  const name = h('input#biz-name', { type: 'text', required: true });
  const cat = h('input#biz-category', { type: 'text' });
  const site = h('input#biz-website', { type: 'url' });
  const btn = h('button.btn.primary', { type: 'submit' }, t('biz.create'));
  const create = h('form.card.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(btn, async () => {
        const body = { name: name.value };
        if (cat.value) body.category = cat.value;
        if (site.value) body.website = site.value;
        const b = await api.post('/admin/v1/businesses', body);
        openBusiness = b.id;
        toast(t('biz.created', { name: b.name }));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('biz.new')), h('div.form-grid', field(t('biz.name'), name), field(t('biz.category'), cat), field(t('biz.website'), site)), h('div', btn));

  const verify = (b) => h('button.btn', {
    type: 'button', class: b.verified ? 'unverify' : 'verify primary',
    title: t(b.verified ? 'biz.unverifyname' : 'biz.verifyname', { name: b.name }),
    onclick: (e) => action(e.currentTarget, async () => {
      await api.patch('/admin/v1/businesses/' + b.id, { verified: !b.verified });
      toast(t(b.verified ? 'biz.unverified' : 'biz.verified', { name: b.name }));
      refresh();
    }, t).catch(() => {}),
  }, t(b.verified ? 'biz.unverify' : 'biz.verify'));

  const parts = [card(t('biz.list'), table([
    { label: '#', cell: (b) => String(b.id) },
    { label: t('biz.name'), cell: (b) => h('span', b.name, b.verified ? h('span.verified', { 'aria-label': t('biz.badge') }, ' ✓') : null) },
    { label: t('biz.category'), cell: (b) => b.category || '' },
    { label: t('biz.pricing'), cell: (b) => b.pricing_model },
    { label: t('biz.webhook'), cell: (b) => (b.callback_url ? t('c.yes') : t('c.no')) },
    { label: t('biz.actions'), cell: (b) => h('div.actions', verify(b),
      h('button.btn', { type: 'button', 'aria-label': t('biz.manage', { name: b.name }), onclick: () => { openBusiness = b.id; refresh(); } }, t('biz.open'))) },
  ], list, { caption: t('biz.list'), empty: t('biz.none'), rowClass: (b) => 'biz-' + b.id }))];
  const b = list.find((x) => x.id === openBusiness);
  if (b) parts.push(await businessDetail(api, t, b, refresh));
  parts.push(create);
  return h('div.stack', parts);
}

async function businessDetail(api, t, b, refresh) {
  const [nums, toks] = await Promise.all([api.get(`/admin/v1/businesses/${b.id}/numbers`), api.get(`/admin/v1/businesses/${b.id}/tokens`)]);
  // Billing is shown when the server has it; a failure leaves the rest.
  const bill = await businessBilling(api, t, b.id, refresh).catch((err) => h('p.muted', t('c.error', { msg: err.message })));
  const phone = h('input#num-phone', { type: 'tel', placeholder: '+14155550100' });
  const dname = h('input#num-name', { type: 'text' });
  const addBtn = h('button.btn.primary', { type: 'submit' }, t('num.add'));
  const add = h('form.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      action(addBtn, async () => {
        await api.post(`/admin/v1/businesses/${b.id}/numbers`, { phone: phone.value, display_name: dname.value });
        toast(t('num.added'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('div.form-grid', field(t('num.phone'), phone), field(t('num.name'), dname)), h('div', addBtn));
  const tokName = h('input#tok-name', { type: 'text', value: 'console' });
  const secret = h('div#tok-secret', { 'aria-live': 'polite' });
  const tokBtn = h('button.btn', { type: 'submit' }, t('tok.issue'));
  const issue = h('form.row', {
    onsubmit: (e) => {
      e.preventDefault();
      action(tokBtn, async () => {
        const tok = await api.post(`/admin/v1/businesses/${b.id}/tokens`, { name: tokName.value });
        replace(secret, h('p.notice', t('tok.once'), ' ', h('code.secret', tok.token)));
      }, t).catch(() => {});
    },
  }, field(t('tok.name'), tokName), tokBtn);
  return h('section.card.stack#business-detail', h('h2', b.name + ' · #' + b.id),
    h('h3', t('num.title')), numbersTable(api, t, (nums.numbers || []).map((n) => ({ ...n, business: b.name })), refresh), add,
    h('h3', t('tok.title')), table([
      { label: '#', cell: (x) => String(x.id) },
      { label: t('tok.name'), cell: (x) => x.name || '' },
      { label: t('tok.created'), cell: (x) => when(x.created_at) },
      { label: t('tok.expires'), cell: (x) => (x.expires_at ? when(x.expires_at) : t('tok.never')) },
      { label: t('tok.state'), cell: (x) => (x.revoked_at ? tag('failed', t('tok.revoked')) : tag('approved', t('tok.live'))) },
    ], toks.tokens || [], { empty: t('tok.none') }), issue, secret, bill);
}

// numbersTable shows numbers with their quality and tier, and pauses or
// resumes them.
function numbersTable(api, t, nums, refresh) {
  return table([
    { label: t('num.phone'), cell: (n) => n.phone },
    { label: t('num.name'), cell: (n) => n.display_name },
    { label: t('num.business'), cell: (n) => n.business || '' },
    { label: t('num.quality'), cell: (n) => tag(n.quality) },
    { label: t('num.tier'), cell: (n) => (n.tier_limit ? n.tier_limit.toLocaleString() : t('num.unlimited')) },
    { label: t('num.status'), cell: (n) => tag(n.status) },
    { label: t('biz.actions'), cell: (n) => {
      const paused = n.status === 'PAUSED';
      return h('button.btn', {
        type: 'button', class: paused ? 'resume' : 'pause danger',
        'aria-label': t(paused ? 'num.resumename' : 'num.pausename', { phone: n.phone }),
        onclick: (e) => action(e.currentTarget, async () => {
          await api.patch('/admin/v1/numbers/' + n.id, { status: paused ? 'CONNECTED' : 'PAUSED' });
          toast(t(paused ? 'num.resumed' : 'num.paused', { phone: n.phone }));
          refresh();
        }, t).catch(() => {}),
      }, t(paused ? 'num.resume' : 'num.pause'));
    } },
  ], nums, { empty: t('num.none'), rowClass: (n) => 'num-' + n.id });
}

// ---- Template review queue -------------------------------------------------------

async function review(ctx, api, t, refresh) {
  const [queue, bizs] = await Promise.all([api.get('/admin/v1/templates?status=PENDING'), api.get('/admin/v1/businesses')]);
  const names = new Map((bizs.businesses || []).map((b) => [b.id, b.name]));
  const items = queue.templates || [];
  if (!items.length) return h('p.muted.empty#queue-empty', t('rv.empty'));
  return h('div.stack', h('p.muted', t('rv.count', { n: items.length })), ...items.map((tp) => {
    const comp = (type) => (tp.components || []).find((c) => c.type === type);
    const reason = select(REASONS.map((r) => [r, t('reason.' + r)]), 'INCORRECT_CATEGORY', { id: 'reason-' + tp.id });
    const decide = (status) => (e) => action(e.currentTarget, async () => {
      await api.post(`/admin/v1/templates/${tp.id}/review`, status === 'APPROVED' ? { status } : { status, reason: reason.value });
      toast(t(status === 'APPROVED' ? 'rv.approved' : 'rv.rejected', { name: tp.name }));
      refresh();
    }, t).catch(() => {});
    return h('article.card.stack.review-item', { dataset: { template: tp.name }, 'aria-labelledby': 'rv-h-' + tp.id },
      h('h2', { id: 'rv-h-' + tp.id }, h('code', tp.name), ' · ', tp.language),
      h('p.muted', t('rv.meta', { business: names.get(tp.business_id) || '#' + tp.business_id, category: tp.category })),
      h('div.preview',
        comp('HEADER') ? h('div.pv-header', comp('HEADER').text || comp('HEADER').format) : null,
        h('div.pv-body', (comp('BODY') || {}).text || ''),
        comp('FOOTER') ? h('div.pv-footer', comp('FOOTER').text) : null,
        comp('BUTTONS') ? h('div.pv-buttons', comp('BUTTONS').buttons.map((b) => h('span', b.text))) : null),
      h('div.row.actions',
        h('button.btn.primary.approve', { type: 'button', 'aria-label': t('rv.approvename', { name: tp.name }), onclick: decide('APPROVED') }, t('rv.approve')),
        h('span.grow'),
        field(t('rv.reason'), reason),
        h('button.btn.danger.reject', { type: 'button', 'aria-label': t('rv.rejectname', { name: tp.name }), onclick: decide('REJECTED') }, t('rv.reject'))));
  }));
}

// ---- Reports and moderation ------------------------------------------------------

let lookedUp = null;

async function moderation(ctx, api, t, refresh) {
  const reports = (await api.get('/admin/v1/channel-reports?limit=200')).reports || [];
  const idInput = h('input#mod-channel', { type: 'number', min: 1, value: lookedUp || '' });
  const find = h('button.btn', { type: 'submit' }, t('mod.find'));
  const detail = h('div#mod-detail');
  const show = async (id) => {
    lookedUp = id;
    const c = await api.get('/admin/v1/channels/' + id);
    replace(detail, channelCard(api, t, c, refresh));
  };
  const lookup = h('form.card.stack', {
    onsubmit: (e) => { e.preventDefault(); action(find, () => show(Number(idInput.value)), t).catch(() => {}); },
  }, h('h2', t('mod.lookup')), h('div.row', field(t('mod.channelid'), idInput), find));
  if (lookedUp) await show(lookedUp).catch(() => { lookedUp = null; });
  const counts = new Map();
  for (const r of reports) counts.set(r.channel_id, (counts.get(r.channel_id) || 0) + 1);
  const atRisk = await numbersAtRisk(api);
  return h('div.stack',
    card(t('mod.reports'), table([
      { label: t('mod.channel'), cell: (r) => '#' + r.channel_id },
      { label: t('mod.post'), cell: (r) => (r.post_seq ? '#' + r.post_seq : t('mod.wholechannel')) },
      { label: t('mod.reason'), cell: (r) => r.reason },
      { label: t('mod.reportsof'), cell: (r) => String(counts.get(r.channel_id)) },
      { label: t('mod.when'), cell: (r) => when(r.created_at) },
      { label: t('biz.actions'), cell: (r) => h('button.btn', { type: 'button', 'aria-label': t('mod.reviewchannel', { id: r.channel_id }),
        onclick: (e) => action(e.currentTarget, () => show(r.channel_id), t).then(() => detail.querySelector('h2').focus()).catch(() => {}) }, t('mod.review')) },
    ], reports, { caption: t('mod.reports'), empty: t('mod.noreports') })),
    lookup, detail,
    card(t('mod.numbers'), h('p.muted', t('mod.numbershelp')), numbersTable(api, t, atRisk, refresh)));
}

// numbersAtRisk lists every number whose quality is not GREEN or that is
// paused, across businesses.
async function numbersAtRisk(api) {
  const bs = (await api.get('/admin/v1/businesses')).businesses || [];
  const all = await Promise.all(bs.map((b) => api.get(`/admin/v1/businesses/${b.id}/numbers`).then((r) => (r.numbers || []).map((n) => ({ ...n, business: b.name })))));
  return all.flat().filter((n) => n.quality !== 'GREEN' || n.status !== 'CONNECTED');
}

function channelCard(api, t, c, refresh) {
  const reason = h('input#suspend-reason', { type: 'text', maxlength: 500, required: true });
  const btn = h('button.btn.danger#suspend', { type: 'submit' }, t('mod.suspend'));
  const body = c.suspended
    ? h('div.stack', h('p.notice.bad', t('mod.issuspended', { reason: c.suspend_reason })),
      h('div', h('button.btn#unsuspend', { type: 'button', onclick: (e) => action(e.currentTarget, async () => {
        await api.del(`/admin/v1/channels/${c.id}/suspension`);
        toast(t('mod.lifted', { name: c.name }));
        refresh();
      }, t).catch(() => {}) }, t('mod.unsuspend'))))
    : h('form.stack', {
      onsubmit: (e) => {
        e.preventDefault();
        if (!reason.value.trim()) { reason.setAttribute('aria-invalid', 'true'); reason.focus(); return; }
        action(btn, async () => {
          await api.put(`/admin/v1/channels/${c.id}/suspension`, { reason: reason.value.trim() });
          toast(t('mod.suspended', { name: c.name }));
          refresh();
        }, t).catch(() => {});
      },
    }, field(t('mod.suspendreason'), reason, { hint: t('mod.suspendhint') }), h('div', btn));
  const verify = h('button.btn', { type: 'button', onclick: (e) => action(e.currentTarget, async () => {
    await api.put(`/admin/v1/channels/${c.id}/verified`, { verified: !c.verified });
    refresh();
  }, t).catch(() => {}) }, t(c.verified ? 'mod.unverify' : 'mod.verify'));
  return h('section.card.stack#channel-card', { dataset: { channel: c.id, suspended: String(c.suspended) } },
    h('h2', { tabindex: '-1' }, c.name, ' · @', c.handle, c.verified ? h('span.verified', { 'aria-label': t('biz.badge') }, ' ✓') : null),
    h('p.muted', t('mod.channelmeta', { id: c.id, followers: c.followers, owner: c.owner_id, created: when(c.created_at) })),
    h('div.row', c.suspended ? tag('suspended', t('mod.state.suspended')) : tag('approved', t('mod.state.active')), verify),
    body);
}

// ---- Money ---------------------------------------------------------------------------

async function money(ctx, api, t) {
  const entries = (await api.get('/admin/v1/channels/ledger?limit=10000')).entries || [];
  const totals = new Map();
  for (const e of entries) {
    const k = e.kind + ' ' + e.currency;
    totals.set(k, { kind: e.kind, currency: e.currency, amount: ((totals.get(k) || {}).amount || 0) + e.amount_minor, n: ((totals.get(k) || {}).n || 0) + 1 });
  }
  const rows = [...totals.values()].sort((a, b) => b.amount - a.amount);
  const cur = rows[0] && rows[0].currency;
  return h('div.stack',
    h('p.notice', t('mo.note')),
    rows.length ? card(t('mo.bykind'), barChart(t('mo.bykind'), rows.filter((r) => r.currency === cur).map((r) => ({ label: r.kind.replace(/_/g, ' '), value: r.amount })),
      (v) => formatMoney(v, cur)),
    table([
      { label: t('mo.kind'), cell: (r) => t('kind.' + r.kind) },
      { label: t('mo.entries'), cell: (r) => String(r.n) },
      { label: t('mo.amount'), cell: (r) => formatMoney(r.amount, r.currency) },
    ], rows)) : null,
    card(t('mo.ledger'), table([
      { label: '#', cell: (e) => String(e.id) },
      { label: t('mo.when'), cell: (e) => when(e.at) },
      { label: t('mo.kind'), cell: (e) => t('kind.' + e.kind) },
      { label: t('mo.channel'), cell: (e) => (e.channel_id ? '#' + e.channel_id : '—') },
      { label: t('mo.amount'), cell: (e) => formatMoney(e.amount_minor, e.currency) },
    ], entries.slice(-100).reverse(), { empty: t('mo.none') })));
}

// ---- Licence and seats -------------------------------------------------------

async function license(ctx, api, t) {
  const l = await api.get('/admin/v1/people/license');
  if (!l.licensed) {
    return h('div.stack', card(t('li.title'), h('p#license-state', t('li.none')), h('p.muted', t('li.seatsUsed', { n: String(l.seats_used) }))));
  }
  const state = l.expired ? tag('expired', t('li.expired')) : l.over_limit ? tag('full', t('li.full')) : tag('active', t('li.active'));
  const used = h('progress#license-seats', { max: String(l.seats), value: String(Math.min(l.seats_used, l.seats)) });
  return h('div.stack', card(t('li.title'),
    h('p#license-state', state),
    table([
      { label: t('li.field'), cell: (r) => r[0] },
      { label: t('li.value'), cell: (r) => r[1] },
    ], [
      [t('li.customer'), l.customer],
      [t('li.id'), l.id],
      [t('li.seats'), t('li.seatsOf', { used: String(l.seats_used), seats: String(l.seats) })],
      [t('li.expires'), when(l.expires_at)],
      [t('li.features'), (l.features || []).join(', ') || '—'],
    ], { caption: t('li.title') }),
    h('label', { for: 'license-seats' }, t('li.seats')), used,
    l.expired || l.over_limit ? h('p.notice', t('li.degraded')) : null));
}

startConsole({
  name: 'Parley Admin',
  tokenKey: 'parley.admin.token',
  base: '',
  lazy,
  dicts: { en: { ...dicts.en, ...revenueDicts.en }, fr: { ...dicts.fr, ...revenueDicts.fr } },
  tokenHint: 'a.tokenhint',
  probe: '/admin/v1/businesses',
  signIn,
  label: () => '',
  sections: [
    { id: 'businesses', title: 'nav.businesses', render: businesses },
    { id: 'review', title: 'nav.review', render: review },
    { id: 'moderation', title: 'nav.moderation', render: moderation },
    { id: 'money', title: 'nav.money', render: money },
    { id: 'revenue', title: 'nav.revenue', render: revenue },
    { id: 'adreview', title: 'nav.adreview', render: adReview },
    { id: 'license', title: 'nav.license', render: license },
  ],
});
