// db.js: the device's own store (IndexedDB). The server deletes messages
// once this device acks them, so history lives here: one database per
// account, with messages ordered by their chat sequence number.
//
//   messages  key "chat:message_id"; index chat_sort [chat, sort]
//   chats     key chat id: unread count, last message, draft
//   outbox    auto key: sends waiting for the server, in order
//   profiles  key account id: names and business badges, cached
//   kv        key "k": the WebSocket cursor and small settings

const VERSION = 1;

function promisify(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

// Pending messages sort after everything the server has numbered.
export const PENDING_SORT = 1e13;

export class DB {
  static async open(accountId) {
    const req = indexedDB.open('parley-' + accountId, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      const m = db.createObjectStore('messages', { keyPath: 'key' });
      m.createIndex('chat_sort', ['chat', 'sort']);
      db.createObjectStore('chats', { keyPath: 'id' });
      db.createObjectStore('outbox', { keyPath: 'n', autoIncrement: true });
      db.createObjectStore('profiles', { keyPath: 'id' });
      db.createObjectStore('kv', { keyPath: 'k' });
    };
    return new DB(await promisify(req));
  }

  constructor(idb) { this.idb = idb; }

  close() { this.idb.close(); }

  async get(store, key) {
    return promisify(this.idb.transaction(store).objectStore(store).get(key));
  }

  async all(store) {
    return promisify(this.idb.transaction(store).objectStore(store).getAll());
  }

  async put(store, value) {
    const tx = this.idb.transaction(store, 'readwrite');
    tx.objectStore(store).put(value);
    return done(tx);
  }

  async del(store, key) {
    const tx = this.idb.transaction(store, 'readwrite');
    tx.objectStore(store).delete(key);
    return done(tx);
  }

  async kv(k, fallback) {
    const row = await this.get('kv', k);
    return row ? row.v : fallback;
  }

  setKV(k, v) { return this.put('kv', { k, v }); }

  // update reads store[key], passes it to fn (undefined when missing) and
  // writes what fn returns (nothing when it returns undefined), in one
  // transaction. It returns the written value.
  async update(store, key, fn) {
    const tx = this.idb.transaction(store, 'readwrite');
    const os = tx.objectStore(store);
    const cur = await promisify(os.get(key));
    const next = fn(cur);
    if (next !== undefined) os.put(next);
    await done(tx);
    return next;
  }

  // putMany writes rows in one transaction.
  async putMany(store, rows) {
    const tx = this.idb.transaction(store, 'readwrite');
    const os = tx.objectStore(store);
    for (const r of rows) os.put(r);
    return done(tx);
  }

  // page returns up to limit messages of chat ordered by sort, older than
  // before (exclusive) when dir is 'prev', newer than after when 'next'.
  // Results are always in ascending order.
  async page(chat, { before = Infinity, after = -Infinity, limit = 50, dir = 'prev' } = {}) {
    const idx = this.idb.transaction('messages').objectStore('messages').index('chat_sort');
    const lo = after === -Infinity ? [chat, -Infinity] : [chat, after];
    const hi = before === Infinity ? [chat, Infinity] : [chat, before];
    const range = IDBKeyRange.bound(lo, hi, after !== -Infinity, before !== Infinity);
    const out = [];
    await new Promise((resolve, reject) => {
      const req = idx.openCursor(range, dir);
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const c = req.result;
        if (!c || out.length >= limit) return resolve();
        out.push(c.value);
        c.continue();
      };
    });
    if (dir === 'prev') out.reverse();
    return out;
  }

  // count returns how many messages chat has.
  async count(chat) {
    const idx = this.idb.transaction('messages').objectStore('messages').index('chat_sort');
    return promisify(idx.count(IDBKeyRange.bound([chat, -Infinity], [chat, Infinity])));
  }

  // search returns up to limit messages of any chat whose text contains q.
  async search(q, limit = 50) {
    const needle = q.toLowerCase();
    const out = [];
    const os = this.idb.transaction('messages').objectStore('messages');
    await new Promise((resolve, reject) => {
      const req = os.openCursor(null, 'prev');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const c = req.result;
        if (!c || out.length >= limit) return resolve();
        const v = c.value;
        if (!v.deleted && v.text && v.text.toLowerCase().includes(needle)) out.push(v);
        c.continue();
      };
    });
    return out;
  }
}
