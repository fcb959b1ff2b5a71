// Pipeline health: records per source, dead letters by reason, lag, processes. The figures are
// pushed by the gateway every few seconds over the live feed; the all-time archive and dead-letter
// totals are read from DuckDB when the screen opens.
import { fill, h, icon } from '../dom.js';
import { t, has } from '../i18n.js';
import { config } from '../config.js';
import { num, duration, dateTime } from '../format.js';
import { live, on } from '../live.js';
import { getJSON } from '../api.js';
import { sparkline } from '../spark.js';

let el = null;
let history = null;
let problem = null;
const offs = [];
const received = new Map();   // source -> [[ms, records received since the pipeline started]]

async function loadHistory() {
  try {
    history = await getJSON('health');
    problem = null;
  } catch (err) {
    problem = err;
  }
  render();
}

function track(snapshot) {
  for (const s of snapshot.sources) {
    const points = received.get(s.source) || [];
    points.push([snapshot.at, s.received]);
    while (points.length > 120) points.shift();   // ten minutes at one snapshot per 5 s
    received.set(s.source, points);
  }
}

on('health', track);   // from page load, so the rates are there when the screen opens

// Records per minute over the last minute of snapshots.
function rate(source) {
  const points = received.get(source) || [];
  if (points.length < 2) return null;
  const last = points[points.length - 1];
  const first = points.find((p) => p[0] >= last[0] - 60_000) || points[0];
  return last[0] > first[0] ? ((last[1] - first[1]) * 60_000) / (last[0] - first[0]) : null;
}

function perInterval(source) {
  const points = received.get(source) || [];
  return points.slice(1).map((p, i) => [p[0], p[1] - points[i][1]]);
}

function reasonLabel(reason) {
  const [category, field] = reason.split(':');
  const name = has(`reason.${category}`) ? t(`reason.${category}`) : category;
  return field ? `${name}: ${field}` : name;
}

function sourcesTable(hs) {
  const archive = new Map((history ? history.archive : []).map((r) => [r.source, r.n]));
  const lag = (where, source) => (where && where[source] !== undefined ? num(where[source]) : '—');
  return h('table', {class: 'table health-sources'},
    h('thead', {}, h('tr', {}, ['source', 'received', 'accepted', 'duplicate', 'dead', 'rate', 'archive', 'sink_lag', 'kpi_lag', 'trend']
      .map((k) => h('th', {class: k === 'source' || k === 'trend' ? '' : 'num'}, t(`health.col.${k}`))))),
    h('tbody', {}, config.sources.map((source) => {
      const s = hs ? hs.sources.find((x) => x.source === source) : null;
      return h('tr', {dataset: {source}},
        h('td', {}, t(`source.${source}`)),
        h('td', {class: 'num'}, num(s && s.received)), h('td', {class: 'num'}, num(s && s.accepted)),
        h('td', {class: 'num'}, num(s && s.duplicate)),
        h('td', {class: `num${s && s.dead_lettered ? ' warn-text' : ''}`}, num(s && s.dead_lettered)),
        h('td', {class: 'num'}, num(rate(source), 0)),
        h('td', {class: 'num'}, archive.has(source) ? num(archive.get(source)) : '—'),
        h('td', {class: 'num'}, lag(hs && hs.sink && hs.sink.lag, source)),
        h('td', {class: 'num'}, lag(hs && hs.consumer_lag && hs.consumer_lag.kpi, source)),
        h('td', {class: 'trend'}, sparkline(perInterval(source), {width: 160, height: 32, label: t('health.col.trend')})));
    })));
}

function adaptersTable(hs) {
  const rows = hs && hs.adapters ? hs.adapters : [];
  return h('table', {class: 'table health-adapters'},
    h('thead', {}, h('tr', {}, ['adapter', 'source', 'items', 'records', 'accepted', 'duplicate', 'dead', 'ignored']
      .map((k) => h('th', {class: k === 'adapter' || k === 'source' ? '' : 'num'}, t(`health.col.${k}`))))),
    h('tbody', {}, rows.map((a) => h('tr', {dataset: {adapter: a.adapter}},
      h('td', {}, a.adapter), h('td', {}, t(`source.${a.source}`)),
      h('td', {class: 'num'}, num(a.items)), h('td', {class: 'num'}, num(a.records)),
      h('td', {class: 'num'}, num(a.accepted)), h('td', {class: 'num'}, num(a.duplicate)),
      h('td', {class: `num${a.dead_lettered ? ' warn-text' : ''}`}, num(a.dead_lettered)),
      h('td', {class: 'num'}, num(a.ignored))))));
}

