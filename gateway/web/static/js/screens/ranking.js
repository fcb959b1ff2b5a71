// The 766 service index: communes and agencies ranked by total, with each group's points and the
// change since the previous period. Both periods come from DuckDB when the screen opens; the
// current period then follows the live feed (index766.total and index766.group.* updates).
// Official figures (the portal's, `official` in the answer) are applied at read time: a unit's
// estimate is its live total plus what official points changed when the screen read it (components
// the pipeline cannot measure), shown beside the official score and the difference.
import { fill, h, icon, throttle } from '../dom.js';
import { t, pick, getLang } from '../i18n.js';
import { config, unitName, unitsOf, band as bandOf } from '../config.js';
import { num, signed, period } from '../format.js';
import { get, on } from '../live.js';
import { getJSON } from '../api.js';

let el = null;
let grain = 'month';
let level = 'commune';
let data = null;
let problem = null;
const offs = [];

async function load() {
  try {
    data = await getJSON('ranking', {grain});
    problem = null;
  } catch (err) {
    problem = err;
  }
  render();
}

// One row per unit: the current period from the live store when newer than what was read.
function rowsFor(lvl) {
  const cur = new Map(), prev = new Map();
  for (const s of data.scores) (s.period === data.period ? cur : prev).set(s.unit, {...s, groups: {}});
  for (const g of data.groups) {
    const target = (g.period === data.period ? cur : prev).get(g.unit);
    if (target) target.groups[g.kpi.slice('index766.group.'.length)] = {value: g.value, t: g.t};
  }
  const groups = config.index766.groups.map((g) => g.code);
  return unitsOf(lvl).map((u) => {
    const base = cur.get(u.code) || {unit: u.code, total: null, band: null, band_confirmed: true, t: 0, groups: {}};
    const liveTotal = get('index766.total', u.code, data.grain, data.period);
    const row = {...base, groups: {...base.groups}};
    if (liveTotal && (liveTotal.t || 0) >= (base.t || 0)) {
      row.total = liveTotal.value;
      if (liveTotal.band) { row.band = liveTotal.band; row.band_confirmed = (bandOf(liveTotal.band) || {}).confirmed !== false; }
    }
    for (const code of groups) {
      const lg = get(`index766.group.${code}`, u.code, data.grain, data.period);
      if (lg && (lg.t || 0) >= ((row.groups[code] || {}).t || 0)) row.groups[code] = {value: lg.value, t: lg.t};
    }
    const before = prev.get(u.code);
    const offBefore = (data.official_previous || {})[u.code];
    const shiftBefore = offBefore && offBefore.estimate !== null && offBefore.live !== null ? offBefore.estimate - offBefore.live : 0;
    row.previous = before && before.total !== null ? before.total + shiftBefore : null;   // the estimate then
    row.previousGroups = before ? {...before.groups} : {};
    for (const [code, g] of Object.entries((offBefore && offBefore.estimate !== null && offBefore.groups) || {})) {
      if (g.estimate !== null && row.previousGroups[code]) row.previousGroups[code] = {...row.previousGroups[code], value: g.estimate};
    }
    applyOfficial(row, (data.official || {})[u.code], base);
    return row;
  }).sort((a, b) => (b.estimate ?? -1) - (a.estimate ?? -1) || unitName(a.unit).localeCompare(unitName(b.unit)));
}

// The estimate: official points replace what the pipeline cannot measure. The shift read from
// DuckDB (estimate - live) stays while live updates move the measured components.
function applyOfficial(row, off, base) {
  row.off = off || null;
  const shift = off && off.estimate !== null && off.live !== null ? off.estimate - off.live : 0;
  row.estimate = row.total === null ? null : row.total + shift;
  if (shift !== 0 && row.estimate !== null) {   // the rating band of the estimate (bands: highest first)
    const b = config.index766.bands.find((x) => row.estimate >= x.min);
    if (b) { row.band = b.code; row.band_confirmed = b.confirmed !== false; }
  }
  row.usesOfficial = Boolean(off && off.official_components.length);
  row.estimateGroups = {};
  for (const [code, g] of Object.entries(row.groups)) {
    const read = (base.groups[code] || {}).value;
    const og = off && off.groups[code];
    const gshift = og && og.estimate !== null && read !== undefined && read !== null ? og.estimate - read : 0;
    row.estimateGroups[code] = {...g, value: g.value === null || g.value === undefined ? g.value : g.value + gshift};
  }
}

