// The fix page (fix.html?id=...&token=..., linked from the "we need more details" mail): one input
// per field an operator asked for, labelled with the form's texts, checked with validation.js
// (the API's rules and codes), and sent as {"changes": {path: value}}. API: GET and POST
// /enrollments/{id}/answer?token=... (docs/enrollment.md, step 4).

import { TEXTS, LANGUAGES, t, errorText, formatDate } from './i18n.js';
import {
  validateChange, fieldKind, OPTIONAL_FIELDS, compactEan, compactIban, compactPostcode, compactVat, validateVat,
  formatIban, parseKwh, pyStrip, addDays, SWITCH_NOTICE_DAYS,
} from './validation.js';
import {
  requestJson, firstError, loadToday, loadJson, askedLanguage, startLanguage, applyPageLanguage, wireLanguageSwitch,
  linkParameters,
} from './page.js';

// Choices of the fields that have a fixed list (the contract's values; labels from the form).
const CHOICES = {
  'customer.type': { values: ['residential', 'professional'], labels: 'customer.type.' },
  'customer.language': { values: ['nl', 'fr', 'de', 'en'], labels: 'language.' },
  'delivery_points.meter_type': { values: ['single', 'dual', 'exclusive_night'], labels: 'point.meter_type.' },
  'delivery_points.situation': { values: ['switch', 'move_in', 'new_connection'], labels: 'point.situation.' },
  'payment.method': { values: ['direct_debit', 'transfer'], labels: 'payment.method.' },
  'billing_frequency': { values: ['monthly', 'bimonthly', 'quarterly'], labels: 'billing_frequency.' },
};

// Input details by field (as on the form).
const INPUTS = {
  'customer.first_name': { maxlength: 80, autocomplete: 'given-name' },
  'customer.last_name': { maxlength: 80, autocomplete: 'family-name' },
  'customer.company_name': { maxlength: 160, autocomplete: 'organization' },
  'customer.vat_number': { maxlength: 20, spellcheck: false, autocapitalize: 'characters' },
  'customer.email': { type: 'email', maxlength: 254, autocomplete: 'email', spellcheck: false },
  'customer.phone': { type: 'tel', maxlength: 30, autocomplete: 'tel' },
  'customer.birth_date': { type: 'date', autocomplete: 'bday' },
  'address.street': { maxlength: 120 },
  'address.number': { maxlength: 10 },
  'address.box': { maxlength: 10 },
  'address.postcode': { maxlength: 8, inputmode: 'numeric' },
  'address.city': { maxlength: 80 },
  'delivery_points.ean': { maxlength: 24, inputmode: 'numeric', autocomplete: 'off', spellcheck: false },
  'delivery_points.known_annual_kwh': { maxlength: 9, inputmode: 'numeric' },
  'payment.iban': { maxlength: 42, autocomplete: 'off', spellcheck: false, autocapitalize: 'characters' },
  'payment.account_holder': { maxlength: 120, autocomplete: 'name' },
  start_date: { type: 'date' },
  referral_code: { maxlength: 20, autocomplete: 'off', spellcheck: false },
};

const state = {
  lang: 'en',
  link: null, // {id, token}
  fields: [], // asked paths, in the operator's order
  current: {}, // path -> value on file
  today: null,
  postcodes: null,
  errors: new Map(), // path (or "?n") -> {code, message}
  alert: null, // {kind: 'count', n} | {kind: 'server'} | {kind: 'generic'}
  page: 'loading', // loading | form | done | not_needed | not_found | load_failed
  conflict: null, // {code, message} of a 409
  busy: false,
};

const $ = (id) => document.getElementById(id);
const path = () => `/enrollments/${encodeURIComponent(state.link.id)}/answer?token=${encodeURIComponent(state.link.token)}`;
const inputId = (field) => `fix-${field.replace(/[^A-Za-z0-9_]+/g, '-')}`;
const hasText = (key) => Object.hasOwn(TEXTS.en, key);

