// One work item of the queue (?kind=&id=): its details, the actions its workflow allows and its
// history. Blocked enrollments have their own page (enrollment.html). Each kind reads the route of
// its own workflow; the actions post to that workflow's routes.

import { api, el, errorText, has, moment, say, start, t, today } from '/shared/shell.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(window.location.search);
const kind = query.get('kind') || '';
const id = query.get('id') || '';

async function fromList(path, key, field) {
  const answer = await api('GET', path);
  if (!answer.ok) return { answer };
  return { item: (answer.data[key] || []).find((entry) => String(entry[field]) === id) };
}

// kind -> how to read it, where its history is, which actions it offers
const KINDS = {
  staff_request: {
    // Open ones by default; a closed one is still shown with its history.
    load: async () => {
      for (const path of ['/ops/requests', '/ops/requests?status=DONE', '/ops/requests?status=REJECTED']) {
        const found = await fromList(path, 'items', 'request_id');
        if (found.item || found.answer) return found;
      }
      return {};
    },
    history: (item) => (item.history || []).map((h) => ({ at: h.at, text: `${t(`request.status.${h.status}`)} — ${h.by || ''}${h.note ? ` — ${h.note}` : ''}` })),
    actions: (item) => (['DONE', 'REJECTED'].includes(item.status) ? [] : [form('status', [
      select('status', 'item.new_status', ['IN_PROGRESS', 'DONE', 'REJECTED'].map((s) => [s, t(`request.status.${s}`)])),
      text('note', 'item.note_customer'), text('internal_note', 'item.note_internal'),
      item.kind === 'breaker_size' ? text('breaker_size_a', 'item.breaker') : null,
    ], (values) => api('POST', `/ops/requests/${encodeURIComponent(id)}/status`, { status: values.status, note: values.note || null, internal_note: values.internal_note || null, ...(values.breaker_size_a ? { breaker_size_a: Number(values.breaker_size_a) } : {}) }))]),
  },
  reading_review: {
    load: () => fromList('/ops/readings?status=IMPLAUSIBLE', 'items', 'reading_id'),
    history: (item) => [{ at: item.created_at, text: `${t('item.reading_sent')} — ${(item.registers || []).map((r) => `${r.register} ${r.value_kwh} kWh`).join(', ')}` },
      ...(item.problems || []).map((p) => ({ at: item.created_at, text: p.message }))],
    actions: (item) => (item.status !== 'IMPLAUSIBLE' ? [] : [form('decision', [select('decision', 'item.decision', [['accept', t('item.accept')], ['reject', t('item.reject')]]), text('reason', 'item.reason')],
      (values) => api('POST', `/ops/readings/${encodeURIComponent(id)}/decision`, { decision: values.decision, reason: values.reason || '' }))]),
  },
  suspense_payment: {
    load: () => fromList('/ops/payments/suspense', 'items', 'payment_id'),
    history: (item) => (item.history || []).map((h) => ({ at: h.at, text: `${h.action || h.status || ''} — ${h.by || h.actor || ''}` })),
    actions: () => [
      form('assign', [text('invoice_number', 'item.invoice_number'), text('note', 'item.note_internal')], (values) => api('POST', `/ops/payments/suspense/${encodeURIComponent(id)}/assignment`, { action: 'assign', invoice_number: values.invoice_number, note: values.note || '' })),
      form('refund', [text('note', 'item.note_internal')], (values) => api('POST', `/ops/payments/suspense/${encodeURIComponent(id)}/assignment`, { action: 'refund', note: values.note || '' })),
    ],
  },
  complaint: {
    load: async () => { const answer = await api('GET', `/ops/complaints/${encodeURIComponent(id)}`); return answer.ok ? { item: answer.data } : { answer }; },
    history: (item) => (item.audit || item.history || []).map((h) => ({ at: h.at, text: `${has(`action.${h.action}`) ? t(`action.${h.action}`) : (h.action || h.status || '')} — ${h.actor || h.by || ''}` })),
    actions: (item) => (item.status === 'CLOSED' ? [] : [form('feedback', [text('note', 'item.note_internal')], async (values) => api('POST', `/ops/complaints/${encodeURIComponent(id)}/feedback`, { feedback_on: await today(), note: values.note || '' }))]),
  },
  advisor_request: {
    load: async () => { const answer = await api('GET', `/ops/payment-plans/${encodeURIComponent(id)}`); return answer.ok ? { item: answer.data } : { answer }; },
    history: (item) => (item.history || []).map((h) => ({ at: h.at, text: `${h.status || h.action || ''} — ${h.by || h.actor || ''}${h.note ? ` — ${h.note}` : ''}` })),
    actions: (item) => {
      if (item.status === 'REQUESTED') return [form('contact', [text('note', 'item.note_internal')], (values) => api('POST', `/ops/payment-plans/${encodeURIComponent(id)}/contact`, { note: values.note || '' }))];
      if (item.status === 'AWAITING_APPROVAL') return [form('plan_approval', [select('approved', 'item.decision', [['true', t('item.approve')], ['false', t('item.reject')]]), text('note', 'item.note_internal')], (values) => api('POST', `/ops/payment-plans/${encodeURIComponent(id)}/approval`, { approved: values.approved === 'true', note: values.note || null }))];
      return [];
    },
  },
  refund_approval: {
    load: async () => { const answer = await api('GET', `/ops/refunds/${encodeURIComponent(id)}`); return answer.ok ? { item: answer.data } : { answer }; },
    history: (item) => (item.history || item.audit || []).map((h) => ({ at: h.at, text: `${h.status || h.action || ''} — ${h.by || h.actor || ''}${h.note ? ` — ${h.note}` : ''}` })),
    actions: (item) => (item.status !== 'AWAITING_APPROVAL' ? [] : [form('approval', [select('decision', 'item.decision', [['approve', t('item.approve')], ['reject', t('item.reject')]]), text('reason', 'item.reason')],
      (values) => api('POST', `/ops/refunds/${encodeURIComponent(id)}/approval`, { decision: values.decision, reason: values.reason || null }))]),
  },
};

