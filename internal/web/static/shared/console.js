// console.js: the frame the business console (/business/) and the operator
// console (/admin/) share: sign-in with a bearer token kept in this tab's
// sessionStorage, a header with the language choice and sign-out, a
// navigation of sections (one per URL hash), and small building blocks
// (tables, form fields, status tags, bar charts) that render with classes
// only, as the Content-Security-Policy forbids inline styles.

import { h as vh, replace, toast } from './view.js';
import { API } from './api.js';
import { createI18n, langNames } from './i18n.js';

// h is view.js's h that also reads an id from the tag: 'input#token.wide'.
export function h(tag, props, ...children) {
  const m = /#([\w-]+)/.exec(tag);
  if (!m) return vh(tag, props, ...children);
  const el = vh(tag.replace(m[0], ''), props, ...children);
  el.id = m[1];
  return el;
}

// common are the strings both consoles use, in every language (they are
// few, so all load with the page); dicts exports them for the key test.
const common = {
  en: {
    'c.token': 'Access token', 'c.signin': 'Sign in', 'c.signout': 'Sign out', 'c.language': 'Language',
    'c.sections': 'Sections', 'c.loading': 'Loading…', 'c.empty': 'Nothing yet.', 'c.save': 'Save',
    'c.saved': 'Saved.', 'c.refresh': 'Refresh', 'c.error': 'Something went wrong: {msg}',
    'c.badtoken': 'This token was not accepted.', 'c.yes': 'yes', 'c.no': 'no', 'c.total': 'Total',
    'c.close': 'Close', 'c.menu': 'Menu',
    'c.disabled': 'This console is disabled: the server was started without an admin token, so no token can sign in. Restart it with --admin-token TOKEN (or the environment variable PARLEY_ADMIN_TOKEN), then sign in here with that token.',
  },
  fr: {
    'c.token': 'Jeton d’accès', 'c.signin': 'Se connecter', 'c.signout': 'Se déconnecter', 'c.language': 'Langue',
    'c.sections': 'Rubriques', 'c.loading': 'Chargement…', 'c.empty': 'Rien pour l’instant.', 'c.save': 'Enregistrer',
    'c.saved': 'Enregistré.', 'c.refresh': 'Actualiser', 'c.error': 'Une erreur est survenue : {msg}',
    'c.badtoken': 'Ce jeton n’a pas été accepté.', 'c.yes': 'oui', 'c.no': 'non', 'c.total': 'Total',
    'c.close': 'Fermer', 'c.menu': 'Menu',
    'c.disabled': 'Cette console est désactivée : le serveur a été démarré sans jeton d’administration, aucun jeton ne peut donc être accepté. Redémarrez-le avec --admin-token JETON (ou la variable d’environnement PARLEY_ADMIN_TOKEN), puis connectez-vous ici avec ce jeton.',
  },
  es: {
    'c.token': 'Token de acceso', 'c.signin': 'Iniciar sesión', 'c.signout': 'Cerrar sesión', 'c.language': 'Idioma',
    'c.sections': 'Secciones', 'c.loading': 'Cargando…', 'c.empty': 'Aún no hay nada.', 'c.save': 'Guardar',
    'c.saved': 'Guardado.', 'c.refresh': 'Actualizar', 'c.error': 'Algo salió mal: {msg}',
    'c.badtoken': 'No se aceptó este token.', 'c.yes': 'sí', 'c.no': 'no', 'c.total': 'Total',
    'c.close': 'Cerrar', 'c.menu': 'Menú',
    'c.disabled': 'Esta consola está desactivada: el servidor se inició sin token de administración, así que ningún token puede iniciar sesión. Reinícialo con --admin-token TOKEN (o la variable de entorno PARLEY_ADMIN_TOKEN) e inicia sesión aquí con ese token.',
  },
  'pt-BR': {
    'c.token': 'Token de acesso', 'c.signin': 'Entrar', 'c.signout': 'Sair', 'c.language': 'Idioma',
    'c.sections': 'Seções', 'c.loading': 'Carregando…', 'c.empty': 'Nada ainda.', 'c.save': 'Salvar',
    'c.saved': 'Salvo.', 'c.refresh': 'Atualizar', 'c.error': 'Algo deu errado: {msg}',
    'c.badtoken': 'Este token não foi aceito.', 'c.yes': 'sim', 'c.no': 'não', 'c.total': 'Total',
    'c.close': 'Fechar', 'c.menu': 'Menu',
    'c.disabled': 'Este console está desativado: o servidor foi iniciado sem token de administração, então nenhum token pode entrar. Reinicie-o com --admin-token TOKEN (ou a variável de ambiente PARLEY_ADMIN_TOKEN) e entre aqui com esse token.',
  },
  hi: {
    'c.token': 'ऐक्सेस टोकन', 'c.signin': 'साइन इन करें', 'c.signout': 'साइन आउट करें', 'c.language': 'भाषा',
    'c.sections': 'अनुभाग', 'c.loading': 'लोड हो रहा है…', 'c.empty': 'अभी कुछ नहीं।', 'c.save': 'सहेजें',
    'c.saved': 'सहेजा गया।', 'c.refresh': 'रीफ़्रेश करें', 'c.error': 'कुछ गड़बड़ हुई: {msg}',
    'c.badtoken': 'यह टोकन स्वीकार नहीं हुआ।', 'c.yes': 'हाँ', 'c.no': 'नहीं', 'c.total': 'कुल',
    'c.close': 'बंद करें', 'c.menu': 'मेन्यू',
    'c.disabled': 'यह कंसोल बंद है: सर्वर बिना एडमिन टोकन के शुरू हुआ, इसलिए कोई टोकन साइन इन नहीं कर सकता। इसे --admin-token TOKEN (या एनवायरनमेंट वेरिएबल PARLEY_ADMIN_TOKEN) के साथ फिर शुरू करें, फिर यहाँ उसी टोकन से साइन इन करें।',
  },
  ar: {
    'c.token': 'رمز الوصول', 'c.signin': 'تسجيل الدخول', 'c.signout': 'تسجيل الخروج', 'c.language': 'اللغة',
    'c.sections': 'الأقسام', 'c.loading': 'جارٍ التحميل…', 'c.empty': 'لا شيء بعد.', 'c.save': 'حفظ',
    'c.saved': 'تم الحفظ.', 'c.refresh': 'تحديث', 'c.error': 'حدث خطأ ما: {msg}',
    'c.badtoken': 'لم يُقبل هذا الرمز.', 'c.yes': 'نعم', 'c.no': 'لا', 'c.total': 'الإجمالي',
    'c.close': 'إغلاق', 'c.menu': 'القائمة',
    'c.disabled': 'هذه الوحدة معطّلة: بدأ الخادم دون رمز إدارة، لذا لا يمكن لأي رمز تسجيل الدخول. أعد تشغيله مع --admin-token TOKEN (أو متغير البيئة PARLEY_ADMIN_TOKEN)، ثم سجّل الدخول هنا بذلك الرمز.',
  },
};

