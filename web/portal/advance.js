// Advance: per contract the computed amount, the current one and the bounds a customer may choose
// (GET /me/contracts/{id}/advance); changing it (PUT) within the bounds, and the API's refusal
// outside them in words (advance.below_minimum / advance.above_maximum, domain/advance.py).

import { api, el, errorText, money, say, start, t } from '/shared/shell.js';
import { overview } from '/portal/common.js';

function facts(view) {
  return [
    el('dt', { text: t('advance.computed') }), el('dd', { class: 'computed', text: money(view.computed) }),
    el('dt', { text: t('advance.current') }), el('dd', { class: 'current', text: money(view.current) }),
    el('dt', { text: t('advance.bounds') }), el('dd', { class: 'bounds', text: t('advance.between', { min: money(view.minimum), max: money(view.maximum) }) }),
  ];
}

function card(contract, view) {
  const id = contract.contract_id;
  const list = el('dl', { class: 'facts' }, facts(view));
  const input = el('input', { id: `amount-${id}`, class: 'short amount-input', inputmode: 'decimal', maxlength: '10', autocomplete: 'off', 'aria-describedby': `bounds-${id}` });
  const result = el('div', { id: `result-${id}`, class: 'result', role: 'status', hidden: true });
  const hint = el('p', { class: 'hint', id: `bounds-${id}`, text: t('advance.hint', { min: money(view.minimum), max: money(view.maximum) }) });
  const form = el('form', { novalidate: true, class: 'advance-form' },
    el('div', { class: 'field' }, el('label', { for: input.id, text: t('advance.new') }), hint, input),
    result,
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', text: t('advance.submit') })));
  let bounds = view;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const typed = input.value.trim().replace(/\s|€/g, '').replace(',', '.');
    if (!/^\d{1,6}(\.\d{1,2})?$/.test(typed)) {
      input.setAttribute('aria-invalid', 'true');
      say(result, t('advance.error.format'), { kind: 'error' });
      input.focus();
      return;
    }
    form.querySelector('button').disabled = true;
    try {
      const answer = await api('PUT', `/me/contracts/${id}/advance`, { amount: typed });
      if (answer.ok) {
        input.removeAttribute('aria-invalid');
        bounds = answer.data;
        list.replaceChildren(...facts(bounds));
        say(result, t('advance.changed', { amount: money(bounds.current) }), { kind: 'ok', focus: true });
        input.value = '';
      } else {
        input.setAttribute('aria-invalid', 'true');
        say(result, errorText(answer.data, { min: money(bounds.minimum), max: money(bounds.maximum), computed: money(bounds.computed) }), { kind: 'error', focus: true });
      }
    } finally {
      form.querySelector('button').disabled = false;
    }
  });
  return el('section', { class: 'card', 'data-contract': id, 'aria-labelledby': `heading-${id}` },
    el('h2', { id: `heading-${id}`, text: contract.product_name || contract.product_code }),
    el('p', { class: 'hint', text: t('advance.explain') }), list, form);
}

async function init() {
  const view = await overview();
  const box = document.getElementById('contracts');
  if (!view) { box.replaceChildren(); return; }
  const contracts = (view.contracts || []).filter((c) => !['ENDED', 'WITHDRAWN'].includes(c.status));
  const cards = [];
  for (const contract of contracts) {
    const answer = await api('GET', `/me/contracts/${contract.contract_id}/advance`);
    if (answer.ok) cards.push(card(contract, answer.data));
  }
  box.replaceChildren(...(cards.length ? cards : [el('p', { class: 'empty', text: t('advance.none') })]));
}

start({ area: 'portal', init });
