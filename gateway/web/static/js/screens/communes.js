// The commune board: every commune as a tile, coloured AND patterned AND labelled by its state
// (cut off / sites out / normal), with the operators whose sites are out and since when. The
// state follows the live KPIs (telecom.commune_cut_off, telecom.sites_out); the sites behind them
// are read from DuckDB's drill-down when a commune's count changes.
import { fill, h, icon } from '../dom.js';
import { t } from '../i18n.js';
import { unitName, unitsOf } from '../config.js';
import { num, dateTime, duration } from '../format.js';
import { get, on } from '../live.js';
import { getJSON } from '../api.js';

const OPERATORS = {viettel: 'Viettel', vnpt: 'VNPT', mobifone: 'MobiFone'};   // brand names, not words

let el = null;
let known = new Map();     // commune -> known sites
let outSites = new Map();  // commune -> [{site_id, operator, out_since}]
let problem = null;
const offs = [];
const refetch = new Map(); // commune -> timer

async function loadAll() {
  try {
    const data = await getJSON('communes');
    known = new Map(data.sites.map((s) => [s.commune, s.known]));
    outSites = new Map();
    for (const s of data.out) {
      if (!outSites.has(s.commune)) outSites.set(s.commune, []);
      outSites.get(s.commune).push(s);
    }
    problem = null;
  } catch (err) {
    problem = err;
  }
  render();
}

// The drill-down rows may reach DuckDB a moment after the KPI: read again until they agree.
function loadCommune(code, attempt = 0) {
  clearTimeout(refetch.get(code));
  refetch.set(code, setTimeout(async () => {
    try {
      const data = await getJSON(`communes/${code}`);
      known.set(code, data.sites.length ? data.sites[0].known : 0);
      outSites.set(code, data.out);
      render();
      const liveOut = (get('telecom.sites_out', code, 'live', 'live') || {}).value;
      if (liveOut !== undefined && liveOut !== data.out.length && attempt < 8) loadCommune(code, attempt + 1);
    } catch (err) {
      if (attempt < 8) loadCommune(code, attempt + 1);
    }
  }, attempt === 0 ? 300 : 1000));
}

function stateOf(code) {
  const cut = (get('telecom.commune_cut_off', code, 'live', 'live') || {}).value;
  const out = (get('telecom.sites_out', code, 'live', 'live') || {}).value || 0;
  return {state: cut >= 1 ? 'cutoff' : out > 0 ? 'degraded' : 'normal', out};
}

function operators(list) {
  const by = new Map();
  for (const s of list) {
    const o = by.get(s.operator) || {n: 0, since: Infinity};
    o.n += 1; o.since = Math.min(o.since, s.out_since ?? Infinity);
    by.set(s.operator, o);
  }
  return [...by.entries()].sort((a, b) => b[1].n - a[1].n);
}

function tile(u) {
  const {state, out} = stateOf(u.code);
  const sites = outSites.get(u.code) || [];
  const total = known.get(u.code);
  const label = {cutoff: t('board.cutoff'), degraded: t('board.degraded'), normal: t('board.normal')}[state];
  const ico = {cutoff: 'cut', degraded: 'warn', normal: 'ok'}[state];
  const lines = [];
  if (state === 'cutoff' && sites.length) {
    const since = Math.max(...sites.map((s) => s.out_since || 0));
    lines.push(h('div', {class: 'tile-since'}, t('board.cut_since', {when: dateTime(since), for: duration(Date.now() - since)})));
  }
  for (const [op, o] of operators(sites).slice(0, 3)) {
    lines.push(h('div', {class: 'tile-op'}, h('span', {class: 'op-name'}, OPERATORS[op] || op),
      ' ', t('board.op_out', {n: num(o.n), since: Number.isFinite(o.since) ? dateTime(o.since) : '—'})));
  }
  return h('li', {class: `tile tile-${state}`, dataset: {commune: u.code, state}},
    h('div', {class: 'tile-head'}, icon(ico), h('span', {class: 'tile-name'}, unitName(u.code))),
    h('div', {class: 'tile-state'}, label),
    h('div', {class: 'tile-count'}, total === undefined ? t('board.no_sites')
      : t('board.sites_out', {out: num(out), known: num(total)})),
    lines);
}

function render() {
  if (!el) return;
  const list = unitsOf('commune');
  const states = list.map((u) => stateOf(u.code));
  const cut = states.filter((s) => s.state === 'cutoff').length;
  const out = states.reduce((a, s) => a + s.out, 0);
  const head = h('div', {class: 'screen-head'}, h('h1', {}, t('board.title')),
    h('div', {class: 'screen-meta', dataset: {role: 'summary'}}, t('board.summary', {cut: num(cut), out: num(out), n: num(list.length)})),
    h('ul', {class: 'legend'},
      h('li', {class: 'legend-item tile-cutoff'}, icon('cut'), t('board.cutoff')),
      h('li', {class: 'legend-item tile-degraded'}, icon('warn'), t('board.degraded')),
      h('li', {class: 'legend-item tile-normal'}, icon('ok'), t('board.normal'))));
  const body = problem ? h('div', {class: 'panel problem'}, icon('warn'), t('problem.history')) : null;
  fill(el, head, body, h('ul', {class: 'board'}, list.map(tile)));
}

export default {
  id: 'communes',
  mount(target) {
    el = target;
    render();
    loadAll();
    offs.push(on('kpi', (changed) => {
      if (!changed) { render(); return; }
      const communes = new Set(unitsOf('commune').map((u) => u.code));
      const touched = changed.filter((r) => r.grain === 'live' && communes.has(r.unit)
                                            && (r.kpi === 'telecom.sites_out' || r.kpi === 'telecom.commune_cut_off'));
      for (const code of new Set(touched.map((r) => r.unit))) loadCommune(code);
      if (touched.length) render();
    }), on('hello', loadAll));
    this.timer = setInterval(render, 60_000);   // "for 2 h 5 min" grows with the clock
  },
  unmount() { while (offs.length) offs.pop()(); clearInterval(this.timer); el = null; },
  render,
};
