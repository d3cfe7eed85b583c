// crypto.js: the web app's end-to-end encryption (docs/E2EE.md, "The web
// app"). The protocol is package e2ee compiled to WebAssembly
// (e2ee.wasm, built by go generate ./internal/web), the same code as the
// Go client and the CLI; this file only loads it, lends it the API for
// the key directory, and keeps its state in the device's IndexedDB (kv
// "e2ee"). The module is fetched after first paint: the chat list renders
// from IndexedDB first, and entries and sends wait for ready. It loads as
// soon as an entry or a send needs it, else a moment after first paint
// (IDLE_START), so that a page opened only to glance at the chat list
// spends nothing on it.
//
// Business chats: a business number's device is the server-held cloud
// device, which holds end-to-end keys like any device (the business's
// hosting provider runs it; the chat header says so). Messages to a
// business are encrypted to it as to anyone, never sent in the clear.
// Plaintext is read only from a business that has never published keys
// (messages queued before its cloud device had them); anyone else's
// plaintext is refused, as the Go client does.

const enc = new TextEncoder();
const IDLE_START = 1500; // ms after first paint

// A history bundle travels sealed for the new device alone
// (docs/E2EE.md, "History for a new device"): the bundle encrypted like an
// attachment (by WebCrypto), its key and hash over Olm (by the module),
// framed as e2ee.FrameHistory: magic, the Olm header, a newline, the
// ciphertext.
const HISTORY_MAGIC = enc.encode('parley-history.v1\n');

export class Crypto {
  constructor(core) {
    this.core = core;
    this.mod = null;
    this.refreshed = new Set(); // accounts whose keys were fetched this session
    this.ready = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.saving = Promise.resolve();
  }

  // painted says the first paint is done: the module loads when first
  // needed, or IDLE_START ms later.
  painted() {
    if (this.isPainted) return;
    this.isPainted = true;
    if (this.wanted) this.begin();
    else this.idleTimer = setTimeout(() => this.begin(), IDLE_START);
  }

  // need returns ready, starting the module (after first paint).
  need() {
    this.wanted = true;
    if (this.isPainted) this.begin();
    return this.ready;
  }

  begin() {
    clearTimeout(this.idleTimer);
    if (!this.started) this.started = this.start().catch((err) => console.warn('e2ee', err));
  }

  // start loads the module and the device's state, or makes a new
  // device and publishes its keys.
  async start() {
    try {
      await import('./wasm_exec.js');
      const go = new globalThis.Go();
      const loaded = new Promise((r) => { globalThis.parleyE2EEReady = r; });
      const url = new URL('./e2ee.wasm', import.meta.url);
      let inst;
      try {
        inst = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
      } catch {
        const buf = await (await fetch(url)).arrayBuffer();
        inst = await WebAssembly.instantiate(buf, go.importObject);
      }
      go.run(inst.instance);
      await loaded;
      this.mod = globalThis.parleyE2EE;
      const fetchJSON = (method, path, body) => this.core.api.request(method, path, body ? JSON.parse(body) : undefined)
        .then((r) => (r == null ? '' : JSON.stringify(r)));
      const { account_id: acct, device_id: dev } = this.core.session;
      const state = await this.core.db.kv('e2ee', null);
      let ok = false;
      if (state) {
        try {
          const got = await this.mod.load(fetchJSON, state);
          ok = got.account_id === acct && got.device_id === dev;
        } catch (err) {
          console.warn('e2ee state', err);
        }
      }
      if (!ok) {
        await this.mod.create(fetchJSON, acct, dev);
      }
      await this.save();
      this.resolve();
      document.documentElement.dataset.e2ee = 'ready'; // tests wait for the keys to be published
      const perf = (window.parleyMetrics = window.parleyMetrics || {});
      if (!perf.e2eeReadyMs) perf.e2eeReadyMs = performance.now();
      this.mod.replenish().then(() => this.save()).catch(() => {});
    } catch (err) {
      this.reject(err);
      throw err;
    }
    return this.ready;
  }

  // save keeps the device's state: its goolm account and sessions
  // (pickled), the device lists it trusts and its replay memory.
  save() {
    this.saving = this.saving.then(async () => {
      const st = await this.mod.state();
      await this.core.db.setKV('e2ee', st);
      this.flushNotices();
    }).catch((err) => console.warn('e2ee save', err));
    return this.saving;
  }

  async flushNotices() {
    const list = JSON.parse(await this.mod.notices());
    const told = new Set();
    for (const n of list) {
      this.core.emit('e2eeNotice', n);
      if ((n.kind === 'keys_changed' || n.kind === 'verified_changed') && !told.has(n.account_id)) {
        told.add(n.account_id);
        this.core.emit('notice', { key: 'keysChanged', name: this.core.name(n.account_id) });
      }
    }
  }

