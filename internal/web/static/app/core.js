// core.js: the people's client without its screens. It owns the session,
// the API, the device store (db.js), the WebSocket (conn.js) and the send
// queue, turns inbox entries into stored messages, and tells the screens
// what changed through events:
//
//   chats     the chat list changed (order, unread, last message, names)
//   messages  {chat}: messages of a chat changed
//   typing    {chat, account, state}
//   presence  {account, state, last_seen}
//   conn      {state}: connecting | online | offline | revoked | replaced
//   channel   the WebSocket frame of a followed channel
//   outbox    {pending}: how many sends wait for the server
//
// Message bodies are parley.Content JSON, encrypted end to end for each
// recipient device by crypto.js (package e2ee in WebAssembly), as
// client/body.go (SendBody) does with UseE2EE.

import { API, APIError } from '../shared/api.js';
import { DB, PENDING_SORT } from './db.js';
import { Conn } from './conn.js';
import { Crypto } from './crypto.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export function b64encode(str) {
  const bytes = enc.encode(str);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function b64decode(b64) {
  const bin = atob(b64 || '');
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return dec.decode(bytes);
}

export function newMessageID() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const SESSION_KEY = 'parley.session';

export function loadSession() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY)); } catch { return null; }
}

export function saveSession(s) {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

// Errors worth retrying later: the server or the network is away.
function transient(err) {
  return err instanceof APIError && (err.status === 0 || err.status >= 500 || err.code === 'rate_limited');
}

export class Core extends EventTarget {
  constructor(session) {
    super();
    this.session = session;
    this.me = session.account_id;
    this.api = new API({ getToken: () => this.session.token, onUnauthenticated: () => this.emit('conn', { state: 'revoked' }) });
    this.chats = new Map(); // id → {view, meta}
    this.profiles = new Map(); // id → profile (+ business)
    this.devices = new Map(); // chat → recipient devices
    this.typing = new Map(); // chat → Map(account → expiry)
    this.presence = new Map(); // account → {state, last_seen}
    this.mediaURLs = new Map();
    this.openChat = 0; // the chat on screen, read as it arrives
    this.outboxBusy = false;
    this.pendingSends = 0;
    this.namesVersion = 0; // changes when names are learnt: rows re-render
    this.crypto = new Crypto(this); // loads after first paint (startCrypto)
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  async start() {
    this.db = await DB.open(this.me);
    for (const m of await this.db.all('chats')) this.chats.set(m.id, { view: m.view || null, meta: m });
    for (const p of await this.db.all('profiles')) this.profiles.set(p.id, p);
    const after = await this.db.kv('cursor', 0);
    this.conn = new Conn({
      token: this.session.token,
      after,
      onEntry: (e) => this.applyEntry(e),
      onFrame: (f) => this.onFrame(f),
      onCursor: (c) => { this.cursorDirty = c; this.saveCursorSoon(); },
    });
    this.conn.addEventListener('state', (ev) => {
      this.emit('conn', { state: ev.detail });
      if (ev.detail === 'online') {
        this.refreshChats().catch(() => {});
        this.flushOutbox();
        this.watchPresence();
      }
    });
    this.onlineListener = () => this.conn.reconnectNow();
    window.addEventListener('online', this.onlineListener);
    await this.refreshChats().catch((err) => { if (!transient(err)) throw err; });
    this.conn.start();
    this.flushOutbox();
  }

  // startCrypto tells the end-to-end module the first paint is done: it
  // loads when an entry or a send needs it, or shortly after. Entries and
  // sends wait for it.
  startCrypto() {
    this.crypto.painted();
    // The key backup keeps itself current while backup is on (off the first screen).
    this.crypto.ready.then(() => import('./backup.js')).then((m) => m.keepBackedUp(this)).catch(() => {});
  }

  stop() {
    if (this.conn) this.conn.stop();
    window.removeEventListener('online', this.onlineListener);
    if (this.db) this.db.close();
  }

  saveCursorSoon() {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = 0;
      this.db.setKV('cursor', this.cursorDirty);
    }, 50);
  }

  // ---- chats and names ----

  async refreshChats() {
    const { chats } = await this.api.get('/v1/chats');
    const rows = [];
    for (const v of chats) {
      const c = this.chats.get(v.id) || { meta: { id: v.id, unread: 0, unreadIds: [], last: null } };
      c.view = v;
      c.meta.view = v;
      this.chats.set(v.id, c);
      rows.push(c.meta);
    }
    await this.db.putMany('chats', rows);
    // Names: every peer and group member this device has not seen yet.
    const ids = new Set();
    for (const v of chats) for (const m of v.members) if (m.account_id !== this.me && !this.profiles.has(m.account_id)) ids.add(m.account_id);
    if (ids.size) {
      await Promise.all([...ids].map((id) => this.profile(id).catch(() => null)));
      this.namesVersion++;
    }
    this.emit('chats');
  }

  refreshChatsSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshChats().catch(() => {}), 100);
  }

  peerOf(view) {
    if (!view || view.kind !== 'direct') return 0;
    const other = view.members.find((m) => m.account_id !== this.me);
    return other ? other.account_id : 0;
  }

  isAdmin(view) {
    return !!view && view.members.some((m) => m.account_id === this.me && m.role === 'admin');
  }

  // profile returns an account's public profile, with business (the
  // business profile, or null) for direct chats' badges. Cached on the
  // device; refreshed in the background once per session.
  async profile(id, { fresh = false } = {}) {
    const cached = this.profiles.get(id);
    if (cached && !fresh && cached.session === this.sessionStamp()) return cached;
    const [p, biz] = await Promise.all([
      this.api.get(`/v1/accounts/${id}`).catch((e) => (cached && transient(e) ? cached : Promise.reject(e))),
      cached && 'business' in cached && !fresh ? Promise.resolve(cached.business)
        : this.api.get(`/v1/business/${id}`).catch(() => null),
    ]);
    const out = { ...p, id, business: biz, session: this.sessionStamp() };
    this.profiles.set(id, out);
    await this.db.put('profiles', out);
    return out;
  }

  sessionStamp() { return this.session.token.slice(0, 8); }

  name(accountId) {
    if (accountId === this.me) return this.session.display_name || '';
    const p = this.profiles.get(accountId);
    if (!p) return '#' + accountId;
    if (p.business) return p.business.name;
    return p.display_name || '#' + accountId;
  }

  chatName(c) {
    const v = c.view;
    if (!v) return '';
    if (v.kind === 'group') return v.subject || '';
    return this.name(this.peerOf(v));
  }

  business(c) {
    const p = this.profiles.get(this.peerOf(c.view));
    return p ? p.business : null;
  }

  chatList() {
    return [...this.chats.values()].filter((c) => c.view).sort((a, b) => {
      const ta = (a.meta.last && a.meta.last.at) || a.view.created_at;
      const tb = (b.meta.last && b.meta.last.at) || b.view.created_at;
      return tb < ta ? -1 : tb > ta ? 1 : 0;
    });
  }

  async openDirect(accountId) {
    const v = await this.api.post('/v1/chats/direct', { account_id: accountId });
    await this.refreshChats();
    return v.id;
  }

  async lookup(phone) {
    const { contacts } = await this.api.post('/v1/contacts/lookup', { phones: [phone] });
    return contacts[0] || null;
  }

  async createGroup(subject, members) {
    const v = await this.api.post('/v1/chats/groups', { subject, members });
    await this.refreshChats();
    return v.id;
  }

  // ---- entries ----

  async applyEntry(e) {
    if (e.type === 'message') {
      if (e.kind === 'system') return this.applySystem(e);
      const body = await this.crypto.open(e, () => {
        try { return JSON.parse(b64decode(e.body)); } catch { return { text: '', undecodable: true }; }
      });
      if (!body) return undefined; // a replay
      return this.applyMessage(e, body);
    }
    if (e.type === 'receipt') return this.applyReceipt(e, JSON.parse(b64decode(e.body)));
    if (e.type === 'event') {
      const ev = JSON.parse(b64decode(e.body));
      if (ev.event === 'device_linked') {
        this.emit('notice', { key: 'deviceLinked', name: ev.device_name });
        import('./history.js').then((m) => m.offerHistory(this, ev)).catch(() => {}); // not awaited: it asks the person
      }
    }
    if (e.type === 'history') return import('./history.js').then((m) => m.importHistory(this, e));
  }

  key(chat, id) { return chat + ':' + id; }

  async applyMessage(e, body) {
    const mine = e.sender_account === this.me;
    const chat = e.chat_id;
    if (!this.chats.has(chat)) this.refreshChatsSoon();
    if (e.kind === 'message') {
      const row = {
        key: this.key(chat, e.message_id), chat, id: e.message_id, seq: e.seq, sort: e.seq,
        sender: e.sender_account, mine, at: e.created_at, reactions: {},
        status: mine ? 'sent' : '', deliveredBy: [], readBy: [], ...pickBody(body),
      };
      const existing = await this.db.get('messages', row.key);
      if (existing) return;
      await this.db.put('messages', row);
      await this.touchChat(chat, row, !mine);
    } else {
      const target = this.key(chat, e.ref);
      await this.db.update('messages', target, (m) => {
        if (!m) return undefined;
        return applyChange(m, e.kind, body, e.sender_account);
      });
      if (e.kind !== 'reaction') await this.touchLast(chat);
    }
    this.emit('messages', { chat });
  }

  async applySystem(e) {
    let ev = {};
    try { ev = JSON.parse(b64decode(e.body)); } catch { /* shown as an empty notice */ }
    const row = { key: this.key(e.chat_id, e.message_id || 'sys' + e.id), chat: e.chat_id, id: e.message_id || 'sys' + e.id,
      seq: e.seq, sort: e.seq, sender: ev.actor || 0, at: e.created_at, system: ev, reactions: {} };
    await this.db.put('messages', row);
    this.refreshChatsSoon();
    this.emit('messages', { chat: e.chat_id });
  }

  async applyReceipt(e, r) {
    const chat = e.chat_id;
    if (r.account_id === this.me && r.status === 'read') {
      // Another of my devices read these.
      await this.db.update('chats', chat, (m) => {
        if (!m) return undefined;
        m.unreadIds = (m.unreadIds || []).filter((id) => !r.message_ids.includes(id));
        m.unread = m.unreadIds.length;
        return m;
      });
      const c = this.chats.get(chat);
      if (c) {
        c.meta.unreadIds = (c.meta.unreadIds || []).filter((id) => !r.message_ids.includes(id));
        c.meta.unread = c.meta.unreadIds.length;
      }
      this.emit('chats');
      return;
    }
    const c = this.chats.get(chat);
    const others = c && c.view ? c.view.members.filter((m) => m.account_id !== this.me).map((m) => m.account_id) : [];
    for (const id of r.message_ids) {
      await this.db.update('messages', this.key(chat, id), (m) => {
        if (!m || !m.mine) return undefined;
        const list = r.status === 'read' ? 'readBy' : r.status === 'delivered' ? 'deliveredBy' : null;
        if (r.status === 'expired') { m.expired = true; return m; }
        if (list && !m[list].includes(r.account_id)) m[list].push(r.account_id);
        m.status = tickStatus(m, others);
        return m;
      });
    }
    await this.touchLast(chat);
    this.emit('messages', { chat });
  }

  // touchChat records row as the chat's last message and counts it unread
  // unless the chat is on screen.
  async touchChat(chat, row, incoming) {
    const c = this.chats.get(chat) || { view: null, meta: { id: chat, unread: 0, unreadIds: [] } };
    this.chats.set(chat, c);
    if (!c.meta.last || (c.meta.last.sort || 0) <= row.sort || row.sort >= PENDING_SORT) c.meta.last = summary(row);
    if (incoming && !row.system) {
      if (this.openChat === chat && document.visibilityState === 'visible') {
        this.markReadSoon(chat, [row.id]);
      } else {
        c.meta.unreadIds = [...(c.meta.unreadIds || []), row.id];
        c.meta.unread = c.meta.unreadIds.length;
      }
    }
    await this.db.put('chats', c.meta);
    this.emit('chats');
  }

  async touchLast(chat) {
    const [last] = await this.db.page(chat, { limit: 1 });
    const c = this.chats.get(chat);
    if (!c || !last) return;
    c.meta.last = summary(last);
    await this.db.put('chats', c.meta);
    this.emit('chats');
  }

  // ---- reading ----

  setOpenChat(chat) {
    this.openChat = chat;
    if (chat) this.markRead(chat);
  }

  markReadSoon(chat, ids) {
    this.readQueue = this.readQueue || new Map();
    const q = this.readQueue.get(chat) || [];
    q.push(...ids);
    this.readQueue.set(chat, q);
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      const all = this.readQueue;
      this.readQueue = new Map();
      for (const [c, list] of all) this.api.post(`/v1/chats/${c}/read`, { message_ids: list }).catch(() => {});
    }, 60);
  }

  async markRead(chat) {
    const c = this.chats.get(chat);
    if (!c || !(c.meta.unreadIds || []).length) return;
    const ids = c.meta.unreadIds;
    c.meta.unreadIds = [];
    c.meta.unread = 0;
    await this.db.put('chats', c.meta);
    this.emit('chats');
    this.markReadSoon(chat, ids);
  }

  // ---- sending ----

  // send queues a message of kind with body to chat; the outbox delivers
  // it now or when the server is back. It returns the message id.
  async send(chat, kind, ref, body, { messageId } = {}) {
    const id = messageId || newMessageID();
    if (kind === 'message') {
      const row = {
        key: this.key(chat, id), chat, id, seq: 0, sort: PENDING_SORT + Date.now(), sender: this.me, mine: true,
        at: new Date().toISOString(), reactions: {}, status: 'pending', deliveredBy: [], readBy: [], ...pickBody(body),
      };
      await this.db.put('messages', row);
      await this.touchChat(chat, row, false);
    } else {
      await this.db.update('messages', this.key(chat, ref), (m) => (m ? applyChange(m, kind, body, this.me) : undefined));
      if (kind !== 'reaction') await this.touchLast(chat);
    }
    this.emit('messages', { chat });
    await this.db.put('outbox', { chat, id, kind, ref: ref || '', body });
    this.flushOutbox();
    return id;
  }

  sendText(chat, text, extra = {}) { return this.send(chat, 'message', '', { text, ...extra }); }
  react(chat, msg, emoji) { return this.send(chat, 'reaction', msg.id, { emoji }); }
  edit(chat, msg, text) { return this.send(chat, 'edit', msg.id, { text }); }
  deleteForEveryone(chat, msg) { return this.send(chat, 'delete', msg.id, {}); }

  async forward(msg, toChat) {
    const body = { text: msg.text || '', forwarded: true };
    if (msg.media_id) {
      await this.api.post(`/v1/media/${msg.media_id}/share`, { chat_id: toChat });
      Object.assign(body, { media_id: msg.media_id, media_type: msg.media_type, filename: msg.filename, voice: msg.voice,
        media_key: msg.media_key, media_sha256: msg.media_sha256 });
    }
    return this.send(toChat, 'message', '', body);
  }

  // upload stores a file for chat, encrypted on the device with a fresh
  // key (crypto.js); the key and the ciphertext's hash travel in the
  // message.
  async upload(chat, file) {
    const type = (file.type || 'application/octet-stream').split(';')[0].trim();
    const sealed = await this.crypto.sealMedia(chat, file);
    const media = await this.api.request('POST', `/v1/chats/${chat}/media`, sealed.data, { contentType: 'application/octet-stream' });
    return { ...media, content_type: type, media_key: sealed.key, media_sha256: sealed.sha256 };
  }

  async recipientDevices(chat, fresh) {
    if (!fresh && this.devices.has(chat)) return this.devices.get(chat);
    const { devices } = await this.api.get(`/v1/chats/${chat}/devices`);
    this.devices.set(chat, devices);
    return devices;
  }

  async flushOutbox() {
    if (this.outboxBusy) { this.outboxAgain = true; return; }
    this.outboxBusy = true;
    try {
      for (;;) {
        this.outboxAgain = false;
        const items = await this.db.all('outbox');
        this.emit('outbox', { pending: items.length });
        if (!items.length) break;
        const stop = await this.deliver(items[0]);
        if (stop) {
          clearTimeout(this.outboxTimer);
          this.outboxRetry = Math.min(10000, (this.outboxRetry || 250) * 2);
          this.outboxTimer = setTimeout(() => this.flushOutbox(), this.outboxRetry);
          break;
        }
        this.outboxRetry = 0;
      }
    } finally {
      this.outboxBusy = false;
    }
    if (this.outboxAgain) this.flushOutbox();
  }

  // deliver sends one queued item; true means "stop and retry later".
  async deliver(item) {
    for (let attempt = 0; ; attempt++) {
      try {
        const devs = await this.recipientDevices(item.chat, attempt > 0);
        const sealed = await this.crypto.seal(item.chat, item.id, item.body, devs);
        const res = await this.api.post(`/v1/chats/${item.chat}/messages`, {
          message_id: item.id, kind: item.kind, ref: item.ref, envelopes: sealed.envelopes, shared: sealed.shared,
        }).catch((err) => { sealed.done(false); throw err; });
        await sealed.done();
        await this.db.del('outbox', item.n);
        if (item.kind === 'message') {
          await this.db.update('messages', this.key(item.chat, item.id), (m) => {
            if (!m) return undefined;
            m.seq = res.seq;
            m.sort = res.seq;
            m.at = res.created_at;
            if (m.status === 'pending') m.status = 'sent';
            return m;
          });
          await this.touchLast(item.chat);
          this.emit('messages', { chat: item.chat });
        }
        return false;
      } catch (err) {
        if (err instanceof APIError && err.code === 'devices_changed' && attempt < 3) continue;
        if (transient(err)) return true;
        // A permanent refusal: drop it and say so.
        await this.db.del('outbox', item.n);
        if (item.kind === 'message') {
          await this.db.update('messages', this.key(item.chat, item.id), (m) => (m ? { ...m, status: 'failed', error: err.code } : undefined));
          this.emit('messages', { chat: item.chat });
        }
        this.emit('notice', { key: 'sendFailed', code: err.code, message: err.message });
        return false;
      }
    }
  }

  // ---- live frames ----

  onFrame(f) {
    if (f.type === 'typing') {
      const m = this.typing.get(f.chat_id) || new Map();
      if (f.state === 'composing') m.set(f.account_id, Date.now() + 6000);
      else m.delete(f.account_id);
      this.typing.set(f.chat_id, m);
      this.emit('typing', { chat: f.chat_id, account: f.account_id, state: f.state });
      clearTimeout(this.typingSweep);
      this.typingSweep = setTimeout(() => this.emit('typing', {}), 6100);
    } else if (f.type === 'presence') {
      this.presence.set(f.account_id, { state: f.state, last_seen: f.last_seen });
      this.emit('presence', { account: f.account_id });
    } else if (f.type && f.type.startsWith('channel_')) {
      this.emit('channel', f);
    } else if (f.type === 'revoked') {
      this.emit('conn', { state: 'revoked' });
    }
  }

  typingIn(chat) {
    const m = this.typing.get(chat);
    if (!m) return [];
    const now = Date.now();
    return [...m].filter(([, exp]) => exp > now).map(([a]) => a);
  }

  sendTyping(chat, state) {
    this.conn.send({ type: 'typing', chat_id: chat, state });
  }

  watchPresence(accounts) {
    if (accounts) this.watched = [...new Set([...(this.watched || []), ...accounts])];
    if (this.watched && this.watched.length) this.conn.send({ type: 'presence', accounts: this.watched });
  }

  // ---- media ----

  // mediaURL returns an object URL of a file; msg, a message row whose
  // media_key is set, has it decrypted on the device first.
  async mediaURL(id, path, msg) {
    const key = path || `/v1/media/${id}`;
    if (this.mediaURLs.has(key)) return this.mediaURLs.get(key);
    const p = this.mediaBlob(id, path, msg).then((b) => URL.createObjectURL(b));
    this.mediaURLs.set(key, p);
    p.catch(() => this.mediaURLs.delete(key));
    return p;
  }

  // mediaBlob downloads a file (decrypted when msg has a media_key).
  async mediaBlob(id, path, msg) {
    const res = await this.api.request('GET', path || `/v1/media/${id}`, undefined, { raw: true });
    return msg && msg.media_key ? this.crypto.openMedia(res, msg) : res.blob();
  }
}