export { common as dicts };

// errorMessage is what a person should read for an API error: Parley's
// message, or the details of Meta's shape.
export function errorMessage(err) {
  if (!err) return '';
  const d = err.details || {};
  return (typeof d.details === 'string' && d.details) || err.message || String(err);
}

// startConsole signs in and runs the console.
//   name      the console's title
//   tokenKey  the sessionStorage key of its token
//   base      the API base path ('' or '/v23.0')
//   dicts     {en:{…}, fr:{…}} the console's own strings loaded with it
//   lazy      {lang: () => import(…)} its other languages, fetched when used
//   signIn    async (api) => ctx: checks the token and loads what every
//             section needs; throws when the token is refused
//   label     (ctx) => text shown in the header (who is signed in)
//   sections  [{id, title: key, render: async (ctx, api, t) => Node}]
//   probe     a path asked with no token when the sign-in shows: a 401
//             whose details say admin_api "disabled" means no token can
//             pass, and the page says so and how to enable it
export function startConsole({ name, tokenKey, base, dicts, lazy = {}, signIn, label, sections, tokenHint, probe }) {
  const merged = {};
  for (const l of Object.keys(dicts)) merged[l] = { ...common[l], ...dicts[l] };
  const loaders = {};
  for (const [l, load] of Object.entries(lazy)) loaders[l] = async () => ({ default: { ...common[l], ...(await load()).default } });
  const i18n = createI18n(merged, 'parley.lang', loaders);
  const t = i18n.t;
  const root = document.getElementById('root');
  root.className = 'console';
  document.body.classList.add('console-body');
  let token = sessionStorage.getItem(tokenKey) || '';
  let ctx = null;
  // A 401 signs out only a console that was signed in; while signing in,
  // the form shows the error itself (redrawing it would lose the message).
  const api = new API({ base, getToken: () => token, onUnauthenticated: () => { if (ctx) signOut(t('c.badtoken')); } });

  function signOut(problem) {
    token = '';
    ctx = null;
    sessionStorage.removeItem(tokenKey);
    showSignIn(typeof problem === 'string' ? problem : '');
  }

  function problemText(err) {
    return err.status === 401 ? t('c.badtoken') : t('c.error', { msg: errorMessage(err) });
  }

  // showDisabled tells, above the form, that no token can pass.
  async function showDisabled(form) {
    if (!probe) return;
    let res;
    try {
      res = await fetch(base + probe, { cache: 'no-store' });
    } catch {
      return;
    }
    if (res.status !== 401) return;
    const j = await res.json().catch(() => ({}));
    if (!j.error || !j.error.details || j.error.details.admin_api !== 'disabled') return;
    form.querySelector('h1').after(h('p.error#console-disabled', { role: 'alert' }, t('c.disabled')));
    form.querySelector('button[type=submit]').disabled = true;
  }

  function langSelect() {
    return h('label.row.lang', h('span.sr-only', t('c.language')),
      h('select', { 'aria-label': t('c.language'), onchange: (e) => i18n.set(e.target.value) },
        i18n.supported.map((l) => h('option', { value: l, selected: l === i18n.lang, lang: l }, langNames[l] || l))));
  }

  function showSignIn(problem) {
    document.title = name;
    const input = h('input#token', { type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-hint' });
    const msg = h('p.error#signin-error', { role: 'alert' }, problem || '');
    const form = h('form.card.stack.signin', {
      onsubmit: async (e) => {
        e.preventDefault();
        token = input.value.trim();
        const btn = form.querySelector('button');
        btn.disabled = true;
        try {
          await enter();
        } catch (err) {
          token = '';
          replace(msg, problemText(err));
          btn.disabled = false;
          input.focus();
        }
      },
    },
    h('h1', name),
    h('label.field', { for: 'token' }, h('span', t('c.token')), input),
    h('p.muted#token-hint', tokenHint ? t(tokenHint) : ''),
    msg,
    h('div.row', h('button.btn.primary', { type: 'submit' }, t('c.signin')), h('span.grow'), langSelect()));
    replace(root, h('div.signin-wrap', form));
    root.dataset.ready = 'true';
    root.dataset.screen = 'signin';
    input.focus();
    showDisabled(form);
  }

  async function enter() {
    ctx = await signIn(api, t);
    sessionStorage.setItem(tokenKey, token);
    if (!location.hash) history.replaceState(null, '', '#' + sections[0].id);
    showShell();
  }

  function current() {
    const id = location.hash.slice(1).split('/')[0];
    return sections.find((s) => s.id === id) || sections[0];
  }

  let view, nav;
  function showShell() {
    const menu = h('button.icon-btn.menu-btn', { type: 'button', 'aria-label': t('c.menu'), 'aria-expanded': 'false', 'aria-controls': 'console-nav',
      onclick: () => {
        const open = nav.classList.toggle('open');
        menu.setAttribute('aria-expanded', String(open));
      } }, '☰');
    nav = h('nav.console-nav#console-nav', { 'aria-label': t('c.sections') },
      h('ul', sections.map((s) => h('li', h('a', { href: '#' + s.id, dataset: { section: s.id } }, t(s.title))))));
    view = h('main.console-main#view', { tabindex: '-1' });
    replace(root,
      h('header.console-top', menu, h('strong.brand', name), h('span.muted.who', label(ctx)), h('span.grow'), langSelect(),
        h('button.btn#signout', { type: 'button', onclick: signOut }, t('c.signout'))),
      h('div.console-body-wrap', nav, view));
    root.dataset.screen = 'console';
    render();
  }

  let renderSeq = 0;
  async function render(focus) {
    if (!ctx) return;
    const s = current();
    document.title = t(s.title) + ' · ' + name;
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.section === s.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    nav.classList.remove('open');
    const seq = ++renderSeq;
    replace(view, h('p.muted', { role: 'status' }, t('c.loading')));
    view.dataset.section = s.id;
    delete view.dataset.ready;
    let body;
    try {
      body = await s.render(ctx, api, t, () => render());
    } catch (err) {
      if (err.status === 401) return;
      body = h('p.error', { role: 'alert' }, t('c.error', { msg: errorMessage(err) }));
    }
    if (seq !== renderSeq) return;
    replace(view, h('h1.section-title', { tabindex: '-1' }, t(s.title)), body);
    view.dataset.ready = 'true';
    if (focus) view.querySelector('h1').focus();
  }

  window.addEventListener('hashchange', () => render(true));
  i18n.onChange(() => (ctx ? showShell() : showSignIn()));
  i18n.ready.then(() => {
    if (token) {
      enter().catch((err) => signOut(problemText(err)));
    } else {
      showSignIn();
    }
  });
}

// section is a titled card.
export function card(title, ...children) {
  return h('section.card.stack', h('h2', title), ...children);
}

// table renders rows with columns [{label, cell: (row) => node|string}].
export function table(columns, rows, { caption, empty, rowClass } = {}) {
  if (!rows || rows.length === 0) return h('p.muted.empty', empty || '—');
  return h('div.table-wrap', h('table.data',
    caption ? h('caption.sr-only', caption) : null,
    h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', rows.map((r) => h('tr', { class: rowClass ? rowClass(r) : null },
      columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r))))))));
}