function bandCell(code, confirmed) {
  const b = bandOf(code);
  if (!b) return h('td', {class: 'band'}, '—');
  return h('td', {class: `band band-${code}`}, pick(b, 'name'), confirmed ? null : h('span', {class: 'unconfirmed'}, '*'));
}

function change(row) {
  if (row.estimate === null) return h('td', {class: 'change'}, '—');
  if (row.previous === null) return h('td', {class: 'change change-new'}, t('ranking.new'));
  const d = row.estimate - row.previous;   // estimate against estimate, as the reports compare
  const dir = Math.abs(d) < 0.05 ? 'flat' : d > 0 ? 'up' : 'down';
  const arrow = {up: '↑', down: '↓', flat: '='}[dir];
  return h('td', {class: `change change-${dir}`, title: t(`ranking.change_${dir}`)}, h('span', {class: 'arrow'}, arrow), signed(d, 1));
}

// A group's points, and how they moved since the previous period (when they did).
function groupCell(row, code) {
  const now = (row.estimateGroups[code] || row.groups[code] || {}).value;
  const og = row.off && row.off.groups[code];
  const before = (row.previousGroups[code] || {}).value;
  const d = now !== undefined && now !== null && before !== undefined && before !== null ? now - before : null;
  const moved = d !== null && Math.abs(d) >= 0.05;
  const title = og && og.official !== null ? `${t('ranking.official')}: ${num(og.official, 2)}` : null;
  return h('td', {class: `group num${og && og.official !== null ? ' has-official' : ''}`, title}, num(now, 1),
    moved ? h('span', {class: `gdelta change-${d > 0 ? 'up' : 'down'}`, title: t(`ranking.change_${d > 0 ? 'up' : 'down'}`)},
      `${d > 0 ? '↑' : '↓'}${num(Math.abs(d), 1)}`) : h('span', {class: 'gdelta'}));
}

function table(lvl) {
  const groups = config.index766.groups;
  const rows = rowsFor(lvl);
  return h('table', {class: 'table ranking', dataset: {level: lvl}},
    h('thead', {}, h('tr', {},
      h('th', {class: 'rank'}, t('ranking.rank')), h('th', {class: 'unit'}, t(`level.${lvl}`)),
      h('th', {class: 'total'}, t('ranking.total')),
      h('th', {class: 'official', title: t('ranking.official_title')}, t('ranking.official')),
      h('th', {class: 'difference', title: t('ranking.official_title')}, t('ranking.difference')),
      h('th', {}, t('ranking.band')),
      h('th', {}, t('ranking.change', {previous: period(data.grain, data.previous)})),
      groups.map((g) => h('th', {class: 'group', title: t(`kpi.index766.group.${g.code}`)},
        h('span', {class: 'group-name'}, t(`kpi.index766.group.${g.code}`)), h('span', {class: 'group-max'}, t('ranking.max', {max: num(g.max)})))))),
    h('tbody', {}, rows.map((r, i) => h('tr', {dataset: {unit: r.unit}},
      h('td', {class: 'rank'}, r.estimate === null ? '—' : String(i + 1)),
      h('td', {class: 'unit'}, unitName(r.unit)),
      h('td', {class: 'total'}, h('span', {class: 'bar'}, h('span', {class: 'bar-fill', style: {width: `${Math.max(0, Math.min(100, r.estimate || 0))}%`}})),
        h('span', {class: 'num'}, num(r.estimate, 1)),
        r.usesOfficial ? h('span', {class: 'official-mark', title: t('ranking.uses_official')}, '◆') : null),
      officialCell(r), differenceCell(r),
      bandCell(r.band, r.band_confirmed), change(r),
      groups.map((g) => groupCell(r, g.code))))));
}

function officialCell(row) {
  const off = row.off;
  if (!off || off.official_groups === 0) return h('td', {class: 'official num'}, '—');
  if (off.official === null) {
    return h('td', {class: 'official partial'},
      t('ranking.official_partial', {n: off.official_groups, all: config.index766.groups.length}));
  }
  return h('td', {class: 'official num'}, num(off.official, 1));
}

