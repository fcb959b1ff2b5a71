// The live feed: one EventSource on /ops/events. It delivers a snapshot of the latest values at
// every (re)connect, then KPI updates, alert raises/clears, acknowledgements and health as they
// happen. Nothing here polls: values change only when the pipeline says so.

const store = new Map();                 // 'kpi|unit|grain|period' -> {value, num, den, t, band}
const listeners = new Map();             // event name -> Set(fn)
export const live = {periods: null, health: null, state: 'connecting', since: null, lastEvent: null};
let source = null;

const keyOf = (r) => `${r.kpi}|${r.unit}|${r.grain}|${r.period}`;

export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

function emit(name, data) {
  for (const fn of listeners.get(name) || []) {
    try { fn(data); } catch (err) { console.error(err); }
  }
}

// The newest value wins: a replayed older update (or a snapshot row older than what we have) is ignored.
function put(row) {
  const key = keyOf(row);
  const old = store.get(key);
  if (old && (row.t ?? 0) < (old.t ?? 0)) return false;
  if (row.retracted) store.delete(key); else store.set(key, row);
  return true;
}

export const get = (kpi, unit, grain, period) => store.get(`${kpi}|${unit}|${grain}|${period}`) || null;
export const value = (kpi, unit, grain, period) => {
  const row = get(kpi, unit, grain, period);
  return row ? row.value : null;
};
export function rows(filter) {
  const out = [];
  for (const r of store.values()) if (filter(r)) out.push(r);
  return out;
}

function setState(state) {
  live.state = state;
  emit('state', state);
}

const parse = (e) => JSON.parse(e.data);

export function connect() {
  if (source) source.close();
  setState('connecting');
  source = new EventSource('events');
  source.addEventListener('hello', (e) => {
    const d = parse(e);
    live.periods = d.periods;
    live.since = Date.now();
    emit('hello', d);
  });
  source.addEventListener('snapshot', (e) => {
    store.clear();
    for (const row of parse(e)) put(row);
    live.lastEvent = Date.now();
    setState('live');
    emit('kpi', null);              // null: everything changed
  });
  source.addEventListener('kpi', (e) => {
    const changed = parse(e).filter(put);
    live.lastEvent = Date.now();
    if (changed.length) emit('kpi', changed);
  });
  source.addEventListener('alert', (e) => emit('alert', parse(e)));
  source.addEventListener('ack', (e) => emit('ack', parse(e)));
  source.addEventListener('health', (e) => { live.health = parse(e); emit('health', live.health); });
  source.addEventListener('periods', (e) => {
    const periods = parse(e);
    if (JSON.stringify(periods) !== JSON.stringify(live.periods)) connect();   // a new day: fresh snapshot
  });
  source.addEventListener('resync', () => connect());   // the broker restarted: a fresh snapshot
  source.addEventListener('problem', () => setState('degraded'));
  source.onerror = () => setState('reconnecting');   // the browser reconnects by itself
}
