// group.js: a group's details. Everyone sees the members and can leave;
// admins rename, choose who may send, add and remove members and make
// others admins.

import { h, replace, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { avatar, askPhone, askText, confirmDialog } from './widgets.js';
import { actionSheet } from './chat.js';
import { chatExtras } from './chat-info.js';

export class GroupInfo {
  constructor(core, id) {
    this.core = core;
    this.id = id;
    this.body = h('div.pane-body');
    this.el = h('section.group-info', h('header.chat-head',
      h('a.icon-btn.back', { href: `#/chat/${id}`, 'aria-label': t('back') }, '←'),
      h('h2.grow', t('groupInfo'))), this.body);
    this.onChats = () => this.render();
    core.addEventListener('chats', this.onChats);
  }

  shown() {
    this.render();
    this.core.refreshChats().catch(() => {});
  }

  destroy() { this.core.removeEventListener('chats', this.onChats); }

  async run(fn) {
    try {
      await fn();
      await this.core.refreshChats();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  render() {
    const core = this.core;
    const c = core.chats.get(this.id);
    if (!c || !c.view) return replace(this.body, h('p.muted', t('loading')));
    const v = c.view;
    const admin = core.isAdmin(v);
    const api = core.api;
    const onlyAdmins = h('input#only-admins', { type: 'checkbox', checked: v.only_admins_send, disabled: !admin,
      onchange: () => this.run(() => api.patch(`/v1/chats/${this.id}`, { only_admins_send: onlyAdmins.checked })) });
    replace(this.body,
      h('div.card.stack',
        h('div.row', avatar(v.subject, 'group'), h('h3.grow#group-subject-title', v.subject),
          admin ? h('button.btn#rename-group', { type: 'button', onclick: async () => {
            const s = await askText(t('group.rename'), t('group.subject'), v.subject, { max: 100 });
            if (s) this.run(() => api.patch(`/v1/chats/${this.id}`, { subject: s }));
          } }, t('group.rename')) : null),
        h('label.row', onlyAdmins, t('group.onlyAdmins'))),
      h('div.card.stack',
        h('div.row', h('h3.grow', t('group.membersN', { n: v.members.length })),
          admin ? h('button.btn#add-member', { type: 'button', onclick: async () => {
            const phone = await askPhone(t('group.add'));
            if (!phone) return;
            const contact = await core.lookup(phone).catch(() => null);
            if (!contact) return toast(t('notOnParley', { phone }), 'error');
            this.run(() => api.post(`/v1/chats/${this.id}/members`, { accounts: [contact.id] }));
          } }, t('group.add')) : null),
        h('ul.member-list', v.members.map((m) => {
          const name = m.account_id === core.me ? t('you') : core.name(m.account_id);
          return h('li.row', { 'data-member': m.account_id }, avatar(name), h('span.grow', name),
            m.role === 'admin' ? h('span.tag', t('group.admin')) : null,
            admin && m.account_id !== core.me ? h('button.icon-btn.member-menu', { type: 'button', 'aria-label': t('group.memberActions', { name }),
              onclick: () => actionSheet(name, [
                m.role === 'admin'
                  ? ['demote', t('group.demote'), () => this.run(() => api.put(`/v1/chats/${this.id}/members/${m.account_id}/role`, { role: 'member' }))]
                  : ['promote', t('group.promote'), () => this.run(() => api.put(`/v1/chats/${this.id}/members/${m.account_id}/role`, { role: 'admin' }))],
                ['remove', t('group.remove'), () => this.run(() => api.del(`/v1/chats/${this.id}/members/${m.account_id}`))],
              ]) }, '⋮') : null);
        }))),
      chatExtras(core, this.id),
      h('button.btn.danger#leave-group', { type: 'button', onclick: async () => {
        if (!await confirmDialog(t('group.leave'), t('group.leaveConfirm'), t('group.leave'))) return;
        await this.run(() => api.del(`/v1/chats/${this.id}/members/${core.me}`));
        location.hash = '#/';
      } }, t('group.leave')));
  }
}