  // plainAccount reports whether plaintext from account is read: a
  // business that has no end-to-end keys yet. Nothing is sent in the
  // clear to anyone.
  async plainAccount(account) {
    if (!account || account === this.core.me) return false;
    const p = await this.core.profile(account).catch(() => null);
    if (!p || !p.business) return false;
    if (!this.refreshed.has(account)) {
      await this.mod.refresh(account).catch(() => {});
      this.refreshed.add(account);
    }
    return !(await this.mod.hasKeys(account));
  }

  // seal encrypts body for devs (the chat's recipient devices) and
  // returns {envelopes, shared, done}; done() once the server took it.
  async seal(chat, id, body, devs) {
    await this.need();
    const view = await this.chatView(chat);
    const plain = JSON.stringify(body);
    const out = JSON.parse(await this.mod.seal(view.kind, chat, id, JSON.stringify(devs), plain));
    await this.save();
    return {
      envelopes: out.envelopes || [], shared: out.shared,
      done: async (accepted = true) => { await this.mod.done(out.token, accepted); await this.save(); },
    };
  }

  // replenishSoon tops up the one-time keys on the server (each new
  // session a contact starts uses one) once a burst of entries is read.
  replenishSoon() {
    clearTimeout(this.replenishTimer);
    this.replenishTimer = setTimeout(() => this.mod.replenish().then(() => this.save()).catch(() => {}), 2000);
  }

  async chatView(chat) {
    const c = this.core.chats.get(chat);
    if (c && c.view) return c.view;
    return this.core.api.get(`/v1/chats/${chat}`);
  }

  // open returns the content of a message entry, or {undecodable: true}
  // when this device cannot read it, or null for a replay (drop it).
  async open(e, decodePlain) {
    await this.need();
    if (await this.plainAccount(e.sender_account)) return decodePlain();
    const r = await this.mod.open(JSON.stringify(e));
    await this.save();
    this.replenishSoon();
    if (r.content !== undefined) return JSON.parse(r.content);
    if (r.reason === 'replay') return null;
    console.warn('e2ee: entry', e.id, r.error);
    return { text: '', undecodable: true };
  }

  async safetyNumber(account) {
    await this.need();
    const r = await this.mod.safetyNumber(account);
    await this.save();
    return r;
  }

