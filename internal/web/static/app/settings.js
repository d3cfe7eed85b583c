// settings.js: profile, privacy, linked devices, the key backup
// (app/backup.js), blocked accounts and the language; and logging out
// (which unlinks this device).

import { h, replace, toast, formatTime } from '../shared/view.js';
import { t, errorText, langPicker, i18n } from './i18n.js';
import { avatar, confirmDialog } from './widgets.js';
import { pushSupported, pushState, enablePush, disablePush, MUTE_CHOICES, applyMute, muteChoice } from './push.js';

export class Settings {
  constructor(core, { logout }) {
    this.core = core;
    this.logout = logout;
    this.body = h('div.pane-body.settings');
    this.el = h('section', h('header.chat-head', h('a.icon-btn.back', { href: '#/', 'aria-label': t('back') }, '←'),
      h('h2.grow', t('settings'))), this.body);
  }

  async shown() {
    replace(this.body, h('p.muted', t('loading')));
    try {
      await this.render();
    } catch (e) {
      replace(this.body, h('p.error', errorText(e)));
    }
  }

  async render() {
    const core = this.core;
    const api = core.api;
    const [me, devs, blocks] = await Promise.all([api.get('/v1/me'), api.get('/v1/devices'), api.get('/v1/blocks')]);
    const name = h('input#profile-name', { maxlength: 64, value: me.display_name, required: true });
    const about = h('input#profile-about', { maxlength: 140, value: me.about });
    const avatarInput = h('input#profile-avatar', { type: 'file', accept: 'image/jpeg,image/png,image/webp' });
    const profile = h('form.card.stack#profile-form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const out = await api.patch('/v1/me', { display_name: name.value.trim(), about: about.value.trim() });
          if (avatarInput.files[0]) await api.request('PUT', '/v1/me/avatar', avatarInput.files[0]);
          core.session.display_name = out.display_name;
          localStorage.setItem('parley.session', JSON.stringify(core.session));
          toast(t('saved'));
        } catch (e) { toast(errorText(e), 'error'); }
      },
    },
    h('h3', t('set.profile')),
    h('div.row', avatar(me.display_name), h('span.muted', me.phone)),
    h('label.field', h('span', t('login.name')), name),
    h('label.field', h('span', t('set.about')), about),
    h('label.field', h('span', t('set.avatar')), avatarInput),
    h('button.btn.primary', { type: 'submit' }, t('save')));

    const vis = ['everyone', 'contacts', 'nobody'];
    const sel = (id, value) => h('select', { id }, vis.map((v) => h('option', { value: v, selected: v === value }, t('vis.' + v))));
    const lastSeen = sel('privacy-last-seen', me.privacy.last_seen);
    const avatarVis = sel('privacy-avatar', me.privacy.avatar);
    const receipts = h('input#privacy-receipts', { type: 'checkbox', checked: me.privacy.read_receipts });
    const privacy = h('form.card.stack#privacy-form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await api.put('/v1/me/privacy', { last_seen: lastSeen.value, avatar: avatarVis.value, read_receipts: receipts.checked });
          toast(t('saved'));
        } catch (e) { toast(errorText(e), 'error'); }
      },
    },
    h('h3', t('set.privacy')),
    h('label.field', h('span', t('set.lastSeen')), lastSeen),
    h('label.field', h('span', t('set.avatarVis')), avatarVis),
    h('label.row', receipts, t('set.readReceipts')),
    h('button.btn.primary', { type: 'submit' }, t('save')));

    const devices = h('div.card.stack#devices', h('h3', t('set.devices')),
      h('ul.device-list', devs.devices.map((d) => h('li.row', { 'data-device': d.id },
        h('span.grow', d.name || t('set.device', { id: d.id }), d.current ? h('span.tag', ' ' + t('set.thisDevice')) : null,
          h('div.muted', t('set.lastActive', { time: formatTime(d.last_active_at || d.created_at, i18n.lang) }))),
        h('button.btn.danger', { type: 'button', 'data-revoke': d.id, onclick: async () => {
          if (!await confirmDialog(t('set.revoke'), t('set.revokeConfirm', { name: d.name }), t('set.revoke'))) return;
          try {
            await api.del(`/v1/devices/${d.id}`);
            if (d.current) this.logout();
            else this.render();
          } catch (e) { toast(errorText(e), 'error'); }
        } }, t('set.revoke'))))));

    const blocked = h('div.card.stack#blocked', h('h3', t('set.blocked')),
      blocks.blocked.length ? h('ul.device-list', blocks.blocked.map((id) => h('li.row',
        h('span.grow', core.name(id)),
        h('button.btn', { type: 'button', onclick: async () => {
          await api.del(`/v1/blocks/${id}`).catch((e) => toast(errorText(e), 'error'));
          this.render();
        } }, t('unblock'))))) : h('p.muted', t('set.noneBlocked')));

    // Notifications: permission is asked on this click only.
    const pushToggle = h('input#push-toggle', { type: 'checkbox', disabled: !pushSupported(), onchange: async () => {
      try {
        if (pushToggle.checked) await enablePush(api);
        else await disablePush(api);
        toast(t('saved'));
      } catch (e) {
        pushToggle.checked = false;
        toast(e && e.message === 'denied' ? t('set.pushDenied') : t('set.pushFailed'), 'error');
      }
    } });
    pushState().then((on) => { pushToggle.checked = on; }).catch(() => null);
    const dnd = h('select#dnd-select', { onchange: async () => {
      try {
        await applyMute(api, '/v1/push/dnd', dnd.value);
        toast(t('saved'));
      } catch (e) { toast(errorText(e), 'error'); }
    } }, MUTE_CHOICES.map((c) => h('option', { value: c }, t('mute.' + c))));
    muteChoice(api, '/v1/push/dnd').then((c) => { dnd.value = c; }).catch(() => null);
    const notify = h('div.card.stack#notifications', h('h3', t('set.notifications')),
      h('label.row', pushToggle, t('set.pushToggle')),
      h('p.muted', pushSupported() ? t('set.pushHint') : t('set.pushUnsupported')),
      h('label.field', h('span', t('set.dnd')), dnd));

    const lang = h('div.card.stack', h('h3', t('set.language')), langPicker());
    const out = h('div.card', h('button.btn.danger#logout', { type: 'button', onclick: async () => {
      await api.del(`/v1/devices/${core.session.device_id}`).catch(() => {});
      this.logout();
    } }, t('set.logout')));
    // The key backup's code loads with Settings only (off the first screen).
    const backup = await import('./backup.js').then((m) => m.backupCard(core, () => this.render()))
      .catch((e) => h('div.card#key-backup', h('p.error', errorText(e))));
    replace(this.body, profile, privacy, notify, devices, backup, blocked, lang, out);
    blocks.blocked.forEach((id) => core.profile(id).catch(() => null));
  }
}
