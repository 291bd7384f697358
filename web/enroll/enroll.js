// The 5-step enrollment form: builds the POST /enrollments body (the contract's shape, the
// shared api-examples/enrollment.json), checks each step with validation.js (the API's rules and
// error codes) and shows problems, the browser's or the API's (400), next to their fields.

import {
  t, errorText, pickLanguage, formatDate, formatNumber,
} from './i18n.js';
import {
  STEP_COUNT, validateStep, validateAll, stepOfField, compactEan, compactIban, compactVat, compactPostcode,
  validateVat, formatIban, productsFor, earliestStartDate, isIsoDate, pyStrip, parseKwh,
} from './validation.js';
import {
  apiBase, loadToday, loadJson, applyPageLanguage, wireLanguageSwitch, statusPageUrl,
} from './page.js';

const KEY_STORAGE = 'wattdesk.enroll.idempotency-key';
const REQUEST_TIMEOUT_MS = 30000;

const state = {
  lang: 'en',
  step: 1,
  today: null, // ISO date in Brussels
  postcodes: {},
  products: [],
  errors: new Map(), // field path -> {code, message}
  alert: null, // {kind: 'count'|'server'|'generic'|'already_received', n}
  busy: false,
  lastBody: null,
  suggested: { supply_address: '', correspondence_address: '' },
  confirmation: null,
  memoryKey: null,
  languageTouched: false, // the customer chose a correspondence language other than the page's
};

const $ = (id) => document.getElementById(id);
const form = () => $('enroll-form');

// -------------------------------------------------------------------------------------------
// Idempotency key: one per form session, so a double click or a retry cannot enroll twice.

function uuid4() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function idempotencyKey({ renew = false } = {}) {
  try {
    let key = renew ? null : sessionStorage.getItem(KEY_STORAGE);
    if (!key) {
      key = uuid4();
      sessionStorage.setItem(KEY_STORAGE, key);
    }
    return key;
  } catch {
    // Storage switched off: the key lives as long as the page.
    if (renew || !state.memoryKey) state.memoryKey = uuid4();
    return state.memoryKey;
  }
}

function forgetIdempotencyKey() {
  try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* storage switched off */ }
  state.memoryKey = null;
}

// -------------------------------------------------------------------------------------------
// Reading the form into the request body

const value = (id) => pyStrip($(id).value);
const orNull = (text) => (text === '' ? null : text);
const checked = (name) => document.querySelector(`input[name="${name}"]:checked`)?.value ?? null;

function readAddress(prefix) {
  const postcode = value(`${prefix}-postcode`);
  return {
    street: value(`${prefix}-street`),
    number: value(`${prefix}-number`),
    box: orNull(value(`${prefix}-box`)),
    // Send the 4 digits when the input is a postcode ("B-5000" -> "5000"), else as typed.
    postcode: compactPostcode(postcode) ?? postcode,
    city: value(`${prefix}-city`),
  };
}

const chosenEnergies = () => ['electricity', 'gas'].filter((energy) => $(`energy-${energy}`).checked);

/**
 * A delivery point. With electricity and gas together, the gas point names its own product
 * (delivery_points[i].product_code) and the enrollment's product_code is the electricity one;
 * with one energy the point has no product_code of its own.
 */
function readDeliveryPoint(energy, dual) {
  const ean = value(`dp-${energy}-ean`);
  const point = {
    energy,
    ean: ean === '' ? null : compactEan(ean),
    meter_type: $(`dp-${energy}-meter_type`).value,
    situation: checked(`dp-${energy}-situation`),
    known_annual_kwh: parseKwh(value(`dp-${energy}-known_annual_kwh`)),
  };
  if (dual && energy === 'gas') point.product_code = checked('gas_product_code') ?? '';
  return point;
}

