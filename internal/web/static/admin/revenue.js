// revenue.js: the operator console's Revenue section: the revenue dashboard
// (over time by revenue model, by category, by market, top businesses),
// rate cards (list, view, upload with the server's line error), the invoice
// run for a month, and the what-if simulator (/admin/v1/billing/...,
// docs/BILLING.md, docs/REVENUE-MODELS.md). Money is micro-units, summed in
// BigInt (money.js); charts are SVG built with DOM APIs (charts.js).

import { replace, toast } from '../shared/view.js';
import { h, card, table, field, select, tag, action, errorMessage, when } from '../shared/console.js';
import { format, micros, decimal, parse, toJSON } from '../shared/money.js';
import { stackedBars, hbars, pairedBars } from '../shared/charts.js';

const MODELS = ['business_messaging', 'channel_subscriptions', 'channel_promotions', 'premium', 'donations'];

export const revenueDicts = {
  en: {
    'nav.revenue': 'Revenue',
    'rv.dashboard': 'Revenue dashboard', 'rv.from': 'From', 'rv.to': 'To', 'rv.show': 'Show', 'rv.total': 'Revenue {from} – {to}',
    'rv.overtime': 'Revenue by month and model', 'rv.bycategory': 'Business messaging by category', 'rv.bymarket': 'By market',
    'rv.top': 'Top businesses', 'rv.business': 'Business', 'rv.amount': 'Revenue', 'rv.month': 'Month', 'rv.model': 'Model',
    'model.business_messaging': 'Business messaging', 'model.channel_subscriptions': 'Channel subscriptions',
    'model.channel_promotions': 'Channel promotions', 'model.premium': 'Premium', 'model.donations': 'Donations',
    'rv.cards': 'Rate cards', 'rv.name': 'Name', 'rv.version': 'Version', 'rv.regime': 'Regime', 'rv.currency': 'Currency',
    'rv.effective': 'Effective', 'rv.source': 'Source', 'src.builtin': 'built in', 'src.operator': 'uploaded', 'rv.view': 'View',
    'rv.viewing': 'Rate card {name} v{version}', 'rv.upload': 'Upload a rate card', 'rv.cardtext': 'Card (text)',
    'rv.cardhint': 'One card version in the line format of docs/BILLING.md; an error names its line.', 'rv.uploadbtn': 'Upload',
    'rv.uploaded': 'Rate card {name} v{version} uploaded.',
    'rv.run': 'Invoice run', 'rv.runperiod': 'Month to invoice', 'rv.runbtn': 'Issue invoices',
    'rv.ran': 'Invoices issued: {invoices} for {period}, {total} in all ({ms} ms).', 'rv.invoices': 'Invoices for {period}',
    'rv.noinvoices': 'No invoices for this month.', 'rv.invoice': 'Invoice', 'rv.status': 'Status', 'rv.issued': 'Issued',
    'rv.sim': 'What-if simulator', 'rv.simmodel': 'Alternative rate card', 'rv.simbtn': 'Simulate', 'rv.base': 'Today',
    'rv.alt': 'Alternative', 'rv.change': 'Change', 'rv.category': 'Category', 'rv.simtotal': 'Total',
    'rv.simchart': 'Revenue by category: today and the alternative', 'rv.deltas': 'Businesses that would pay more or less',
    'rv.nodeltas': 'No business would pay a different amount.', 'rv.badmonth': 'Choose a month.',
    'rv.badamount': 'Enter an amount of 0 or more with at most 6 decimals.',
    'bb.title': 'Billing', 'bb.mode': 'Payment mode', 'bb.mode.invoice': 'Invoice', 'bb.mode.prepaid': 'Prepaid',
    'bb.mode.credit': 'Credit line', 'bb.credit': 'Credit limit', 'bb.card': 'Rate card', 'bb.nolimit': 'no limit',
    'bb.figures': 'Balance {balance} · available {available} · spent this month {spend}',
  },
  fr: {
    'nav.revenue': 'Recettes',
    'rv.dashboard': 'Tableau des recettes', 'rv.from': 'Du', 'rv.to': 'Au', 'rv.show': 'Afficher', 'rv.total': 'Recettes {from} – {to}',
    'rv.overtime': 'Recettes par mois et par modèle', 'rv.bycategory': 'Messagerie d’entreprise par catégorie', 'rv.bymarket': 'Par marché',
    'rv.top': 'Principales entreprises', 'rv.business': 'Entreprise', 'rv.amount': 'Recettes', 'rv.month': 'Mois', 'rv.model': 'Modèle',
    'model.business_messaging': 'Messagerie d’entreprise', 'model.channel_subscriptions': 'Abonnements aux chaînes',
    'model.channel_promotions': 'Promotion de chaînes', 'model.premium': 'Premium', 'model.donations': 'Dons',
    'rv.cards': 'Grilles tarifaires', 'rv.name': 'Nom', 'rv.version': 'Version', 'rv.regime': 'Régime', 'rv.currency': 'Devise',
    'rv.effective': 'En vigueur le', 'rv.source': 'Origine', 'src.builtin': 'intégrée', 'src.operator': 'téléversée', 'rv.view': 'Voir',
    'rv.viewing': 'Grille {name} v{version}', 'rv.upload': 'Téléverser une grille tarifaire', 'rv.cardtext': 'Grille (texte)',
    'rv.cardhint': 'Une version de grille au format ligne de docs/BILLING.md ; une erreur indique sa ligne.', 'rv.uploadbtn': 'Téléverser',
    'rv.uploaded': 'Grille {name} v{version} téléversée.',
    'rv.run': 'Facturation du mois', 'rv.runperiod': 'Mois à facturer', 'rv.runbtn': 'Émettre les factures',
    'rv.ran': 'Factures émises : {invoices} pour {period}, {total} au total ({ms} ms).', 'rv.invoices': 'Factures de {period}',
    'rv.noinvoices': 'Aucune facture pour ce mois.', 'rv.invoice': 'Facture', 'rv.status': 'État', 'rv.issued': 'Émise le',
    'rv.sim': 'Simulateur « et si »', 'rv.simmodel': 'Autre grille tarifaire', 'rv.simbtn': 'Simuler', 'rv.base': 'Aujourd’hui',
    'rv.alt': 'Alternative', 'rv.change': 'Écart', 'rv.category': 'Catégorie', 'rv.simtotal': 'Total',
    'rv.simchart': 'Recettes par catégorie : aujourd’hui et l’alternative', 'rv.deltas': 'Entreprises qui paieraient plus ou moins',
    'rv.nodeltas': 'Aucune entreprise ne paierait un montant différent.', 'rv.badmonth': 'Choisissez un mois.',
    'rv.badamount': 'Saisissez un montant positif ou nul, avec au plus 6 décimales.',
    'bb.title': 'Facturation', 'bb.mode': 'Mode de paiement', 'bb.mode.invoice': 'Facture', 'bb.mode.prepaid': 'Prépayé',
    'bb.mode.credit': 'Ligne de crédit', 'bb.credit': 'Plafond de crédit', 'bb.card': 'Grille tarifaire', 'bb.nolimit': 'sans limite',
    'bb.figures': 'Solde {balance} · disponible {available} · dépensé ce mois-ci {spend}',
  },
};

