// The customer's status page (status.html?id=...&token=..., linked from the mails and the form's
// confirmation): the current status in plain words, the dated history, the contract download once
// there is one, and cancelling (before confirmation) or the legal withdrawal (after), each after
// a confirmation step. API: GET and POST /enrollments/{id}?token=... (docs/enrollment.md).

import { t, errorText, LOCALES } from './i18n.js';
import {
  apiBase, requestJson, firstError, startLanguage, applyPageLanguage, wireLanguageSwitch, linkParameters,
} from './page.js';

const OPEN = new Set(['RECEIVED', 'VALIDATING', 'BLOCKED', 'AWAITING_CUSTOMER', 'AWAITING_DSO']);
const KNOWN = new Set([...OPEN, 'CONFIRMED', 'REJECTED', 'CANCELLED']);
// After a cancel, the workflow records the new status a moment later: look again a few times.
const FOLLOW_UP_TRIES = 20;
const FOLLOW_UP_DELAY_MS = 500;

const state = {
  lang: 'en',
  link: null, // {id, token}
  view: null, // GET answer
  problem: null, // 'not_found' | 'load_failed'
  confirming: false,
  busy: false,
  result: null, // {kind: 'done', withdrawal} | {kind: 'error', code, message}
};

const $ = (id) => document.getElementById(id);
const path = () => `/enrollments/${encodeURIComponent(state.link.id)}?token=${encodeURIComponent(state.link.token)}`;

/** A moment of the history ("2027-01-04T09:00:00+00:00") in Brussels time, in the page language. */
function formatMoment(lang, iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Brussels' }).format(at);
}

const statusName = (status) => (KNOWN.has(status) ? t(state.lang, `status.${status}`) : status);

function renderHistory(history) {
  $('history').replaceChildren(...history.map((entry) => {
    const item = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = entry.at;
    time.textContent = formatMoment(state.lang, entry.at);
    const what = document.createElement('span');
    what.className = 'history-status';
    what.textContent = statusName(entry.status);
    item.append(time, ' ', what);
    if (entry.note) {
      const note = document.createElement('span');
      note.className = 'history-note';
      // "withdrawal" is ours; any other note is an operator's reason (a rejection).
      note.textContent = entry.note === 'withdrawal' ? t(state.lang, 'status.note.withdrawal') : t(state.lang, 'status.note.reason', { reason: entry.note });
      item.append(' ', note);
    }
    return item;
  }));
}

function renderCancel(status) {
  const section = $('cancel-section');
  const withdrawal = status === 'CONFIRMED';
  section.hidden = !(OPEN.has(status) || withdrawal) || state.result?.kind === 'done';
  if (section.hidden) return;
  const kind = withdrawal ? 'withdraw' : 'cancel';
  $('cancel-title').textContent = t(state.lang, `status.${kind}.title`);
  $('cancel-help').textContent = t(state.lang, `status.${kind}.help`);
  $('cancel').textContent = t(state.lang, `status.${kind}.button`);
  $('cancel').hidden = state.confirming; // the question and its two answers take its place
  $('cancel-confirm').hidden = !state.confirming;
  $('cancel-question').textContent = t(state.lang, `status.${kind}.question`);
  $('cancel-yes').textContent = t(state.lang, state.busy ? 'nav.sending' : `status.${kind}.yes`);
  $('cancel-yes').disabled = state.busy;
  $('cancel-no').disabled = state.busy;
}

function renderResult() {
  const box = $('action-result');
  const alert = $('page-alert');
  const { result } = state;
  box.hidden = result?.kind !== 'done';
  if (result?.kind === 'done') box.textContent = t(state.lang, result.withdrawal ? 'status.withdrawn' : 'status.cancelled');
  if (result?.kind === 'error') {
    alert.textContent = result.code ? errorText(state.lang, result.code, result.message) : t(state.lang, 'status.action_failed');
    alert.hidden = false;
  } else if (!state.problem) {
    alert.hidden = true;
  }
}

