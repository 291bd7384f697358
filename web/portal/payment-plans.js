// Payment plans (the dunning issue's routes, GET /me/payment-plans): the customer's plans and their
// status; asking for a plan is POST /me/payment-plans with the open invoices chosen here.

import { api, day, el, errorText, money, say, start, t, table } from '/shared/shell.js';

async function init() {
  const [plans, invoices] = await Promise.all([api('GET', '/me/payment-plans'), api('GET', '/me/invoices')]);
  const box = document.getElementById('plans');
  if (!plans.ok) { say(document.getElementById('page-alert'), errorText(plans.data), { kind: 'error' }); box.replaceChildren(); return; }
  const items = plans.data.items || [];
  const rows = items.map((plan) => [plan.plan_id, t(`plan.status.${plan.status}`), plan.debt ? money(plan.debt) : '—', day(plan.requested_at)]);
  const open = invoices.ok ? (invoices.data.items || []).filter((i) => ['open', 'overdue'].includes(i.status)) : [];
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', { text: t('plans.ask') }),
    open.length ? el('fieldset', {}, el('legend', { text: t('plans.which') }), open.map((i) => el('label', { class: 'choice' },
      el('input', { type: 'checkbox', name: 'invoice', value: i.number }), el('span', { text: `${i.number} — ${money(i.open_amount)}` })))) : el('p', { class: 'empty', text: t('plans.nothing_open') }),
    el('div', { class: 'field' }, el('label', { for: 'plan-months', text: t('plans.months') }), el('input', { id: 'plan-months', type: 'number', min: '2', max: '24', value: '6', class: 'short' })),
    el('label', { class: 'choice' }, el('input', { type: 'checkbox', id: 'plan-contact' }), el('span', { text: t('plans.contact') })),
    el('div', { class: 'field' }, el('label', { for: 'plan-phone', text: t('contact.phone') }), el('input', { id: 'plan-phone', type: 'tel', maxlength: '40' })),
    el('div', { class: 'field' }, el('label', { for: 'plan-reason', text: t('plans.reason') }), el('textarea', { id: 'plan-reason', rows: '3', maxlength: '1000' })),
    el('div', { id: 'plan-result', role: 'status', hidden: true }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', text: t('plans.submit'), disabled: open.length ? null : true })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll('input[name="invoice"]:checked')].map((box) => box.value);
    const answer = await api('POST', '/me/payment-plans', { invoice_numbers: chosen, preferred_instalments: Number(document.getElementById('plan-months').value), advisor_contact: document.getElementById('plan-contact').checked, contact_phone: document.getElementById('plan-phone').value.trim() || null, note: document.getElementById('plan-reason').value.trim() });
    say(document.getElementById('plan-result'), answer.ok ? t('plans.sent') : errorText(answer.data), { kind: answer.ok ? 'ok' : 'error', focus: true });
  });
  box.replaceChildren(el('section', { class: 'card' }, el('h2', { text: t('plans.mine') }), table('plans.mine', ['plans.id', 'plans.status', 'plans.debt', 'plans.date'], rows, { empty: 'plans.none' })), form);
}

start({ area: 'portal', init });
