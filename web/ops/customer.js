// One customer for staff (GET /ops/customers/{id}): contact data, portal access, contracts and
// delivery points, balance and invoices, bank account (masked), requests, open work and the full
// audit trail (who, what, when).

import { api, day, el, errorText, has, money, moment, say, start, t, table } from '/shared/shell.js';
import { detailHref } from '/ops/queue-links.js';

const $ = (id) => document.getElementById(id);

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.flatMap(([key, value]) => [el('dt', { text: t(key) }), el('dd', { text: value === null || value === undefined || value === '' ? '—' : String(value) })]));
}

function card(titleKey, ...content) {
  return el('section', { class: 'card' }, el('h2', { text: t(titleKey) }), ...content);
}

async function init() {
  const id = new URLSearchParams(window.location.search).get('id') || '';
  const answer = await api('GET', `/ops/customers/${encodeURIComponent(id)}`);
  if (!answer.ok) { say($('page-alert'), answer.status === 404 ? t('error.not_found') : errorText(answer.data), { kind: 'error' }); $('customer').replaceChildren(); return; }
  const c = answer.data;
  $('customer-name').textContent = `${c.name} (${c.customer_number})`;
  document.title = `${c.name} — WattDesk`;
  const address = c.correspondence_address ? `${c.correspondence_address.street} ${c.correspondence_address.number || ''}, ${c.correspondence_address.postcode} ${c.correspondence_address.city}` : null;
  const contracts = (c.contracts || []).flatMap((contract) => (contract.delivery_points || []).map((p) => [contract.product_code, t(`contract.${contract.status}`), p.ean, t(`energy.${p.energy}`), p.meter_type, p.breaker_size_a ? `${p.breaker_size_a} A` : '—', money(contract.advance)]));
  const invoices = (c.invoices || []).map((i) => [i.number, day(i.issue_date), money(i.total), money(i.open_amount), t(`invoice.status.${i.status}`)]);
  const work = (c.work || []).map((item) => [t(`kind.${item.kind}`), el('a', { href: detailHref(item), text: item.title || item.id })]);
  const requests = (c.requests || []).map((r) => [t(`request.kind.${r.kind}`), t(`request.status.${r.status}`), moment(r.created_at)]);
  const audit = (c.audit || []).map((a) => [moment(a.at), a.actor, has(`action.${a.action}`) ? t(`action.${a.action}`) : a.action]);
  $('customer').replaceChildren(
    el('div', { class: 'grid' },
      card('customer.contact', facts([['customer.email', c.email], ['customer.phone', c.phone], ['customer.language', c.language], ['customer.address', address], ['customer.type', c.type]])),
      card('customer.portal', facts([['customer.portal_status', t(`portal.${c.portal?.status || 'NONE'}`)], ['customer.invited_at', moment(c.portal?.invited_at)], ['customer.activated_at', moment(c.portal?.activated_at)]])),
      card('customer.money', facts([['customer.balance', money(c.balance)], ['customer.bank_account', c.bank_account?.iban], ['customer.bank_holder', c.bank_account?.account_holder]]))),
    card('customer.contracts', table('customer.contracts', ['customer.col.product', 'customer.col.status', 'customer.col.ean', 'customer.col.energy', 'customer.col.meter', 'customer.col.breaker', 'customer.col.advance'], contracts)),
    card('customer.work', table('customer.work', ['queue.col.kind', 'queue.col.item'], work)),
    card('customer.invoices', table('customer.invoices', ['customer.col.number', 'customer.col.date', 'customer.col.total', 'customer.col.open', 'customer.col.status'], invoices)),
    card('customer.requests', table('customer.requests', ['queue.col.kind', 'customer.col.status', 'customer.col.date'], requests)),
    card('customer.audit', table('customer.audit', ['customer.col.when', 'customer.col.who', 'customer.col.what'], audit)));
}

start({ area: 'ops', init });
