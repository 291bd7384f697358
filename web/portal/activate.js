// The invitation link of the confirmation (…/portal/activate.html?token=): the customer chooses a
// password (POST /portal/activate) and is signed in with it (POST /portal/sign-in).

import { apiBase, errorText, say, setToken, start, t } from '/shared/shell.js';

const $ = (id) => document.getElementById(id);
const strong = (password) => password.length >= 12 && /[a-z]/.test(password) && /[A-Z]/.test(password) && /\d/.test(password);

async function post(path, body) {
  const response = await fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { ok: response.ok, status: response.status, data: await response.json().catch(() => null) };
}

async function activate(event) {
  event.preventDefault();
  const token = new URLSearchParams(window.location.search).get('token') || '';
  const password = $('activate-password').value;
  if (!strong(password)) { $('activate-password').setAttribute('aria-invalid', 'true'); say($('page-alert'), t('error.portal.weak_password'), { kind: 'error', focus: true }); return; }
  $('activate-submit').disabled = true;
  try {
    const activated = await post('/portal/activate', { token, password });
    if (!activated.ok) { say($('page-alert'), errorText(activated.data), { kind: 'error', focus: true }); return; }
    const signedIn = await post('/portal/sign-in', { email: activated.data.email, password });
    if (!signedIn.ok) { window.location.assign(`/portal/signin.html?activated=1&email=${encodeURIComponent(activated.data.email)}`); return; }
    setToken('portal', signedIn.data.id_token);
    window.location.assign('/portal/index.html');
  } finally {
    $('activate-submit').disabled = false;
  }
}

start({ area: 'portal', signedIn: false, init: async () => {
  if (!new URLSearchParams(window.location.search).get('token')) { say($('page-alert'), t('error.portal.invalid_link'), { kind: 'error' }); $('activate-form').hidden = true; return; }
  $('activate-form').addEventListener('submit', activate);
} });
