// safety.js: a contact's safety number (docs/E2EE.md, "Safety numbers"):
// 60 digits that cover both accounts' signing keys and all their devices,
// computed by the end-to-end module (crypto.js) with the CLI's code, so
// the web app, the CLI and the Go client show the same number. The person
// compares it with the contact's and may mark the contact verified; a
// later change of the contact's keys raises a notice.

import { h, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { dialog } from './widgets.js';

// showSafetyNumber opens the dialog for the contact account.
export async function showSafetyNumber(core, account) {
  let r;
  try {
    r = await core.crypto.safetyNumber(account);
  } catch (err) {
    toast(errorText(err), 'error');
    return;
  }
  const name = core.name(account);
  const groups = r.number.match(/\d{5}/g) || [];
  const body = h('div.stack',
    h('p.muted', t('safety.help', { name })),
    h('div#safety-number.safety-number', { 'aria-label': r.number }, groups.map((g) => h('code', g + ' '))),
    r.verified ? h('p#safety-verified', t('safety.verified', { name })) : null);
  if (await dialog(t('safetyNumber'), body, r.verified ? t('ok') : t('safety.verify')) && !r.verified) {
    await core.crypto.markVerified(account);
    toast(t('safety.verified', { name }));
  }
}
