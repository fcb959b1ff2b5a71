// The alerts feed: open alerts first (most severe first), then the recent ones; raises and clears
// arrive live; an operator acknowledges with one click (stored in DuckDB, seen by every screen).
import { fill, h, icon } from '../dom.js';
import { t, pick } from '../i18n.js';
import { dateTime, duration, localiseNumbers } from '../format.js';
import { allAlerts, openAlerts, onAlerts, acknowledge, alertsLoaded } from '../alerts.js';
import { loggedIn, may } from '../session.js';

const OPERATOR_KEY = 'ioc.operator';
const SEVERITY_ICON = {critical: 'cut', major: 'warn', warning: 'info'};
let el = null;
let input = null;          // kept across renders, so typing is never interrupted by a live alert
let off = null;
let message = null;

async function ack(alert, button) {
  const by = loggedIn() ? '' : (input.value || '').trim();   // logged in: the gateway knows who
  if (!by && !loggedIn()) {
    message = t('alerts.need_name');
    render();
    input.focus();
    return;
  }
  if (by) localStorage.setItem(OPERATOR_KEY, by);
  button.disabled = true;
  try {
    await acknowledge(alert.alert_id, by);
    message = null;
  } catch (err) {
    message = t('alerts.ack_failed');
    render();
  }
}

function row(a) {
  const open = a.cleared_at === null;
  return h('li', {class: `alert alert-${a.severity} ${open ? 'alert-open' : 'alert-cleared'}${a.acknowledged_at ? ' alert-acked' : ''}`,
                  dataset: {alert: a.alert_id, rule: a.rule, subject: a.subject, state: open ? 'open' : 'cleared'}},
    h('div', {class: 'alert-sev'}, icon(SEVERITY_ICON[a.severity] || 'info'), h('span', {}, t(`severity.${a.severity}`))),
    h('div', {class: 'alert-body'},
      h('div', {class: 'alert-msg'}, localiseNumbers(pick(a, 'message'))),
      h('div', {class: 'alert-times'},
        h('span', {}, t('alerts.raised', {when: dateTime(a.raised_at)})),
        open ? h('span', {class: 'alert-ongoing'}, t('alerts.ongoing', {for: duration(Date.now() - a.raised_at)}))
          : h('span', {}, t('alerts.cleared', {when: dateTime(a.cleared_at)})))),
    h('div', {class: 'alert-ack'}, a.acknowledged_at
      ? h('span', {class: 'acked'}, icon('ok'), t('alerts.acked', {by: a.acknowledged_by, when: dateTime(a.acknowledged_at)}))
      : may('operator') ? h('button', {type: 'button', class: 'btn', dataset: {action: 'ack'},
                     onclick: (e) => ack(a, e.currentTarget)}, t('alerts.ack')) : null));
}

function render() {
  if (!el) return;
  const all = allAlerts();
  const open = openAlerts();
  const unacked = open.filter((a) => !a.acknowledged_at).length;
  const focused = document.activeElement === input;
  const caret = input.selectionStart;
  input.placeholder = t('alerts.operator_hint');
  const head = h('div', {class: 'screen-head'}, h('h1', {}, t('alerts.title')),
    h('div', {class: 'screen-meta'}, t('alerts.summary', {open: open.length, unacked})),
    loggedIn() ? null : h('label', {class: 'field'}, h('span', {}, t('alerts.operator')), input),
    may('operator') ? null : h('div', {class: 'panel muted', id: 'viewer-only'}, icon('info'), t('alerts.viewer_only')),
    message ? h('div', {class: 'inline-problem', role: 'alert'}, icon('warn'), message) : null);
  const list = !alertsLoaded() ? h('div', {class: 'panel muted'}, t('word.loading'))
    : all.length === 0 ? h('div', {class: 'panel muted'}, icon('ok'), t('alerts.none'))
    : h('ul', {class: 'alerts'}, all.map(row));
  fill(el, head, list);
  if (focused) { input.focus(); input.setSelectionRange(caret, caret); }
}

export default {
  id: 'alerts',
  mount(target) {
    el = target;
    input = h('input', {id: 'operator', type: 'text', maxlength: '80', autocomplete: 'name',
                        value: localStorage.getItem(OPERATOR_KEY) || ''});
    render();
    off = onAlerts(render);
    this.timer = setInterval(render, 60_000);
  },
  unmount() { if (off) off(); clearInterval(this.timer); el = null; },
  render,
};