// The estimate (as shown, live) minus the official score.
function differenceCell(row) {
  const off = row.off;
  if (!off || off.official === null || row.estimate === null) return h('td', {class: 'difference num'}, '—');
  const d = row.estimate - off.official;
  const dir = Math.abs(d) < 0.05 ? 'flat' : d > 0 ? 'up' : 'down';
  return h('td', {class: `difference num diff-${dir}`}, signed(d, 1));   // neither good nor bad: no colour
}

// The period's report as `ioc report` makes it (workbook and leadership summary), in this language.
function downloads() {
  const query = new URLSearchParams({period: data.period, lang: getLang()});
  return h('span', {class: 'downloads'}, h('span', {}, t('report.download')),
    ['xlsx', 'pdf'].map((fmt) => h('a', {class: 'tab', href: `api/report.${fmt}?${query}`, download: '',
      dataset: {report: fmt}}, t(`report.${fmt}`))));
}

function render() {
  if (!el) return;
  const head = h('div', {class: 'screen-head'},
    h('h1', {}, t('ranking.title')),
    h('div', {class: 'tabs', role: 'group', 'aria-label': t('ranking.grain')},
      (config.index766 ? config.index766.grains : []).map((g) => h('button', {
        type: 'button', class: `tab${g === grain ? ' active' : ''}`, 'aria-pressed': String(g === grain), dataset: {grain: g},
        onclick: () => { grain = g; data = null; render(); load(); }}, t(`grain.${g}`)))),
    h('div', {class: 'tabs', role: 'group', 'aria-label': t('ranking.level')},
      ['commune', 'agency'].map((l) => h('button', {
        type: 'button', class: `tab${l === level ? ' active' : ''}`, 'aria-pressed': String(l === level), dataset: {level: l},
        onclick: () => { level = l; render(); }}, t(`levels.${l}`, {n: unitsOf(l).length})))));
  if (problem) { fill(el, head, h('div', {class: 'panel problem'}, icon('warn'), t('problem.history'))); return; }
  if (!data) { fill(el, head, h('div', {class: 'panel muted'}, t('word.loading'))); return; }
  const stored = data.scores.find((s) => s.unit === config.province && s.period === data.period);
  const liveProvince = get('index766.total', config.province, data.grain, data.period);
  const fresher = liveProvince && (!stored || (liveProvince.t || 0) >= (stored.t || 0));
  const offProvince = (data.official || {})[config.province];
  const provinceShift = offProvince && offProvince.estimate !== null && offProvince.live !== null ? offProvince.estimate - offProvince.live : 0;
  const liveTotal = fresher ? liveProvince.value : stored ? stored.total : null;
  const provinceTotal = liveTotal === null ? null : liveTotal + provinceShift;
  const provinceBand = provinceShift !== 0 && provinceTotal !== null
    ? config.index766.bands.find((x) => provinceTotal >= x.min)
    : bandOf((fresher && liveProvince.band) || (stored && stored.band));
  const summary = h('div', {class: 'screen-meta'},
    t('ranking.period', {period: period(data.grain, data.period), previous: period(data.grain, data.previous)}),
    ' · ', t('ranking.province', {name: unitName(config.province), total: num(provinceTotal, 1),
                                   band: provinceBand ? pick(provinceBand, 'name') : '—'}));
  const note = h('p', {class: 'footnote'}, t('ranking.footnote', {version: config.index766.version}),
    Object.values(data.official || {}).some((o) => o.official_components.length) ? [' ', t('ranking.official_note')] : null);
  summary.append(downloads());   // on the summary's line: the table keeps its height
  fill(el, head, summary, h('div', {class: 'table-wrap'}, table(level)), note);
}

const later = throttle(render, 500);

export default {
  id: 'ranking',
  mount(target) {
    el = target;
    render();
    load();
    offs.push(on('kpi', (changed) => {
      if (!changed || changed.some((r) => r.kpi.startsWith('index766.'))) later();
    }), on('hello', load));
  },
  unmount() { while (offs.length) offs.pop()(); el = null; },
  render,
};
