// History and configuration from the gateway (relative paths: the screens may sit behind a prefix).
import { csrfHeaders, loggedIn } from './session.js';

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function answer(resp) {
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON: reported below */ }
  if (resp.status === 401 && loggedIn()) location.reload();   // the session ended: log in again
  if (!resp.ok) throw new ApiError(resp.status, (body && body.error) || `HTTP ${resp.status}`);
  return body;
}

export async function getJSON(path, params) {
  const query = params ? '?' + new URLSearchParams(params) : '';
  return answer(await fetch(`api/${path}${query}`, {cache: 'no-store'}));
}

export async function postJSON(path, body) {
  return answer(await fetch(`api/${path}`, {
    method: 'POST', headers: {'Content-Type': 'application/json', ...csrfHeaders()}, body: JSON.stringify(body)}));
}
