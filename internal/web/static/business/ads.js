// ads.js: the business console's Ads section: the business's campaigns
// (objective, status, review, budgets, spend), a new campaign with every
// field of the API (objective, one creative, budgets, the bid per mille or
// per click, the schedule and the targeting), pause and resume, and a
// campaign's aggregate report as the API returns it: closed days only,
// small cells folded into "other" (POST/GET /{waba}/ad_campaigns,
// GET /{waba}/ad_campaigns/{id}, POST …/pause, …/resume, GET …/report;
// docs/ADS.md). Money is micro-units (money.js).

import { replace, toast } from '../shared/view.js';
import { h, card, table, field, select, tag, action, errorMessage } from '../shared/console.js';
import { format, parse, toJSON } from '../shared/money.js';

const OBJECTIVES = ['chat', 'follow', 'link'];
const CTAS = ['chat', 'follow', 'open', 'learn_more', 'shop'];
const PLACEMENTS = ['updates_feed', 'updates_list', 'directory', 'in_channel'];

let openReport = null; // the campaign whose report shows

const list = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);

export async function ads(ctx, api, t, refresh) {
  let campaigns;
  try {
    campaigns = (await api.get('/' + ctx.waba + '/ad_campaigns')).data || [];
  } catch (err) {
    // Ads switched off on this server, or another refusal: say so plainly.
    return h('p.notice.bad#ad-off', { role: 'alert' }, t('ad.unavailable', { msg: errorMessage(err) }));
  }
  const links = ((await api.get('/' + ctx.waba + '/ctwa_links').catch(() => ({}))).data) || [];
  const money = (c, v) => format(v || 0, c.currency, document.documentElement.lang || undefined);
  const review = (c) => {
    if (c.status === 'pending_review') return tag('pending', t('ad.inreview'));
    if (c.status === 'rejected') return h('span.stack', tag('rejected', t('ad.rejected')), h('span.muted.ad-reasons', (c.reasons || []).join('; ')));
    return tag('approved', t('ad.approved'));
  };
  const actions = (c) => {
    const btns = [];
    const set = (verb) => (e) => action(e.currentTarget, async () => {
      await api.post(`/${ctx.waba}/ad_campaigns/${c.id}/${verb}`);
      toast(t(verb === 'pause' ? 'ad.paused' : 'ad.resumed', { name: c.name }));
      refresh();
    }, t).catch(() => {});
    if (c.status === 'active') btns.push(h('button.btn', { type: 'button', id: 'ad-pause-' + c.id, 'aria-label': t('ad.pausename', { name: c.name }), onclick: set('pause') }, t('ad.pause')));
    if (c.status === 'paused') btns.push(h('button.btn', { type: 'button', id: 'ad-resume-' + c.id, 'aria-label': t('ad.resumename', { name: c.name }), onclick: set('resume') }, t('ad.resume')));
    btns.push(h('button.btn', { type: 'button', id: 'ad-report-' + c.id, 'aria-label': t('ad.reportname', { name: c.name }), onclick: () => { openReport = c.id; refresh(); } }, t('ad.report')));
    return h('div.actions', btns);
  };
  const listCard = card(t('ad.list'), table([
    { label: t('ad.name'), cell: (c) => c.name },
    { label: t('ad.objective'), cell: (c) => t('ad.obj.' + c.objective) },
    { label: t('ad.status'), cell: (c) => h('span.ad-status', tag(c.status, t('ad.st.' + c.status))) },
    { label: t('ad.review'), cell: review },
    { label: t('ad.budget'), cell: (c) => t('ad.budgets', { daily: money(c, c.daily_budget_micros), lifetime: money(c, c.lifetime_budget_micros) }) },
    { label: t('ad.bid'), cell: (c) => money(c, c.bid_micros) + ' ' + t('ad.per.' + c.bid_kind) },
    { label: t('ad.spent'), cell: (c) => h('span.ad-spent', money(c, c.spent_micros)) },
    { label: t('wh.actions'), cell: actions },
  ], campaigns, { caption: t('ad.list'), empty: t('ad.none'), rowClass: (c) => 'ad-' + c.id }));
  const parts = [listCard];
  const open = campaigns.find((c) => c.id === openReport);
  if (open) parts.push(await report(ctx, api, t, open, money));
  parts.push(campaignForm(ctx, api, t, refresh, links));
  return h('div.stack', parts);
}