/** The form's text key for a field path: "supply_address.street" -> "address.street". */
function labelKey(field) {
  const kind = fieldKind(field);
  const key = kind.replace(/^(supply_address|correspondence_address)\./, 'address.').replace(/^delivery_points\./, 'point.');
  return hasText(key) ? key : null;
}

const inputKind = (field) => fieldKind(field).replace(/^(supply_address|correspondence_address)\./, 'address.');

/** Which box a field goes in: about you, an address, a connection, payment, or the rest. */
function groupOf(field) {
  const point = /^delivery_points\[(\d+)\]\./.exec(field);
  if (point) return `point:${point[1]}`;
  const top = field.split('.')[0];
  if (['customer', 'supply_address', 'correspondence_address', 'payment'].includes(top) && field.includes('.')) return top;
  return 'other';
}

const GROUP_LEGENDS = { customer: 'step1.title', supply_address: 'address.supply', correspondence_address: 'address.correspondence', payment: 'fix.payment' };

function displayValue(field, current) {
  if (current === null || current === undefined) return '';
  if (fieldKind(field) === 'payment.iban') return formatIban(String(current));
  return String(current);
}

// -------------------------------------------------------------------------------------------
// Building the inputs (once; texts are set by renderTexts so a language switch keeps the values)

function buildControl(field) {
  const id = inputId(field);
  const choice = CHOICES[fieldKind(field)];
  const current = state.current[field];
  let control;
  if (choice) {
    control = document.createElement('select');
    for (const value of choice.values) {
      const option = document.createElement('option');
      option.value = value;
      option.dataset.i18n = `${choice.labels}${value}`;
      control.append(option);
    }
    if (choice.values.includes(current)) control.value = current;
  } else {
    control = document.createElement('input');
    const details = INPUTS[inputKind(field)] ?? {};
    control.type = details.type ?? 'text';
    if (details.maxlength) control.maxLength = details.maxlength;
    if (details.autocomplete) control.autocomplete = details.autocomplete;
    if (details.inputmode) control.inputMode = details.inputmode;
    if (details.autocapitalize) control.setAttribute('autocapitalize', details.autocapitalize);
    if (details.spellcheck === false) control.spellcheck = false;
    control.value = displayValue(field, current);
  }
  control.id = id;
  control.dataset.path = field;
  return control;
}

function buildField(field) {
  const wrapper = document.createElement('div');
  wrapper.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = inputId(field);
  const key = labelKey(field);
  const name = document.createElement('span');
  if (key) name.dataset.i18n = key; else name.textContent = field; // a path the form does not know
  label.append(name);
  if (OPTIONAL_FIELDS.has(fieldKind(field))) {
    const optional = document.createElement('span');
    optional.className = 'optional';
    optional.dataset.i18n = 'field.optional';
    label.append(' ', optional);
  }
  wrapper.append(label);
  const control = buildControl(field);
  if (key && hasText(`${key}.hint`)) {
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.id = `${control.id}-hint`;
    hint.dataset.i18n = `${key}.hint`;
    wrapper.append(hint);
    control.setAttribute('aria-describedby', hint.id);
  }
  wrapper.append(control);
  return wrapper;
}

function buildForm() {
  const groups = new Map();
  for (const field of state.fields) {
    const group = groupOf(field);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(field);
  }
  const points = [...groups.keys()].filter((group) => group.startsWith('point:'));
  const boxes = [];
  for (const [group, fields] of groups) {
    const inputs = fields.map(buildField);
    if (group === 'other' && groups.size === 1) { boxes.push(...inputs); continue; }
    const fieldset = document.createElement('fieldset');
    fieldset.className = 'address';
    const legend = document.createElement('legend');
    if (group.startsWith('point:')) {
      if (points.length > 1) { legend.dataset.i18nKey = 'fix.point_n'; legend.dataset.i18nN = String(Number(group.slice(6)) + 1); }
      else legend.dataset.i18n = 'fix.point';
    } else {
      legend.dataset.i18n = GROUP_LEGENDS[group] ?? 'fix.other';
    }
    fieldset.append(legend, ...inputs);
    boxes.push(fieldset);
  }
  $('fix-fields').replaceChildren(...boxes);
  // A postcode fills the town when both are asked (unless the customer typed a town of their own).
  for (const prefix of ['supply_address', 'correspondence_address']) {
    const postcode = $(inputId(`${prefix}.postcode`));
    const city = $(inputId(`${prefix}.city`));
    if (!postcode || !city) continue;
    let suggested = '';
    postcode.addEventListener('input', () => {
      const name = state.postcodes?.[compactPostcode(postcode.value) ?? ''];
      if (name && (city.value.trim() === '' || city.value === suggested)) { city.value = name; suggested = name; }
    });
  }
}

