// The ops screens: header (title, screens, connection, clock, language), the current screen, and
// a ticker of open alerts. Routes: #/overview, #/ranking, #/communes, #/worklist[/unit], #/alerts,
// #/health. ?rotate=30 cycles the wall through the screens every 30 s; ?lang=en picks a language.
import { h, icon } from './dom.js';
import { loadI18n, t, getLang, setLang, onLang, pick } from './i18n.js';
import { loadConfig, config, unitName } from './config.js';
import { loadFormats, time, date, dateTime, localiseNumbers } from './format.js';
import { connect, live, on } from './live.js';
import { startAlerts, onAlerts, openAlerts } from './alerts.js';
import overview from './screens/overview.js';
import ranking from './screens/ranking.js';
import communes from './screens/communes.js';
import worklist from './screens/worklist.js';
import alertsScreen from './screens/alerts.js';
import health from './screens/health.js';
import { loadSession, loggedIn, session, logOut } from './session.js';
import { showLogin } from './login.js';

const SCREENS = [overview, ranking, communes, worklist, alertsScreen, health];
const main = document.getElementById('screen');
let current = null;

function route() {
  const [id, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const next = SCREENS.find((s) => s.id === id) || SCREENS[0];
  if (current !== next) {
    if (current) current.unmount();
    current = next;
    main.replaceChildren();
    main.dataset.screen = next.id;
    next.mount(main, rest);
  } else if (next.navigate) {
    next.navigate(rest);
  }
  renderChrome();
}

function renderNav() {
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav.label'));
  const open = openAlerts();
  const unacked = open.filter((a) => !a.acknowledged_at).length;
  nav.replaceChildren(...SCREENS.map((s) => h('a', {
    href: `#/${s.id}`, class: `nav-item${current === s ? ' active' : ''}`, 'aria-current': current === s ? 'page' : null,
    dataset: {screen: s.id}},
    t(`nav.${s.id}`),
    s.id === 'alerts' && open.length
      ? h('span', {class: `badge${unacked ? ' badge-hot' : ''}`, title: t('alerts.open_count', {n: open.length})}, String(open.length))
      : null)));
}

function renderConn() {
  const state = live.state;
  const el = document.getElementById('conn');
  el.className = `conn conn-${state}`;
  el.replaceChildren(icon(state === 'live' ? 'live' : 'off'), h('span', {}, t(`conn.${state}`)));
}

function renderUser() {
  const el = document.getElementById('user');
  if (!loggedIn()) { el.replaceChildren(); return; }
  const me = session();
  el.replaceChildren(
    h('span', {class: 'user-name', title: t('login.as', {user: me.user, role: t(`role.${me.role}`)})},
      t('login.as', {user: me.user, role: t(`role.${me.role}`)})),
    me.mode === 'session' ? h('button', {type: 'button', class: 'btn btn-small', id: 'logout',
      onclick: async () => { await logOut(); location.reload(); }}, t('login.logout')) : null);
}

function renderClock() {
  const now = Date.now();
  document.getElementById('clock').replaceChildren(
    h('span', {class: 'clock-time'}, time(now)), h('span', {class: 'clock-date'}, date(now)));
}

function renderLang() {
  const el = document.getElementById('lang');
  el.setAttribute('aria-label', t('lang.label'));
  el.replaceChildren(...['vi', 'en'].map((code) => h('button', {
    type: 'button', class: `lang-btn${getLang() === code ? ' active' : ''}`, 'aria-pressed': String(getLang() === code),
    title: t(`lang.${code}`), dataset: {lang: code}, onclick: () => setLang(code)}, code.toUpperCase())));
}

function renderTicker() {
  const open = openAlerts();
  const el = document.getElementById('ticker');
  if (!open.length) {
    el.className = 'ticker ticker-calm';
    el.replaceChildren(icon('ok'), h('span', {}, t('ticker.calm')));
    return;
  }
  const top = open[0];
  el.className = `ticker ticker-${top.severity}`;
  el.replaceChildren(icon(top.severity === 'critical' ? 'cut' : 'warn'),
    h('span', {class: 'ticker-sev'}, t(`severity.${top.severity}`)),
    h('span', {class: 'ticker-msg'}, localiseNumbers(pick(top, 'message'))),
    h('span', {class: 'ticker-when'}, dateTime(top.raised_at)),
    open.length > 1 ? h('span', {class: 'ticker-more'}, t('ticker.more', {n: open.length - 1})) : null);
}

function renderChrome() {
  document.title = `${t(`nav.${current ? current.id : 'overview'}`)} · ${t('app.short')} ${unitName(config.province)}`;
  document.getElementById('app-title').textContent = t('app.title');
  document.getElementById('app-province').textContent = t('app.province', {name: unitName(config.province)});
  renderNav(); renderConn(); renderClock(); renderLang(); renderUser(); renderTicker();
}

function rotate(seconds) {
  const ids = ['overview', 'ranking', 'communes', 'alerts'];
  setInterval(() => {
    const i = ids.indexOf(current ? current.id : '');
    location.hash = `#/${ids[(i + 1) % ids.length]}`;
  }, seconds * 1000);
}

function fail(err) {
  console.error(err);
  main.replaceChildren(h('div', {class: 'panel problem'}, icon('warn'), h('span', {}, String(err.message || err))));
}

async function boot() {
  await loadI18n();
  if (!await loadSession()) { showLogin(main); return; }
  await Promise.all([loadConfig(), loadFormats()]);
  onLang(() => { renderChrome(); if (current) current.render(); });
  on('state', renderConn);
  onAlerts(() => { renderNav(); renderTicker(); });
  startAlerts();
  connect();
  window.addEventListener('hashchange', route);
  route();
  setInterval(renderClock, 10_000);
  const every = Number(new URLSearchParams(location.search).get('rotate'));
  if (every >= 5) rotate(every);
  document.body.dataset.ready = 'true';
}

boot().catch(fail);