/** The POST /enrollments body, field for field as in the contract. */
function collectBody() {
  const type = checked('customer_type');
  const customer = {
    type,
    first_name: value('customer-first_name'),
    last_name: value('customer-last_name'),
    email: value('customer-email'),
    phone: value('customer-phone'),
    language: $('customer-language').value,
    birth_date: orNull($('customer-birth_date').value),
  };
  if (type === 'professional') {
    const vat = value('customer-vat_number');
    customer.company_name = value('customer-company_name');
    customer.vat_number = vat === '' || validateVat(vat) ? vat : `BE${compactVat(vat)}`;
  }
  const method = checked('payment_method');
  const iban = value('payment-iban');
  const energies = chosenEnergies();
  return {
    channel: 'web',
    customer,
    supply_address: readAddress('supply_address'),
    correspondence_address: $('different-correspondence').checked ? readAddress('correspondence_address') : null,
    delivery_points: energies.map((energy) => readDeliveryPoint(energy, energies.length > 1)),
    product_code: checked('product_code') ?? '',
    start_date: $('start_date').value,
    payment: {
      method,
      iban: method === 'direct_debit' ? compactIban(iban) : null,
      account_holder: method === 'direct_debit' ? value('payment-account_holder') : null,
    },
    billing_frequency: $('billing_frequency').value,
    referral_code: orNull(value('referral_code')),
    consents: {
      terms_accepted: $('consents-terms_accepted').checked,
      privacy_accepted: $('consents-privacy_accepted').checked,
      marketing: $('consents-marketing').checked,
    },
  };
}

const context = () => ({ today: state.today, postcodes: state.postcodes, products: state.products });

// -------------------------------------------------------------------------------------------
// Errors next to their fields

/** The input (or radio group) that holds a field path of the contract, or null. */
function controlFor(field, body = state.lastBody ?? collectBody()) {
  const point = /^delivery_points\[(\d+)\](?:\.(\w+))?/.exec(field);
  if (point) {
    const energy = body.delivery_points[Number(point[1])]?.energy;
    if (!energy) return $('energies');
    if (point[2] === 'energy') return $(`energy-${energy}`); // the API's product.wrong_energy
    if (point[2] === 'product_code') return $(energy === 'gas' ? 'product-gas' : 'product'); // a point's own product
    return (point[2] && document.querySelector(`#dp-${energy} [data-dp-field="${point[2]}"]`)) || $(`dp-${energy}`);
  }
  // The exact path, else its closest parent that has a control ("payment.iban.x" -> "payment.iban").
  let path = field;
  while (path) {
    const control = document.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (control) return control;
    const parent = path.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
    if (parent === path) break;
    path = parent;
  }
  return null;
}

/** Where keyboard focus goes for a control: the input itself, or a radio button of a group. */
function focusTarget(control) {
  if (control.tagName !== 'FIELDSET') return control;
  return control.querySelector('input:checked') ?? control.querySelector('input, select, textarea, button');
}

function errorParams(code) {
  if (code === 'start_date.switch_notice' || code === 'start_date.past') {
    return { date: formatDate(state.lang, earliestStartDate(state.lastBody?.delivery_points ?? collectBody().delivery_points, state.today)) };
  }
  return {};
}

function clearRenderedErrors() {
  document.querySelectorAll('.field-error').forEach((node) => node.remove());
  document.querySelectorAll('[aria-invalid]').forEach((node) => node.removeAttribute('aria-invalid'));
  document.querySelectorAll('.has-error').forEach((node) => node.classList.remove('has-error'));
  document.querySelectorAll('[data-described-by]').forEach((node) => {
    const base = node.dataset.describedBy;
    if (base) node.setAttribute('aria-describedby', base); else node.removeAttribute('aria-describedby');
  });
}

function describe(node, errorId) {
  if (!('describedBy' in node.dataset)) node.dataset.describedBy = node.getAttribute('aria-describedby') ?? '';
  node.setAttribute('aria-describedby', [node.dataset.describedBy, errorId].filter(Boolean).join(' '));
}

function renderErrors() {
  clearRenderedErrors();
  const unplaced = [];
  for (const [field, error] of state.errors) {
    const control = controlFor(field);
    const text = errorText(state.lang, error.code, error.message, errorParams(error.code));
    if (!control) { unplaced.push(text); continue; }
    const id = `${control.id}-error`;
    const message = document.createElement('p');
    message.className = 'field-error';
    message.id = id;
    message.textContent = text;
    if (control.tagName === 'FIELDSET') {
      control.querySelector(':scope > legend').after(message);
      control.querySelectorAll(':scope input').forEach((input) => { describe(input, id); input.setAttribute('aria-invalid', 'true'); });
    } else {
      (control.closest('label.choice') ?? control).before(message);
      control.setAttribute('aria-invalid', 'true');
      describe(control, id);
    }
    (control.closest('.field') ?? control).classList.add('has-error');
  }
  renderAlert(unplaced);
}

