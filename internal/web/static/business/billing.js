// billing.js: the business console's Billing section: the wallet (balance,
// mode, top-up), budget caps per category, whether message answers carry
// prices, this month's spend by category, invoices with their HTML and PDF
// downloads, and the rated ledger as CSV (GET/PATCH /{waba}/billing,
// POST /{waba}/billing/top_ups, GET /{waba}/invoices, GET /{waba}/charges;
// docs/BILLING.md). Money is micro-units, summed in BigInt (money.js).

import { replace, toast } from '../shared/view.js';
import { h, card, table, field, tag, action, errorMessage, when } from '../shared/console.js';
import { format, parse, toJSON, micros, decimal } from '../shared/money.js';
import { hbars } from '../shared/charts.js';

const CATEGORIES = ['marketing', 'utility', 'authentication', 'service'];

export const billingDicts = {
  en: {
    'nav.billing': 'Billing',
    'bl.wallet': 'Wallet', 'bl.balance': 'Balance', 'bl.available': 'Available', 'bl.held': 'Held for messages in flight',
    'bl.creditlimit': 'Credit limit', 'bl.mode': 'Payment mode', 'bl.card': 'Rate card', 'bl.lowbalance': 'Low-balance alert below',
    'mode.invoice': 'Invoice', 'mode.prepaid': 'Prepaid', 'mode.credit': 'Credit line',
    'modehelp.invoice': 'You pay an invoice after each month.', 'modehelp.prepaid': 'Messages are paid from the wallet; top it up before it runs out.',
    'modehelp.credit': 'Messages are paid from the wallet, which may go below zero down to the credit limit.',
    'bl.low': 'Your available balance is below your alert threshold.',
    'bl.topup': 'Top up', 'bl.amount': 'Amount ({currency})', 'bl.method': 'Payment method', 'bl.methodhint': 'A saved card reference, such as pm_card_visa.',
    'bl.nolimit': 'No limit', 'bl.added': 'Added {amount}.',
    'bl.pay': 'Pay', 'bl.paid': 'Added {amount}. Balance: {balance}.', 'bl.badamount': 'Enter an amount above 0 with at most 6 decimals.',
    'bl.declined': 'The payment was declined: {msg}',
    'bl.settings': 'Budget and pricing', 'bl.caps': 'Monthly budget caps', 'bl.capshint': 'Sending stops in a category once its month’s spend reaches the cap. Leave empty for no cap.',
    'bl.nocap': 'no cap', 'bl.pricing': 'Show prices in message answers (pricing amounts)', 'bl.saved': 'Billing settings saved.',
    'bl.spend': 'This month’s spend ({period})', 'bl.spendtotal': 'Spent this month', 'bl.bycategory': 'Spend by category',
    'bl.category': 'Category', 'bl.cap': 'Cap', 'bl.spent': 'Spent', 'bl.export': 'Export this month’s charges (CSV)',
    'bl.invoices': 'Invoices', 'bl.noinvoices': 'No invoices yet: they are issued after each month ends.',
    'bl.invoice': 'Invoice', 'bl.period': 'Month', 'bl.status': 'Status', 'bl.total': 'Total', 'bl.credits': 'Credits', 'bl.issued': 'Issued',
    'bl.download': 'Download', 'bl.lines': 'Lines', 'bl.market': 'Market', 'bl.tier': 'Tier', 'bl.units': 'Units', 'bl.unitprice': 'Unit price',
    'bl.amountcol': 'Amount', 'bl.reason': 'Reason',
    'cat.marketing': 'Marketing', 'cat.utility': 'Utility', 'cat.authentication': 'Authentication', 'cat.service': 'Service',
    'cat.authentication_international': 'Authentication (international)',
  },
  fr: {
    'nav.billing': 'Facturation',
    'bl.wallet': 'Portefeuille', 'bl.balance': 'Solde', 'bl.available': 'Disponible', 'bl.held': 'Réservé pour les messages en cours',
    'bl.creditlimit': 'Plafond de crédit', 'bl.mode': 'Mode de paiement', 'bl.card': 'Grille tarifaire', 'bl.lowbalance': 'Alerte de solde bas sous',
    'mode.invoice': 'Facture', 'mode.prepaid': 'Prépayé', 'mode.credit': 'Ligne de crédit',
    'modehelp.invoice': 'Vous réglez une facture après chaque mois.', 'modehelp.prepaid': 'Les messages sont payés depuis le portefeuille ; rechargez-le avant qu’il soit vide.',
    'modehelp.credit': 'Les messages sont payés depuis le portefeuille, qui peut passer sous zéro jusqu’au plafond de crédit.',
    'bl.low': 'Votre solde disponible est sous votre seuil d’alerte.',
    'bl.topup': 'Recharger', 'bl.amount': 'Montant ({currency})', 'bl.method': 'Moyen de paiement', 'bl.methodhint': 'Une référence de carte enregistrée, par exemple pm_card_visa.',
    'bl.nolimit': 'Sans limite', 'bl.added': '{amount} ajoutés.',
    'bl.pay': 'Payer', 'bl.paid': '{amount} ajoutés. Solde : {balance}.', 'bl.badamount': 'Saisissez un montant supérieur à 0, avec au plus 6 décimales.',
    'bl.declined': 'Le paiement a été refusé : {msg}',
    'bl.settings': 'Budget et tarifs', 'bl.caps': 'Plafonds de dépense mensuels', 'bl.capshint': 'L’envoi s’arrête dans une catégorie dès que la dépense du mois atteint son plafond. Laissez vide pour aucun plafond.',
    'bl.nocap': 'aucun plafond', 'bl.pricing': 'Indiquer les prix dans les réponses aux envois (montants)', 'bl.saved': 'Réglages de facturation enregistrés.',
    'bl.spend': 'Dépenses du mois ({period})', 'bl.spendtotal': 'Dépensé ce mois-ci', 'bl.bycategory': 'Dépenses par catégorie',
    'bl.category': 'Catégorie', 'bl.cap': 'Plafond', 'bl.spent': 'Dépensé', 'bl.export': 'Exporter les frais du mois (CSV)',
    'bl.invoices': 'Factures', 'bl.noinvoices': 'Aucune facture pour l’instant : elles sont émises à la fin de chaque mois.',
    'bl.invoice': 'Facture', 'bl.period': 'Mois', 'bl.status': 'État', 'bl.total': 'Total', 'bl.credits': 'Avoirs', 'bl.issued': 'Émise le',
    'bl.download': 'Télécharger', 'bl.lines': 'Lignes', 'bl.market': 'Marché', 'bl.tier': 'Palier', 'bl.units': 'Unités', 'bl.unitprice': 'Prix unitaire',
    'bl.amountcol': 'Montant', 'bl.reason': 'Motif',
    'cat.marketing': 'Marketing', 'cat.utility': 'Service client', 'cat.authentication': 'Authentification', 'cat.service': 'Assistance',
    'cat.authentication_international': 'Authentification (international)',
  },
};