function month(d) {
  return d.toISOString().slice(0, 7);
}

function monthsBack(n) {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - n);
  return month(d);
}

// What the section remembers between renders (it re-renders after each
// action): the dashboard's range, the card on view, the last run and the
// last simulation.
const state = { from: monthsBack(5), to: monthsBack(0), view: null, run: null, runPeriod: monthsBack(1), sim: null, simForm: null };

function byValue(obj) {
  return Object.entries(obj || {}).map(([k, v]) => ({ key: k, value: micros(v) }))
    .sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0));
}

export async function revenue(ctx, api, t, refresh) {
  const lang = document.documentElement.lang || undefined;
  const [dash, cards] = await Promise.all([
    api.get(`/admin/v1/billing/dashboard?from=${state.from}&to=${state.to}`),
    api.get('/admin/v1/billing/cards'),
  ]);
  const cur = dash.currency;
  const fmt = (v) => format(v, cur, lang);
  const money = (v, c) => h('span.money', format(v, c || cur, lang));
  const label = (k) => { const s = t('model.' + k); return s === 'model.' + k ? k : s; };

  // The dashboard.
  const from = h('input#rv-from', { type: 'month', value: state.from, required: true });
  const to = h('input#rv-to', { type: 'month', value: state.to, required: true });
  const range = h('form.row.wrap#rv-range', {
    onsubmit: (e) => {
      e.preventDefault();
      if (!from.value || !to.value) return;
      state.from = from.value;
      state.to = to.value;
      refresh();
    },
  }, field(t('rv.from'), from), field(t('rv.to'), to), h('button.btn#rv-show', { type: 'submit' }, t('rv.show')));
  const models = [...new Set([...MODELS, ...Object.keys(dash.by_model || {})])].map((k) => ({ key: k, label: label(k) }));
  const periods = (dash.by_period || []).map((p) => ({ label: p.period, values: p.by_model || {}, total: p.total_micros }));
  const cats = byValue(dash.by_category).map((r) => ({ ...r, label: r.key }));
  const markets = byValue(dash.by_market).slice(0, 10).map((r) => ({ ...r, label: r.key, series: 1 }));
  const top = (dash.top_businesses || []).map((b) => ({ ...b, label: b.name || '#' + b.business_id, value: micros(b.total_micros), series: 2 }));
  const dashboard = h('section.card.stack#rv-dashboard', h('h2', t('rv.dashboard')), range,
    h('div.figures',
      h('div.figure.card', h('span.muted', t('rv.total', { from: dash.from, to: dash.to })), h('strong#rv-total', money(dash.total_micros))),
      byValue(dash.by_model).slice(0, 3).map((m) => h('div.figure.card', { dataset: { model: m.key } }, h('span.muted', label(m.key)), h('strong', money(m.value))))),
    stackedBars(t('rv.overtime'), periods, models, fmt, { id: 'rv-chart-time' }),
    table([{ label: t('rv.month'), cell: (p) => p.label }, ...models.map((m) => ({ label: m.label, cell: (p) => money(p.values[m.key] || 0) })),
      { label: t('c.total'), cell: (p) => money(p.total) }], periods, { caption: t('rv.overtime'), rowClass: (p) => 'period-' + p.label }),
    h('div.grid-2',
      cats.length ? hbars(t('rv.bycategory'), cats, fmt, { id: 'rv-chart-category' }) : null,
      markets.length ? hbars(t('rv.bymarket'), markets, fmt, { id: 'rv-chart-market' }) : null),
    top.length ? hbars(t('rv.top'), top, fmt, { id: 'rv-chart-top' }) : null,
    table([
      { label: t('rv.business'), cell: (b) => b.label },
      { label: t('rv.amount'), cell: (b) => money(b.value) },
    ], top, { caption: t('rv.top'), empty: t('c.empty'), rowClass: (b) => 'top-' + b.business_id }));

  return h('div.stack', dashboard, cardsCard(api, t, cards.cards || [], refresh, lang), runCard(api, t, refresh, lang), simCard(api, t, cards.cards || [], refresh, lang));
}

