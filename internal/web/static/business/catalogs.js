// catalogs.js: the business console's Catalogs section: the catalogs the
// business owns and which one is connected to its account, a new catalog,
// connecting or deleting one, and the products of the catalog in view:
// add, edit (name, price, currency, image URL, availability) and delete.
// Every call is the Cloud API's (GET/POST /{waba}/owned_product_catalogs,
// GET/POST /{waba}/product_catalogs, DELETE /{catalog-id},
// GET/POST /{catalog-id}/products, POST and DELETE /{product-id};
// docs/CLOUD-API-ENDPOINTS.md, "Catalogs").

import { toast } from '../shared/view.js';
import { h, card, table, field, select, tag, action } from '../shared/console.js';

export const AVAILABILITIES = ['in stock', 'out of stock', 'preorder', 'available for order', 'discontinued'];

// minorDigits mirrors billing.MinorDigits: the decimals of a currency's
// minor unit, in which the API takes a price.
export function minorDigits(currency) {
  const c = String(currency || '').toUpperCase();
  if (['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF', 'PYG', 'RWF', 'KMF', 'GNF', 'DJF', 'VUV', 'XPF', 'BIF'].includes(c)) return 0;
  if (['BHD', 'KWD', 'OMR', 'TND', 'JOD', 'IQD', 'LYD'].includes(c)) return 3;
  return 2;
}

// toMinor turns a decimal price typed in the major unit ("12.5") into
// minor units (1250), exactly; null if it is not a price.
export function toMinor(text, currency) {
  const d = minorDigits(currency);
  const m = /^\s*(\d{1,12})(?:[.,](\d*))?\s*$/.exec(String(text || ''));
  if (!m || (m[2] || '').length > d) return null;
  return Number(m[1]) * 10 ** d + Number(((m[2] || '') + '0'.repeat(d)).slice(0, d) || '0');
}

const hostOf = (u) => { try { return new URL(u).host; } catch { return u; } };

let openCatalog = null; // the catalog whose products show
let editing = null; // the product being edited

export async function catalogs(ctx, api, t, refresh) {
  const connected = ((await api.get('/' + ctx.waba + '/product_catalogs')).data || [])[0] || {};
  const owned = (await api.get('/' + ctx.waba + '/owned_product_catalogs?limit=100')).data || [];
  if (!owned.some((c) => c.id === openCatalog)) openCatalog = connected.id || (owned[0] && owned[0].id);
  const open = owned.find((c) => c.id === openCatalog);

  const name = h('input#pc-name', { type: 'text', maxlength: 200, autocomplete: 'off' });
  const create = h('button.btn.primary#pc-create', { type: 'submit' }, t('pc.create'));
  const newCatalog = h('form.card.stack#pc-new', {
    onsubmit: (e) => {
      e.preventDefault();
      action(create, async () => {
        const c = await api.post('/' + ctx.waba + '/owned_product_catalogs', { name: name.value });
        openCatalog = c.id;
        editing = null;
        toast(t('pc.created', { name: name.value }));
        refresh();
      }, t).catch(() => {});
    },
  }, h('h2', t('pc.new')), field(t('pc.name'), name), h('div', create));

  const act = (label, fn) => (e) => action(e.currentTarget, async () => { await fn(); toast(label); refresh(); }, t).catch(() => {});
  const list = card(t('pc.list'), h('p.muted.hint', t('pc.help')), table([
    { label: t('pc.name'), cell: (c) => h('span', c.name, ' ', h('code.muted', c.id)) },
    { label: t('pc.state'), cell: (c) => (c.id === connected.id ? tag('approved', t('pc.connected')) : tag('paused', t('pc.owned'))) },
    { label: t('wh.actions'), cell: (c) => h('div.actions',
      h('button.btn', { type: 'button', class: 'pc-open', 'aria-label': t('pc.openname', { name: c.name }),
        onclick: () => { openCatalog = c.id; editing = null; refresh(); } }, t('pc.open')),
      c.id === connected.id ? null : h('button.btn', { type: 'button', class: 'pc-connect', 'aria-label': t('pc.connectname', { name: c.name }),
        onclick: act(t('pc.connectedto', { name: c.name }), () => api.post('/' + ctx.waba + '/product_catalogs', { catalog_id: c.id })) }, t('pc.connect')),
      c.id === connected.id ? null : h('button.btn', { type: 'button', class: 'pc-delete', 'aria-label': t('pc.deletename', { name: c.name }),
        onclick: act(t('pc.deleted', { name: c.name }), () => api.del('/' + c.id)) }, t('pc.delete'))) },
  ], owned, { caption: t('pc.list'), empty: t('pc.none'), rowClass: (c) => 'pc-' + c.id }));

  const parts = [list];
  if (open) parts.push(await products(api, t, open, refresh));
  parts.push(newCatalog);
  return h('div.stack', parts);
}

