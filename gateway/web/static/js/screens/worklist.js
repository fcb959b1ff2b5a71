// The late-dossier worklist per unit (drill-down views late_dossiers and overdue_dossiers): the
// units with the most late or overdue dossiers, and the chosen unit's dossiers, worst first.
// Read from DuckDB when opened and again when the live on-time or overdue KPIs move.
import { fill, h, icon, labelled, throttle } from '../dom.js';
import { t } from '../i18n.js';
import { config, unitName } from '../config.js';
import { num, date, dateTime, duration, period } from '../format.js';
import { on, live } from '../live.js';
import { getJSON } from '../api.js';

let el = null;
let month = null;
let summary = null;
let selected = null;
let detail = null;
let problem = null;
const offs = [];

async function loadSummary() {
  try {
    summary = await getJSON('worklist', month ? {month} : undefined);
    month = summary.month;
    problem = null;
    const ranked = rankedUnits();
    if (!selected && ranked.length) selected = ranked[0].unit;
  } catch (err) {
    problem = err;
  }
  render();
  if (selected) loadDetail();
}

async function loadDetail() {
  const unit = selected;
  try {
    const d = await getJSON(`worklist/${encodeURIComponent(unit)}`, {month});
    if (unit === selected) detail = d;
  } catch (err) {
    problem = err;
  }
  render();
}

function rankedUnits() {
  if (!summary) return [];
  return summary.counts.filter((c) => config.byCode.has(c.unit) && (c.late > 0 || c.overdue > 0))
    .sort((a, b) => (b.late + b.overdue) - (a.late + a.overdue) || unitName(a.unit).localeCompare(unitName(b.unit)));
}

function select(unit) {
  selected = unit;
  detail = null;
  history.replaceState(null, '', `#/worklist/${unit}`);
  render();
  loadDetail();
  // on a phone the chosen unit's dossiers are below the whole list: bring them into view
  if (matchMedia('(max-width: 700px)').matches) el.querySelector('.detail')?.scrollIntoView();
}

function unitList() {
  const ranked = rankedUnits();
  if (!ranked.length) return h('div', {class: 'panel muted'}, t('worklist.none'));
  return h('table', {class: 'table units'},
    h('thead', {}, h('tr', {}, h('th', {}, t('worklist.unit')), h('th', {class: 'num'}, t('worklist.late_n')),
      h('th', {class: 'num'}, t('worklist.overdue_n')))),
    h('tbody', {}, ranked.map((c) => h('tr', {
      class: c.unit === selected ? 'selected' : '', dataset: {unit: c.unit}, tabindex: '0',
      onclick: () => select(c.unit), onkeydown: (e) => { if (e.key === 'Enter') select(c.unit); }},
    h('td', {}, unitName(c.unit)), h('td', {class: 'num'}, num(c.late)), h('td', {class: 'num'}, num(c.overdue))))));
}

function lateTable(rows) {
  if (!rows.length) return h('p', {class: 'muted'}, t('worklist.no_late'));
  return labelled(h('table', {class: 'table dossiers', dataset: {list: 'late'}},
    h('thead', {}, h('tr', {}, ['dossier', 'procedure', 'received', 'due', 'finished', 'late_by', 'supplements']
      .map((k) => h('th', {}, t(`worklist.col.${k}`))))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('td', {class: 'code'}, r.dossier), h('td', {class: 'code'}, r.procedure), h('td', {}, date(r.received_at)),
      h('td', {}, dateTime(r.due_at)), h('td', {}, dateTime(r.end_at)),
      h('td', {class: 'num'}, r.late_days === null ? t('worklist.no_due')
        : r.late_days > 0 ? t('worklist.days', {n: num(r.late_days, 1)}) : t('worklist.by_supplements')),
      h('td', {class: 'num'}, r.supplement_requests ? t('worklist.supplements', {n: num(r.supplement_requests), days: num(r.supplement_days, 1)}) : '—'))))));
}

function overdueTable(rows) {
  if (!rows.length) return h('p', {class: 'muted'}, t('worklist.no_overdue'));
  const now = Date.now();
  return labelled(h('table', {class: 'table dossiers', dataset: {list: 'overdue'}},
    h('thead', {}, h('tr', {}, ['dossier', 'procedure', 'status', 'received', 'due', 'overdue_for']
      .map((k) => h('th', {}, t(`worklist.col.${k}`))))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('td', {class: 'code'}, r.dossier), h('td', {class: 'code'}, r.procedure), h('td', {}, t(`status.${r.status}`)),
      h('td', {}, date(r.received_at)), h('td', {}, dateTime(r.due_at)), h('td', {class: 'num'}, duration(now - r.due_at)))))));
}

function render() {
  if (!el) return;
  const months = summary ? summary.months : [];
  const head = h('div', {class: 'screen-head'}, h('h1', {}, t('worklist.title')),
    h('label', {class: 'field'}, h('span', {}, t('worklist.month')),
      h('select', {onchange: (e) => { month = e.target.value; detail = null; loadSummary(); }},
        months.map((m) => h('option', {value: m, selected: m === month}, period('month', m))))));
  const body = problem ? h('div', {class: 'panel problem'}, icon('warn'), t('problem.history')) : null;
  const right = !selected ? h('div', {class: 'panel muted'}, t('worklist.pick'))
    : h('div', {class: 'panel detail', dataset: {unit: selected}},
      h('h2', {}, unitName(selected)),
      h('h3', {}, t('worklist.late_title', {month: period('month', month)}), detail ? h('span', {class: 'count'}, num(detail.late.length)) : null),
      detail ? lateTable(detail.late) : h('p', {class: 'muted'}, t('word.loading')),
      h('h3', {}, t('worklist.overdue_title'), detail ? h('span', {class: 'count'}, num(detail.overdue.length)) : null),
      detail ? overdueTable(detail.overdue) : null);
  fill(el, head, body, h('div', {class: 'split'}, h('div', {class: 'panel list'}, unitList()), right));
}

const refresh = throttle(() => { loadSummary(); }, 2000);

export default {
  id: 'worklist',
  mount(target, rest) {
    el = target;
    if (rest && rest[0] && config.byCode.has(rest[0])) selected = rest[0];
    month = live.periods ? live.periods.month : null;
    render();
    loadSummary();
    offs.push(on('kpi', (changed) => {
      if (changed && changed.some((r) => (r.kpi === 'dvc.on_time_rate' && r.period === month) || r.kpi === 'dvc.overdue_open')) refresh();
    }), on('hello', loadSummary));
  },
  navigate(rest) {
    if (rest && rest[0] && config.byCode.has(rest[0]) && rest[0] !== selected) select(rest[0]);
  },
  unmount() { while (offs.length) offs.pop()(); el = null; },
  render,
};
