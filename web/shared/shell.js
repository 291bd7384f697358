// The shell shared by the customer portal (/portal/) and the ops console (/ops/): header with
// navigation, language switch and sign-out; the i18n loader (JSON per language: /shared/i18n/ for
// the shell, /<area>/i18n/ for the area's pages, English as fallback); an API helper that sends the
// signed-in user's token; formatting of money and dates the Belgian way per language.
// Plain ES modules, no build step.

export const LANGUAGES = ['nl', 'fr', 'de', 'en'];
const LOCALES = { nl: 'nl-BE', fr: 'fr-BE', de: 'de-BE', en: 'en-BE' };
const LANGUAGE_NAMES = { nl: 'Nederlands', fr: 'Français', de: 'Deutsch', en: 'English' };
const TOKEN_KEYS = { portal: 'wattdesk-portal-token', ops: 'wattdesk-ops-token' };  // ops: same key as /ops-group-purchases.html

const NAVIGATION = {
  portal: [
    ['nav.overview', '/portal/index.html'], ['nav.invoices', '/portal/invoices.html'], ['nav.readings', '/portal/readings.html'],
    ['nav.advance', '/portal/advance.html'], ['nav.payment', '/portal/payment.html'], ['nav.contact', '/portal/contact.html'],
    ['nav.requests', '/portal/requests.html'], ['nav.payment_plans', '/portal/payment-plans.html'],
    ['nav.refunds', '/refund/'], ['nav.complaints', '/complaint/'],
  ],
  ops: [['nav.queue', '/ops/index.html'], ['nav.customers', '/ops/customers.html'], ['nav.group_purchases', '/ops-group-purchases.html']],
};

export const apiBase = document.querySelector('meta[name="wattdesk-api-base"]')?.content || '';

const state = { area: 'portal', language: 'en', texts: {}, fallback: {} };

export function language() { return state.language; }
export function area() { return state.area; }

/** The text of `key` in the page's language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = state.texts[key] ?? state.fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function has(key) { return key in state.texts || key in state.fallback; }

function pickLanguage() {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (LANGUAGES.includes(asked)) { localStorage.setItem('wattdesk-language', asked); return asked; }
  const kept = localStorage.getItem('wattdesk-language');
  if (LANGUAGES.includes(kept)) return kept;
  const browser = (navigator.languages || [navigator.language]).map((tag) => String(tag).slice(0, 2).toLowerCase()).find((tag) => LANGUAGES.includes(tag));
  return browser || 'nl';
}

async function loadTexts(areaName, lang) {
  const files = [`/shared/i18n/${lang}.json`, `/${areaName}/i18n/${lang}.json`];
  const parts = await Promise.all(files.map(async (file) => {
    const response = await fetch(file, { cache: 'no-cache' });
    return response.ok ? response.json() : {};
  }));
  return Object.assign({}, ...parts);
}

/** Fills every [data-i18n] element's text and [data-i18n-attr="attr:key,..."] attributes. */
export function applyTexts(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of element.dataset.i18nAttr.split(',')) {
      const [attribute, key] = pair.split(':');
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
}

// ------------------------------------------------------------------ tokens
export function token() { return sessionStorage.getItem(TOKEN_KEYS[state.area]) || ''; }
export function setToken(areaName, value) { sessionStorage.setItem(TOKEN_KEYS[areaName], value); }
export function signOut() {
  sessionStorage.removeItem(TOKEN_KEYS[state.area]);
  window.location.assign(`/${state.area}/signin.html`);
}

