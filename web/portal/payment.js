// Payment method (PUT /me/payment-method: SEPA direct-debit mandate or transfer; the mandate as
// GET /me/account shows it) and the bank account refunds are paid to (GET/PUT /me/bank-account).

import { api, day, el, errorText, groupedIban, moment, say, start, t } from '/shared/shell.js';
import { showProblem } from '/portal/common.js';

const $ = (id) => document.getElementById(id);

function showMethod(method) {
  const mandate = method?.mandate;
  const facts = [el('dt', { text: t('payment.now') }), el('dd', { id: 'method-current', text: t(`payment.${method?.method || 'transfer'}`) })];
  if (method?.method === 'direct_debit' && mandate) {
    facts.push(el('dt', { text: t('payment.mandate') }), el('dd', { text: `${mandate.reference} (${t(`mandate.${mandate.status}`)})` }),
      el('dt', { text: t('payment.iban') }), el('dd', { text: mandate.iban }),
      el('dt', { text: t('payment.signed_on') }), el('dd', { text: day(mandate.signed_on) }));
  }
  $('method-now').replaceChildren(el('dl', { class: 'facts' }, facts));
  (method?.method === 'direct_debit' ? $('method-dd') : $('method-transfer')).checked = true;
  toggleMandate();
}

function toggleMandate() { $('mandate-fields').hidden = !$('method-dd').checked; }

function showBank(view) {
  if (!view || !view.iban) { $('bank-now').replaceChildren(el('p', { class: 'empty', text: t('payment.no_bank') })); return; }
  $('bank-now').replaceChildren(el('dl', { class: 'facts' },
    el('dt', { text: t('payment.iban') }), el('dd', { id: 'bank-current', text: view.iban }),
    el('dt', { text: t('payment.holder') }), el('dd', { text: view.account_holder || '—' }),
    el('dt', { text: t('payment.changed_at') }), el('dd', { text: moment(view.changed_at) })));
}

async function saveMethod(event) {
  event.preventDefault();
  const result = $('method-result');
  const body = $('method-dd').checked
    ? { method: 'direct_debit', iban: $('dd-iban').value.replace(/\s/g, '').toUpperCase(), account_holder: $('dd-holder').value.trim(), mandate_accepted: $('dd-accept').checked }
    : { method: 'transfer' };
  const answer = await api('PUT', '/me/payment-method', body);
  if (!answer.ok) { say(result, errorText(answer.data), { kind: 'error', focus: true }); return; }
  say(result, t('payment.method_saved'), { kind: 'ok', focus: true });
  const account = await api('GET', '/me/account');
  if (account.ok) showMethod(account.data.payment_method);
}

async function saveBank(event) {
  event.preventDefault();
  const result = $('bank-result');
  const iban = $('bank-iban').value.replace(/\s/g, '').toUpperCase();
  const holder = $('bank-holder').value.trim();
  if (!iban || !holder) { say(result, t('payment.bank_fill'), { kind: 'error', focus: true }); return; }
  const answer = await api('PUT', '/me/bank-account', { iban: groupedIban(iban), account_holder: holder });
  if (!answer.ok) { say(result, errorText(answer.data), { kind: 'error', focus: true }); return; }
  showBank(answer.data);
  $('bank-iban').value = '';
  say(result, t('payment.bank_saved'), { kind: 'ok', focus: true });
}

async function init() {
  const [account, bank] = await Promise.all([api('GET', '/me/account'), api('GET', '/me/bank-account')]);
  if (!account.ok) showProblem(account); else showMethod(account.data.payment_method);
  showBank(bank.ok ? bank.data : null);
  for (const radio of document.querySelectorAll('input[name="method"]')) radio.addEventListener('change', toggleMandate);
  $('method-form').addEventListener('submit', saveMethod);
  $('bank-form').addEventListener('submit', saveBank);
}

start({ area: 'portal', init });