  // approve signs another device of this account into its device list
  // (this device must hold the signing key).
  // A device just linked publishes its keys once its module loaded:
  // until then, try again for a while.
  async approve(device) {
    await this.need();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.mod.approve(device);
        break;
      } catch (err) {
        if (attempt >= 40 || !/no valid identity keys/.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await this.save();
  }

  async markVerified(account) {
    await this.need();
    const n = await this.mod.markVerified(account);
    await this.save();
    return n;
  }

  // sealMedia encrypts a file (a Blob) for chat with a fresh key and
  // returns {data, key, sha256}.
  // The format is e2ee.EncryptMedia's (AES-256-GCM, a random 96-bit nonce
  // prepended, the SHA-256 of it all), done by WebCrypto: the browser's
  // AES is constant time, Go's on WebAssembly is not (docs/SECURITY.md).
  async sealMedia(chat, file) {
    await this.need();
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const data = await gcmSeal(raw, await file.arrayBuffer());
    const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return { data, key: base64(raw), sha256: base64(sum) };
  }

  // openMedia checks the hash of a downloaded attachment (a fetch
  // Response) of the message row msg, decrypts it (e2ee.DecryptMedia's
  // format, by WebCrypto) and returns it as a Blob.
  async openMedia(res, msg) {
    const data = new Uint8Array(await res.arrayBuffer());
    const sum = base64(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
    if (sum !== msg.media_sha256 || data.length < 12 + 16) throw new Error('e2ee: the attachment failed its hash');
    const plain = await gcmOpen(unbase64(msg.media_key), data);
    return new Blob([plain], { type: msg.media_type || 'application/octet-stream' });
  }

  async sealHistory(device, bytes) {
    await this.need();
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const ct = await gcmSeal(raw, bytes);
    const sum = base64(new Uint8Array(await crypto.subtle.digest('SHA-256', ct)));
    const header = enc.encode(await this.mod.sealHistoryKey(device, JSON.stringify({ key: base64(raw), sha256: sum })));
    await this.save();
    const out = new Uint8Array(HISTORY_MAGIC.length + header.length + 1 + ct.length);
    out.set(HISTORY_MAGIC);
    out.set(header, HISTORY_MAGIC.length);
    out[HISTORY_MAGIC.length + header.length] = 10;
    out.set(ct, HISTORY_MAGIC.length + header.length + 1);
    return out;
  }

  // openHistory returns the bundle of a history entry sealed for this
  // device, or throws (a bundle in the clear is refused: anyone who can
  // write to this device's queue could have made it).
  async openHistory(e) {
    await this.need();
    const body = unbase64(e.body);
    if (body.length < HISTORY_MAGIC.length || !HISTORY_MAGIC.every((b, i) => body[i] === b)) throw new Error('e2ee: history not encrypted');
    const nl = body.indexOf(10, HISTORY_MAGIC.length);
    if (nl < 0) throw new Error('e2ee: history not encrypted');
    const header = new TextDecoder().decode(body.subarray(HISTORY_MAGIC.length, nl));
    const r = await this.mod.openHistoryKey(e.sender_account, e.sender_device, header);
    await this.save();
    if (r.key === undefined) throw new Error('e2ee: ' + r.error);
    const k = JSON.parse(r.key);
    const ct = body.subarray(nl + 1);
    if (base64(new Uint8Array(await crypto.subtle.digest('SHA-256', ct))) !== k.sha256) throw new Error('e2ee: the history failed its hash');
    return gcmOpen(unbase64(k.key), ct);
  }

  // The key backup (docs/E2EE.md, "Key backup"): the module makes and
  // reads recovery keys and derives the backup's AES key (HKDF-SHA-256);
  // WebCrypto encrypts, in e2ee.SealBackup's format (wire.KeyBackup).
  async newRecoveryKey() {
    await this.need();
    return this.mod.newRecoveryKey();
  }

  // backupKeys returns {aes_key, key_id} of a recovery key as typed, or
  // null when it is not one (a typo).
  async backupKeys(recoveryKey) {
    await this.need();
    const r = await this.mod.backupKeys(recoveryKey);
    return r.error ? null : r;
  }

  // sealBackup returns the blob to upload: this device's group sessions,
  // its signing key when it holds it, and history (gzipped bundle bytes).
  async sealBackup(keys, history) {
    await this.need();
    const payload = JSON.parse(await this.mod.backupPayload());
    if (history) payload.history = base64(history);
    const ct = await gcmSeal(unbase64(keys.aes_key), enc.encode(JSON.stringify(payload)), backupAAD(this.core.me));
    return JSON.stringify({ v: 1, alg: 'hkdf-sha256.aes-256-gcm', account_id: this.core.me, key_id: keys.key_id, ciphertext: base64(ct) });
  }

  // openBackup opens a downloaded blob (a parsed wire.KeyBackup), adds
  // its sessions (and signing key) to this device and returns {history
  // (bytes or null), sessions}. It throws Error('wrong_key') when the
  // recovery key is not the backup's.
  async openBackup(keys, b) {
    await this.need();
    if (b.v !== 1 || b.account_id !== this.core.me) throw new Error('e2ee: not a key backup of this account');
    if (b.key_id !== keys.key_id) throw new Error('wrong_key');
    let plain;
    try {
      plain = await gcmOpen(unbase64(keys.aes_key), unbase64(b.ciphertext), backupAAD(this.core.me));
    } catch { throw new Error('e2ee: the key backup is damaged'); }
    const payload = JSON.parse(new TextDecoder().decode(plain));
    const history = payload.history ? unbase64(payload.history) : null;
    delete payload.history;
    const sessions = await this.mod.restoreBackup(JSON.stringify(payload));
    await this.save();
    return { history, sessions };
  }
}

function backupAAD(account) { return enc.encode('parley.key-backup.v1|' + account); }

// gcmSeal encrypts with AES-256-GCM, a random 96-bit nonce prepended.
async function gcmSeal(raw, plain, aad) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const params = aad ? { name: 'AES-GCM', iv: nonce, additionalData: aad } : { name: 'AES-GCM', iv: nonce };
  const sealed = new Uint8Array(await crypto.subtle.encrypt(params, key, plain));
  const out = new Uint8Array(12 + sealed.length);
  out.set(nonce);
  out.set(sealed, 12);
  return out;
}

async function gcmOpen(raw, data, aad) {
  if (raw.length !== 32 || data.length < 12 + 16) throw new Error('e2ee: bad key or ciphertext');
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
  const iv = data.subarray(0, 12);
  const params = aad ? { name: 'AES-GCM', iv, additionalData: aad } : { name: 'AES-GCM', iv };
  return new Uint8Array(await crypto.subtle.decrypt(params, key, data.subarray(12)));
}

function unbase64(s) {
  const bin = atob(s || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function base64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
