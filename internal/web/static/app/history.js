// history.js: moving chat history to a newly linked device. The server
// keeps no history (it deletes a message once every device has it), so a
// device linked later starts empty. When one of the account's devices is
// linked, the others get a device_linked event: this device then offers to
// send its history, and on yes packs its messages, chats and names into a
// bundle, seals it for the new device alone (app/crypto.js: the bundle
// under a fresh AES-256-GCM key, that key over Olm) and passes it through
// POST /v1/devices/{id}/history. The new device gets it as an inbox entry
// of type history, opens it and merges it into its store. Loaded on
// demand (neither path is on the first screen).
//
// The bundle is gzip-compressed JSON (docs/WEB.md, "History transfer"):
//   {"parley_history": 1, "account_id", "chats": [chat meta], "messages": [rows], "profiles": [...]}
// The server passes on ciphertext only. A bundle that is not sealed for
// this device is refused: anyone able to queue an entry for the device
// (the server) could have written it. The key backup (app/backup.js)
// keeps the same bundle.

import { h, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { dialog } from './widgets.js';
import { PENDING_SORT } from './db.js';

const MAX_BUNDLE = (32 << 20) - (64 << 10); // the server's limit, less the sealing's header
const FORMAT = 1;

// offerHistory asks whether to send this device's history to the device
// just linked (ev: {device_id, device_name}), and sends it on yes.
export async function offerHistory(core, ev) {
  if (!ev.device_id || ev.device_id === core.session.device_id) return;
  if (!(await core.db.all('messages')).some((m) => !m.system)) return; // nothing to send
  const ok = await dialog(t('hist.offerTitle'), [
    h('p', t('hist.offer', { name: ev.device_name || t('set.device', { id: ev.device_id }) })),
    h('p.muted', t('hist.why')),
  ], t('hist.send'));
  if (!ok) return;
  // Yes is also the person's word that the device is theirs: sign it into
  // the account's device list, so that contacts encrypt to it and accept
  // what it sends (a device holding the list's signing key does this).
  await core.crypto.approve(ev.device_id).catch((err) => console.warn('e2ee approve', err));
  try {
    const gz = new Uint8Array(await (await packHistory(core)).arrayBuffer());
    const sealed = await core.crypto.sealHistory(ev.device_id, gz);
    await core.api.request('POST', `/v1/devices/${ev.device_id}/history`, sealed, { contentType: 'application/octet-stream' });
    toast(t('hist.sent', { name: ev.device_name || '' }));
  } catch (e) {
    toast(errorText(e), 'error');
  }
}

// packHistory returns this device's history as a gzipped bundle (a
// Blob), dropping the oldest messages until it fits max bytes.
export async function packHistory(core, max = MAX_BUNDLE) {
  const messages = (await core.db.all('messages')).filter((m) => m.sort < PENDING_SORT)
    .sort((a, b) => (a.chat - b.chat) || (a.sort - b.sort));
  const chats = (await core.db.all('chats')).map(({ id, last }) => ({ id, last }));
  const profiles = await core.db.all('profiles');
  let keep = messages;
  for (;;) {
    const json = JSON.stringify({ parley_history: FORMAT, account_id: core.me, chats, messages: keep, profiles });
    const gz = await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
    if (gz.size <= max || !keep.length) return gz;
    keep = keep.sort((a, b) => (a.at < b.at ? -1 : 1)).slice(Math.floor(keep.length / 2)); // the newer half
  }
}

// importHistory opens a history entry sealed for this device and merges
// its bundle. One that does not open is ignored (and logged).
export async function importHistory(core, e) {
  let bytes;
  try {
    bytes = await core.crypto.openHistory(e);
  } catch (err) {
    console.warn('history entry', e.id, err);
    return;
  }
  if (await mergeHistory(core, bytes)) toast(t('hist.received'));
}

// mergeHistory merges a bundle (gzipped or plain JSON bytes) into this
// device's store: messages it has not got, the chats' last messages and
// the names. A bundle it cannot read (another client's format) is
// ignored. It returns how many chats it touched.
export async function mergeHistory(core, bytes) {
  let text;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  } else text = new TextDecoder().decode(bytes);
  let b;
  try { b = JSON.parse(text); } catch { return 0; }
  if (!b || b.parley_history !== FORMAT || b.account_id !== core.me || !Array.isArray(b.messages)) return 0;

  const tx = core.db.idb.transaction(['messages', 'profiles'], 'readwrite');
  const ms = tx.objectStore('messages');
  const chats = new Set();
  for (const m of b.messages) {
    if (!m || typeof m.key !== 'string' || typeof m.chat !== 'number' || !(m.sort < PENDING_SORT)) continue;
    if (m.status === 'pending') m.status = 'sent';
    chats.add(m.chat);
    const req = ms.get(m.key);
    req.onsuccess = () => { if (!req.result) ms.put(m); };
  }
  const ps = tx.objectStore('profiles');
  for (const p of b.profiles || []) {
    if (!p || typeof p.id !== 'number') continue;
    const req = ps.get(p.id);
    req.onsuccess = () => { if (!req.result) ps.put(p); };
  }
  await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });

  for (const p of b.profiles || []) if (p && typeof p.id === 'number' && !core.profiles.has(p.id)) core.profiles.set(p.id, p);
  for (const id of chats) await core.touchLast(id).catch(() => {});
  await core.db.setKV('historyAt', new Date().toISOString());
  core.namesVersion++;
  for (const id of chats) core.emit('messages', { chat: id });
  core.emit('chats');
  return chats.size;
}