async function products(api, t, c, refresh) {
  const ps = (await api.get('/' + c.id + '/products?limit=200')).data || [];
  const p = ps.find((x) => x.id === editing) || null;
  const el = {
    retailer: h('input#pp-retailer', { type: 'text', maxlength: 100, autocomplete: 'off', value: p ? p.retailer_id : '' }),
    name: h('input#pp-name', { type: 'text', maxlength: 200, value: p ? p.name : '' }),
    price: h('input#pp-price', { type: 'text', inputmode: 'decimal', placeholder: '12.99', value: p ? p.price : '' }),
    currency: h('input#pp-currency', { type: 'text', maxlength: 3, placeholder: 'USD', value: p ? p.currency : 'USD' }),
    image: h('input#pp-image', { type: 'url', placeholder: 'https://', value: p ? p.image_url || '' : '' }),
    availability: select(AVAILABILITIES.map((a) => [a, t('pc.av.' + a.replace(/ /g, '_'))]), p ? p.availability : 'in stock', { id: 'pp-availability' }),
  };
  const priceField = field(t('pc.price'), el.price, { hint: t('pc.pricehint') });
  const save = h('button.btn.primary#pp-save', { type: 'submit' }, p ? t('c.save') : t('pc.add'));
  const form = h('form.stack#pp-form', {
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      const cur = el.currency.value.trim().toUpperCase();
      const minor = toMinor(el.price.value, cur);
      priceField.setError(minor === null ? t('pc.badprice', { n: minorDigits(cur) }) : '');
      if (minor === null) return;
      const body = { retailer_id: el.retailer.value, name: el.name.value, price: minor, currency: cur,
        image_url: el.image.value, availability: el.availability.value };
      action(save, async () => {
        if (p) await api.post('/' + p.id, body);
        else await api.post('/' + c.id + '/products', body);
        toast(p ? t('pc.saved', { name: body.name }) : t('pc.added', { name: body.name }));
        editing = null;
        refresh();
      }, t).catch(() => {});
    },
  }, h('h3', p ? t('pc.editof', { name: p.name }) : t('pc.newproduct')),
  h('div.form-grid', field(t('pc.retailer'), el.retailer, { hint: t('pc.retailerhint') }), field(t('pc.pname'), el.name),
    priceField, field(t('pc.currency'), el.currency), field(t('pc.image'), el.image), field(t('pc.availability'), el.availability)),
  h('div.row', save, p ? h('button.btn', { type: 'button', onclick: () => { editing = null; refresh(); } }, t('pc.cancel')) : null));

  const del = (x) => (e) => action(e.currentTarget, async () => {
    await api.del('/' + x.id);
    toast(t('pc.removed', { name: x.name }));
    if (editing === x.id) editing = null;
    refresh();
  }, t).catch(() => {});
  return h('section.card.stack#pc-products', h('h2', t('pc.productsof', { name: c.name })),
    table([
      { label: t('pc.retailer'), cell: (x) => h('code', x.retailer_id) },
      // The console's CSP shows no outside images: the image is a link.
      { label: t('pc.pname'), cell: (x) => h('span.stack', x.name, x.image_url ? h('a.muted.hint', { href: x.image_url, target: '_blank', rel: 'noopener noreferrer' }, hostOf(x.image_url)) : null) },
      { label: t('pc.price'), cell: (x) => x.price + ' ' + x.currency },
      { label: t('pc.availability'), cell: (x) => t('pc.av.' + x.availability.replace(/ /g, '_')) },
      { label: t('wh.actions'), cell: (x) => h('div.actions',
        h('button.btn', { type: 'button', class: 'pp-edit', 'aria-label': t('pc.editname', { name: x.name }), onclick: () => { editing = x.id; refresh(); } }, t('pc.edit')),
        h('button.btn', { type: 'button', class: 'pp-delete', 'aria-label': t('pc.removename', { name: x.name }), onclick: del(x) }, t('pc.remove'))) },
    ], ps, { caption: t('pc.productsof', { name: c.name }), empty: t('pc.noproducts'), rowClass: (x) => 'pp-' + x.retailer_id.replace(/[^A-Za-z0-9_-]/g, '_') }),
    form);
}