async function report(ctx, api, t, c, money) {
  let r;
  try {
    r = await api.get(`/${ctx.waba}/ad_campaigns/${c.id}/report`);
  } catch (err) {
    return h('section.card.stack#ad-report', h('h2', t('ad.reportof', { name: c.name })), h('p.error', { role: 'alert' }, t('c.error', { msg: errorMessage(err) })));
  }
  const cur = { currency: r.currency || c.currency };
  const other = (v) => (v === 'other' ? t('ad.other') : v || '—');
  return h('section.card.stack#ad-report', h('h2', t('ad.reportof', { name: c.name })),
    h('p.muted', t('ad.reporthelp', { k: String(r.k) })),
    h('h3', t('ad.days')),
    table([
      { label: t('ad.day'), cell: (d) => d.day },
      { label: t('ad.spent'), cell: (d) => money(cur, d.spent_micros) },
      { label: t('ad.epsilon'), cell: (d) => d.epsilon },
      { label: t('ad.suppressed'), cell: (d) => (d.suppressed_other ? t('c.yes') : t('c.no')) },
    ], r.days || [], { caption: t('ad.days'), empty: t('ad.nodays') }),
    h('h3', t('ad.cells')),
    table([
      { label: t('ad.day'), cell: (x) => x.day },
      { label: t('ad.creative'), cell: (x) => other(x.creative) },
      { label: t('ad.placement'), cell: (x) => other(x.placement === 'other' ? 'other' : t('ad.pl.' + x.placement)) },
      { label: t('ad.country'), cell: (x) => other(x.country) },
      { label: t('ad.impressions'), cell: (x) => String(x.impressions) },
      { label: t('ad.clicks'), cell: (x) => String(x.clicks) },
      { label: t('ad.chats'), cell: (x) => String(x.chats_started) },
      { label: t('ad.conversions'), cell: (x) => String(x.conversions) },
    ], r.rows || [], { caption: t('ad.cells'), empty: t('ad.nocells') }));
}