// download fetches path with the console's token and saves it as name: a
// plain link cannot carry the Authorization header. The link keeps the
// object URL afterwards (data-ready), so a second click saves it again.
export function downloadLink(api, path, name, label, props = {}) {
  const a = h('a.btn.download', { href: '#', 'data-path': path, ...props }, label);
  a.addEventListener('click', async (e) => {
    if (a.dataset.ready === 'true') return;
    e.preventDefault();
    try {
      const res = await api.get(path, { raw: true });
      const blob = await res.blob();
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.dataset.bytes = String(blob.size);
      a.dataset.type = blob.type;
      a.dataset.ready = 'true';
      a.click();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  });
  return a;
}

function catLabel(t, c) {
  const k = 'cat.' + c;
  const s = t(k);
  return s === k ? c : s;
}

export async function billing(ctx, api, t, refresh) {
  const lang = document.documentElement.lang || undefined;
  const [b, inv] = await Promise.all([api.get(`/${ctx.waba}/billing`), api.get(`/${ctx.waba}/invoices`)]);
  const cur = b.currency;
  const money = (v) => h('span.money', format(v, cur, lang));
  const fmt = (v) => format(v, cur, lang);

  // The wallet.
  // available_micros is null in invoice mode: there is no limit to spend against.
  const unlimited = b.available_micros === null || b.available_micros === undefined;
  const low = !unlimited && micros(b.low_balance_micros) > 0n && micros(b.available_micros) < micros(b.low_balance_micros);
  const wallet = h('section.card.stack#bl-wallet', h('h2', t('bl.wallet')),
    low ? h('p.notice#bl-low', { role: 'status' }, t('bl.low')) : null,
    h('div.figures',
      h('div.figure.card', h('span.muted', t('bl.balance')), h('strong#bl-balance', money(b.balance_micros))),
      h('div.figure.card', h('span.muted', t('bl.available')), h('strong#bl-available', unlimited ? t('bl.nolimit') : money(b.available_micros))),
      h('div.figure.card', h('span.muted', t('bl.held')), h('strong#bl-held', money(b.held_micros)))),
    h('dl.facts',
      h('dt', t('bl.mode')), h('dd#bl-mode', tag(b.mode, t('mode.' + b.mode)), ' ', h('span.muted', t('modehelp.' + b.mode))),
      micros(b.credit_limit_micros) > 0n || b.mode === 'credit' ? [h('dt', t('bl.creditlimit')), h('dd#bl-credit', money(b.credit_limit_micros))] : null,
      b.card ? [h('dt', t('bl.card')), h('dd#bl-card', h('code', b.card))] : null));

  // Top-up.
  const amount = h('input#bl-amount', { type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: '50.00' });
  const method = h('input#bl-method', { type: 'text', autocomplete: 'off', value: 'pm_card_visa' });
  const amountField = field(t('bl.amount', { currency: cur }), amount);
  const methodField = field(t('bl.method'), method, { hint: t('bl.methodhint') });
  const pay = h('button.btn.primary#bl-pay', { type: 'submit' }, t('bl.pay'));
  let key = crypto.randomUUID();
  const topup = h('form.card.stack#bl-topup', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      const v = parse(amount.value);
      amountField.setError(v === null || v <= 0n ? t('bl.badamount') : '');
      methodField.setError('');
      if (v === null || v <= 0n) return;
      pay.disabled = true;
      try {
        const r = await api.post(`/${ctx.waba}/billing/top_ups`, { amount_micros: toJSON(v), payment_method: method.value.trim(), idempotency_key: key });
        key = crypto.randomUUID();
        const done = r.balance_micros === undefined ? t('bl.added', { amount: fmt(r.amount_micros) })
          : t('bl.paid', { amount: fmt(r.amount_micros), balance: fmt(r.balance_micros) });
        toast(done);
        refresh();
      } catch (err) {
        if (String(err.code) === '131042') methodField.setError(t('bl.declined', { msg: errorMessage(err) }));
        else methodField.setError(t('c.error', { msg: errorMessage(err) }));
        key = crypto.randomUUID();
      } finally {
        pay.disabled = false;
      }
    },
  }, h('h2', t('bl.topup')), h('div.form-grid', amountField, methodField), h('div.row', pay));

  // Budget caps, pricing amounts, low-balance alert.
  const spend = b.spend || { by_category: {} };
  const caps = b.budget_caps || {};
  const cats = [...new Set([...CATEGORIES, ...Object.keys(caps), ...Object.keys(spend.by_category || {})])];
  const capInputs = new Map();
  const capFields = cats.map((c) => {
    const input = h('input', { id: 'bl-cap-' + c, type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: t('bl.nocap'),
      value: caps[c] === undefined || caps[c] === null ? '' : decimal(caps[c]) });
    capInputs.set(c, input);
    return field(catLabel(t, c), input);
  });
  const pricing = h('input#bl-pricing', { type: 'checkbox', checked: !!b.pricing_amounts });
  const lowInput = h('input#bl-lowbalance', { type: 'text', inputmode: 'decimal', autocomplete: 'off',
    value: micros(b.low_balance_micros) > 0n ? decimal(b.low_balance_micros) : '' });
  const lowField = field(t('bl.lowbalance') + ' (' + cur + ')', lowInput);
  const save = h('button.btn.primary#bl-save', { type: 'submit' }, t('c.save'));
  const settings = h('form.card.stack#bl-settings', {
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      const body = { budget_caps: {}, pricing_amounts: pricing.checked };
      let ok = true;
      cats.forEach((c, i) => {
        const text = capInputs.get(c).value.trim();
        const v = text === '' ? null : parse(text);
        const bad = text !== '' && (v === null || v < 0n);
        capFields[i].setError(bad ? t('bl.badamount') : '');
        if (bad) ok = false;
        const before = caps[c] === undefined ? null : caps[c];
        if (v === null && before !== null) body.budget_caps[c] = null;
        else if (v !== null && (before === null || micros(before) !== v)) body.budget_caps[c] = toJSON(v);
      });
      const lowText = lowInput.value.trim();
      const lv = lowText === '' ? 0n : parse(lowText);
      lowField.setError(lv === null || lv < 0n ? t('bl.badamount') : '');
      if (lv === null || lv < 0n) ok = false;
      if (!ok) return;
      body.low_balance_micros = toJSON(lv);
      action(save, async () => {
        await api.patch(`/${ctx.waba}/billing`, body);
        toast(t('bl.saved'));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('bl.settings')),
  h('fieldset.stack', h('legend', t('bl.caps')), h('p.muted.hint', t('bl.capshint')), h('div.form-grid', capFields)),
  h('label.row', pricing, h('span', t('bl.pricing'))),
  h('div.form-grid', lowField),
  h('div', save));

  // This month's spend.
  const rows = Object.entries(spend.by_category || {}).map(([c, v]) => ({ key: c, label: catLabel(t, c), value: micros(v) }))
    .sort((x, y) => (y.value > x.value ? 1 : y.value < x.value ? -1 : 0));
  const period = spend.period || '';
  const spendCard = h('section.card.stack#bl-spend', h('h2', t('bl.spend', { period })),
    h('div.figures', h('div.figure.card', h('span.muted', t('bl.spendtotal')), h('strong#bl-spend-total', money(spend.total_micros)))),
    rows.length ? hbars(t('bl.bycategory'), rows, fmt, { id: 'bl-spend-chart' }) : null,
    table([
      { label: t('bl.category'), cell: (r) => r.label },
      { label: t('bl.spent'), cell: (r) => money(r.value) },
      { label: t('bl.cap'), cell: (r) => (caps[r.key] === undefined || caps[r.key] === null ? h('span.muted', t('bl.nocap')) : money(caps[r.key])) },
    ], rows, { caption: t('bl.bycategory'), empty: t('c.empty'), rowClass: (r) => 'spend-' + r.key }),
    h('p', downloadLink(api, `/${ctx.waba}/charges?period=${encodeURIComponent(period)}&format=csv`, `charges-${period}.csv`, t('bl.export'), { id: 'bl-csv' })));

  // Invoices.
  const invoices = inv.data || [];
  const invCard = card(t('bl.invoices'), table([
    { label: t('bl.invoice'), cell: (x) => h('code', x.id) },
    { label: t('bl.period'), cell: (x) => x.period },
    { label: t('bl.status'), cell: (x) => tag(x.status) },
    { label: t('bl.total'), cell: (x) => h('span.money', format(x.total_micros, x.currency, lang)) },
    { label: t('bl.credits'), cell: (x) => (micros(x.credits_micros) ? h('span.money', format(x.credits_micros, x.currency, lang)) : '—') },
    { label: t('bl.issued'), cell: (x) => when(x.issued_at, lang) },
    { label: t('bl.download'), cell: (x) => h('span.actions',
      downloadLink(api, `/${ctx.waba}/invoices/${encodeURIComponent(x.id)}?format=html`, `invoice-${x.id}.html`, 'HTML', { 'aria-label': `${t('bl.invoice')} ${x.id} HTML`, 'data-invoice': x.id, 'data-format': 'html' }),
      downloadLink(api, `/${ctx.waba}/invoices/${encodeURIComponent(x.id)}?format=pdf`, `invoice-${x.id}.pdf`, 'PDF', { 'aria-label': `${t('bl.invoice')} ${x.id} PDF`, 'data-invoice': x.id, 'data-format': 'pdf' })) },
  ], invoices, { caption: t('bl.invoices'), empty: t('bl.noinvoices'), rowClass: (x) => 'invoice-' + x.id }));
  invCard.id = 'bl-invoices';

  return h('div.stack', h('div.grid-2', wallet, topup), spendCard, settings, invCard);
}
