// A blocked enrollment (GET /ops/enrollments/{id}): why it waits, the request, its history and
// audit trail, and the operator's actions of docs/enrollment.md: correct a field (validation runs
// again), ask the customer for fields (mail with the fix link), confirm (approve: on to the grid
// operator) or reject with a reason.

import { api, el, errorText, has, moment, say, start, t } from '/shared/shell.js';

const $ = (id) => document.getElementById(id);
const id = new URLSearchParams(window.location.search).get('id') || '';
const WAITING = ['BLOCKED'];
let view = null;

/** The request's fields as paths (customer.email, delivery_points[0].ean, ...) with their values. */
function leaves(value, path = '', out = []) {
  if (Array.isArray(value)) value.forEach((item, i) => leaves(item, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) leaves(item, path ? `${path}.${key}` : key, out);
  else out.push([path, value]);
  return out;
}

const CORRECTABLE = /^(customer\.|supply_address\.|billing_address\.|delivery_points\[\d+\]\.(ean|meter_type|situation|product_code)$|start_date$|product_code$|payment\.|referral_code$)/;

function fieldLabel(path) {
  const generic = path.replace(/\[\d+\]/g, '[]');
  const index = (path.match(/\[(\d+)\]/) || [])[1];
  const base = has(`field.${generic}`) ? t(`field.${generic}`) : path;
  return index !== undefined && has(`field.${generic}`) ? `${base} ${Number(index) + 1}` : base;
}

function reasonText(reason) {
  return has(`reason.${reason.code}`) ? t(`reason.${reason.code}`) : reason.message || reason.code;
}

function render() {
  $('enrollment-customer').textContent = view.customer;
  document.title = `${t('enrollment.title')} ${view.customer} — WattDesk`;
  $('enrollment-status').textContent = t(`status.${view.status}`);
  $('enrollment-status').dataset.status = view.status;
  const reasons = view.block_reasons || [];
  $('reasons').replaceChildren(...(reasons.length ? reasons.map((r) => el('li', {}, reasonText(r), r.field ? el('span', { class: 'muted', text: ` (${fieldLabel(r.field)})` }) : null))
    : [el('li', { class: 'muted', text: t('enrollment.no_reasons') })]));
  const fields = leaves(view.request).filter(([path]) => CORRECTABLE.test(path) || reasons.some((r) => r.field === path));
  for (const reason of reasons) if (reason.field && !fields.some(([path]) => path === reason.field)) fields.unshift([reason.field, null]);
  $('request').replaceChildren(el('dl', { class: 'facts' }, fields.flatMap(([path, value]) => [el('dt', { text: fieldLabel(path) }), el('dd', { text: value === null || value === undefined || value === '' ? '—' : String(value) })])));
  const select = $('correct-field');
  select.replaceChildren(...fields.map(([path]) => el('option', { value: path, text: fieldLabel(path) })));
  const first = reasons.find((r) => r.field)?.field;
  if (first) select.value = first;
  fillValue();
  $('ask-fields').replaceChildren(...fields.map(([path]) => el('label', { class: 'choice' },
    el('input', { type: 'checkbox', name: 'ask', value: path, checked: reasons.some((r) => r.field === path) || null }), el('span', { text: fieldLabel(path) }))));
  const waiting = WAITING.includes(view.status);
  for (const form of ['correct-form', 'ask-form', 'decision-form']) $(form).hidden = !waiting;
  if (!waiting) say($('action-result'), t('enrollment.not_waiting', { status: t(`status.${view.status}`) }), { kind: view.status === 'CONFIRMED' ? 'ok' : 'info' });
  // Both lists in the order they were written (the API's order; equal times keep it).
  const statuses = (view.history || []).map((h) => ({ at: h.at, text: `${t(`status.${h.status}`)}${h.note ? ` — ${h.note}` : ''}` }));
  const audit = (view.audit || []).map((a) => ({ at: a.at, text: `${has(`action.${a.action}`) ? t(`action.${a.action}`) : a.action} — ${a.actor}` }));
  const items = (entries) => entries.map((entry) => el('li', {}, el('span', { class: 'when', text: moment(entry.at) }), entry.text));
  $('history').replaceChildren(...items(statuses));
  $('audit').replaceChildren(...items(audit));
}

function fillValue() {
  const path = $('correct-field').value;
  const found = leaves(view.request).find(([p]) => p === path);
  $('correct-value').value = found && found[1] !== null && found[1] !== undefined ? String(found[1]) : '';
}

async function reload() {
  const answer = await api('GET', `/ops/enrollments/${encodeURIComponent(id)}`);
  if (!answer.ok) { say($('page-alert'), answer.status === 404 ? t('error.not_found') : errorText(answer.data), { kind: 'error' }); $('actions').hidden = true; return false; }
  view = answer.data;
  render();
  return true;
}

/** After an action the workflow validates again in the background: follow the status a while. */
async function follow(previous) {
  for (let i = 0; i < 40; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await reload();
    if (!['RECEIVED', 'VALIDATING', previous].includes(view.status)) return;
  }
}

async function act(button, path, body, doneKey) {
  button.disabled = true;
  try {
    const answer = await api('POST', `/ops/enrollments/${encodeURIComponent(id)}/${path}`, body);
    if (!answer.ok) { say($('action-result'), errorText(answer.data), { kind: 'error', focus: true }); return; }
    say($('action-result'), t(doneKey), { kind: 'ok', focus: true });
    await follow(view.status);
    say($('action-result'), `${t(doneKey)} ${t('enrollment.now', { status: t(`status.${view.status}`) })}`, { kind: 'ok' });
  } finally {
    button.disabled = false;
  }
}

async function init() {
  if (!await reload()) return;
  $('correct-field').addEventListener('change', fillValue);
  $('correct-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const raw = $('correct-value').value.trim();
    const path = $('correct-field').value;
    const value = /\.ean$/.test(path) ? raw.replace(/\s/g, '') : raw;
    act($('correct-submit'), 'corrections', { changes: { [path]: value === '' ? null : value }, note: $('correct-note').value.trim() }, 'enrollment.corrected');
  });
  $('ask-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const fields = [...document.querySelectorAll('input[name="ask"]:checked')].map((box) => box.value);
    if (!fields.length) { say($('action-result'), t('enrollment.ask_none'), { kind: 'error', focus: true }); return; }
    act($('ask-submit'), 'customer-request', { fields, message: $('ask-message').value.trim() }, 'enrollment.asked');
  });
  $('decision-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const decision = event.submitter?.value || 'approve';
    const reason = $('decision-reason').value.trim();
    if (decision === 'reject' && !reason) { $('decision-reason').setAttribute('aria-invalid', 'true'); say($('action-result'), t('error.reason.required'), { kind: 'error', focus: true }); return; }
    act(event.submitter || $('approve'), 'decision', { decision, reason: reason || null }, decision === 'approve' ? 'enrollment.approved' : 'enrollment.rejected');
  });
}

start({ area: 'ops', init });