function campaignForm(ctx, api, t, refresh, links) {
  const el = {
    name: h('input#ad-name', { type: 'text', maxlength: 100, autocomplete: 'off' }),
    objective: select(OBJECTIVES.map((o) => [o, t('ad.obj.' + o)]), 'chat', { id: 'ad-objective' }),
    link: select([['', t('ad.nolink')], ...links.map((l) => [l.code, '/c/' + l.code + (l.prefilled_message ? ' · ' + l.prefilled_message : '')])], links[0] ? links[0].code : '', { id: 'ad-link' }),
    channel: h('input#ad-channel', { type: 'number', min: 1, step: 1 }),
    url: h('input#ad-url', { type: 'url', placeholder: 'https://' }),
    headline: h('input#ad-headline', { type: 'text' }),
    text: h('textarea#ad-text', { rows: 3 }),
    image: h('input#ad-image', { type: 'url', placeholder: 'https://' }),
    cta: select(CTAS.map((c) => [c, t('ad.cta.' + c)]), 'chat', { id: 'ad-cta' }),
    bidKind: select([['cpm', t('ad.per.cpm')], ['cpc', t('ad.per.cpc')]], 'cpm', { id: 'ad-bidkind' }),
    bid: h('input#ad-bid', { type: 'text', inputmode: 'decimal' }),
    daily: h('input#ad-daily', { type: 'text', inputmode: 'decimal' }),
    lifetime: h('input#ad-lifetime', { type: 'text', inputmode: 'decimal' }),
    start: h('input#ad-start', { type: 'datetime-local' }),
    end: h('input#ad-end', { type: 'datetime-local' }),
    countries: h('input#ad-countries', { type: 'text', placeholder: 'US, GB' }),
    languages: h('input#ad-languages', { type: 'text', placeholder: 'en, fr' }),
  };
  const f = {
    name: field(t('ad.name'), el.name),
    objective: field(t('ad.objective'), el.objective),
    link_code: field(t('ad.link'), el.link, { hint: t('ad.linkhint') }),
    channel_id: field(t('ad.channel'), el.channel),
    url: field(t('ad.url'), el.url),
    headline: field(t('ad.headline'), el.headline),
    text: field(t('ad.text'), el.text),
    image_url: field(t('ad.image'), el.image),
    cta: field(t('ad.cta'), el.cta),
    bid_kind: field(t('ad.bidkind'), el.bidKind),
    bid_micros: field(t('ad.bid'), el.bid, { hint: t('ad.bidhint') }),
    daily_budget_micros: field(t('ad.daily'), el.daily),
    lifetime_budget_micros: field(t('ad.lifetime'), el.lifetime),
    start: field(t('ad.start'), el.start, { hint: t('ad.starthint') }),
    end: field(t('ad.end'), el.end, { hint: t('ad.endhint') }),
    countries: field(t('ad.countries'), el.countries, { hint: t('ad.listhint') }),
    languages: field(t('ad.languages'), el.languages, { hint: t('ad.listhint') }),
  };
  const boxes = PLACEMENTS.map((p) => h('input', { type: 'checkbox', id: 'ad-pl-' + p, value: p, checked: p === 'updates_feed' }));
  const placements = h('fieldset.field#ad-placements', h('legend', t('ad.placements')),
    boxes.map((b) => h('label.row', b, t('ad.pl.' + b.value))), h('span.field-error.error#ad-placements-err', { 'aria-live': 'polite' }));
  const errBox = h('div#ad-error', { 'aria-live': 'polite' });
  const submit = h('button.btn.primary#ad-submit', { type: 'submit' }, t('ad.create'));

  // Only the objective's own destination field shows.
  const showDest = () => {
    const o = el.objective.value;
    f.link_code.style.display = o === 'chat' ? '' : 'none';
    f.channel_id.style.display = o === 'follow' ? '' : 'none';
    f.url.style.display = o === 'link' ? '' : 'none';
  };
  el.objective.addEventListener('change', showDest);
  showDest();

  const iso = (v) => (v ? new Date(v).toISOString() : '');
  const clear = () => {
    for (const x of Object.values(f)) x.setError('');
    placementsErr.setError('');
    replace(errBox);
  };
  // fieldOf finds the form field an API error is about: the Cloud API's
  // answer carries the sentence only (docs/ADS.md lists them).
  const placementsErr = { setError: (s) => replace(placements.querySelector('.field-error'), s || '') };
  const FIELDS = [[/^name /, 'name'], [/click-to-chat link/, 'link_code'], [/follow campaign|channel/, 'channel_id'],
    [/link campaign/, 'url'], [/^headline/, 'headline'], [/^text /, 'text'], [/^image_url/, 'image_url'], [/^cta/, 'cta'],
    [/^bid_kind/, 'bid_kind'], [/bid/, 'bid_micros'], [/lifetime budget|prepaid budget/, 'lifetime_budget_micros'],
    [/daily budget/, 'daily_budget_micros'], [/^start/, 'start'], [/^end/, 'end'],
    [/placement/, 'placements'], [/^countries/, 'countries'], [/^languages/, 'languages']];
  const fieldOf = (msg) => {
    const hit = FIELDS.find(([re]) => re.test(msg || ''));
    if (!hit) return null;
    return hit[1] === 'placements' ? placementsErr : f[hit[1]];
  };

  return h('form.card.stack#ad-form', {
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      clear();
      const money = { bid_micros: parse(el.bid.value), daily_budget_micros: parse(el.daily.value), lifetime_budget_micros: parse(el.lifetime.value) };
      let bad = false;
      for (const [k, v] of Object.entries(money)) {
        if (v === null || v <= 0n) { f[k].setError(t('ad.badamount')); bad = true; }
      }
      if (bad) return;
      const o = el.objective.value;
      const body = {
        name: el.name.value.trim(), objective: o,
        creatives: [{ headline: el.headline.value.trim(), text: el.text.value.trim(), image_url: el.image.value.trim() || undefined, cta: el.cta.value }],
        targeting: { placements: boxes.filter((b) => b.checked).map((b) => b.value), countries: list(el.countries.value).map((c) => c.toUpperCase()), languages: list(el.languages.value).map((l) => l.toLowerCase()) },
        bid_kind: el.bidKind.value, bid_micros: toJSON(money.bid_micros), daily_budget_micros: toJSON(money.daily_budget_micros),
        lifetime_budget_micros: toJSON(money.lifetime_budget_micros), start: iso(el.start.value), end: iso(el.end.value) || undefined,
      };
      if (o === 'chat') body.link_code = el.link.value;
      if (o === 'follow') body.channel_id = Number(el.channel.value) || 0;
      if (o === 'link') body.url = el.url.value.trim();
      submit.disabled = true;
      api.post('/' + ctx.waba + '/ad_campaigns', body).then((c) => {
        if (c.status === 'rejected') toast(t('ad.autorejected', { name: c.name, reasons: (c.reasons || []).join('; ') }), 'error');
        else toast(t('ad.created', { name: c.name, status: t('ad.st.' + c.status) }));
        refresh();
      }, (err) => {
        const msg = errorMessage(err);
        const fe = fieldOf(msg);
        if (fe) fe.setError(msg);
        replace(errBox, h('p.notice.bad', { role: 'alert' }, t('ad.refused', { msg })));
      }).finally(() => { submit.disabled = false; });
    },
  }, h('h2', t('ad.new')),
  h('p.muted', t('ad.newhelp')),
  h('div.form-grid', f.name, f.objective, f.link_code, f.channel_id, f.url),
  h('h3', t('ad.creativehead')),
  h('div.form-grid', f.headline, f.text, f.image_url, f.cta),
  h('h3', t('ad.money')),
  h('div.form-grid', f.bid_kind, f.bid_micros, f.daily_budget_micros, f.lifetime_budget_micros),
  h('h3', t('ad.schedule')),
  h('div.form-grid', f.start, f.end),
  h('h3', t('ad.targeting')),
  placements,
  h('div.form-grid', f.countries, f.languages),
  errBox, h('div', submit));
}
