// Self-registration: customer number + the OGM of an invoice or an EAN + e-mail
// (POST /portal/register, always the same answer), then the mailed code and a password
// (POST /portal/register/confirm), then signed in (POST /portal/sign-in).

import { apiBase, errorText, language, say, setToken, start, t } from '/shared/shell.js';

const $ = (id) => document.getElementById(id);
let email = '';

async function post(path, body) {
  const response = await fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { ok: response.ok, status: response.status, data: await response.json().catch(() => null) };
}

async function register(event) {
  event.preventDefault();
  email = $('register-email').value.trim();
  const body = { customer_number: $('register-number').value.trim().toUpperCase(), email, language: language() };
  if ($('register-ogm').value.trim()) body.ogm = $('register-ogm').value.trim();
  else if ($('register-ean').value.trim()) body.ean = $('register-ean').value.replace(/\s/g, '');
  else { say($('page-alert'), t('error.register.proof_required'), { kind: 'error', focus: true }); return; }
  const answer = await post('/portal/register', body);
  if (!answer.ok) { say($('page-alert'), errorText(answer.data), { kind: 'error', focus: true }); return; }
  say($('page-alert'), '');
  $('register-form').hidden = true;
  $('confirm-form').hidden = false;
  $('confirm-code').focus();
}

async function confirm(event) {
  event.preventDefault();
  const password = $('confirm-password').value;
  const answer = await post('/portal/register/confirm', { email, code: $('confirm-code').value.trim(), password });
  if (!answer.ok) { say($('page-alert'), errorText(answer.data), { kind: 'error', focus: true }); return; }
  const signedIn = await post('/portal/sign-in', { email, password });
  if (!signedIn.ok) { window.location.assign(`/portal/signin.html?activated=1&email=${encodeURIComponent(email)}`); return; }
  setToken('portal', signedIn.data.id_token);
  window.location.assign('/portal/index.html');
}

start({ area: 'portal', signedIn: false, init: async () => {
  $('register-form').addEventListener('submit', register);
  $('confirm-form').addEventListener('submit', confirm);
} });
