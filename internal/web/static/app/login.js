// login.js: sign-up and log-in with a phone number and a one-time code.
// The first verification creates the account; the person then picks a
// display name.

import { h, replace } from '../shared/view.js';
import { API } from '../shared/api.js';
import { t, langPicker, errorText } from './i18n.js';

export function loginScreen({ onDone }) {
  const api = new API();
  const box = h('div.card.login-card');
  const el = h('main.login', h('div.login-brand', h('img', { src: document.querySelector('link[rel=icon]').href, alt: '' }),
    h('h1', t('appName')), h('p.muted', t('tagline'))), box, h('div.login-lang', langPicker()));
  let phone = '';

  const err = h('p.error', { role: 'alert' });
  const showError = (e) => { err.textContent = e ? phoneProblem(e) || errorText(e) : ''; };

  function stepPhone() {
    const input = h('input#phone', { type: 'tel', autocomplete: 'tel', required: true, placeholder: '+14155550101', value: phone,
      'aria-describedby': 'phone-help' });
    const form = h('form.stack', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        phone = input.value.replace(/[\s()-]/g, '');
        showError(null);
        try {
          await api.post('/v1/auth/code', { phone });
          stepCode();
        } catch (e) {
          if (e.code === 'rate_limited') stepCode(); // a code is already on its way
          else showError(e);
        }
      },
    },
    h('h2', t('login.title')),
    h('label.field', h('span', t('login.phone')), input),
    h('p.muted#phone-help', t('login.phoneHelp')),
    err,
    h('button.btn.primary', { type: 'submit' }, t('login.sendCode')));
    replace(box, form);
    input.focus();
  }

  function stepCode() {
    const input = h('input#code', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true });
    const form = h('form.stack', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        showError(null);
        try {
          const res = await api.post('/v1/auth/verify', { phone, code: input.value.trim(), device_name: deviceName() });
          const session = { token: res.token, account_id: res.account_id, device_id: res.device_id, phone };
          if (res.new_account) stepName(session);
          else {
            const me = await new API({ getToken: () => session.token }).get('/v1/me');
            onDone({ ...session, display_name: me.display_name, linked: true }); // an account's later device: no history yet
          }
        } catch (e) {
          showError(e);
        }
      },
    },
    h('h2', t('login.codeTitle')),
    h('p', t('login.codeSent', { phone })),
    h('label.field', h('span', t('login.code')), input),
    h('p.muted', t('login.devHint')),
    err,
    h('div.row', h('button.btn', { type: 'button', onclick: stepPhone }, t('back')),
      h('button.btn.primary', { type: 'submit' }, t('login.verify'))));
    replace(box, form);
    input.focus();
  }

  function stepName(session) {
    const input = h('input#display-name', { maxlength: 64, required: true, autocomplete: 'name' });
    const form = h('form.stack', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const api2 = new API({ getToken: () => session.token });
        try {
          const me = await api2.patch('/v1/me', { display_name: input.value.trim() });
          onDone({ ...session, display_name: me.display_name });
        } catch (e) {
          showError(e);
        }
      },
    },
    h('h2', t('login.nameTitle')),
    h('label.field', h('span', t('login.name')), input),
    err,
    h('button.btn.primary', { type: 'submit' }, t('login.start')));
    replace(box, form);
    input.focus();
  }

  stepPhone();
  return el;
}

// phoneProblem is the server's own reason for refusing a phone number
// ("phone must start with + and a country code"), which says more than
// the generic text of invalid_argument; '' for other errors.
function phoneProblem(e) {
  if (e.code !== 'invalid_argument' || !e.details || e.details.field !== 'phone' || !e.message) return '';
  return t('login.badPhone', { reason: e.message.charAt(0).toUpperCase() + e.message.slice(1) });
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom/.test(ua) ? 'Chromium' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return 'Web (' + browser + ')';
}
