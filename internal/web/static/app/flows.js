// flows.js: a WhatsApp Flow the person received, as a full-screen sheet
// over the chat (docs/FLOWS.md, docs/WEB.md). The sheet reads the Flow
// JSON (GET /v1/chats/{chat}/flows/{message}), asks the business's
// endpoint for each screen's data through the server (POST
// /v1/flows/exchange: INIT, data_exchange, BACK), renders each screen's
// components with their ${data.x} and ${form.x} bindings, checks the
// required fields, and ends with a summary of the answers; sending it
// finishes the Flow (POST /v1/flows/complete) and sends the nfm_reply
// in reply to the Flow message.
//
// Long choice lists (a seat map of thousands of seats) are drawn a page
// at a time as they scroll into view, with a filter above them.

import { h } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { icon } from './icons.js';

// PAGE is how many options of a long list are drawn at a time; FILTER_AT
// the length from which a list gets a filter.
const PAGE = 60;
const FILTER_AT = 24;

// openFlow opens the Flow of message m (an interactive flow message) in
// chat. send(body) sends the nfm_reply; done() marks m answered.
export async function openFlow(core, chat, m, { send, done }) {
  const sheet = new FlowSheet(core, chat, m, { send, done });
  sheet.unmount = overlay(sheet.el);
  await sheet.start();
  return sheet;
}

// overlay shows a sheet over the app, which stays inert behind it (no
// focus, no clicks) until the returned function removes the sheet.
export function overlay(el) {
  const root = document.getElementById('root');
  if (root) root.inert = true;
  document.body.append(el);
  el.focus();
  return () => {
    el.remove();
    if (root && !document.querySelector('.flow-sheet')) root.inert = false;
  };
}

class FlowSheet {
  constructor(core, chat, m, { send, done }) {
    this.core = core;
    this.chat = chat;
    this.m = m;
    this.send = send;
    this.done = done;
    this.params = (m.interactive && m.interactive.action && m.interactive.action.parameters) || {};
    this.stack = []; // [{id, data, form, answers}]
    this.title = h('h2#flow-title', this.params.flow_cta || '');
    this.backBtn = h('button.icon-btn#flow-back', { type: 'button', 'aria-label': t('back'), title: t('back'), onclick: () => this.back() }, icon('back'));
    this.closeBtn = h('button.icon-btn#flow-close', { type: 'button', 'aria-label': t('flow.close'), title: t('flow.close'), onclick: () => this.close() }, icon('close'));
    this.banner = h('div.flow-banner.error.hidden', { role: 'alert' });
    this.body = h('div.flow-body');
    this.el = h('div.flow-sheet', { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'flow-title', tabindex: '-1',
      onkeydown: (ev) => { if (ev.key === 'Escape') this.close(); } },
    h('div.flow-panel', h('header.flow-bar', this.backBtn, this.title, this.closeBtn), this.banner, this.body));
  }

  async start() {
    this.busy(true);
    try {
      this.flow = await this.core.api.get(`/v1/chats/${this.chat}/flows/${encodeURIComponent(this.m.id)}`);
      const doc = typeof this.flow.flow_json === 'string' ? JSON.parse(this.flow.flow_json) : this.flow.flow_json;
      this.screens = new Map((doc.screens || []).map((s) => [s.id, s]));
      this.first = (doc.screens || [])[0];
      if (this.flow.completed) return this.message(t('flow.already'));
      const p = this.params;
      if (p.flow_action === 'data_exchange' && this.flow.endpoint) {
        const a = await this.exchange({ action: 'INIT' });
        if (a) this.show(a.screen, a.data || {});
        else if (!this.stack.length && !this.summaryShown && !this.body.children.length) {
          const why = this.banner.textContent;
          this.alert('');
          this.message(why, () => this.start());
        }
      } else {
        const start = (p.flow_action_payload && p.flow_action_payload.screen) || (this.first && this.first.id);
        this.show(start, (p.flow_action_payload && p.flow_action_payload.data) || {});
      }
    } catch (e) {
      this.message(flowError(e));
    } finally {
      this.busy(false);
    }
  }