// ---- Rate cards -------------------------------------------------------------

function cardsCard(api, t, cards, refresh, lang) {
  const viewer = h('div#rv-card-view');
  const show = async (c, btn) => {
    await action(btn, async () => {
      const text = await api.get(`/admin/v1/billing/cards/${encodeURIComponent(c.name)}/${c.version}`, { headers: { Accept: 'text/plain' } });
      state.view = { name: c.name, version: c.version, text: typeof text === 'string' ? text : JSON.stringify(text, null, 2) };
      renderViewer();
    }, t).catch(() => {});
  };
  const renderViewer = () => {
    if (!state.view) return replace(viewer);
    replace(viewer, h('h3', t('rv.viewing', state.view)), h('pre.card-text', { tabindex: '0' }, state.view.text));
  };
  renderViewer();
  const text = h('textarea.code#rv-card-text', { rows: 10, spellcheck: 'false', autocomplete: 'off' });
  const textField = field(t('rv.cardtext'), text, { hint: t('rv.cardhint') });
  const btn = h('button.btn.primary#rv-upload', { type: 'submit' }, t('rv.uploadbtn'));
  const upload = h('form.stack#rv-upload-form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      textField.setError('');
      btn.disabled = true;
      try {
        const c = await api.post('/admin/v1/billing/cards', new Blob([text.value], { type: 'text/plain' }));
        toast(t('rv.uploaded', c));
        state.view = null;
        refresh();
      } catch (err) {
        textField.setError(errorMessage(err));
        const line = Number((err.details || {}).line);
        if (line > 0) selectLine(text, line);
      } finally {
        btn.disabled = false;
      }
    },
  }, h('h3', t('rv.upload')), textField, h('div', btn));
  const list = table([
    { label: t('rv.name'), cell: (c) => h('code', c.name) },
    { label: t('rv.version'), cell: (c) => String(c.version) },
    { label: t('rv.regime'), cell: (c) => c.regime },
    { label: t('rv.currency'), cell: (c) => c.currency },
    { label: t('rv.effective'), cell: (c) => (c.effective || '').slice(0, 10) },
    { label: t('rv.source'), cell: (c) => tag(c.source, t('src.' + c.source)) },
    { label: '', cell: (c) => h('button.btn', { type: 'button', 'aria-label': `${t('rv.view')} ${c.name} v${c.version}`, onclick: (e) => show(c, e.currentTarget) }, t('rv.view')) },
  ], cards, { caption: t('rv.cards'), empty: t('c.empty'), rowClass: (c) => 'card-' + c.name + '-v' + c.version });
  const el = card(t('rv.cards'), list, viewer, upload);
  el.id = 'rv-cards';
  return el;
}

