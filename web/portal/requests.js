// Requests handled by staff (POST/GET /me/requests): product or tariff change, breaker size,
// interim invoice, appointment or call-back; each with its status and the staff's notes.

import { api, day, el, errorText, moment, say, start, t } from '/shared/shell.js';
import { overview } from '/portal/common.js';

const $ = (id) => document.getElementById(id);

function toggle() {
  const kind = $('request-kind').value;
  $('request-contract-box').hidden = kind === 'callback';
  $('request-product-box').hidden = kind !== 'product_change';
  $('request-breaker-box').hidden = kind !== 'breaker_size';
  $('request-callback-box').hidden = kind !== 'callback';
}

function requestCard(request) {
  return el('li', { class: 'card', 'data-request': request.request_id },
    el('h3', {}, `${t(`requests.kind.${request.kind}`)} `, el('span', { class: `badge ${request.status.toLowerCase()}`, text: t(`request.status.${request.status}`) })),
    el('p', { class: 'muted', text: t('requests.sent_on', { date: moment(request.created_at), due: day(request.sla_due) }) }),
    request.message ? el('p', { text: request.message }) : null,
    el('ol', { class: 'history' }, (request.history || []).map((entry) => el('li', {},
      el('span', { class: 'when', text: moment(entry.at) }), t(`request.status.${entry.status}`), entry.note ? ` — ${entry.note}` : ''))));
}

async function load() {
  const answer = await api('GET', '/me/requests');
  if (!answer.ok) { $('requests').replaceChildren(el('p', { class: 'empty', text: answer.status === 404 ? t('error.unavailable') : errorText(answer.data) })); return; }
  const items = answer.data.items || [];
  $('requests').replaceChildren(items.length ? el('ul', { class: 'plain' }, items.map(requestCard)) : el('p', { class: 'empty', text: t('requests.none') }));
}

async function send(event) {
  event.preventDefault();
  const kind = $('request-kind').value;
  const body = { kind, message: $('request-message').value.trim() };
  const contract = $('request-contract').selectedOptions[0];
  if (kind !== 'callback' && contract) { body.contract_id = contract.value; if (kind === 'breaker_size') body.ean = contract.dataset.ean; }
  if (kind === 'product_change') body.details = { product_code: $('request-product').value.trim() };
  if (kind === 'breaker_size') body.details = { breaker_size_a: Number($('request-breaker').value) };
  if (kind === 'callback') Object.assign(body, { phone: $('request-phone').value.trim(), preferred_date: $('request-date').value || null, preferred_time: $('request-time').value });
  const answer = await api('POST', '/me/requests', body);
  if (!answer.ok) { say($('request-result'), errorText(answer.data), { kind: 'error', focus: true }); return; }
  say($('request-result'), t('requests.sent', { due: day(answer.data.sla_due) }), { kind: 'ok', focus: true });
  $('request-form').reset();
  toggle();
  await load();
}

async function init() {
  const view = await overview();
  const options = (view?.contracts || []).flatMap((contract) => (contract.delivery_points || [{}]).map((point) => el('option', { value: contract.contract_id, 'data-ean': point.ean || '', text: `${contract.product_name || contract.product_code} — ${point.ean || ''}` })));
  $('request-contract').replaceChildren(...options);
  $('request-kind').addEventListener('change', toggle);
  $('request-form').addEventListener('submit', send);
  toggle();
  await load();
}

start({ area: 'portal', init });
