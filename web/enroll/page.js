// What the enrollment pages share (the form, status.html and fix.html): the API's address, JSON
// requests with a time limit, "today" in Brussels, and the page language (texts, switcher, ?lang=).

import { AUTONYMS, LANGUAGES, t, pickLanguage } from './i18n.js';
import { brusselsDate } from './validation.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const REQUEST_TIMEOUT_MS = 30000;

/** Where the API lives: <meta name="wattdesk-api-base">; empty = this site. */
export const apiBase = () => document.querySelector('meta[name="wattdesk-api-base"]')?.content || '';

/**
 * fetch() with JSON in and out and a time limit. Resolves to {status, body}; status 0 when the
 * request did not get an answer (network error, time-out). body is null when not JSON.
 */
export async function requestJson(path, { method = 'GET', body, headers = {} } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(`${apiBase()}${path}`, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: abort.signal,
    });
    const answer = await response.json().catch(() => null);
    return { status: response.status, body: answer };
  } catch {
    return { status: 0, body: null };
  } finally {
    clearTimeout(timer);
  }
}

/** The first error code of an API error answer ({"errors": [{code, message}]}), or null. */
export function firstError(body) {
  const error = Array.isArray(body?.errors) ? body.errors[0] : null;
  return error ? { code: error.code ?? null, message: error.message ?? null } : null;
}

/** Today in Brussels. On the local runtime the simulated clock is "today", as for the API. */
export async function loadToday() {
  if (LOOPBACK.has(window.location.hostname)) {
    try {
      const response = await fetch('/_local/clock', { cache: 'no-store' });
      if (response.ok) return brusselsDate((await response.json()).now);
    } catch { /* not the local runtime */ }
  }
  return brusselsDate(new Date());
}

/** A JSON file next to these modules (postcodes.json, products.json). */
export async function loadJson(name) {
  const response = await fetch(new URL(name, import.meta.url), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return response.json();
}

/** The language asked in the address (?lang=), or null. */
export function askedLanguage() {
  const asked = new URLSearchParams(window.location.search).get('lang')?.toLowerCase();
  return LANGUAGES.includes(asked) ? asked : null;
}

/** ?lang= if supported, else the browser's first supported language. */
export function startLanguage() {
  return pickLanguage(window.location.search, navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/**
 * Put the page in a language: <html lang>, every [data-i18n] text and [data-i18n-aria-label],
 * the switcher's state, and ?lang= in the address (so a reload or a shared link keeps it).
 */
export function applyPageLanguage(lang) {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((node) => { node.textContent = t(lang, node.dataset.i18n); });
  document.querySelectorAll('[data-i18n-aria-label]').forEach((node) => node.setAttribute('aria-label', t(lang, node.dataset.i18nAriaLabel)));
  document.querySelectorAll('#language-switch button').forEach((button) => {
    // The language's own name; on narrow screens its code (the name stays for screen readers).
    const long = document.createElement('span');
    long.className = 'lang-long';
    long.textContent = AUTONYMS[button.dataset.lang];
    const short = document.createElement('span');
    short.className = 'lang-short';
    short.setAttribute('aria-hidden', 'true');
    short.textContent = button.dataset.lang.toUpperCase();
    button.replaceChildren(long, short);
    button.setAttribute('aria-pressed', String(button.dataset.lang === lang));
  });
  const url = new URL(window.location.href);
  url.searchParams.set('lang', lang);
  window.history.replaceState(window.history.state, '', url);
}

/** Call onChoose(lang) when the customer picks a language in the switcher. */
export function wireLanguageSwitch(onChoose) {
  document.querySelectorAll('#language-switch button').forEach((button) => {
    button.addEventListener('click', () => onChoose(button.dataset.lang));
  });
}

/** id and token from the address (?id=...&token=...), or null when one is missing. */
export function linkParameters() {
  const query = new URLSearchParams(window.location.search);
  const id = query.get('id');
  const token = query.get('token');
  return id && token ? { id, token } : null;
}

/** The status page (status.html, next to these modules) for the API's status URL: same id and token. */
export function statusPageUrl(statusUrl, lang) {
  if (!statusUrl) return null;
  let api;
  try { api = new URL(statusUrl, apiBase() || window.location.origin); } catch { return null; }
  const id = decodeURIComponent(api.pathname.split('/').pop() ?? '');
  const token = api.searchParams.get('token');
  if (!id || !token) return null;
  const page = new URL('status.html', import.meta.url);
  page.search = new URLSearchParams({ id, token, ...(lang ? { lang } : {}) }).toString();
  return page.href;
}
