// sw.js: the people's app's service worker (docs/WEB.md "Offline and
// install", docs/NOTIFICATIONS.md). Served at /sw.js so that its
// registration, and the push subscription tied to it, outlive each
// release's asset path.
//
// Offline: the server writes this release's asset prefix and the list of
// the app's files into STATIC and PRECACHE when it serves this file, so
// each release is a new worker (browsers compare the bytes) with a cache
// of its own. Installing fetches the app shell (the page at / and every
// file of app/ and shared/, whatever their type: modules, styles, icons,
// WebAssembly); activating drops the other releases' caches. The page at
// / comes from the network while there is one, from the cache otherwise;
// versioned assets come from the cache first (they never change), and one
// missing from it is fetched and kept. The API and the WebSocket are not
// touched: history offline is the app's IndexedDB (app/db.js).
//
// Notifications: a push says only {chat_id, kind}: never the text. The
// notification reads "New message" and the chat's name as this device
// knows it, from the app's IndexedDB; one notification per chat (tag), and
// a click opens it.

const TITLE = (navigator.language || '').toLowerCase().startsWith('fr') ? 'Nouveau message' : 'New message';

const STATIC = '{{static}}';
const PRECACHE = /*{{precache}}*/[];
const CACHE = 'parley-shell-' + STATIC.split('/').pop();

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    // One file that fails to arrive must not keep the worker (and the
    // notifications) from installing: it is fetched again when asked for.
    const cache = await caches.open(CACHE);
    await Promise.all(['/', ...PRECACHE.map((p) => STATIC + '/' + p)].map((u) => cache.add(u).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => ev.waitUntil((async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith('parley-shell-') && name !== CACHE) await caches.delete(name);
  }
  await self.clients.claim();
})()));

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname === '/') ev.respondWith(page(req));
  else if (url.pathname.startsWith(STATIC + '/')) ev.respondWith(asset(req));
});

// page is the app's index page: the network's, kept for later, or the
// kept one when the network fails.
async function page(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put('/', res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match('/');
    if (kept) return kept;
    throw err;
  }
}

// asset is a file of this release: from the cache, else fetched and kept.
async function asset(req) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(req, { ignoreVary: true });
  if (kept) return kept;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

self.addEventListener('push', (ev) => ev.waitUntil(onPush(ev)));

async function onPush(ev) {
  let data = {};
  try { data = ev.data ? ev.data.json() : {}; } catch { data = {}; }
  const chat = Number.isSafeInteger(data.chat_id) && data.chat_id > 0 ? data.chat_id : 0;
  let name = '';
  if (chat) name = await chatName(chat).catch(() => '');
  await self.registration.showNotification(TITLE, {
    body: name,
    tag: chat ? 'chat-' + chat : 'parley',
    renotify: true,
    icon: '/favicon.ico',
    data: { chat },
  });
}

function req(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

// chatName looks the chat up in the app's databases (one per account,
// "parley-<account id>"): a group's subject, or the other person's name.
async function chatName(chat) {
  const dbs = indexedDB.databases ? await indexedDB.databases() : [];
  for (const { name } of dbs) {
    const m = /^parley-(\d+)$/.exec(name || '');
    if (!m) continue;
    const me = Number(m[1]);
    const db = await req(indexedDB.open(name));
    try {
      if (!db.objectStoreNames.contains('chats')) continue;
      const row = await req(db.transaction('chats').objectStore('chats').get(chat));
      const v = row && row.view;
      if (!v) continue;
      if (v.kind === 'group') return v.subject || '';
      const peer = (v.members || []).map((x) => x.account_id).find((id) => id !== me);
      if (!peer) return '';
      const p = await req(db.transaction('profiles').objectStore('profiles').get(peer));
      return (p && ((p.business && p.business.name) || p.display_name)) || '';
    } finally {
      db.close();
    }
  }
  return '';
}

self.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  const chat = ev.notification.data && ev.notification.data.chat;
  const url = new URL(chat ? '/#/chat/' + chat : '/', self.location.origin).href;
  ev.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) {
      if (new URL(w.url).origin !== self.location.origin) continue;
      await w.focus();
      if ('navigate' in w) await w.navigate(url).catch(() => null);
      return;
    }
    await self.clients.openWindow(url);
  })());
});