function renderAlert(extra = []) {
  const box = $('form-alert');
  box.replaceChildren();
  const alert = state.alert;
  if (!alert && extra.length === 0) { box.hidden = true; return; }
  const paragraph = document.createElement('p');
  if (alert?.kind === 'count') paragraph.textContent = t(state.lang, alert.n === 1 ? 'errors.count_one' : 'errors.count_other', { n: alert.n });
  else if (alert?.kind === 'server') paragraph.textContent = t(state.lang, 'errors.server');
  else if (alert?.kind === 'generic') paragraph.textContent = t(state.lang, 'errors.generic');
  else if (alert?.kind === 'already_received') paragraph.textContent = t(state.lang, 'errors.already_received');
  if (paragraph.textContent) box.append(paragraph);
  if (extra.length) {
    const list = document.createElement('ul');
    for (const text of extra) { const item = document.createElement('li'); item.textContent = text; list.append(item); }
    box.append(list);
  }
  if (alert?.kind === 'generic') {
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.id = 'retry';
    retry.className = 'primary';
    retry.textContent = t(state.lang, 'errors.retry');
    retry.addEventListener('click', () => submit());
    box.append(retry);
  }
  box.hidden = false;
}

/** Replace the problems of these steps with `errors` ([{field, code, message?}]). */
function setErrors(steps, errors) {
  for (const field of [...state.errors.keys()]) if (steps.includes(stepOfField(field))) state.errors.delete(field);
  errors.forEach((error, index) => {
    // An error without a field (or one we cannot place) is listed in the alert at the top.
    const field = error.field || `?${index}`;
    if (!state.errors.has(field)) state.errors.set(field, { code: error.code, message: error.message });
  });
}

/** Focus the first problem of the current step, in page order. */
function focusFirstError() {
  const section = document.querySelector(`.step[data-step="${state.step}"]`);
  const first = section.querySelector('[aria-invalid="true"]');
  if (first) { first.focus(); return true; }
  return false;
}

// -------------------------------------------------------------------------------------------
// Steps

function goTo(step, { focus = true } = {}) {
  state.step = step;
  document.querySelectorAll('.step').forEach((section) => { section.hidden = Number(section.dataset.step) !== step; });
  if (step === 4) renderStep4();
  if (step === 5) renderReview();
  $('back').hidden = step === 1;
  renderNavigation();
  if (focus) $(`step${step}-title`).focus();
  window.scrollTo?.(0, 0);
}

function renderNavigation() {
  const { step } = state;
  $('next').textContent = t(state.lang, state.busy ? 'nav.sending' : step === STEP_COUNT ? 'nav.submit' : 'nav.next');
  $('step-count').textContent = t(state.lang, 'progress.step', { n: step, total: STEP_COUNT });
  document.querySelectorAll('#progress li').forEach((item) => {
    const n = Number(item.dataset.step);
    item.classList.toggle('done', n < step);
    item.classList.toggle('current', n === step);
    if (n === step) item.setAttribute('aria-current', 'step'); else item.removeAttribute('aria-current');
    item.querySelector('.progress-state').textContent = n < step ? ` (${t(state.lang, 'progress.done')})` : n === step ? ` (${t(state.lang, 'progress.current')})` : '';
  });
  const title = t(state.lang, `step${step}.title`);
  document.title = state.confirmation
    ? `${t(state.lang, 'confirm.title')} — ${t(state.lang, 'page.title')}`
    : `${t(state.lang, 'progress.step', { n: step, total: STEP_COUNT })}: ${title} — ${t(state.lang, 'page.title')}`;
}

function next() {
  const body = collectBody();
  state.lastBody = body;
  if (state.step < STEP_COUNT) {
    const errors = validateStep(state.step, body, context());
    setErrors([state.step], errors);
    // Other energies, other product lists: step 4's product problems are checked again there.
    if (state.step === 3) for (const field of [...state.errors.keys()]) if (/product_code$/.test(field)) state.errors.delete(field);
    if (errors.length) {
      state.alert = { kind: 'count', n: errors.length };
      renderErrors();
      focusFirstError();
      return;
    }
    state.alert = null;
    renderErrors();
    goTo(state.step + 1);
    return;
  }
  submit();
}