// selectLine puts the caret on line n (1-based) of a textarea.
function selectLine(ta, n) {
  const lines = ta.value.split('\n');
  let start = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[n - 1] || '').length;
  ta.focus();
  ta.setSelectionRange(start, end);
}

// ---- Invoice run ---------------------------------------------------------------

function runCard(api, t, refresh, lang) {
  const period = h('input#rv-run-period', { type: 'month', value: state.runPeriod, required: true });
  const periodField = field(t('rv.runperiod'), period);
  const btn = h('button.btn.primary#rv-run', { type: 'submit' }, t('rv.runbtn'));
  const out = h('div.stack#rv-run-result', { 'aria-live': 'polite' });
  const showInvoices = async (p) => {
    const list = (await api.get(`/admin/v1/billing/invoices?period=${p}`)).data || [];
    replace(out, state.run ? h('p.notice.good#rv-ran', t('rv.ran', state.run)) : null,
      h('h3', t('rv.invoices', { period: p })),
      table([
        { label: t('rv.invoice'), cell: (x) => h('code', x.id) },
        { label: t('rv.business'), cell: (x) => x.business_name || (x.business_id ? '#' + x.business_id : '') },
        { label: t('rv.status'), cell: (x) => tag(x.status) },
        { label: t('c.total'), cell: (x) => h('span.money', format(x.total_micros, x.currency, lang)) },
        { label: t('rv.issued'), cell: (x) => when(x.issued_at, lang) },
      ], list, { caption: t('rv.invoices', { period: p }), empty: t('rv.noinvoices'), rowClass: (x) => 'invoice-' + x.id }));
  };
  const form = h('form.stack#rv-run-form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      periodField.setError(period.value ? '' : t('rv.badmonth'));
      if (!period.value) return;
      state.runPeriod = period.value;
      btn.disabled = true;
      try {
        const r = await api.post('/admin/v1/billing/invoice_runs', { period: period.value });
        state.run = { period: r.period, invoices: r.invoices, total: format(r.total_micros, r.currency || 'USD', lang), ms: r.took_ms };
        await showInvoices(r.period);
      } catch (err) {
        state.run = null;
        periodField.setError(errorMessage(err));
        await showInvoices(period.value).catch(() => {});
      } finally {
        btn.disabled = false;
      }
    },
  }, h('div.row.wrap', periodField, h('div', btn)));
  if (state.run) showInvoices(state.runPeriod).catch(() => {});
  const el = card(t('rv.run'), form, out);
  el.id = 'rv-run-card';
  return el;
}