function select(name, labelKey, options) {
  return el('div', { class: 'field' }, el('label', { for: `f-${name}`, text: t(labelKey) }),
    el('select', { id: `f-${name}`, name }, options.map(([value, label]) => el('option', { value, text: label }))));
}

function text(name, labelKey) {
  return el('div', { class: 'field' }, el('label', { for: `f-${name}-${labelKey}`, text: t(labelKey) }), el('input', { id: `f-${name}-${labelKey}`, name, maxlength: '1000' }));
}

function form(action, fields, send) {
  const element = el('form', { novalidate: true, 'data-action': action }, el('h3', { text: t(`item.action.${action}`) }), fields,
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', text: t(`item.action.${action}`) })));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(element).entries());
    const answer = await send(values);
    if (!answer.ok) { say($('action-result'), errorText(answer.data), { kind: 'error', focus: true }); return; }
    say($('action-result'), t('item.done'), { kind: 'ok', focus: true });
    await show(answer.data && typeof answer.data === 'object' && Object.values(answer.data).includes(id) ? answer.data : null);
  });
  return element;
}

function scalarFacts(item) {
  return Object.entries(item).filter(([, value]) => value !== null && value !== undefined && typeof value !== 'object')
    .flatMap(([key, value]) => [el('dt', { text: has(`fact.${key}`) ? t(`fact.${key}`) : key.replace(/_/g, ' ') }), el('dd', { text: String(value) })]);
}

async function show(answered = null) {
  const spec = KINDS[kind];
  $('item-title').textContent = `${has(`kind.${kind}`) ? t(`kind.${kind}`) : kind} ${id}`;
  if (!spec) { say($('page-alert'), t('error.not_found'), { kind: 'error' }); return; }
  const { item, answer } = answered ? { item: answered } : await spec.load();
  if (!item) { say($('page-alert'), answer && answer.status !== 404 ? errorText(answer.data) : t('item.gone'), { kind: 'error' }); return; }
  $('facts').replaceChildren(el('dl', { class: 'facts' }, scalarFacts(item)));
  const actions = spec.actions(item);
  $('actions').replaceChildren(...(actions.length ? actions : [el('p', { class: 'muted', text: t('item.no_actions') })]));
  const history = spec.history(item).sort((a, b) => String(a.at).localeCompare(String(b.at)));
  $('history').replaceChildren(history.length ? el('ol', { class: 'history' }, history.map((h) => el('li', {}, el('span', { class: 'when', text: moment(h.at) }), h.text))) : el('p', { class: 'empty', text: t('table.empty') }));
}

start({ area: 'ops', init: () => show() });
