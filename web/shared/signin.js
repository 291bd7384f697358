// Sign-in for the portal and the ops console (one module, <html data-area="portal|ops">).
//
// Customers (/portal/signin.html): e-mail and password, POST /portal/sign-in (helper P's route; on
// AWS its Lambda calls Cognito's AdminInitiateAuth on the user pool, locally the same on moto) gives
// the Cognito id token that API Gateway's Cognito authorizer checks on every /me call. The password
// comes from the invitation link (/portal/activate.html) or self-registration (/portal/register.html).
//
// Staff (/ops/signin.html) on AWS: the user pool's Cognito managed login (authorization code with
// PKCE, app client without secret, configured by the <meta name="wattdesk-cognito-domain"> and
// <meta name="wattdesk-cognito-client-id"> of the page): to <domain>/oauth2/authorize and, back with
// ?code=, <domain>/oauth2/token for the id token. Passwords, MFA and resets are Cognito's pages.
//
// Local runtime only (found by GET /_local/clock answering): POST /_local/login issues a real
// Cognito id token (moto) for an e-mail without password: staff choose their groups, customers may
// set the token's customer id (custom:customer_id), for development and tests.

import { apiBase, language, say, setToken, start, t } from './shell.js';

const areaName = document.documentElement.dataset.area;
const $ = (id) => document.getElementById(id);

function destination() {
  const next = new URLSearchParams(window.location.search).get('next') || sessionStorage.getItem('wattdesk-next') || '';
  sessionStorage.removeItem('wattdesk-next');
  // Only a page of this area: never an address elsewhere.
  return next.startsWith(`/${areaName}/`) && !next.startsWith('//') ? next : `/${areaName}/index.html`;
}

// ---------------------------------------------------------------- Cognito managed login (AWS)
function base64url(bytes) { return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); }

async function cognitoStart() {
  const domain = document.querySelector('meta[name="wattdesk-cognito-domain"]').content;
  const clientId = document.querySelector('meta[name="wattdesk-cognito-client-id"]').content;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const stateValue = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem('wattdesk-pkce', JSON.stringify({ verifier, state: stateValue }));
  sessionStorage.setItem('wattdesk-next', new URLSearchParams(window.location.search).get('next') || '');
  const redirect = `${window.location.origin}/${areaName}/signin.html`;
  const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirect, scope: 'openid email', state: stateValue, code_challenge: challenge, code_challenge_method: 'S256', lang: language() });
  window.location.assign(`${domain}/oauth2/authorize?${query}`);
}

async function cognitoFinish(code, returnedState) {
  const domain = document.querySelector('meta[name="wattdesk-cognito-domain"]').content;
  const clientId = document.querySelector('meta[name="wattdesk-cognito-client-id"]').content;
  const kept = JSON.parse(sessionStorage.getItem('wattdesk-pkce') || '{}');
  sessionStorage.removeItem('wattdesk-pkce');
  if (!kept.verifier || kept.state !== returnedState) throw new Error('state');
  const body = new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: `${window.location.origin}/${areaName}/signin.html`, code_verifier: kept.verifier });
  const response = await fetch(`${domain}/oauth2/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  if (!response.ok) throw new Error('token');
  return (await response.json()).id_token;
}

// ---------------------------------------------------------------- local runtime
async function isLocalRuntime() {
  try {
    const response = await fetch(`${apiBase}/_local/clock`);
    return response.ok && (response.headers.get('Content-Type') || '').startsWith('application/json');
  } catch {
    return false;
  }
}

function validEmail(input) {
  const ok = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(input.value.trim());
  if (ok) input.removeAttribute('aria-invalid'); else input.setAttribute('aria-invalid', 'true');
  return ok;
}

async function signedIn(idToken) {
  setToken(areaName, idToken);
  window.location.assign(destination());
}

async function localSignIn(event) {
  event.preventDefault();
  const alertBox = $('signin-alert');
  const emailInput = $('local-email');
  if (!validEmail(emailInput)) { say(alertBox, t('signin.error.email'), { kind: 'error', focus: true }); return; }
  const payload = { username: emailInput.value.trim(), groups: [], attributes: {} };
  if (areaName === 'portal') {
    payload.groups = ['customers'];
    const customerId = $('local-customer').value.trim();
    if (customerId) payload.attributes['custom:customer_id'] = customerId;
  } else {
    payload.groups = [...document.querySelectorAll('input[name="group"]:checked')].map((box) => box.value);
    if (!payload.groups.length) { say(alertBox, t('signin.error.groups'), { kind: 'error', focus: true }); return; }
  }
  $('local-submit').disabled = true;
  try {
    const response = await fetch(`${apiBase}/_local/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
    if (!response.ok) { say(alertBox, t('signin.error.failed'), { kind: 'error', focus: true }); return; }
    await signedIn((await response.json()).id_token);
  } catch {
    say(alertBox, t('error.network'), { kind: 'error', focus: true });
  } finally {
    $('local-submit').disabled = false;
  }
}

// ---------------------------------------------------------------- customers: e-mail and password (POST /portal/sign-in)
async function passwordSignIn(event) {
  event.preventDefault();
  const alertBox = $('signin-alert');
  if (!validEmail($('signin-email'))) { say(alertBox, t('signin.error.email'), { kind: 'error', focus: true }); return; }
  if (!$('signin-password').value) { $('signin-password').setAttribute('aria-invalid', 'true'); say(alertBox, t('signin.error.password'), { kind: 'error', focus: true }); return; }
  $('signin-password').removeAttribute('aria-invalid');
  $('signin-submit').disabled = true;
  try {
    const response = await fetch(`${apiBase}/portal/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: $('signin-email').value.trim(), password: $('signin-password').value }) });
    if (response.ok) { await signedIn((await response.json()).id_token); return; }
    say(alertBox, t(response.status === 401 || response.status === 400 ? 'signin.error.wrong' : 'signin.error.failed'), { kind: 'error', focus: true });
  } catch {
    say(alertBox, t('error.network'), { kind: 'error', focus: true });
  } finally {
    $('signin-submit').disabled = false;
  }
}

start({
  area: areaName,
  signedIn: false,
  init: async () => {
    const query = new URLSearchParams(window.location.search);
    const local = await isLocalRuntime();
    if (areaName === 'portal') {
      $('password-signin').addEventListener('submit', passwordSignIn);
      if (query.get('email')) $('signin-email').value = query.get('email');
      if (query.get('activated')) say($('signin-alert'), t('signin.activated'), { kind: 'ok' });
      if (local) { $('local-dev').hidden = false; $('local-signin').addEventListener('submit', localSignIn); }
      $('signin-email').focus();
      return;
    }
    // Staff: Cognito's managed login on AWS; the local runtime's sign-in with chosen groups here.
    if (local) {
      $('local-signin').hidden = false;
      $('local-signin').addEventListener('submit', localSignIn);
      $('local-email').focus();
      return;
    }
    $('cognito-signin').hidden = false;
    if (query.get('code')) {
      try {
        await signedIn(await cognitoFinish(query.get('code'), query.get('state')));
      } catch {
        say($('signin-alert'), t('signin.error.failed'), { kind: 'error', focus: true });
      }
    }
    $('cognito-button').addEventListener('click', cognitoStart);
  },
});