// ---- What-if simulator ------------------------------------------------------------

function simCard(api, t, cards, refresh, lang) {
  const f = state.simForm || { from: state.from, to: state.to, model: '' };
  const names = [...new Set(cards.map((c) => c.name))];
  const from = h('input#sim-from', { type: 'month', value: f.from, required: true });
  const to = h('input#sim-to', { type: 'month', value: f.to, required: true });
  const model = select(names.map((n) => [n, n]), f.model || names[names.length - 1], { id: 'sim-model' });
  const btn = h('button.btn.primary#sim-run', { type: 'submit' }, t('rv.simbtn'));
  const modelField = field(t('rv.simmodel'), model);
  const fromField = field(t('rv.from'), from);
  const toField = field(t('rv.to'), to);
  const out = h('div.stack#sim-result', { 'aria-live': 'polite' });
  const show = (r) => {
    const cur = r.currency || (r.base && r.base.currency) || 'USD';
    const fmt = (v) => format(v, cur, lang);
    const money = (v) => h('span.money', fmt(v));
    const changeCell = (v) => {
      const m = micros(v);
      return h('span.money', { class: m > 0n ? 'change-up' : m < 0n ? 'change-down' : '' }, (m > 0n ? '+' : '') + fmt(m));
    };
    const cats = [...new Set([...Object.keys(r.base.by_category || {}), ...Object.keys(r.alt.by_category || {})])];
    const rows = cats.map((c) => ({ label: c, a: micros(r.base.by_category[c]), b: micros(r.alt.by_category[c]) }))
      .sort((x, y) => (y.a > x.a ? 1 : y.a < x.a ? -1 : 0));
    rows.push({ label: t('rv.simtotal'), a: micros(r.base.total_micros), b: micros(r.alt.total_micros), total: true });
    replace(out,
      h('div.figures',
        h('div.figure.card', h('span.muted', t('rv.base') + (r.base.card ? ' · ' + r.base.card : '')), h('strong#sim-base', money(r.base.total_micros))),
        h('div.figure.card', h('span.muted', t('rv.alt') + (r.alt.card ? ' · ' + r.alt.card : '')), h('strong#sim-alt', money(r.alt.total_micros))),
        h('div.figure.card', h('span.muted', t('rv.change')), h('strong#sim-change', changeCell(micros(r.alt.total_micros) - micros(r.base.total_micros))))),
      r.note ? h('p.notice#sim-note', r.note) : null,
      pairedBars(t('rv.simchart'), rows.filter((x) => !x.total), [t('rv.base'), t('rv.alt')], fmt, { id: 'sim-chart' }),
      table([
        { label: t('rv.category'), cell: (x) => (x.total ? h('strong', x.label) : x.label) },
        { label: t('rv.base'), cell: (x) => money(x.a) },
        { label: t('rv.alt'), cell: (x) => money(x.b) },
        { label: t('rv.change'), cell: (x) => changeCell(x.b - x.a) },
      ], rows, { caption: t('rv.simchart'), rowClass: (x) => (x.total ? 'sim-total' : 'sim-' + x.label) }),
      h('h3', t('rv.deltas')),
      table([
        { label: t('rv.business'), cell: (d) => d.name || '#' + d.business_id },
        { label: t('rv.base'), cell: (d) => money(d.base_micros) },
        { label: t('rv.alt'), cell: (d) => money(d.alt_micros) },
        { label: t('rv.change'), cell: (d) => changeCell(d.change_micros) },
      ], (r.deltas || []).slice(0, 50), { caption: t('rv.deltas'), empty: t('rv.nodeltas'), rowClass: (d) => 'delta-' + d.business_id }));
  };
  const form = h('form.stack#sim-form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      state.simForm = { from: from.value, to: to.value, model: model.value };
      for (const f of [fromField, toField, modelField]) f.setError('');
      btn.disabled = true;
      try {
        state.sim = await api.post('/admin/v1/billing/simulate', { from: from.value, to: to.value, model: model.value });
        show(state.sim);
      } catch (err) {
        // The server names the field it refuses.
        const which = { from: fromField, to: toField }[(err.details || {}).field] || modelField;
        which.setError(errorMessage(err));
      } finally {
        btn.disabled = false;
      }
    },
  }, h('div.form-grid', fromField, toField, modelField), h('div', btn));
  if (state.sim) show(state.sim);
  const el = card(t('rv.sim'), form, out);
  el.id = 'rv-sim';
  return el;
}

