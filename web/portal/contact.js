// Contact data (GET/PUT /me/contact; a new e-mail is used after the code mailed to it,
// POST /me/contact/email-verification) and the opt-in to e-mails about planned power cuts per
// delivery point (GET/PUT /me/outage-notices).

import { api, el, errorText, say, start, t } from '/shared/shell.js';
import { showProblem } from '/portal/common.js';

const $ = (id) => document.getElementById(id);
let contact = null;

function fill(view) {
  contact = view;
  $('contact-email').value = view.email || '';
  $('contact-phone').value = view.phone || '';
  $('contact-language').value = view.language || 'nl';
  const address = view.correspondence_address || {};
  for (const part of ['street', 'number', 'box', 'postcode', 'city']) $(`addr-${part}`).value = address[part] || '';
  $('email-code-box').hidden = !view.pending_email;
  if (view.pending_email) say($('contact-result'), t('contact.code_sent', { email: view.pending_email }), { kind: 'info' });
}

async function save(event) {
  event.preventDefault();
  const result = $('contact-result');
  const address = Object.fromEntries(['street', 'number', 'box', 'postcode', 'city'].map((part) => [part, $(`addr-${part}`).value.trim() || null]));
  const body = { phone: $('contact-phone').value.trim(), language: $('contact-language').value, correspondence_address: address.street || address.postcode ? address : null };
  const email = $('contact-email').value.trim();
  if (email && email !== contact?.email) body.email = email;
  const answer = await api('PUT', '/me/contact', body);
  if (!answer.ok) { say(result, errorText(answer.data), { kind: 'error', focus: true }); return; }
  fill(answer.data);
  if (!answer.data.pending_email) say(result, t('contact.saved'), { kind: 'ok', focus: true });
  else $('email-code').focus();
}

async function confirmEmail() {
  const answer = await api('POST', '/me/contact/email-verification', { code: $('email-code').value.trim() });
  if (!answer.ok) { say($('contact-result'), errorText(answer.data), { kind: 'error', focus: true }); return; }
  fill(answer.data);
  say($('contact-result'), t('contact.email_changed'), { kind: 'ok', focus: true });
}

function showOutages(view) {
  const points = view.delivery_points || [];
  if (!points.length) { $('outage-points').replaceChildren(el('p', { class: 'empty', text: t('outage.none') })); return; }
  $('outage-points').replaceChildren(el('fieldset', {}, el('legend', { text: t('outage.points') }),
    points.map((point) => el('label', { class: 'choice' },
      el('input', { type: 'checkbox', 'data-ean': point.ean, checked: point.opt_in || null, id: `outage-${point.ean}` }),
      el('span', { text: `${point.ean} — ${[point.street, point.postcode].filter(Boolean).join(', ')}` })))));
}

async function saveOutages(event) {
  event.preventDefault();
  const body = { delivery_points: [...document.querySelectorAll('#outage-points input[data-ean]')].map((box) => ({ ean: box.dataset.ean, opt_in: box.checked })) };
  const answer = await api('PUT', '/me/outage-notices', body);
  if (!answer.ok) { say($('outage-result'), errorText(answer.data), { kind: 'error', focus: true }); return; }
  showOutages(answer.data);
  say($('outage-result'), t('outage.saved'), { kind: 'ok', focus: true });
}

async function init() {
  const [view, outages] = await Promise.all([api('GET', '/me/contact'), api('GET', '/me/outage-notices')]);
  if (!view.ok) showProblem(view); else fill(view.data);
  if (outages.ok) showOutages(outages.data); else $('outage-points').replaceChildren(el('p', { class: 'empty', text: t('error.unavailable') }));
  $('contact-form').addEventListener('submit', save);
  $('email-code-submit').addEventListener('click', confirmEmail);
  $('outage-form').addEventListener('submit', saveOutages);
}

start({ area: 'portal', init });