function render() {
  document.title = t(state.lang, 'status.page_title');
  if (state.problem) {
    $('loading').hidden = true;
    $('view').hidden = true;
    $('page-alert').textContent = t(state.lang, state.problem === 'not_found' ? 'status.not_found' : 'status.load_failed');
    $('page-alert').hidden = false;
    return;
  }
  const { view } = state;
  if (!view) return;
  $('loading').hidden = true;
  $('view').hidden = false;
  const [before, after = ''] = t(state.lang, 'status.number').split('{id}');
  const number = document.createElement('span');
  number.className = 'enrollment-number';
  number.textContent = view.enrollment_id;
  $('enrollment-number').replaceChildren(before, number, after);
  const current = $('current-status');
  current.dataset.status = view.status;
  current.textContent = statusName(view.status);
  $('current-text').textContent = KNOWN.has(view.status) ? t(state.lang, `status.${view.status}.text`) : '';
  $('contract').hidden = !view.contract_available;
  $('contract-link').href = `${apiBase()}/enrollments/${encodeURIComponent(state.link.id)}/contract?token=${encodeURIComponent(state.link.token)}`;
  renderHistory(Array.isArray(view.history) ? view.history : []);
  renderCancel(view.status);
  renderResult();
}

function applyLanguage(lang) {
  state.lang = lang;
  applyPageLanguage(lang);
  render();
}

/** GET the enrollment: true when it came (state.view), else false (state.view unchanged). */
async function fetchView() {
  const answer = await requestJson(path());
  if (answer.status === 200 && answer.body?.status) {
    state.view = answer.body;
    return true;
  }
  return answer.status;
}

/** The first load: a wrong link is a 404 like an unknown enrollment ("this link is not valid"). */
async function load() {
  const outcome = await fetchView();
  if (outcome !== true) state.problem = outcome === 404 ? 'not_found' : 'load_failed';
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function cancel() {
  if (state.busy) return;
  const withdrawal = state.view?.status === 'CONFIRMED';
  state.busy = true;
  state.result = null;
  render();
  const answer = await requestJson(path(), { method: 'POST', body: { action: 'cancel' } });
  state.busy = false;
  state.confirming = false;
  if (answer.status === 200) {
    state.result = { kind: 'done', withdrawal };
    // The answer's status is the news; the history follows when the workflow has written it.
    const status = answer.body?.status ?? 'CANCELLED';
    state.view = { ...state.view, status };
    render();
    $('action-result').focus();
    for (let attempt = 0; attempt < FOLLOW_UP_TRIES; attempt += 1) {
      if (await fetchView() !== true || state.view.status === status) break;
      state.view = { ...state.view, status };
      await pause(FOLLOW_UP_DELAY_MS);
    }
    render();
    return;
  }
  if (answer.status === 404) {
    state.problem = 'not_found';
    render();
    $('page-alert').focus();
    return;
  }
  const error = firstError(answer.body);
  // 409: too late to withdraw, or already closed; the API's code says which.
  state.result = { kind: 'error', code: answer.status === 409 ? error?.code : null, message: error?.message };
  if (answer.status === 409) await fetchView();
  render();
  $('page-alert').focus();
}

function wire() {
  wireLanguageSwitch(applyLanguage);
  $('cancel').addEventListener('click', () => {
    state.confirming = true;
    state.result = null;
    render();
    $('cancel-question').focus();
  });
  $('cancel-no').addEventListener('click', () => {
    state.confirming = false;
    render();
    $('cancel').focus();
  });
  $('cancel-yes').addEventListener('click', () => cancel());
}

async function start() {
  applyLanguage(startLanguage());
  wire();
  state.link = linkParameters();
  if (!state.link) state.problem = 'not_found';
  else await load();
  render();
  document.documentElement.dataset.ready = 'true';
}

start();