function back() {
  state.alert = null;
  state.lastBody = collectBody();
  renderErrors();
  goTo(Math.max(1, state.step - 1));
}

// Step 4: the products that fit the customer type and energies (one list per energy when both
// are chosen), and the earliest start date.
function renderProductList(list, name, available) {
  const chosen = checked(name);
  list.replaceChildren(...available.map((product) => {
    const label = document.createElement('label');
    label.className = 'choice product-choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = name;
    input.value = product.code;
    input.checked = product.code === chosen;
    const productName = document.createElement('span');
    productName.className = 'product-name';
    productName.textContent = product.names[state.lang] ?? product.names.en;
    const details = document.createElement('span');
    details.className = 'product-details';
    details.textContent = `${t(state.lang, `energy.${product.energy}`)} · ${t(state.lang, `product.kind.${product.kind}`)}`;
    label.append(input, ' ', productName, details);
    return label;
  }));
  if (available.length === 1 && !list.querySelector('input:checked')) list.querySelector('input').checked = true;
}

function renderStep4() {
  const body = collectBody();
  const energies = body.delivery_points.map((point) => point.energy);
  const dual = energies.includes('electricity') && energies.includes('gas');
  const day = isIsoDate(body.start_date) && body.start_date >= state.today ? body.start_date : state.today;
  const offer = (energy) => productsFor(state.products, body.customer.type, energy ? [energy] : energies, day);
  const main = offer(dual ? 'electricity' : null);
  renderProductList($('product-list'), 'product_code', main);
  $('product-none').hidden = main.length > 0;
  const legend = $('product-legend');
  legend.dataset.i18n = dual ? 'product.legend_electricity' : 'product.legend';
  legend.textContent = t(state.lang, legend.dataset.i18n);
  $('product-dual-hint').hidden = !dual;
  $('product-gas').hidden = !dual;
  if (dual) {
    const gas = offer('gas');
    renderProductList($('product-gas-list'), 'gas_product_code', gas);
    $('product-gas-none').hidden = gas.length > 0;
  } else {
    $('product-gas-list').replaceChildren();
  }
  const earliest = earliestStartDate(body.delivery_points, state.today);
  const switching = body.delivery_points.some((point) => point.situation === 'switch');
  $('start_date').min = earliest;
  $('start_date-hint').textContent = t(state.lang, switching ? 'start_date.hint_switch' : 'start_date.hint', { date: formatDate(state.lang, earliest) });
}

