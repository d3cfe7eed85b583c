// adreview.js: the operator console's Ad review section: the campaigns
// waiting for review, oldest first, with their creatives, targeting, bid
// and budgets, and the decision on each: approve, or reject with the
// reasons the advertiser will read (GET /admin/v1/ads/review,
// POST /admin/v1/ads/campaigns/{id}/review with {approve, reasons};
// docs/ADS.md).

import { toast } from '../shared/view.js';
import { h, card, table, field, action, errorMessage, when } from '../shared/console.js';
import { format } from '../shared/money.js';

export async function adReview(ctx, api, t, refresh) {
  let queue;
  try {
    queue = (await api.get('/admin/v1/ads/review?limit=200')).campaigns || [];
  } catch (err) {
    return h('p.notice.bad#ar-off', { role: 'alert' }, t('ar.unavailable', { msg: errorMessage(err) }));
  }
  const money = (c, v) => format(v || 0, c.currency, document.documentElement.lang || undefined);
  const creative = (c) => h('div.stack', (c.creatives || []).map((x) => h('div',
    h('strong', x.headline), ' ', h('span', x.text || ''), ' ', h('span.muted', '[' + x.cta + ']'),
    x.image_url ? h('div', h('a', { href: x.image_url, target: '_blank', rel: 'noopener noreferrer' }, x.image_url)) : null)));
  const dest = (c) => c.link_code ? '/c/' + c.link_code : c.channel_id ? t('ar.channel', { id: String(c.channel_id) }) : c.url || '—';
  const targeting = (c) => {
    const tg = c.targeting || {};
    const any = t('ar.any');
    return h('div.stack',
      h('span', t('ar.placements') + ': ' + ((tg.placements || []).join(', ') || any)),
      h('span', t('ar.countries') + ': ' + ((tg.countries || []).join(', ') || any)),
      h('span', t('ar.languages') + ': ' + ((tg.languages || []).join(', ') || any)));
  };
  const decide = (c) => {
    const reason = h('input', { type: 'text', id: 'ar-reason-' + c.id, maxlength: 500 });
    const reasonField = field(t('ar.reason'), reason, { hint: t('ar.reasonhint') });
    const send = (approve) => (e) => {
      const reasons = reason.value.split(';').map((s) => s.trim()).filter(Boolean);
      if (!approve && !reasons.length) {
        reasonField.setError(t('ar.needreason'));
        reason.focus();
        return;
      }
      reasonField.setError('');
      action(e.currentTarget, async () => {
        await api.post(`/admin/v1/ads/campaigns/${c.id}/review`, approve ? { approve: true } : { approve: false, reasons });
        toast(t(approve ? 'ar.approved' : 'ar.rejected', { name: c.name }));
        refresh();
      }, t).catch((err) => reasonField.setError(errorMessage(err)));
    };
    return h('div.stack',
      h('div.actions',
        h('button.btn.primary', { type: 'button', id: 'ar-approve-' + c.id, 'aria-label': t('ar.approvename', { name: c.name }), onclick: send(true) }, t('ar.approve')),
        h('button.btn', { type: 'button', id: 'ar-reject-' + c.id, 'aria-label': t('ar.rejectname', { name: c.name }), onclick: send(false) }, t('ar.reject'))),
      reasonField);
  };
  return h('div.stack', card(t('ar.queue'), h('p.muted', t('ar.help')), table([
    { label: '#', cell: (c) => String(c.id) },
    { label: t('ar.advertiser'), cell: (c) => c.advertiser || '—' },
    { label: t('ar.name'), cell: (c) => c.name },
    { label: t('ar.objective'), cell: (c) => c.objective + ' → ' + dest(c) },
    { label: t('ar.creative'), cell: creative },
    { label: t('ar.targeting'), cell: targeting },
    { label: t('ar.money'), cell: (c) => h('div.stack', h('span', money(c, c.bid_micros) + ' ' + c.bid_kind.toUpperCase()),
      h('span', t('ar.budgets', { daily: money(c, c.daily_budget_micros), lifetime: money(c, c.lifetime_budget_micros) }))) },
    { label: t('ar.schedule'), cell: (c) => when(c.start) + (c.end ? ' → ' + when(c.end) : '') },
    { label: t('ar.decision'), cell: decide },
  ], queue, { caption: t('ar.queue'), empty: t('ar.none'), rowClass: (c) => 'ar-' + c.id })));
}
