// Numbers, dates and periods in the reader's language: 1.234,5 in Vietnamese, 1,234.5 in English;
// dates dd/mm/yyyy and 24-hour times in the province's time zone, wherever the wall stands.
import { getLang, t } from './i18n.js';
import { config } from './config.js';

const DASH = '—';
let dtf = null;
let dtfZone = null;

function separators() { return getLang() === 'vi' ? ['.', ','] : [',', '.']; }

export function num(x, decimals = 0) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return DASH;
  const fixed = Math.abs(Number(x)).toFixed(decimals);
  const [whole, frac] = fixed.split('.');
  const [group, point] = separators();
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const negative = Number(x) < 0 && Number(fixed) !== 0;
  return (negative ? '−' : '') + grouped + (frac ? point + frac : '');
}

export const pct = (ratio, decimals = 1) =>
  (ratio === null || ratio === undefined ? DASH : `${num(ratio * 100, decimals)}%`);

export function signed(x, decimals = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const text = num(x, decimals);
  return Number(x.toFixed(decimals)) > 0 ? `+${text}` : text;
}

// Numbers inside a text the pipeline wrote (alert messages are rendered by Python, as 66.7%):
// shown with this language's separators. Digits that are part of a code (12.SNV, p95) stay.
export function localiseNumbers(text) {
  return String(text || '').replace(/(\d+)(?:\.(\d+))?/g, (m, whole, frac, offset, s) => {
    if (/[\p{L}_.,\-]/u.test(s[offset - 1] || '') || /[\p{L}_]/u.test(s[offset + m.length] || '')) return m;
    return num(Number(m), frac ? frac.length : 0);
  });
}

// How each KPI reads (static/kpis.json: count, percent, days, ms, points, flag).
let formats = {};
export async function loadFormats() {
  formats = await (await fetch('static/kpis.json', {cache: 'no-cache'})).json();
}

export function kpiFormat(kpi) {
  if (formats[kpi]) return formats[kpi];
  const family = Object.keys(formats).find((k) => k.endsWith('*') && kpi.startsWith(k.slice(0, -1)));
  return family ? formats[family] : {format: 'count'};
}

export function kpiValue(kpi, value) {
  if (value === null || value === undefined) return DASH;
  const f = kpiFormat(kpi);
  switch (f.format) {
    case 'percent': return pct(value, f.decimals ?? 1);
    case 'days': return `${num(value, 1)} ${t('unit.days')}`;
    case 'ms': return `${num(value, 0)} ms`;
    case 'points': return num(value, 1);
    case 'flag': return value >= 1 ? t('word.yes') : t('word.no');
    default: return num(value, 0);
  }
}

function parts(ms) {
  if (dtf === null || dtfZone !== config.timezone) {
    dtfZone = config.timezone;
    dtf = new Intl.DateTimeFormat('en-GB', {timeZone: dtfZone, year: 'numeric', month: '2-digit', day: '2-digit',
                                            hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  }
  const out = {};
  for (const p of dtf.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

export function date(ms) {
  if (ms === null || ms === undefined) return DASH;
  const p = parts(ms);
  return `${p.day}/${p.month}/${p.year}`;
}

export function time(ms) {
  if (ms === null || ms === undefined) return DASH;
  const p = parts(ms);
  return `${p.hour}:${p.minute}`;
}

export const dateTime = (ms) => (ms === null || ms === undefined ? DASH : `${time(ms)} ${date(ms)}`);

export function duration(ms) {
  if (ms === null || ms === undefined || ms < 0) return DASH;
  const minutes = Math.floor(ms / 60000);
  const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
  if (d > 0) return t('dur.dh', {d: num(d), h});
  if (h > 0) return t('dur.hm', {h, m});
  return t('dur.m', {m});
}

// '2026-11-23' -> 23/11/2026; '2026-11' -> Tháng 11/2026 | November 2026; '2026-Q4' -> Quý 4/2026 | Q4 2026
export function period(grain, p) {
  if (!p) return DASH;
  if (grain === 'day') return `${p.slice(8, 10)}/${p.slice(5, 7)}/${p.slice(0, 4)}`;
  if (grain === 'month') {
    const m = Number(p.slice(5, 7));
    return t('period.month', {name: t(`month.${m}`), m, y: p.slice(0, 4)});
  }
  if (grain === 'quarter') return t('period.quarter', {q: p.slice(-1), y: p.slice(0, 4)});
  if (grain === 'year') return t('period.year', {y: p});
  return p;
}