// ---- A business's billing (in the business's detail) ----------------------------

// businessBilling is the operator's view of one business's billing: its
// balance, and its payment mode, credit limit and rate card to change
// (GET/PATCH /admin/v1/billing/businesses/{id}).
export async function businessBilling(api, t, bizID, refresh) {
  const lang = document.documentElement.lang || undefined;
  const [b, cards] = await Promise.all([api.get(`/admin/v1/billing/businesses/${bizID}`), api.get('/admin/v1/billing/cards')]);
  const names = [...new Set((cards.cards || []).map((c) => c.name))];
  if (b.card && !names.includes(b.card)) names.unshift(b.card);
  const mode = select(['invoice', 'prepaid', 'credit'].map((m) => [m, t('bb.mode.' + m)]), b.mode, { id: 'bb-mode' });
  const limit = h('input#bb-credit', { type: 'text', inputmode: 'decimal', autocomplete: 'off', value: decimal(b.credit_limit_micros) });
  const cardSel = select(names.map((n) => [n, n]), b.card, { id: 'bb-card' });
  const limitField = field(t('bb.credit') + ' (' + b.currency + ')', limit);
  const btn = h('button.btn.primary#bb-save', { type: 'submit' }, t('c.save'));
  const form = h('form.stack#bb-form', {
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      const v = parse(limit.value);
      limitField.setError(v === null || v < 0n ? t('rv.badamount') : '');
      if (v === null || v < 0n) return;
      const body = {};
      if (mode.value !== b.mode) body.mode = mode.value;
      if (v !== micros(b.credit_limit_micros)) body.credit_limit_micros = toJSON(v);
      if (cardSel.value && cardSel.value !== b.card) body.card = cardSel.value;
      action(btn, async () => {
        await api.patch(`/admin/v1/billing/businesses/${bizID}`, body);
        toast(t('c.saved'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('div.form-grid', field(t('bb.mode'), mode), limitField, field(t('bb.card'), cardSel)), h('div', btn));
  const available = b.available_micros === null || b.available_micros === undefined ? t('bb.nolimit') : format(b.available_micros, b.currency, lang);
  return h('div.stack#bb', h('h3', t('bb.title')),
    h('p.muted', t('bb.figures', { balance: format(b.balance_micros, b.currency, lang), available,
      spend: format((b.spend || {}).total_micros, b.currency, lang) })), form);
}