/** The claims of the signed-in user's id token (read for display only; the API checks it). */
export function claims() {
  const value = token();
  if (!value) return {};
  try {
    const payload = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

function toSignIn() {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/${state.area}/signin.html?next=${encodeURIComponent(next)}`);
}

// ------------------------------------------------------------------ API
/** Calls the API with the user's token. Returns {status, ok, data} (data: parsed JSON, a Blob for
 *  binary answers, or null). A 401 (no or expired token) goes to the sign-in page. */
export async function api(method, path, body, { raw = false } = {}) {
  const headers = { Authorization: token() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { status: 0, ok: false, data: { errors: [{ field: null, code: 'network', message: t('error.network') }] } };
  }
  if (response.status === 401) { toSignIn(); return new Promise(() => {}); }
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  if (raw || !type.startsWith('application/json')) data = await response.blob();
  else data = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

/** The API's {"errors": [{field, code, message}]} in the page's language: a text per code when the
 *  area has one (error.<code>, with `vars`), else the API's own message. */
export function errorText(data, vars = {}) {
  const errors = (data && data.errors) || [{ code: 'unknown', message: (data && data.message) || t('error.unknown') }];
  return errors.map((error) => (has(`error.${error.code}`) ? t(`error.${error.code}`, vars) : error.message || t('error.unknown'))).join(' ');
}

// ------------------------------------------------------------------ formatting
export function money(amount) {
  if (amount === null || amount === undefined || amount === '') return '—';
  return new Intl.NumberFormat(LOCALES[state.language], { style: 'currency', currency: 'EUR' }).format(Number(amount));
}

export function number(value, digits = 0) {
  return new Intl.NumberFormat(LOCALES[state.language], { maximumFractionDigits: digits }).format(Number(value));
}

export function day(iso) {
  if (!iso) return '—';
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(LOCALES[state.language], { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function moment(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(LOCALES[state.language], { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Brussels' }).format(new Date(iso));
}

/** Today in Brussels (YYYY-MM-DD): the local runtime's simulated clock when there is one, else the browser's. */
export async function today() {
  let now = new Date();
  try {
    const response = await fetch(`${apiBase}/_local/clock`);
    if (response.ok && (response.headers.get('Content-Type') || '').startsWith('application/json')) now = new Date((await response.json()).now);
  } catch { /* not the local runtime */ }
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels' }).format(now);
}

/** "BE71 0961 2345 6769" */
export function groupedIban(iban) { return String(iban || '').replace(/\s+/g, '').replace(/(.{4})/g, '$1 ').trim(); }

// ------------------------------------------------------------------ DOM helpers
/** el('p', {class: 'x', text: '...'}, child, ...) */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') element.textContent = value;
    else if (name === 'class') element.className = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** Shows a message in a role=status/alert box and moves the focus there when asked. */
export function say(box, text, { kind = 'info', focus = false } = {}) {
  box.textContent = text;
  box.classList.remove('notice', 'info', 'ok', 'error', 'warn');
  box.classList.add('notice', kind);
  box.hidden = !text;
  if (focus && text) { box.setAttribute('tabindex', '-1'); box.focus(); }
}

/** A table: headers are text keys; rows are arrays of cells (strings or nodes). */
export function table(captionKey, headerKeys, rows, { empty = 'table.empty' } = {}) {
  if (!rows.length) return el('p', { class: 'empty', text: t(empty) });
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t(captionKey) },
    el('table', {},
      el('caption', { class: 'visually-hidden', text: t(captionKey) }),
      el('thead', {}, el('tr', {}, headerKeys.map((key) => el('th', { scope: 'col', text: t(key) })))),
      el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((cell) => el('td', {}, cell))))),
    ));
}

// ------------------------------------------------------------------ the shell
function header() {
  const here = window.location.pathname.replace(/\/$/, '/index.html');
  const nav = el('nav', { class: 'main-nav', 'aria-label': t('nav.label') },
    el('ul', {}, NAVIGATION[state.area].map(([key, href]) => el('li', {},
      el('a', { href, text: t(key), 'aria-current': href === here ? 'page' : null })))));
  const languages = el('ul', { class: 'languages', 'aria-label': t('shell.language') }, LANGUAGES.map((lang) => el('li', {},
    el('button', { type: 'button', lang, 'data-lang': lang, 'aria-pressed': String(lang === state.language), text: LANGUAGE_NAMES[lang],
      onclick: () => { localStorage.setItem('wattdesk-language', lang); const url = new URL(window.location.href); url.searchParams.set('lang', lang); window.location.assign(url); } }))));
  const who = claims();
  const user = who.email ? el('span', { class: 'user', text: who.email }) : null;
  const out = token() ? el('button', { type: 'button', id: 'sign-out', class: 'link', text: t('shell.sign_out'), onclick: signOut }) : null;
  return [
    el('a', { class: 'skip', href: '#main', text: t('shell.skip') }),
    el('div', { class: 'bar' },
      el('p', { class: 'brand' }, el('a', { href: `/${state.area}/index.html`, text: t(`shell.brand.${state.area}`) })),
      el('div', { class: 'tools' }, el('div', { class: 'lang-switch' }, languages), user, out)),
    token() ? el('details', { class: 'menu', open: window.matchMedia('(min-width: 48rem)').matches }, el('summary', { text: t('nav.menu') }), nav) : null,
  ];
}

/** Starts a page: language, texts, sign-in check, header. `init` renders the page (async);
 *  html[data-ready=true] marks the end, for tests and for people waiting on a slow line. */
export async function start({ area: areaName, signedIn = true, init }) {
  state.area = areaName;
  state.language = pickLanguage();
  document.documentElement.lang = state.language;
  if (signedIn && !token()) { toSignIn(); return; }
  const [texts, fallback] = await Promise.all([loadTexts(areaName, state.language), state.language === 'en' ? null : loadTexts(areaName, 'en')]);
  state.texts = texts;
  state.fallback = fallback || texts;
  const top = document.getElementById('shell-header');
  if (top) top.replaceChildren(...header().filter(Boolean));
  applyTexts();
  const heading = document.querySelector('h1');
  if (heading) document.title = `${heading.textContent} — WattDesk`;
  try {
    if (init) await init();
  } finally {
    document.documentElement.dataset.ready = 'true';
  }
}