// pickBody keeps the parts of a parley.Content body a message row shows.
function pickBody(b) {
  const out = {};
  for (const k of ['text', 'reply_to', 'forwarded', 'media_id', 'media_type', 'media_kind', 'media_url', 'filename', 'voice',
    'location', 'interactive', 'interactive_reply', 'template', 'referral', 'products', 'order', 'undecodable',
    'media_key', 'media_sha256']) {
    if (b[k] !== undefined && b[k] !== '' && b[k] !== false) out[k] = b[k];
  }
  return out;
}

// applyChange applies an edit, a delete or a reaction to message m.
function applyChange(m, kind, body, sender) {
  if (kind === 'edit') {
    m.text = body.text || '';
    m.edited = true;
  } else if (kind === 'delete') {
    m.deleted = true;
    for (const k of ['text', 'media_id', 'media_type', 'media_url', 'interactive', 'template', 'location', 'filename']) delete m[k];
  } else if (kind === 'reaction') {
    m.reactions = m.reactions || {};
    if (body.emoji) m.reactions[sender] = body.emoji;
    else delete m.reactions[sender];
  }
  return m;
}

// tickStatus is sent, delivered (every other member got it) or read (every
// other member read it).
function tickStatus(m, others) {
  if (!others.length) return m.status;
  if (others.every((a) => m.readBy.includes(a))) return 'read';
  if (others.every((a) => m.readBy.includes(a) || m.deliveredBy.includes(a))) return 'delivered';
  return m.status === 'pending' ? 'pending' : 'sent';
}

function summary(row) {
  return {
    id: row.id, sort: row.sort, at: row.at, mine: !!row.mine, status: row.status || '', sender: row.sender,
    text: row.deleted ? '' : (row.text || (row.interactive && row.interactive.body && row.interactive.body.text) ||
      (row.template && row.template.body) || ''),
    media: !!row.media_id || !!row.media_url, voice: !!row.voice, deleted: !!row.deleted, system: row.system ? row.system.event : '',
  };
}
