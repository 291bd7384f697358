// Ops page for group purchases: upload an organiser's file, follow its progress, download the report.
const API = document.querySelector('meta[name="wattdesk-api-base"]').content || '';
const $ = (id) => document.getElementById(id);
const COUNTS = ['total', 'done', 'confirmed', 'waiting', 'blocked', 'rejected', 'duplicate', 'failed'];
let token = sessionStorage.getItem('wattdesk-ops-token') || '';
let current = new URLSearchParams(location.search).get('id');
let timer = null;

async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    headers: { Authorization: token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) { signOut(); throw new Error('Please sign in.'); }
  return response;
}

function signOut() { token = ''; sessionStorage.removeItem('wattdesk-ops-token'); show(); }

function show() {
  const signedIn = Boolean(token);
  $('signin').hidden = signedIn;
  for (const id of ['upload', 'history']) $(id).hidden = !signedIn;
  $('current').hidden = !signedIn || !current;
  if (signedIn) { refreshList(); if (current) follow(current); }
}

function errorsText(json) {
  return (json.errors || []).map((e) => `${e.field ? e.field + ': ' : ''}${e.message} (${e.code})`).join('\n');
}

async function fileAsBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function upload(event) {
  event.preventDefault();
  const form = event.target;
  const out = $('upload-errors');
  out.hidden = true;
  if (!form.checkValidity()) { form.reportValidity(); return; }
  const file = $('file').files[0];
  const body = {
    campaign_code: $('campaign_code').value.trim().toUpperCase(),
    product_code: $('product_code').value.trim(),
    file_name: file.name,
    content_base64: await fileAsBase64(file),
  };
  if ($('organiser_email').value || $('welcome_credit').value || $('start_date').value) {
    body.campaign = {
      product_code: body.product_code,
      organiser_email: $('organiser_email').value || null,
      organiser_language: $('organiser_language').value,
      welcome_credit: $('welcome_credit').value || null,
      start_date: $('start_date').value || null,
    };
  }
  form.querySelector('button[type=submit]').disabled = true;
  try {
    const response = await api('POST', '/ops/group-purchases', body);
    const json = await response.json();
    if (!response.ok) { out.textContent = errorsText(json); out.hidden = false; return; }
    if (json.duplicate_upload) { out.textContent = 'This file was imported before for this campaign: showing that import (nothing was started).'; out.hidden = false; }
    current = json.import_id;
    history.replaceState(null, '', `?id=${encodeURIComponent(current)}`);
    $('current').hidden = false;
    follow(current);
    refreshList();
  } finally {
    form.querySelector('button[type=submit]').disabled = false;
  }
}

function render(view) {
  $('current-id').textContent = view.import_id;
  $('current-status').textContent = view.status;
  $('current-file').textContent = `${view.campaign_code} · ${view.file_name} · ${view.source === 's3' ? 'dropped in S3' : 'uploaded by ' + view.uploaded_by}`;
  const percent = view.progress_percent;
  $('bar-fill').style.width = `${percent}%`;
  document.querySelector('.bar').setAttribute('aria-valuenow', String(percent));
  $('bar-text').textContent = `${view.rows.done} of ${view.rows.total} rows done (${percent} %)`;
  $('counts').replaceChildren(...COUNTS.map((name) => { const td = document.createElement('td'); td.textContent = view.rows[name]; return td; }));
  $('problems').replaceChildren(...view.problems.map((p) => { const li = document.createElement('li'); li.textContent = `${p.message} (${p.code})`; return li; }));
  $('rerun').disabled = !(view.status === 'COMPLETED' || view.status === 'FAILED') || view.rows.failed === 0;
  $('download').disabled = view.rows.done === 0;
}

async function follow(id) {
  clearTimeout(timer);
  const response = await api('GET', `/ops/group-purchases/${encodeURIComponent(id)}`);
  if (!response.ok) { $('current').hidden = true; return; }
  const view = await response.json();
  render(view);
  // Poll while it runs; afterwards the grid operator's answers still move rows to confirmed.
  timer = setTimeout(() => follow(id), ['RECEIVED', 'RUNNING', 'AWAITING_ROWS'].includes(view.status) ? 2000 : 30000);
}

async function refreshList() {
  const response = await api('GET', '/ops/group-purchases');
  if (!response.ok) return;
  const { items } = await response.json();
  $('imports').replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    tr.dataset.id = item.import_id;
    for (const text of [new Date(item.created_at).toLocaleString(), item.campaign_code, item.file_name, item.status, `${item.progress_percent} %`]) {
      const td = document.createElement('td'); td.textContent = text; tr.append(td);
    }
    tr.addEventListener('click', () => { current = item.import_id; history.replaceState(null, '', `?id=${encodeURIComponent(current)}`); $('current').hidden = false; follow(current); });
    return tr;
  }));
}

async function download() {
  const response = await api('GET', `/ops/group-purchases/${encodeURIComponent(current)}/report`);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${current}-report.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function rerun() {
  const response = await api('POST', `/ops/group-purchases/${encodeURIComponent(current)}/rerun`);
  if (!response.ok) alert(errorsText(await response.json()));
  follow(current);
}

async function localLogin() {
  const response = await fetch('/_local/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'operator@wattdesk.example', groups: ['operators'] }) });
  if (response.ok) { $('token').value = (await response.json()).id_token; }
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem('wattdesk-ops-token', token);
  show();
});
$('local-login').addEventListener('click', localLogin);
$('upload-form').addEventListener('submit', upload);
$('download').addEventListener('click', download);
$('rerun').addEventListener('click', rerun);
show();
