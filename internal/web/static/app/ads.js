// ads.js: the Sponsored card of the Updates tab (docs/ADS.md). The server
// gives every viewer of a placement the same candidate set, chosen from
// the placement, the app's language and the phone's country only; this
// module ranks it on the device (ads.Rank is the rule), keeps the
// frequency cap and what the person hid in this browser's storage, and
// never sends them anywhere. Personalisation is off until the person
// turns it on. Every card says why it was shown.

import { h, replace } from '../shared/view.js';

const KEY = 'parley.ads';

// prefs reads what the device keeps: hidden ads and advertisers, ads
// shown today, advertisers clicked, and the personalisation switch.
function prefs() {
  let p = {};
  try { p = JSON.parse(localStorage.getItem(KEY) || '{}'); } catch { p = {}; }
  const today = new Date().toISOString().slice(0, 10);
  if (p.day !== today) { p.day = today; p.shown = {}; }
  return Object.assign({ personalised: false, hiddenAds: [], hiddenAdvertisers: [], clicked: [], shown: {} }, p);
}

function save(p) { localStorage.setItem(KEY, JSON.stringify(p)); }

// rank drops hidden and capped ads; with personalisation on it puts ads of
// advertisers clicked before first. The auction's order stands otherwise.
export function rank(ads, p, cap) {
  let out = ads.filter((a) => !p.hiddenAds.includes(a.campaign_id) && !p.hiddenAdvertisers.includes(a.advertiser_id) &&
    (!cap || (p.shown[a.campaign_id] || 0) < cap));
  if (p.personalised) {
    out = out.slice().sort((a, b) => Number(!p.clicked.includes(a.advertiser_id)) - Number(!p.clicked.includes(b.advertiser_id)));
  }
  return out;
}

// sponsoredSlot returns the element of one placement's Sponsored card:
// empty when there is no ad (ads off, premium, nothing eligible, all hidden).
export function sponsoredSlot(core, placement) {
  const el = h('div.sponsored-slot', { 'aria-live': 'polite' });
  let set = null;
  const render = () => {
    if (!set) return replace(el);
    const p = prefs();
    const ad = rank(set.ads, p, set.frequency_cap)[0];
    if (!ad) return replace(el);
    p.shown[ad.campaign_id] = (p.shown[ad.campaign_id] || 0) + 1;
    save(p);
    core.api.request('POST', '/v1/ads/events', { token: ad.token, kind: 'impression' }).catch(() => {});
    let why = ad.why.text;
    if (p.personalised) why += ' Your device ranked it with what it knows; that stays on this device.';
    const update = (fn) => { const q = prefs(); fn(q); save(q); render(); };
    replace(el, h('section.sponsored', { 'aria-label': 'Sponsored', dataset: { campaign: ad.campaign_id } },
      h('div.row', h('span.sponsored-label', ad.label), h('span.grow.muted', ' · ' + ad.advertiser)),
      h('strong.sponsored-headline', ad.creative.headline),
      ad.creative.text ? h('p.sponsored-text', ad.creative.text) : null,
      h('details.ad-why', h('summary', 'Why this ad'), h('p.ad-why-text', why)),
      h('div.row.ad-actions',
        h('button.btn.ad-open', { type: 'button', onclick: () => open(core, ad) }, ctaText(ad.creative.cta)),
        h('button.btn.ad-hide', { type: 'button', onclick: () => update((q) => q.hiddenAds.push(ad.campaign_id)) }, 'Hide ad'),
        h('button.btn.ad-hide-advertiser', { type: 'button', onclick: () => update((q) => q.hiddenAdvertisers.push(ad.advertiser_id)) }, 'Hide advertiser')),
      h('label.ad-personalise-row', h('input#ad-personalise', { type: 'checkbox', checked: p.personalised,
        onchange: (e) => update((q) => { q.personalised = e.target.checked; }) }),
      ' Personalise ads on this device (nothing leaves it)')));
  };
  const load = async () => {
    try {
      const lang = (navigator.language || 'en').slice(0, 2).toLowerCase();
      set = await core.api.request('GET', `/v1/ads?placement=${encodeURIComponent(placement)}&lang=${encodeURIComponent(lang)}`);
    } catch { set = null; } // ads off on this server, or nonprofit: no card
    render();
  };
  load();
  return el;
}

function ctaText(cta) {
  return { chat: 'Chat', follow: 'Follow', open: 'Open', learn_more: 'Learn more', shop: 'Shop' }[cta] || 'Open';
}

async function open(core, ad) {
  try {
    const r = await core.api.request('POST', '/v1/ads/events', { token: ad.token, kind: 'click' });
    const p = prefs();
    if (!p.clicked.includes(ad.advertiser_id)) { p.clicked.push(ad.advertiser_id); save(p); }
    if (r.channel_id) location.hash = '#/channel/' + r.channel_id;
    else if (r.chat_url) location.href = r.chat_url;
    else if (r.url) window.open(r.url, '_blank', 'noopener');
  } catch { /* a stale token: the next load brings a new set */ }
}
