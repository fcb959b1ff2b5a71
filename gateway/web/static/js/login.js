// The log-in form, shown instead of the screens until the user is known.
import { h, icon } from './dom.js';
import { t, getLang, setLang, onLang } from './i18n.js';
import { logIn } from './session.js';

let problem = null;

function renderLang() {
  const el = document.getElementById('lang');
  el.setAttribute('aria-label', t('lang.label'));
  el.replaceChildren(...['vi', 'en'].map((code) => h('button', {
    type: 'button', class: `lang-btn${getLang() === code ? ' active' : ''}`, 'aria-pressed': String(getLang() === code),
    title: t(`lang.${code}`), dataset: {lang: code}, onclick: () => setLang(code)}, code.toUpperCase())));
}

function render(main, values) {
  document.title = `${t('login.title')} · ${t('app.short')}`;
  document.getElementById('app-title').textContent = t('app.title');
  renderLang();
  const user = h('input', {id: 'login-user', name: 'user', type: 'text', autocomplete: 'username', required: true,
                           maxlength: '80', value: values.user || ''});
  const password = h('input', {id: 'login-password', name: 'password', type: 'password',
                               autocomplete: 'current-password', required: true});
  const form = h('form', {class: 'panel login', id: 'login', onsubmit: async (e) => {
    e.preventDefault();
    form.querySelector('button').disabled = true;
    const result = await logIn(user.value.trim(), password.value);
    if (result.ok) { location.reload(); return; }
    problem = result.status === 429 ? t('login.locked', {minutes: Math.max(1, Math.ceil((result.retryAfter || 60) / 60))})
      : result.status === 401 ? t('login.wrong') : t('login.failed');
    render(main, {user: user.value});
    document.getElementById('login-password').focus();
  }},
    h('h1', {}, t('login.title')),
    h('label', {class: 'field'}, h('span', {}, t('login.user')), user),
    h('label', {class: 'field'}, h('span', {}, t('login.password')), password),
    problem ? h('div', {class: 'inline-problem', role: 'alert', id: 'login-problem'}, icon('warn'), problem) : null,
    h('button', {type: 'submit', class: 'btn'}, t('login.submit')));
  main.replaceChildren(form);
  (values.user ? password : user).focus();
}

export function showLogin(main) {
  main.dataset.screen = 'login';
  render(main, {});
  onLang(() => render(main, {user: document.getElementById('login-user')?.value}));
  document.body.dataset.ready = 'login';
}