function deadLetters(hs) {
  const since = new Map();
  for (const s of hs ? hs.sources : []) for (const [r, n] of Object.entries(s.dead_letter_reasons)) since.set(`${s.source}|${r}`, n);
  const all = new Map((history ? history.dead_letters : []).map((d) => [`${d.source}|${d.reason}`, d.n]));
  const keys = [...new Set([...all.keys(), ...since.keys()])]
    .sort((a, b) => (all.get(b) || since.get(b) || 0) - (all.get(a) || since.get(a) || 0)).slice(0, 14);
  if (!keys.length) return h('p', {class: 'muted'}, icon('ok'), t('health.no_dead'));
  return h('table', {class: 'table'},
    h('thead', {}, h('tr', {}, h('th', {}, t('health.col.source')), h('th', {}, t('health.col.reason')),
      h('th', {class: 'num'}, t('health.col.since_start')), h('th', {class: 'num'}, t('health.col.all_time')))),
    h('tbody', {}, keys.map((k) => {
      const [source, reason] = k.split('|');
      return h('tr', {}, h('td', {}, t(`source.${source}`)), h('td', {}, reasonLabel(reason)),
        h('td', {class: 'num'}, num(since.get(k) || 0)), h('td', {class: 'num'}, all.has(k) ? num(all.get(k)) : '—'));
    })));
}

function fact(label, value, state = '') {
  return h('div', {class: `fact ${state}`}, h('div', {class: 'fact-label'}, label), h('div', {class: 'fact-value'}, value));
}

function processes(hs) {
  if (!hs) return h('p', {class: 'muted'}, t('health.waiting'));
  const kpiLag = hs.consumer_lag ? Object.values(hs.consumer_lag.kpi).reduce((a, b) => a + b, 0) : null;
  const sinkLag = hs.sink ? Object.values(hs.sink.lag).reduce((a, b) => a + b, 0) : null;
  const workersOk = hs.workers.alive === hs.workers.total;
  return h('div', {class: 'facts'},
    fact(t('health.workers'), h('span', {}, icon(workersOk ? 'ok' : 'warn'), t('health.workers_value', {alive: hs.workers.alive, total: hs.workers.total})), workersOk ? 'ok' : 'bad'),
    fact(t('health.restarts'), num(hs.workers.restarts)),
    fact(t('health.sink'), h('span', {}, icon(hs.sink_up ? 'ok' : 'cut'), t(hs.sink_up ? 'health.up' : 'health.down')), hs.sink_up ? 'ok' : 'bad'),
    fact(t('health.ingest'), h('span', {}, icon(hs.accepting ? 'ok' : 'warn'), t(hs.accepting ? 'health.accepting' : 'health.paused')), hs.accepting ? 'ok' : 'bad'),
    fact(t('health.broker'), t(hs.broker_embedded ? 'health.embedded' : 'health.external')),
    fact(t('health.kpi_lag'), kpiLag === null ? '—' : num(kpiLag)),
    fact(t('health.sink_lag'), sinkLag === null ? '—' : num(sinkLag)),
    fact(t('health.latency'), hs.latency_s === null ? t('health.latency_idle') : t('health.seconds', {n: num(hs.latency_s, 2)})),
    fact(t('health.live_feed'), t('health.live_value', {n: num(hs.live.messages), screens: num(hs.live.screens)})),
    fact(t('health.uptime'), duration(hs.uptime_s * 1000)));
}

function render() {
  if (!el) return;
  const hs = live.health;
  fill(el, 
    h('div', {class: 'screen-head'}, h('h1', {}, t('health.title')),
      h('div', {class: 'screen-meta'}, hs ? t('health.as_of', {when: dateTime(hs.at)}) : t('health.waiting'))),
    problem ? h('div', {class: 'inline-problem'}, icon('warn'), t('problem.history')) : null,
    h('section', {class: 'panel'}, h('h2', {}, t('health.sources')), h('div', {class: 'table-wrap'}, sourcesTable(hs))),
    h('section', {class: 'panel'}, h('h2', {}, t('health.adapters')), h('div', {class: 'table-wrap'}, adaptersTable(hs))),
    h('div', {class: 'split split-even'},
      h('section', {class: 'panel'}, h('h2', {}, t('health.dead_letters')), deadLetters(hs)),
      h('section', {class: 'panel'}, h('h2', {}, t('health.processes')), processes(hs))));
}

export default {
  id: 'health',
  mount(target) {
    el = target;
    render();
    loadHistory();
    offs.push(on('health', render), on('hello', loadHistory));
  },
  unmount() { while (offs.length) offs.pop()(); el = null; },
  render,
};
