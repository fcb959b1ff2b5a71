// Who is using the screens. Open screens (loopback, no users configured): mode 'open', anyone
// may acknowledge with a typed name. Otherwise a log-in (or the site's proxy) names the user and
// role; every write carries the session's CSRF token.
const RANK = {viewer: 0, operator: 1, admin: 2};
let me = null;

export const session = () => me;
export const loggedIn = () => me !== null && me.mode !== 'open';
export const may = (role) => me !== null && (RANK[me.role] ?? -1) >= RANK[role];
export const csrfHeaders = () => (me && me.csrf ? {'X-CSRF-Token': me.csrf} : {});

// null: a log-in is needed first
export async function loadSession() {
  const resp = await fetch('api/session', {cache: 'no-store'});
  if (resp.status === 401) return null;
  if (!resp.ok) throw new Error(`session: HTTP ${resp.status}`);
  me = await resp.json();
  return me;
}

// {ok: true} or {status, retryAfter}: 401 wrong name or password, 429 locked out for a while
export async function logIn(user, password) {
  const resp = await fetch('api/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                         body: JSON.stringify({user, password}), cache: 'no-store'});
  if (resp.ok) { me = await resp.json(); return {ok: true}; }
  let body = {};
  try { body = await resp.json(); } catch (_) { /* reported by status */ }
  return {ok: false, status: resp.status, retryAfter: body.retry_after_s};
}

export async function logOut() {
  await fetch('api/logout', {method: 'POST', headers: csrfHeaders(), cache: 'no-store'});
  me = null;
}
