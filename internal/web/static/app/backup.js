// backup.js: the encrypted key backup, in Settings (docs/E2EE.md, "Key
// backup"). Turned on, it shows a recovery key once (256 random bits in
// groups of four) and uploads this device's group sessions, its signing
// key when it holds it, and its history bundle, encrypted under a key
// derived from the recovery key (app/crypto.js). The server cannot open
// it. A new device, even after every other was lost, types the recovery
// key and gets the history back. This device keeps the recovery key (kv
// backupKey, like its other keys) to keep the backup current: at most
// every UPDATE_EVERY while the app is open, when messages arrived.

import { h, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { dialog, confirmDialog } from './widgets.js';

const UPDATE_EVERY = 10 * 60 * 1000;
// The server takes 48 MiB of JSON; the bundle is base64 twice (in the
// payload, then the payload's ciphertext in the blob): 24 MiB × 16/9 fits.
const MAX_HISTORY = 24 << 20;

let timer = null;
let uploadedCount = -1;

// upload encrypts this device's keys and history under the recovery key
// and stores them on the server.
async function upload(core, recoveryKey) {
  const keys = await core.crypto.backupKeys(recoveryKey);
  if (!keys) throw new Error(t('backup.badKey'));
  const { packHistory } = await import('./history.js');
  const gz = new Uint8Array(await (await packHistory(core, MAX_HISTORY)).arrayBuffer());
  const blob = await core.crypto.sealBackup(keys, gz);
  await core.api.request('PUT', '/v1/me/key-backup', new Blob([blob], { type: 'application/json' }));
  uploadedCount = (await core.db.all('messages')).length;
}

// keepBackedUp updates the backup now and then while backup is on.
export async function keepBackedUp(core) {
  clearInterval(timer);
  if (!(await core.db.kv('backupKey', null))) return;
  timer = setInterval(async () => {
    const key = await core.db.kv('backupKey', null);
    if (!key) { clearInterval(timer); return; }
    const n = (await core.db.all('messages')).length;
    if (n !== uploadedCount) await upload(core, key).catch((err) => console.warn('key backup', err));
  }, UPDATE_EVERY);
}

// backupCard is the Settings card: turn on, restore, turn off.
export async function backupCard(core, rerender) {
  const key = await core.db.kv('backupKey', null);
  const onServer = await core.api.get('/v1/me/key-backup').then(() => true, (e) => (e && e.code === 'not_found' ? false : Promise.reject(e)));
  const card = h('div.card.stack#key-backup', h('h3', t('backup.title')), h('p.muted', t('backup.why')));
  const act = async (fn) => {
    try { await fn(); } catch (e) { toast(e.message && !e.code ? e.message : errorText(e), 'error'); }
  };

  if (key && onServer) {
    card.append(h('p#backup-status', t('backup.on')),
      h('div.row', h('button.btn#backup-now', { type: 'button', onclick: () => act(async () => {
        await upload(core, key);
        toast(t('backup.updated'));
      }) }, t('backup.now')),
      h('button.btn.danger#backup-off', { type: 'button', onclick: () => act(async () => {
        if (!await confirmDialog(t('backup.off'), t('backup.offConfirm'), t('backup.off'))) return;
        await core.api.del('/v1/me/key-backup');
        await core.db.setKV('backupKey', null);
        clearInterval(timer);
        rerender();
      }) }, t('backup.off'))));
    return card;
  }

  if (onServer) {
    // A backup that another device made: this one can restore from it.
    const input = h('input#recovery-key-input', { autocomplete: 'off', spellcheck: false, placeholder: 'ABCD EFGH …', required: true });
    card.append(h('p#backup-status', t('backup.exists')),
      h('form.stack#backup-restore', { onsubmit: (ev) => { ev.preventDefault(); act(() => restore(core, input.value, rerender)); } },
        h('label.field', h('span', t('backup.enterKey')), input),
        h('button.btn.primary', { type: 'submit' }, t('backup.restore'))));
    return card;
  }

  card.append(h('p#backup-status', t('backup.offNow')),
    h('button.btn.primary#backup-on', { type: 'button', onclick: () => act(async () => {
      const rk = await core.crypto.newRecoveryKey();
      await upload(core, rk);
      await core.db.setKV('backupKey', rk);
      keepBackedUp(core);
      await dialog(t('backup.keyTitle'), [
        h('p', t('backup.keyWrite')),
        h('p', h('code.recovery-key#recovery-key', rk)),
        h('p.muted', t('backup.keyWhy')),
      ], t('backup.keyDone'));
      rerender();
    }) }, t('backup.turnOn')));
  return card;
}

// restore opens the account's backup with the recovery key as typed and
// merges it into this device.
async function restore(core, typed, rerender) {
  const keys = await core.crypto.backupKeys(typed);
  if (!keys) throw new Error(t('backup.badKey'));
  const blob = await core.api.get('/v1/me/key-backup');
  let got;
  try {
    got = await core.crypto.openBackup(keys, blob);
  } catch (err) {
    if (err.message === 'wrong_key') throw new Error(t('backup.wrongKey'));
    throw err;
  }
  if (got.history) await (await import('./history.js')).mergeHistory(core, got.history);
  await core.db.setKV('backupKey', typed.trim());
  await core.db.setKV('historyAt', new Date().toISOString());
  keepBackedUp(core);
  toast(t('backup.restored'));
  rerender();
}