// -------------------------------------------------------------------------------------------
// Texts, errors and the state of the page

function errorParams(code) {
  if (code === 'start_date.switch_notice' && state.today) return { date: formatDate(state.lang, addDays(state.today, SWITCH_NOTICE_DAYS)) };
  return {};
}

function renderErrors() {
  document.querySelectorAll('#fix-fields .field-error').forEach((node) => node.remove());
  document.querySelectorAll('#fix-fields .has-error').forEach((node) => node.classList.remove('has-error'));
  const unplaced = [];
  for (const field of state.fields) {
    const control = $(inputId(field));
    control.removeAttribute('aria-invalid');
    const hint = $(`${control.id}-hint`);
    if (hint) control.setAttribute('aria-describedby', hint.id); else control.removeAttribute('aria-describedby');
  }
  for (const [field, error] of state.errors) {
    const text = errorText(state.lang, error.code, error.message, errorParams(error.code));
    const control = state.fields.includes(field) ? $(inputId(field)) : null;
    if (!control) { unplaced.push(text); continue; }
    const message = document.createElement('p');
    message.className = 'field-error';
    message.id = `${control.id}-error`;
    message.textContent = text;
    control.before(message);
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), message.id].filter(Boolean).join(' '));
    control.closest('.field').classList.add('has-error');
  }
  const box = $('page-alert');
  box.replaceChildren();
  const { alert } = state;
  if (!alert && unplaced.length === 0) { box.hidden = true; return; }
  const paragraph = document.createElement('p');
  if (alert?.kind === 'count') paragraph.textContent = t(state.lang, alert.n === 1 ? 'errors.count_one' : 'errors.count_other', { n: alert.n });
  else if (alert?.kind === 'server') paragraph.textContent = t(state.lang, 'errors.server');
  else if (alert?.kind === 'generic') paragraph.textContent = t(state.lang, 'errors.generic');
  if (paragraph.textContent) box.append(paragraph);
  if (unplaced.length) {
    const list = document.createElement('ul');
    for (const text of unplaced) { const item = document.createElement('li'); item.textContent = text; list.append(item); }
    box.append(list);
  }
  box.hidden = false;
}

function showMessage(text) {
  const box = $('page-alert');
  box.replaceChildren();
  box.textContent = text;
  box.hidden = false;
}

function render() {
  document.title = t(state.lang, 'fix.page_title');
  document.querySelectorAll('[data-i18n-n]').forEach((node) => { node.textContent = t(state.lang, node.dataset.i18nKey, { n: node.dataset.i18nN }); });
  $('loading').hidden = state.page !== 'loading';
  $('fix-form').hidden = state.page !== 'form';
  $('fix-intro').hidden = state.page !== 'form';
  $('done').hidden = state.page !== 'done';
  $('fix-submit').textContent = t(state.lang, state.busy ? 'nav.sending' : 'fix.submit');
  $('fix-submit').disabled = state.busy;
  if (state.page === 'form') renderErrors();
  else if (state.page === 'not_needed') {
    const { conflict } = state;
    showMessage(!conflict || conflict.code === 'enrollment.not_awaiting_customer' ? t(state.lang, 'fix.not_needed') : errorText(state.lang, conflict.code, conflict.message));
  } else if (state.page === 'not_found') showMessage(t(state.lang, 'fix.not_found'));
  else if (state.page === 'load_failed') showMessage(t(state.lang, 'fix.load_failed'));
  else $('page-alert').hidden = true;
}