// Step 5: everything, as it will be sent.
function renderReview() {
  const body = collectBody();
  const { lang } = state;
  const none = t(lang, 'review.none');
  const address = (a) => (a ? `${a.street} ${a.number}${a.box ? ` ${t(lang, 'address.box_short')} ${a.box}` : ''}, ${a.postcode} ${a.city}` : t(lang, 'review.same_as_supply'));
  const productName = (code) => {
    const product = state.products.find((p) => p.code === code);
    return product ? (product.names[lang] ?? product.names.en) : none;
  };
  const gasPoint = body.delivery_points.find((point) => point.energy === 'gas' && point.product_code !== undefined);
  const productRows = gasPoint
    ? [[t(lang, 'review.product_electricity'), productName(body.product_code)], [t(lang, 'review.product_gas'), productName(gasPoint.product_code)]]
    : [[t(lang, 'review.product'), productName(body.product_code)]];
  const c = body.customer;
  const sections = [
    [1, t(lang, 'step1.title'), [
      [t(lang, 'customer.type'), t(lang, `customer.type.${c.type}`)],
      ...(c.type === 'professional' ? [[t(lang, 'customer.company_name'), c.company_name], [t(lang, 'customer.vat_number'), c.vat_number]] : []),
      [`${t(lang, 'customer.first_name')} / ${t(lang, 'customer.last_name')}`, `${c.first_name} ${c.last_name}`],
      [t(lang, 'customer.email'), c.email],
      [t(lang, 'customer.phone'), c.phone],
      [t(lang, 'customer.language'), t(lang, `language.${c.language}`)],
      [t(lang, 'customer.birth_date'), c.birth_date ? formatDate(lang, c.birth_date) : none],
    ]],
    [2, t(lang, 'step2.title'), [
      [t(lang, 'address.supply'), address(body.supply_address)],
      [t(lang, 'address.correspondence'), address(body.correspondence_address)],
    ]],
    [3, t(lang, 'step3.title'), body.delivery_points.flatMap((point) => [
      [t(lang, `point.${point.energy}`), [
        t(lang, `point.situation.${point.situation}`),
        `${t(lang, 'point.ean')}: ${point.ean ?? none}`,
        t(lang, `point.meter_type.${point.meter_type}`),
        point.known_annual_kwh === null ? null : `${formatNumber(lang, point.known_annual_kwh)} kWh`,
      ].filter(Boolean).join(' · ')],
    ])],
    [4, t(lang, 'step4.title'), [
      ...productRows,
      [t(lang, 'start_date'), body.start_date ? formatDate(lang, body.start_date) : none],
      [t(lang, 'payment.method'), t(lang, `payment.method.${body.payment.method}`)],
      ...(body.payment.method === 'direct_debit' ? [[t(lang, 'payment.iban'), formatIban(body.payment.iban ?? '')], [t(lang, 'payment.account_holder'), body.payment.account_holder]] : []),
      [t(lang, 'billing_frequency'), t(lang, `billing_frequency.${body.billing_frequency}`)],
      [t(lang, 'referral_code'), body.referral_code ?? none],
    ]],
  ];
  $('review').replaceChildren(...sections.map(([step, title, rows]) => {
    const section = document.createElement('section');
    section.className = 'review-section';
    const header = document.createElement('div');
    header.className = 'review-header';
    const heading = document.createElement('h3');
    heading.textContent = title;
    const edit = document.createElement('button');
    edit.type = 'button';
    edit.className = 'link';
    edit.textContent = t(lang, 'review.edit');
    edit.setAttribute('aria-label', t(lang, 'review.edit_label', { section: title }));
    edit.addEventListener('click', () => { state.alert = null; renderErrors(); goTo(step); });
    header.append(heading, edit);
    const list = document.createElement('dl');
    for (const [term, detail] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = detail || none;
      list.append(dt, dd);
    }
    section.append(header, list);
    return section;
  }));
}

// -------------------------------------------------------------------------------------------
// Submitting

async function submit() {
  if (state.busy) return; // a double click sends once (and would send the same key anyway)
  const body = collectBody();
  state.lastBody = body;
  const errors = validateAll(body, context());
  if (errors.length) {
    setErrors([1, 2, 3, 4, 5], errors);
    const step = stepOfField(errors[0].field);
    state.alert = { kind: 'count', n: errors.filter((e) => stepOfField(e.field) === step).length };
    if (step !== state.step) goTo(step, { focus: false });
    renderErrors();
    focusFirstError();
    return;
  }
  state.busy = true;
  $('next').disabled = true;
  renderNavigation();
  state.alert = null;
  state.errors.clear();
  renderErrors();
  let response = null;
  let answer = null;
  const key = idempotencyKey();
  try {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      response = await fetch(`${apiBase()}/enrollments`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      answer = await response.json().catch(() => null);
    } finally {
      clearTimeout(timer);
    }
  } catch {
    response = null; // network error or timeout: the same key is sent again on retry
  } finally {
    state.busy = false;
    $('next').disabled = false;
    renderNavigation();
  }
  if (response?.status === 202 && answer?.enrollment_id) {
    forgetIdempotencyKey();
    showConfirmation(answer, body);
  } else if (response?.status === 400 && Array.isArray(answer?.errors) && answer.errors.length) {
    // A refusal creates nothing: the corrected enrollment is a new request with a new key.
    idempotencyKey({ renew: true });
    showServerErrors(answer.errors);
  } else if (response?.status === 409 && answer?.errors?.[0]?.code === 'idempotency.key_reused') {
    // An earlier attempt of this form session did arrive (its answer was lost), with other
    // details. Say so; sending again makes these details a new enrollment.
    idempotencyKey({ renew: true });
    state.alert = { kind: 'already_received' };
    renderErrors();
    $('form-alert').focus();
  } else {
    state.alert = { kind: 'generic' };
    renderErrors();
    $('retry')?.focus();
  }
}

function showServerErrors(errors) {
  state.errors.clear();
  setErrors([], errors);
  // The step of the API's first error; errors we cannot place are listed in the alert on top.
  const step = stepOfField(errors[0].field);
  state.alert = { kind: 'server' };
  if (step !== state.step) goTo(step, { focus: false });
  renderErrors();
  if (!focusFirstError()) $(`step${step}-title`).focus();
}

