// sw.js: the people's app's service worker, for notifications only
// (docs/NOTIFICATIONS.md). Served at /sw.js so that its registration, and
// the push subscription tied to it, outlive each release's asset path.
//
// A push says only {chat_id, kind}: never the text. The notification reads
// "New message" and the chat's name as this device knows it, from the
// app's IndexedDB; one notification per chat (tag), and a click opens it.

const TITLE = (navigator.language || '').toLowerCase().startsWith('fr') ? 'Nouveau message' : 'New message';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (ev) => ev.waitUntil(self.clients.claim()));

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