function applyLanguage(lang) {
  state.lang = lang;
  applyPageLanguage(lang);
  render();
}

// -------------------------------------------------------------------------------------------
// Sending

/** The value the API gets for a field, from the text of its input. */
function changeValue(field, text) {
  const kind = fieldKind(field);
  const value = pyStrip(text);
  if (value === '') return null;
  if (kind === 'delivery_points.ean') return compactEan(value);
  if (kind === 'payment.iban') return compactIban(value);
  if (kind.endsWith('.postcode')) return compactPostcode(value) ?? value;
  if (kind === 'delivery_points.known_annual_kwh') return parseKwh(value);
  if (kind === 'customer.vat_number') return validateVat(value) ? value : `BE${compactVat(value)}`;
  return value;
}

function focusFirstError() {
  const first = document.querySelector('#fix-fields [aria-invalid="true"]');
  if (first) first.focus(); else $('page-alert').focus();
}

async function submit() {
  if (state.busy) return;
  const texts = Object.fromEntries(state.fields.map((field) => [field, $(inputId(field)).value]));
  state.errors.clear();
  for (const field of state.fields) {
    const code = validateChange(field, texts[field], { today: state.today, postcodes: state.postcodes });
    if (code) state.errors.set(field, { code });
  }
  if (state.errors.size) {
    state.alert = { kind: 'count', n: state.errors.size };
    render();
    focusFirstError();
    return;
  }
  state.alert = null;
  state.busy = true;
  render();
  const changes = Object.fromEntries(state.fields.map((field) => [field, changeValue(field, texts[field])]));
  const answer = await requestJson(path(), { method: 'POST', body: { changes } });
  state.busy = false;
  if (answer.status === 200) {
    state.page = 'done';
    render();
    $('done-title').focus();
    return;
  }
  if (answer.status === 400 && Array.isArray(answer.body?.errors) && answer.body.errors.length) {
    answer.body.errors.forEach((error, index) => {
      const field = error.field && state.fields.includes(error.field) ? error.field : `?${index}`;
      if (!state.errors.has(field)) state.errors.set(field, { code: error.code, message: error.message });
    });
    state.alert = { kind: 'server' };
    render();
    focusFirstError();
    return;
  }
  if (answer.status === 409) {
    state.page = 'not_needed';
    state.conflict = firstError(answer.body);
  } else if (answer.status === 404) {
    state.page = 'not_found';
  } else {
    state.alert = { kind: 'generic' }; // the details stay; sending again is the retry
  }
  render();
  $('page-alert').focus();
}

// -------------------------------------------------------------------------------------------
// Start

async function start() {
  const asked = askedLanguage(); // before the page writes its language into the address
  applyLanguage(startLanguage());
  wireLanguageSwitch(applyLanguage);
  $('fix-form').addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  state.link = linkParameters();
  if (!state.link) {
    state.page = 'not_found';
  } else {
    const [answer, today] = await Promise.all([requestJson(path()), loadToday()]);
    state.today = today;
    if (answer.status === 200 && answer.body && typeof answer.body.fields === 'object') {
      // The customer's language, unless the address asks for another one.
      if (!asked && LANGUAGES.includes(answer.body.language)) applyLanguage(answer.body.language);
      state.fields = Object.keys(answer.body.fields ?? {});
      state.current = answer.body.fields ?? {};
      if (answer.body.status !== 'AWAITING_CUSTOMER' || state.fields.length === 0) {
        state.page = 'not_needed';
      } else {
        if (state.fields.some((field) => fieldKind(field).endsWith('_address.postcode'))) {
          state.postcodes = await loadJson('postcodes.json').catch(() => null);
        }
        buildForm();
        state.page = 'form';
      }
    } else {
      state.page = answer.status === 404 ? 'not_found' : 'load_failed';
    }
  }
  applyLanguage(state.lang); // texts of the inputs just built
  document.documentElement.dataset.ready = 'true';
}

start();
