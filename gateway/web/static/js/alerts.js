// The alerts every screen knows about: loaded from DuckDB at each (re)connect, then kept current
// by the live raise/clear/ack events. Shared by the alerts screen, the nav badge and the ticker.
import { getJSON, postJSON } from './api.js';
import { on } from './live.js';

const byId = new Map();
const listeners = new Set();
const notify = () => { for (const fn of listeners) fn(); };
let loaded = false;

export const alertsLoaded = () => loaded;
export function onAlerts(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// Open first (critical before major before warning), then the latest.
const SEVERITY = {critical: 0, major: 1, warning: 2};
export function allAlerts() {
  return [...byId.values()].sort((a, b) =>
    (a.cleared_at !== null) - (b.cleared_at !== null)
    || (a.cleared_at === null ? (SEVERITY[a.severity] ?? 3) - (SEVERITY[b.severity] ?? 3) : 0)
    || b.raised_at - a.raised_at);
}
export const openAlerts = () => allAlerts().filter((a) => a.cleared_at === null);

function merge(row) {
  const old = byId.get(row.alert_id);
  byId.set(row.alert_id, old ? {...old, ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null))} : row);
}

async function load() {
  try {
    const data = await getJSON('alerts');
    for (const a of data.alerts) merge(a);
    loaded = true;
    notify();
  } catch (err) {
    console.error('alerts:', err);
  }
}

export function startAlerts() {
  on('hello', load);   // subscribed before reading: nothing raised meanwhile is missed
  on('alert', (e) => {
    if (!e.alert_id) return;
    if (e.state === 'raised') {
      merge({alert_id: e.alert_id, rule: e.rule, subject: e.subject, unit_level: e.unit_level,
             severity: e.severity, threshold: e.threshold, raised_value: e.value, raised_at: e.at,
             cleared_value: null, cleared_at: null, message_vi: e.message_vi, message_en: e.message_en,
             acknowledged_at: null, acknowledged_by: null});
    } else {
      const old = byId.get(e.alert_id);
      if (old) byId.set(e.alert_id, {...old, cleared_at: e.at, cleared_value: e.value});
    }
    notify();
  });
  on('ack', (a) => {
    const old = byId.get(a.alert_id);
    if (old) { byId.set(a.alert_id, {...old, acknowledged_at: a.acknowledged_at, acknowledged_by: a.acknowledged_by}); notify(); }
  });
}

export async function acknowledge(alertId, by) {
  const a = await postJSON(`alerts/${alertId}/ack`, {by});
  const old = byId.get(a.alert_id);
  if (old) { byId.set(a.alert_id, {...old, acknowledged_at: a.acknowledged_at, acknowledged_by: a.acknowledged_by}); notify(); }
  return a;
}