function showConfirmation(answer, body) {
  state.confirmation = { id: answer.enrollment_id, statusUrl: answer.status_url, email: body.customer.email };
  $('enrollment').hidden = true;
  $('confirmation').hidden = false;
  renderConfirmation();
  $('confirm-title').focus();
}

function renderConfirmation() {
  const c = state.confirmation;
  if (!c) return;
  // The number on one line: the text around {id}, then the id in its own element.
  const [before, after = ''] = t(state.lang, 'confirm.id').split('{id}');
  const number = document.createElement('span');
  number.className = 'enrollment-number';
  number.textContent = c.id;
  $('confirm-id').replaceChildren(before, number, after);
  $('confirm-mail').textContent = t(state.lang, 'confirm.mail', { email: c.email });
  // The customer's status page (status.html) for the API's status URL: same id and token.
  const link = $('confirm-status');
  const url = statusPageUrl(c.statusUrl, state.lang);
  if (url) {
    link.href = url;
    link.parentElement.hidden = false;
  } else {
    link.parentElement.hidden = true;
  }
  renderNavigation();
}

// -------------------------------------------------------------------------------------------
// Language

function applyLanguage(lang) {
  state.lang = lang;
  applyPageLanguage(lang);
  if (!state.languageTouched) $('customer-language').value = lang;
  updatePostcodeHint('supply_address');
  updatePostcodeHint('correspondence_address');
  if (state.today) {
    if (state.step === 4) renderStep4();
    if (state.step === 5) renderReview();
    renderNavigation();
    renderErrors();
    renderConfirmation();
  }
}

// -------------------------------------------------------------------------------------------
// Behaviour of the inputs

function updatePostcodeHint(prefix, { fill = false } = {}) {
  const code = compactPostcode($(`${prefix}-postcode`).value);
  const city = code ? state.postcodes[code] : undefined;
  const hint = $(`${prefix}-postcode-hint`);
  hint.textContent = city ? t(state.lang, 'address.city_suggestion', { postcode: code, city }) : '';
  if (!fill || !city) return;
  // Fill the city unless the customer typed one of their own (sub-municipality, other spelling).
  const cityInput = $(`${prefix}-city`);
  if (cityInput.value.trim() === '' || cityInput.value === state.suggested[prefix]) {
    cityInput.value = city;
    state.suggested[prefix] = city;
  }
}

function syncVisibility() {
  $('professional-fields').hidden = checked('customer_type') !== 'professional';
  $('correspondence_address').hidden = !$('different-correspondence').checked;
  for (const energy of ['electricity', 'gas']) {
    const on = $(`energy-${energy}`).checked;
    $(`dp-${energy}`).hidden = !on;
    $(`energy-${energy}`).setAttribute('aria-expanded', String(on));
  }
  const debit = checked('payment_method') === 'direct_debit';
  $('direct-debit-fields').hidden = !debit;
}

function wire() {
  form().addEventListener('submit', (event) => { event.preventDefault(); next(); });
  $('back').addEventListener('click', back);
  $('customer-language').addEventListener('change', () => { state.languageTouched = true; });
  form().addEventListener('change', (event) => {
    syncVisibility();
    if (state.step === 4 && ['customer_type', 'start_date'].includes(event.target.name || event.target.id)) renderStep4();
  });
  for (const prefix of ['supply_address', 'correspondence_address']) {
    $(`${prefix}-postcode`).addEventListener('input', () => updatePostcodeHint(prefix, { fill: true }));
  }
  wireLanguageSwitch(applyLanguage);
}

// -------------------------------------------------------------------------------------------
// Start

async function start() {
  const lang = pickLanguage(window.location.search, navigator.languages?.length ? navigator.languages : [navigator.language]);
  applyLanguage(lang);
  wire();
  syncVisibility();
  try {
    [state.postcodes, state.products, state.today] = await Promise.all([loadJson('postcodes.json'), loadJson('products.json'), loadToday()]);
  } catch (error) {
    $('loading').textContent = t(state.lang, 'page.load_failed');
    $('loading').classList.add('alert');
    throw error;
  }
  $('loading').hidden = true;
  $('enrollment').hidden = false;
  idempotencyKey();
  goTo(1, { focus: false });
  document.documentElement.dataset.ready = 'true';
}

start();
