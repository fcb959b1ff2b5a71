// Province overview: today's and this month's headline KPIs, each with its trend (30 days of daily
// values, 24 hours for the live ones, 12 months for the 766 index). Values follow the live feed;
// the trends are read from DuckDB when the screen opens.
import { fill, h, icon, throttle } from '../dom.js';
import { t } from '../i18n.js';
import { config, unitName, unitsOf } from '../config.js';
import { kpiValue, period, time } from '../format.js';
import { get, live, on } from '../live.js';
import { getJSON } from '../api.js';
import { sparkline } from '../spark.js';

// mode: period (today + this month), live (now + 24 h), index (this month + 12 months), cutoff (communes now)
const CARDS = [
  ['dvc.received', 'period'], ['dvc.online_rate', 'period'], ['dvc.on_time_rate', 'period'],
  ['dvc.overdue_open', 'live'], ['index766.total', 'index'],
  ['dvc.full_online_rate', 'period'], ['dvc.online_payment_rate', 'period'], ['dvc.satisfaction_rate', 'period'],
  ['eoffice.issued', 'period'], ['eoffice.overdue_open', 'live'],
  ['population.eid_activations', 'period'], ['population.verify_success_rate', 'period'],
  ['telecom.availability', 'period'], ['telecom.sites_out', 'live'], ['telecom.commune_cut_off', 'cutoff'],
];

let el = null;
let trend = null;
let trendError = null;
const offs = [];

const dayMs = (p) => Date.parse(`${p}T00:00:00Z`);

function cutOffCommunes() {
  return unitsOf('commune').filter((u) => (get('telecom.commune_cut_off', u.code, 'live', 'live') || {}).value >= 1);
}

function series(kpi, mode) {
  if (!trend) return [];
  const p = live.periods || {};
  if (mode === 'cutoff') {
    const points = trend.cut_off.slice();
    points.push([Date.now(), cutOffCommunes().length]);
    return points;
  }
  if (mode === 'live') {
    const points = (trend.live[kpi] || []).slice();
    const now = get(kpi, config.province, 'live', 'live');
    if (now) points.push([Math.max(now.t || 0, points.length ? points[points.length - 1][0] + 1 : 0), now.value]);
    return points;
  }
  const [grain, table] = mode === 'index' ? ['month', trend.months] : ['day', trend.days];
  const byPeriod = new Map((table[kpi] || []).map(([per, v]) => [per, v]));
  const current = get(kpi, config.province, grain, p[grain]);
  if (current) byPeriod.set(p[grain], current.value);
  const x = grain === 'day' ? dayMs : (per) => dayMs(`${per}-01`);
  return [...byPeriod.entries()].sort().map(([per, v]) => [x(per), v]);
}

function card(kpi, mode) {
  const p = live.periods || {};
  const prov = config.province;
  let big, bigLabel, second = null, state = 'normal', caption;
  if (mode === 'period') {
    const today = get(kpi, prov, 'day', p.day), month = get(kpi, prov, 'month', p.month);
    big = kpiValue(kpi, today && today.value); bigLabel = t('cards.today');
    second = t('cards.month', {value: kpiValue(kpi, month && month.value)});
    caption = t('cards.trend_days');
  } else if (mode === 'live') {
    const now = get(kpi, prov, 'live', 'live');
    big = kpiValue(kpi, now && now.value); bigLabel = t('cards.now');
    second = now && now.t ? t('cards.updated', {time: time(now.t)}) : t('cards.no_data');
    caption = t('cards.trend_hours');
    if (now && now.value > 0) state = 'attention';
  } else if (mode === 'index') {
    const month = get(kpi, prov, 'month', p.month), quarter = get(kpi, prov, 'quarter', p.quarter);
    big = kpiValue(kpi, month && month.value); bigLabel = period('month', p.month);
    second = t('cards.quarter', {value: kpiValue(kpi, quarter && quarter.value)});
    caption = t('cards.trend_months');
  } else {
    const cut = cutOffCommunes();
    big = String(cut.length); bigLabel = t('cards.communes_cut');
    const names = cut.slice(0, 3).map((u) => unitName(u.code)).join(', ');
    second = cut.length === 0 ? t('cards.none_cut') : (cut.length > 3 ? t('cards.names_more', {names, n: cut.length - 3}) : names);
    caption = t('cards.trend_hours');
    if (cut.length) state = 'alarm';
  }
  const title = mode === 'cutoff' ? t('cards.cut_off_title') : t(`kpi.${kpi}`);
  return h('section', {class: `card card-${state}`, dataset: {kpi, mode}, 'aria-label': title},
    h('h2', {class: 'card-title'}, state === 'alarm' ? icon('cut', 'icon-bad') : state === 'attention' ? icon('warn', 'icon-warn') : null, title),
    h('div', {class: 'card-big'}, h('span', {class: 'card-value', dataset: {role: 'value'}}, big),
      h('span', {class: 'card-big-label'}, bigLabel)),
    h('div', {class: 'card-second', dataset: {role: 'second'}}, second),
    h('div', {class: 'card-trend'}, sparkline(series(kpi, mode), {width: 240, height: 56, label: caption}),
      h('div', {class: 'card-caption'}, caption)));
}

function render() {
  if (!el) return;
  const p = live.periods;
  const head = h('div', {class: 'screen-head'},
    h('h1', {}, t('overview.title', {name: unitName(config.province)})),
    h('div', {class: 'screen-meta'}, p ? t('overview.periods', {day: period('day', p.day), month: period('month', p.month)}) : ''),
    trendError ? h('div', {class: 'inline-problem'}, icon('warn'), t('problem.history')) : null);
  const grid = h('div', {class: 'cards'}, CARDS.map(([kpi, mode]) => card(kpi, mode)));
  fill(el, head, grid);
}

const later = throttle(render, 400);

async function loadTrend() {
  try {
    trend = await getJSON('trend');
    trendError = null;
  } catch (err) {
    trendError = err;
  }
  render();
}

export default {
  id: 'overview',
  mount(target) {
    el = target;
    render();
    loadTrend();
    offs.push(on('kpi', later), on('hello', loadTrend));
  },
  unmount() { while (offs.length) offs.pop()(); el = null; },
  render,
};
