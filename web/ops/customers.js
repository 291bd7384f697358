// Customer search (GET /ops/customers?q=): name, customer number, EAN, invoice number, OGM or IBAN;
// IBANs come masked from the API.

import { api, el, errorText, say, start, t, table } from '/shared/shell.js';

const $ = (id) => document.getElementById(id);

async function search(q) {
  if (q.length < 2) { say($('page-alert'), t('customers.too_short'), { kind: 'error', focus: true }); return; }
  say($('page-alert'), '');
  history.replaceState(null, '', `?q=${encodeURIComponent(q)}`);
  const answer = await api('GET', `/ops/customers?q=${encodeURIComponent(q)}`);
  if (!answer.ok) { say($('page-alert'), answer.status === 404 ? t('error.unavailable') : errorText(answer.data), { kind: 'error' }); return; }
  const rows = (answer.data.items || []).map((c) => [
    el('a', { href: `/ops/customer.html?id=${encodeURIComponent(c.customer_id)}`, text: c.name || c.customer_number }),
    c.customer_number, [c.postcode, c.city].filter(Boolean).join(' '), c.iban || '—', t(`matched.${c.matched_on}`),
  ]);
  $('results').replaceChildren(el('p', { class: 'muted', text: t('customers.found', { count: rows.length }) }),
    table('customers.results', ['customers.col.name', 'customers.col.number', 'customers.col.place', 'customers.col.iban', 'customers.col.matched'], rows, { empty: 'customers.none' }));
}

async function init() {
  $('search-form').addEventListener('submit', (event) => { event.preventDefault(); search($('search-q').value.trim()); });
  const q = new URLSearchParams(window.location.search).get('q');
  if (q) { $('search-q').value = q; await search(q); }
  $('search-q').focus();
}

start({ area: 'ops', init });
