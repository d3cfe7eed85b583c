// main.js: boots the people's client. Without a session it shows the
// log-in screen; with one it starts the core (store, socket, send queue)
// and the shell, and routes by the URL hash:
//
//   #/                the chat list
//   #/chat/ID         a chat;  #/chat/ID/info  its details (group admin)
//   #/updates         followed channels;  #/channel/ID  a channel
//   #/channel/ID/insights  a channel's insights (its admins)
//   #/directory       the channel directory
//   #/settings        profile, privacy, devices, blocked, language
//   #/c/CODE          a click-to-chat link: opens the business chat

import { h, replace } from '../shared/view.js';
import { t, i18n } from './i18n.js';
import { Core, loadSession, saveSession } from './core.js';
import { loginScreen } from './login.js';
import { Shell } from './shell.js';

const root = document.getElementById('root');
const perf = (window.parleyMetrics = window.parleyMetrics || {});

let core = null;
let shell = null;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', args: parts.slice(1) };
}

async function boot() {
  document.title = t('appName');
  const session = loadSession();
  if (!session) {
    replace(root, loginScreen({ onDone: (s) => { saveSession(s); boot(); } }));
    registerWorker();
    return;
  }
  core = new Core(session);
  core.addEventListener('conn', (ev) => {
    if (ev.detail.state === 'revoked') logout();
  });
  try {
    await core.start();
  } catch (err) {
    if (err.status === 401) return logout();
    replace(root, h('main.placeholder', h('div', h('h1', t('appName')), h('p.error', err.message),
      h('button.btn', { onclick: () => location.reload() }, t('retry')))));
    return;
  }
  shell = new Shell(core, { logout });
  replace(root, shell.el);
  shell.go(route());
  if (!perf.chatListMs) perf.chatListMs = performance.now();
  root.dataset.ready = 'true';
  registerWorker();
  requestAnimationFrame(() => setTimeout(() => { if (core) core.startCrypto(); }, 0));
}

function logout() {
  if (core) core.stop();
  core = null;
  shell = null;
  saveSession(null);
  const keep = location.hash.startsWith('#/c/') ? location.hash : '';
  history.replaceState(null, '', '/' + keep);
  boot();
}

window.addEventListener('hashchange', () => { if (shell) shell.go(route()); });
i18n.onChange(() => { if (shell) shell.relabel(route()); else boot(); });
i18n.ready.then(boot);

// The service worker keeps the app for offline use and shows pushes
// (sw.js). It is registered once the first screen is up (the chat list,
// or the log-in screen), so that its fetching of the app shell never
// competes with the first load.
let workerAsked = false;
function registerWorker() {
  if (workerAsked || !('serviceWorker' in navigator)) return;
  workerAsked = true;
  setTimeout(() => navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .catch((err) => console.warn('service worker', err)), 0);
}
