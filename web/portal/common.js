// Helpers shared by the portal pages: the overview (contracts and delivery points), "today" (from
// the shell) and register names.

import { api, errorText, say, today } from '/shared/shell.js';

let overviewPromise = null;

/** GET /me/overview, once per page. Returns the view, or null after showing why in #page-alert. */
export function overview() {
  overviewPromise ??= api('GET', '/me/overview').then((answer) => {
    if (answer.ok) return answer.data;
    showProblem(answer);
    return null;
  });
  return overviewPromise;
}

export function showProblem(answer, vars = {}) {
  const box = document.getElementById('page-alert');
  if (!box) return;
  say(box, errorText(answer.data, vars), { kind: 'error' });
}

export { today };

/** The registers of a meter type, as domain/catalogue.REGISTERS. */
export function registersOf(meterType) {
  return { single: ['single'], dual: ['day', 'night'], exclusive_night: ['single', 'exclusive_night'] }[meterType] || ['single'];
}

export function deliveryPoints(view) {
  return (view?.contracts || []).flatMap((contract) => (contract.delivery_points || []).map((point) => ({ ...point, contract })));
}