// field wraps an input with its visible label and an error slot that the
// input names with aria-describedby.
export function field(label, input, { hint, id } = {}) {
  const fid = id || input.id || ('f-' + Math.random().toString(36).slice(2, 8));
  input.id = fid;
  const err = h('span.field-error.error', { id: fid + '-err', 'aria-live': 'polite' });
  const described = [hint ? fid + '-hint' : null, fid + '-err'].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', described);
  const wrap = h('div.field', h('label', { for: fid }, label), input, hint ? h('span.muted.hint', { id: fid + '-hint' }, hint) : null, err);
  wrap.setError = (msg) => {
    replace(err, msg || '');
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  return wrap;
}

// select builds a <select> from [value, text] pairs.
export function select(options, value, props = {}) {
  return h('select', props, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

// tag shows a status with a class per value (status-approved, …).
export function tag(status, text) {
  const s = String(status || '').toLowerCase();
  return h('span.tag.status', { class: 'status-' + s.replace(/[^a-z0-9]+/g, '-') }, text || status);
}

// action runs fn while button is disabled and reports failures.
export async function action(button, fn, t) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    toast(t ? t('c.error', { msg: errorMessage(err) }) : errorMessage(err), 'error');
    throw err;
  } finally {
    if (button) button.disabled = false;
  }
}

// barChart draws labelled bars as an SVG, with the figures also in its
// accessible name and as a visually hidden table for screen readers.
export function barChart(title, data, fmt = String) {
  const ns = 'http://www.w3.org/2000/svg';
  const max = Math.max(1, ...data.map((d) => d.value));
  const bw = 28, gap = 10, H = 120, W = Math.max(200, data.length * (bw + gap) + gap);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 36}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H + 36);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title + ': ' + data.map((d) => `${d.label} ${fmt(d.value)}`).join(', '));
  data.forEach((d, i) => {
    const x = gap + i * (bw + gap);
    const bh = Math.round((d.value / max) * H);
    const r = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x, y: H - bh + 14, width: bw, height: Math.max(bh, 1), class: 'bar' })) r.setAttribute(k, v);
    const v = document.createElementNS(ns, 'text');
    for (const [k, val] of Object.entries({ x: x + bw / 2, y: H - bh + 10, 'text-anchor': 'middle', class: 'chart-value' })) v.setAttribute(k, val);
    v.textContent = fmt(d.value);
    const l = document.createElementNS(ns, 'text');
    for (const [k, val] of Object.entries({ x: x + bw / 2, y: H + 30, 'text-anchor': 'middle', class: 'chart-label' })) l.setAttribute(k, val);
    l.textContent = String(d.label).slice(0, 6);
    svg.append(r, v, l);
  });
  return h('figure.chart-wrap', h('figcaption', title), svg);
}

// when formats an RFC 3339 time or unix seconds as a local date and time.
export function when(v, lang) {
  if (v === undefined || v === null || v === '') return '';
  const d = typeof v === 'number' || /^\d+$/.test(String(v)) ? new Date(Number(v) * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}