  busy(on) {
    this.el.setAttribute('aria-busy', on ? 'true' : 'false');
    this.el.classList.toggle('busy', on);
    for (const b of this.el.querySelectorAll('.flow-footer button')) b.disabled = on;
  }

  alert(text) {
    this.banner.textContent = text || '';
    this.banner.classList.toggle('hidden', !text);
  }

  // message replaces the screen with a line and a close button (and a
  // retry button when retry is given).
  message(text, retry) {
    this.stack = [];
    this.title.textContent = this.params.flow_cta || '';
    this.body.replaceChildren(h('p.flow-message', text), h('div.flow-footer',
      retry ? h('button.btn.primary.flow-retry', { type: 'button', onclick: () => { this.body.replaceChildren(); retry(); } }, t('retry')) : null,
      h('button.btn', { class: retry ? '' : 'primary', type: 'button', onclick: () => this.close() }, t('flow.close'))));
    this.backBtn.classList.add('hidden');
  }

  close() {
    if (this.unmount) this.unmount();
    else this.el.remove();
  }

  // exchange asks the business's endpoint; it answers the next screen, a
  // finished Flow (shown as the summary), or null after showing an error.
  async exchange(step) {
    this.alert('');
    this.busy(true);
    try {
      const a = await this.core.api.post('/v1/flows/exchange', { chat_id: this.chat, message_id: this.m.id, ...step });
      if (a.completed) {
        this.summary(JSON.parse(a.response_json || '{}'));
        return null;
      }
      return a;
    } catch (e) {
      if (e.code === 'conflict' || e.code === 'not_found') this.message(flowError(e));
      else this.alert(flowError(e));
      return null;
    } finally {
      this.busy(false);
    }
  }

  get top() { return this.stack[this.stack.length - 1]; }

  // show pushes screen id with data, or returns to it if it is on the
  // stack already (after BACK), keeping what was typed there.
  show(id, data) {
    const screen = this.screens.get(id);
    if (!screen) return this.message(t('flow.broken'));
    const at = this.stack.findIndex((e) => e.id === id);
    if (at >= 0) {
      this.stack.length = at + 1;
      this.top.data = { ...this.top.data, ...data };
    } else {
      const defaults = {};
      for (const [k, v] of Object.entries(screen.data || {})) if (v && typeof v === 'object' && '__example__' in v && !(k in data)) defaults[k] = undefined;
      this.stack.push({ id, data: { ...defaults, ...data }, form: {}, answers: [] });
    }
    if (data && typeof data.error_message === 'string') this.alert(data.error_message);
    this.render();
  }

  render() {
    const t0 = performance.now();
    const e = this.top;
    const screen = this.screens.get(e.id);
    this.fields = [];
    this.conds = [];
    this.title.textContent = this.resolve(screen.title, e) || this.params.flow_cta || '';
    this.backBtn.classList.toggle('hidden', this.stack.length < 2);
    const kids = this.children((screen.layout && screen.layout.children) || [], e);
    this.body.replaceChildren(...kids);
    this.body.scrollTop = 0;
    this.el.dataset.screen = e.id;
    // How long the screen took to build (window.parleyMetrics, as main.js
    // stamps the chat list): a seat map of thousands stays in budget.
    (window.parleyMetrics = window.parleyMetrics || {}).flowScreenMs = performance.now() - t0;
  }

  // ---- bindings ----

  // lookup reads ${data.a.b}, ${form.x} or ${screen.S.data|form.x} in entry e.
  lookup(ref, e) {
    const parts = ref.split('.');
    let src;
    if (parts[0] === 'screen') {
      const other = this.stack.find((s) => s.id === parts[1]);
      if (!other) return undefined;
      src = parts[2] === 'form' ? other.form : other.data;
      parts.splice(0, 3);
    } else if (parts[0] === 'data' || parts[0] === 'form') {
      src = parts[0] === 'form' ? e.form : e.data;
      parts.shift();
    } else return undefined;
    for (const p of parts) {
      if (src === null || src === undefined) return undefined;
      src = src[p];
    }
    return src;
  }

