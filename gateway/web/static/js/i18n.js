// Vietnamese by default, English by the toggle; the choice is remembered in this browser.
// Every label is a key of static/i18n.json; names of units, bands and alert messages come from
// the pipeline (the province configuration and the alerts themselves) in both languages.

const KEY = 'ioc.lang';
const LANGS = ['vi', 'en'];
let dict = {vi: {}, en: {}};
let lang = 'vi';
const listeners = new Set();

export async function loadI18n() {
  const resp = await fetch('static/i18n.json', {cache: 'no-cache'});
  dict = await resp.json();
  const asked = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(asked)) localStorage.setItem(KEY, asked);
  lang = localStorage.getItem(KEY) === 'en' ? 'en' : 'vi';
  document.documentElement.lang = lang;
}

export const getLang = () => lang;

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLang(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// t('kpi.dvc.received'), t('cards.month', {value: '12'})
export function t(key, vars) {
  let text = dict[lang][key];
  if (text === undefined) {
    console.error(`i18n: no ${lang} text for ${key}`);
    text = key;
  }
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? vars[k] : m)) : text;
}

export const has = (key) => dict[lang][key] !== undefined;

// The field of a bilingual record for the current language: pick(alert, 'message') -> message_vi / message_en
export const pick = (obj, field) => (obj ? obj[`${field}_${lang}`] ?? obj[`${field}_vi`] : '');