  // resolve fills the bindings of v: a string that is one binding becomes
  // its value (an array, a boolean...), bindings inside text are
  // replaced by their text; objects and arrays are resolved deeply.
  resolve(v, e) {
    if (typeof v === 'string') {
      const whole = /^\$\{([\w.]+)\}$/.exec(v.trim());
      if (whole) return this.lookup(whole[1], e);
      if (v.includes('${')) {
        return v.replace(/`/g, '').replace(/\$\{([\w.]+)\}/g, (_, r) => {
          const x = this.lookup(r, e);
          return x === undefined || x === null ? '' : String(x);
        });
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => this.resolve(x, e));
    if (v && typeof v === 'object') {
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.resolve(x, e);
      return out;
    }
    return v;
  }

  // ---- components ----

  children(nodes, e) {
    const out = [];
    for (const n of nodes || []) {
      const el = this.component(n, e);
      if (el) out.push(el);
    }
    return out;
  }

  component(n, e) {
    const r = (k) => this.resolve(n[k], e);
    if (r('visible') === false) return null;
    switch (n.type) {
      case 'Form': {
        for (const [k, v] of Object.entries(this.resolve(n['init-values'] || {}, e))) if (!(k in e.form)) e.form[k] = v;
        return h('div.flow-form', this.children(n.children, e));
      }
      case 'TextHeading': return h('h3.flow-heading', text(r('text')));
      case 'TextSubheading': return h('h4.flow-subheading', text(r('text')));
      case 'TextBody': return h('p.flow-text', { class: r('font-weight') === 'bold' ? 'bold' : '' }, text(r('text')));
      case 'TextCaption': return h('p.flow-caption.muted', text(r('text')));
      case 'RichText': return h('div.flow-rich', [].concat(r('text') || []).map((l) => h('p.flow-text', String(l).replace(/^#+\s*/, ''))));
      case 'TextInput': case 'TextArea': return this.textField(n, e);
      case 'DatePicker': case 'CalendarPicker': return this.dateField(n, e);
      case 'Dropdown': return this.dropdown(n, e);
      case 'RadioButtonsGroup': return this.choices(n, e, false);
      case 'CheckboxGroup': case 'ChipsSelector': return this.choices(n, e, true);
      case 'OptIn': return this.optIn(n, e);
      case 'Image': {
        const src = r('src') || '';
        return h('img.flow-image', { src: src.startsWith('data:') ? src : 'data:image/png;base64,' + src, alt: r('alt-text') || '' });
      }
      case 'EmbeddedLink':
        return h('button.linklike.flow-link', { type: 'button', onclick: () => this.act(n['on-click-action'], e) }, text(r('text')));
      case 'Footer': return this.footer(n, e);
      case 'NavigationList': return this.navList(n, e);
      case 'If': case 'Switch': return this.conditional(n, e);
      default: return null;
    }
  }

  // field wraps an input with its label, helper text and error line, and
  // registers it for validation and the summary.
  field(n, e, control, { value, shown, check, labelFor = true }) {
    const label = this.resolve(n.label, e) || '';
    const err = h('div.flow-error.error', { id: 'flow-err-' + n.name, role: 'status' });
    const fixed = this.resolve(n['error-message'], e);
    if (typeof fixed === 'string' && fixed) err.textContent = fixed;
    const help = this.resolve(n['helper-text'], e);
    const required = this.resolve(n.required, e) === true;
    const box = h('div.flow-field', { 'data-name': n.name, 'data-type': n.type },
      labelFor ? h('label.flow-label', { for: 'flow-in-' + n.name }, label, required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null)
        : h('div.flow-label', { id: 'flow-lbl-' + n.name }, label, required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null),
      control, help ? h('div.flow-help.muted', help) : null, err);
    const group = labelFor ? null : control.querySelector('[role]') || control;
    if (group) group.setAttribute('aria-labelledby', 'flow-lbl-' + n.name);
    this.fields.push({ n, box, err, label, required, value, shown, check, focus: () => { const f = box.querySelector('input,select,textarea,button'); if (f) f.focus(); } });
    return box;
  }

  textField(n, e) {
    const area = n.type === 'TextArea';
    const kind = n['input-type'] || 'text';
    const init = n.name in e.form ? e.form[n.name] : this.resolve(n['init-value'], e);
    if (init !== undefined && !(n.name in e.form)) e.form[n.name] = String(init);
    const attrs = { id: 'flow-in-' + n.name, name: n.name, value: init === undefined ? '' : String(init), 'aria-describedby': 'flow-err-' + n.name,
      maxlength: n['max-chars'] || n['max-length'] || undefined, oninput: (ev) => { e.form[n.name] = ev.target.value; },
      onchange: () => this.refresh(e) };
    const input = area ? h('textarea.flow-input', { ...attrs, rows: '3' })
      : h('input.flow-input', { ...attrs, type: { number: 'number', email: 'email', password: 'password', passcode: 'password', phone: 'tel' }[kind] || 'text',
        inputmode: kind === 'passcode' ? 'numeric' : undefined, autocomplete: 'off' });
    return this.field(n, e, input, {
      value: () => e.form[n.name],
      shown: (v) => (kind === 'password' || kind === 'passcode' ? '••••' : v),
      check: (v) => {
        const s = v === undefined ? '' : String(v);
        if (!s) return '';
        const min = Number(n['min-chars'] || 0);
        if (min && s.length < min) return t('flow.minChars', { n: min });
        if (kind === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)) return t('flow.badEmail');
        if (kind === 'number' && Number.isNaN(Number(s))) return t('flow.badNumber');
        if (kind === 'phone' && !/^\+?[\d\s()-]{5,}$/.test(s)) return t('flow.badPhone');
        return '';
      },
    });
  }

  dateField(n, e) {
    const range = n.type === 'CalendarPicker' && n.mode === 'range';
    const min = this.resolve(n['min-date'], e);
    const max = this.resolve(n['max-date'], e);
    const off = new Set([].concat(this.resolve(n['unavailable-dates'], e) || []));
    const init = n.name in e.form ? e.form[n.name] : this.resolve(n['init-value'], e);
    if (init !== undefined && !(n.name in e.form)) e.form[n.name] = init;
    const input = (key, val, label) => h('input.flow-input', { type: 'date', id: key ? 'flow-in-' + n.name + '-' + key : 'flow-in-' + n.name,
      min: typeof min === 'string' ? min : undefined, max: typeof max === 'string' ? max : undefined, value: val || '', 'aria-label': label,
      onchange: (ev) => {
        if (key) e.form[n.name] = { ...(e.form[n.name] || {}), [key]: ev.target.value };
        else e.form[n.name] = ev.target.value;
        this.refresh(e);
      } });
    const control = range
      ? h('div.flow-range', input('start-date', init && init['start-date'], t('flow.from')), input('end-date', init && init['end-date'], t('flow.to')))
      : input('', typeof init === 'string' ? init : '', undefined);
    return this.field(n, e, control, {
      value: () => e.form[n.name],
      shown: (v) => (v && typeof v === 'object' ? `${v['start-date'] || ''} – ${v['end-date'] || ''}` : v),
      check: (v) => {
        const days = v && typeof v === 'object' ? [v['start-date'], v['end-date']] : [v];
        for (const d of days.filter(Boolean)) {
          if (off.has(d) || (typeof min === 'string' && d < min) || (typeof max === 'string' && d > max)) return t('flow.badDate');
        }
        return '';
      },
      labelFor: !range,
    });
  }

  dropdown(n, e) {
    const items = [].concat(this.resolve(n['data-source'], e) || []);
    const init = n.name in e.form ? e.form[n.name] : this.resolve(n['init-value'], e);
    if (init !== undefined && !(n.name in e.form)) e.form[n.name] = init;
    const sel = h('select.flow-input', { id: 'flow-in-' + n.name, name: n.name, 'aria-describedby': 'flow-err-' + n.name,
      onchange: (ev) => { e.form[n.name] = ev.target.value || undefined; this.refresh(e); } },
    h('option', { value: '' }, t('flow.pick')),
    items.map((it) => h('option', { value: it.id, disabled: it.enabled === false, selected: it.id === init }, it.title + (it.description ? ' · ' + it.description : ''))));
    return this.field(n, e, sel, { value: () => e.form[n.name], shown: (v) => titleOf(items, v) });
  }

  // choices draws a radio group (one) or checkboxes and chips (many), a
  // page at a time, with a filter for long lists.
  choices(n, e, many) {
    const items = [].concat(this.resolve(n['data-source'], e) || []);
    const init = n.name in e.form ? e.form[n.name] : this.resolve(n['init-value'], e);
    if (init !== undefined && !(n.name in e.form)) e.form[n.name] = init;
    const chips = n.type === 'ChipsSelector';
    const maxSel = Number(this.resolve(n['max-selected-items'], e) || 0);
    const minSel = Number(this.resolve(n['min-selected-items'], e) || 0);
    const picked = () => (many ? [].concat(e.form[n.name] || []) : e.form[n.name]);
    const list = h('div.flow-choices', { class: chips ? 'chips' : '', role: many ? 'group' : 'radiogroup', id: 'flow-in-' + n.name,
      'aria-describedby': 'flow-err-' + n.name, 'data-count': String(items.length) });
    const option = (it) => {
      const input = h('input', { type: many ? 'checkbox' : 'radio', name: 'flow-' + n.name, value: it.id, disabled: it.enabled === false,
        checked: many ? picked().includes(it.id) : picked() === it.id,
        onchange: (ev) => {
          if (many) {
            const now = picked().filter((x) => x !== it.id);
            if (ev.target.checked) {
              if (maxSel && now.length >= maxSel) { ev.target.checked = false; this.fieldError(n.name, t('flow.maxSelected', { n: maxSel })); return; }
              now.push(it.id);
            }
            e.form[n.name] = now;
          } else e.form[n.name] = it.id;
          this.fieldError(n.name, '');
          this.refresh(e);
        } });
      return h('label.flow-choice', { 'data-id': it.id, class: it.enabled === false ? 'disabled' : '' }, input,
        h('span.flow-choice-text', h('span.flow-choice-title', it.title || it.id),
          it.description ? h('span.flow-choice-desc.muted', it.description) : null, it.metadata ? h('span.flow-choice-meta.muted', it.metadata) : null));
    };
    let shown = items;
    let drawn = 0;
    const more = h('div.flow-more', { 'aria-hidden': 'true' });
    const draw = () => {
      const next = shown.slice(drawn, drawn + PAGE);
      drawn += next.length;
      more.before(...next.map(option));
      more.classList.toggle('hidden', drawn >= shown.length);
    };
    list.append(more);
    lazyPages(list, more, () => drawn < shown.length && (draw(), true));
    draw();
    let filter = null;
    if (items.length >= FILTER_AT) {
      filter = h('input.flow-input.flow-filter', { type: 'search', placeholder: t('flow.filter'), 'aria-label': t('flow.filterLabel', { name: this.resolve(n.label, e) || '' }),
        oninput: (ev) => {
          const q = ev.target.value.trim().toLowerCase();
          shown = q ? items.filter((it) => `${it.title || ''} ${it.description || ''} ${it.id}`.toLowerCase().includes(q)) : items;
          for (const c of [...list.querySelectorAll('.flow-choice')]) c.remove();
          drawn = 0;
          draw();
        } });
    }
    const control = h('div.flow-choices-box', filter, list);
    return this.field(n, e, control, {
      value: () => e.form[n.name],
      shown: (v) => (Array.isArray(v) ? v.map((x) => titleOf(items, x)).join(', ') : titleOf(items, v)),
      check: (v) => {
        const k = Array.isArray(v) ? v.length : 0;
        if (many && minSel && k && k < minSel) return t('flow.minSelected', { n: minSel });
        return '';
      },
      labelFor: false,
    });
  }

  optIn(n, e) {
    const box = h('input', { type: 'checkbox', id: 'flow-in-' + n.name, name: n.name, checked: e.form[n.name] === true || (this.resolve(n['init-value'], e) === true && !(n.name in e.form)),
      'aria-describedby': 'flow-err-' + n.name, onchange: (ev) => { e.form[n.name] = ev.target.checked; this.fieldError(n.name, ''); this.refresh(e); } });
    if (!(n.name in e.form)) e.form[n.name] = box.checked;
    const read = n['on-click-action'] ? h('button.linklike', { type: 'button', onclick: () => this.act(n['on-click-action'], e) }, t('flow.readMore')) : null;
    const required = this.resolve(n.required, e) === true;
    const err = h('div.flow-error.error', { id: 'flow-err-' + n.name, role: 'status' });
    const label = this.resolve(n.label, e) || '';
    const wrap = h('div.flow-field.flow-optin', { 'data-name': n.name, 'data-type': n.type },
      h('label.flow-choice', box, h('span', label, required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null)), read, err);
    this.fields.push({ n, box: wrap, err, label, required, value: () => (e.form[n.name] ? true : undefined), shown: () => t('flow.yes'), focus: () => box.focus() });
    return wrap;
  }

  navList(n, e) {
    const items = [].concat(this.resolve(n['list-items'], e) || []);
    const label = this.resolve(n.label, e);
    const list = h('div.flow-nav', { role: 'list', 'data-count': String(items.length) });
    const more = h('div.flow-more', { 'aria-hidden': 'true' });
    let drawn = 0;
    const row = (it) => {
      const mc = it['main-content'] || {};
      return h('div', { role: 'listitem' }, h('button.flow-nav-row', { type: 'button', 'data-id': it.id, onclick: () => {
        e.form[n.name] = it.id;
        this.act(it['on-click-action'] || n['on-click-action'], e);
      } }, h('span.grow', h('span.flow-choice-title', mc.title || it.id), mc.description ? h('span.flow-choice-desc.muted', mc.description) : null,
        mc.metadata ? h('span.flow-choice-meta.muted', mc.metadata) : null), it.badge ? h('span.badge', it.badge) : null,
      it.end && it.end.title ? h('span.muted', it.end.title) : null));
    };
    const draw = () => {
      const next = items.slice(drawn, drawn + PAGE);
      drawn += next.length;
      more.before(...next.map(row));
      more.classList.toggle('hidden', drawn >= items.length);
    };
    list.append(more);
    lazyPages(list, more, () => drawn < items.length && (draw(), true));
    draw();
    return h('div.flow-field', { 'data-name': n.name, 'data-type': n.type }, label ? h('div.flow-label', label) : null,
      this.resolve(n.description, e) ? h('div.flow-help.muted', this.resolve(n.description, e)) : null, list);
  }

  footer(n, e) {
    const caps = ['left-caption', 'center-caption', 'right-caption'].map((k) => this.resolve(n[k], e)).filter(Boolean);
    return h('div.flow-footer', caps.length ? h('div.flow-captions.muted', caps.map((c) => h('span', c))) : null,
      h('button.btn.primary.flow-go', { type: 'button', disabled: this.resolve(n.enabled, e) === false,
        onclick: () => this.act(n['on-click-action'], e) }, this.resolve(n.label, e) || t('flow.continue')));
  }

  // conditional draws If (condition, then, else) or Switch (value,
  // cases) into a box redrawn when the form changes.
  conditional(n, e) {
    const box = h('div.flow-cond');
    let key = null;
    const draw = () => {
      let pick;
      if (n.type === 'If') pick = truthy(this.evaluate(n.condition, e)) ? n.then : n.else;
      else {
        const v = this.resolve(n.value, e);
        pick = (n.cases || {})[v === undefined || v === null ? '' : String(v)];
      }
      const k = JSON.stringify(pick || null);
      if (k === key) return;
      key = k;
      this.fields = this.fields.filter((f) => !box.contains(f.box));
      box.replaceChildren(...this.children(pick || [], e));
    };
    this.conds.push(draw);
    draw();
    return box;
  }

  refresh() {
    for (const c of this.conds) c();
  }

  // evaluate computes an If condition: bindings, 'strings', numbers,
  // true/false, ! && || == != < <= > >= and parentheses.
  evaluate(src, e) {
    if (typeof src === 'boolean') return src;
    const toks = String(src || '').match(/\$\{[\w.]+\}|'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|&&|\|\||==|!=|<=|>=|[<>!()]|true|false|\S+/g) || [];
    let i = 0;
    const peek = () => toks[i];
    const next = () => toks[i++];
    const atom = () => {
      const tk = next();
      if (tk === '(') { const v = or(); next(); return v; }
      if (tk === '!') return !truthy(atom());
      if (tk === undefined) return undefined;
      if (tk.startsWith('${')) return this.lookup(tk.slice(2, -1), e);
      if (tk[0] === "'" || tk[0] === '"') return tk.slice(1, -1);
      if (tk === 'true' || tk === 'false') return tk === 'true';
      if (/^-?\d/.test(tk)) return Number(tk);
      return tk;
    };
    const cmp = () => {
      let a = atom();
      while (['==', '!=', '<', '<=', '>', '>='].includes(peek())) {
        const op = next();
        const b = atom();
        a = op === '==' ? a == b : op === '!=' ? a != b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b; // eslint-disable-line eqeqeq
      }
      return a;
    };
    const and = () => { let a = cmp(); while (peek() === '&&') { next(); const b = cmp(); a = truthy(a) && truthy(b); } return a; };
    const or = () => { let a = and(); while (peek() === '||') { next(); const b = and(); a = truthy(a) || truthy(b); } return a; };
    try { return or(); } catch { return false; }
  }

  fieldError(name, msg) {
    const f = this.fields.find((x) => x.n.name === name);
    if (f) { f.err.textContent = msg; f.box.classList.toggle('invalid', !!msg); }
  }

  // validate marks every required field left empty and every bad value;
  // it focuses the first and answers whether the screen may go on.
  validate() {
    let first = null;
    for (const f of this.fields) {
      if (!f.box.isConnected) continue;
      const v = f.value();
      let msg = '';
      if (f.required && (v === undefined || v === '' || v === false || (Array.isArray(v) && !v.length))) msg = t('flow.required');
      else if (f.check) msg = f.check(v);
      f.err.textContent = msg;
      f.box.classList.toggle('invalid', !!msg);
      const input = f.box.querySelector('input,select,textarea');
      if (input) input.setAttribute('aria-invalid', msg ? 'true' : 'false');
      if (msg && !first) first = f;
    }
    if (first) { first.focus(); first.box.scrollIntoView({ block: 'center' }); }
    return !first;
  }

  // answers keeps what the person filled on the current screen, for the summary.
  keepAnswers(e) {
    e.answers = this.fields.filter((f) => f.box.isConnected && f.label).map((f) => {
      const v = f.value();
      if (v === undefined || v === '' || (Array.isArray(v) && !v.length)) return null;
      return { label: f.label, text: String(f.shown ? f.shown(v) : v) };
    }).filter(Boolean);
  }

  // ---- actions ----

  async act(a, e) {
    if (!a) return;
    const payload = this.resolve(a.payload || {}, e);
    switch (a.name) {
      case 'navigate': {
        if (!this.validate()) return;
        this.keepAnswers(e);
        const next = a.next && a.next.name;
        this.alert('');
        this.show(next, payload);
        break;
      }
      case 'data_exchange': {
        if (!this.validate()) return;
        this.keepAnswers(e);
        if (!this.flow.endpoint) { this.alert(t('flow.broken')); return; }
        const ans = await this.exchange({ action: 'data_exchange', screen: e.id, data: payload });
        if (ans) this.show(ans.screen, ans.data || {});
        break;
      }
      case 'complete':
        if (!this.validate()) return;
        this.keepAnswers(e);
        this.summary(payload);
        break;
      case 'update_data':
        Object.assign(e.data, payload);
        this.render();
        break;
      case 'open_url': {
        try {
          const u = new URL(a.url);
          if (u.protocol === 'https:') window.open(u.href, '_blank', 'noopener,noreferrer');
        } catch { /* not a URL */ }
        break;
      }
      default:
    }
  }

  // back goes to the previous screen; a screen with refresh_on_back asks
  // the endpoint (BACK) for the data of the screen it returns to.
  async back() {
    if (this.summaryShown) {
      this.summaryShown = false;
      if (this.stack.length) return this.render();
    }
    if (this.stack.length < 2) return this.close();
    const leaving = this.top;
    const screen = this.screens.get(leaving.id);
    if (screen.refresh_on_back && this.flow.endpoint) {
      const a = await this.exchange({ action: 'BACK', screen: leaving.id });
      if (a) this.show(a.screen, a.data || {});
      return;
    }
    this.stack.pop();
    this.alert('');
    this.render();
  }

  // summary shows every answer of the visited screens and sends the Flow.
  summary(response) {
    this.summaryShown = true;
    this.title.textContent = t('flow.summary');
    this.backBtn.classList.toggle('hidden', !this.stack.length);
    this.el.dataset.screen = 'SUMMARY';
    const rows = this.stack.flatMap((s) => s.answers);
    const send = h('button.btn.primary.flow-send', { type: 'button', onclick: () => this.finish(response, send) }, t('flow.send'));
    this.body.replaceChildren(h('p.muted', t('flow.summaryHelp')),
      rows.length ? h('dl.flow-summary', rows.map((r) => [h('dt', r.label), h('dd', r.text)])) : h('p.muted', t('flow.nothing')),
      h('div.flow-footer', send));
  }

  async finish(response, btn) {
    btn.disabled = true;
    this.alert('');
    try {
      const { response_json: json } = await this.core.api.post('/v1/flows/complete', { chat_id: this.chat, message_id: this.m.id, response });
      const body = t('flow.sentText', { name: this.params.flow_cta || this.flow.name || '' });
      await this.done();
      await this.send({ text: body, reply_to: this.m.id, interactive_reply: { type: 'nfm_reply', name: 'flow', body, response_json: json } });
      this.close();
    } catch (e) {
      btn.disabled = false;
      if (e.code === 'conflict') this.message(flowError(e));
      else this.alert(flowError(e));
    }
  }
}

// lazyPages calls more() each time the sentinel at the end of the
// scrolling list comes within 300px of view; observing it again after a
// page checks at once whether the next page is needed too.
function lazyPages(list, sentinel, more) {
  const io = new IntersectionObserver((es) => {
    if (es.some((x) => x.isIntersecting) && more()) { io.unobserve(sentinel); io.observe(sentinel); }
  }, { root: list, rootMargin: '300px' });
  io.observe(sentinel);
}

function text(v) {
  if (Array.isArray(v)) return v.join('\n');
  return v === undefined || v === null ? '' : String(v);
}

function titleOf(items, id) {
  const it = items.find((x) => x.id === id);
  return it ? it.title : id === undefined ? '' : String(id);
}

function truthy(v) {
  return !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && !v.length));
}

// flowError is the person-facing line for a failed step.
function flowError(e) {
  if (e.code === 'conflict') return t('flow.closed');
  if (e.code === 'not_found') return t('flow.gone');
  if (e.code === 'unavailable' || e.code === 'network') return t('flow.unavailable');
  return errorText(e);
}

// renderFlowReply draws the person's own nfm_reply: the line it was sent
// with and the answers it carried, behind a disclosure.
export function renderFlowReply(m) {
  const r = m.interactive_reply;
  let fields = {};
  try { fields = JSON.parse(r.response_json || '{}'); } catch { fields = {}; }
  const rows = Object.entries(fields).filter(([k]) => k !== 'flow_token');
  return h('div.flow-reply', h('div.text', h('span.flow-reply-mark', icon('check')), ' ', m.text || r.body || t('flow.sent')),
    rows.length ? h('details.flow-reply-details', h('summary.muted', t('flow.viewAnswers')),
      h('dl.flow-summary', rows.map(([k, v]) => [h('dt', k), h('dd', typeof v === 'object' ? JSON.stringify(v) : String(v))]))) : null);
}
