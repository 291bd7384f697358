// Overview: contracts, delivery points (EAN, product, meter type, breaker size), balance and open
// invoices, next advance (GET /me/overview), with the ways to the other portal pages.

import { day, el, money, start, t, table } from '/shared/shell.js';
import { overview } from '/portal/common.js';

function address(a) {
  if (!a) return '—';
  return `${a.street || ''} ${a.number || ''}${a.box ? ` ${t('overview.box')} ${a.box}` : ''}, ${a.postcode || ''} ${a.city || ''}`.trim();
}

function contractCard(contract) {
  const points = (contract.delivery_points || []).map((point) => [
    el('code', { text: point.ean }), t(`energy.${point.energy}`), t(`meter.${point.meter_type}`),
    point.breaker_size_a ? `${point.breaker_size_a} A` : t('overview.breaker_unknown'),
  ]);
  return el('section', { class: 'card', 'aria-label': `${t('overview.contract')} ${contract.product_name || contract.product_code}` },
    el('h2', { text: contract.product_name || contract.product_code }),
    el('dl', { class: 'facts' },
      el('dt', { text: t('overview.product') }), el('dd', { text: contract.product_code }),
      el('dt', { text: t('overview.status') }), el('dd', { text: t(`contract.${contract.status}`) }),
      el('dt', { text: t('overview.start') }), el('dd', { text: day(contract.start_date) }),
      el('dt', { text: t('overview.address') }), el('dd', { text: address(contract.supply_address) }),
      el('dt', { text: t('overview.frequency') }), el('dd', { text: t(`frequency.${contract.billing_frequency}`) }),
      el('dt', { text: t('overview.advance') }), el('dd', {}, money(contract.advance), ' ', el('a', { href: '/portal/advance.html', text: t('overview.change_advance') }))),
    el('h3', { text: t('overview.points') }),
    table('overview.points', ['overview.ean', 'overview.energy', 'overview.meter', 'overview.breaker'], points));
}

async function init() {
  const view = await overview();
  const box = document.getElementById('overview');
  if (!view) { box.replaceChildren(); return; }
  const open = view.open_invoices || [];
  const next = view.next_advance;
  const summary = el('div', { class: 'grid' },
    el('section', { class: 'card', 'aria-labelledby': 'balance-heading' },
      el('h2', { id: 'balance-heading', text: t('overview.balance') }),
      el('p', { class: 'big', id: 'balance', text: money(view.balance) }),
      el('p', { text: open.length ? t('overview.open_count', { count: open.length }) : t('overview.nothing_open') }),
      el('p', {}, el('a', { href: '/portal/invoices.html', text: t('overview.to_invoices') }))),
    el('section', { class: 'card', 'aria-labelledby': 'next-heading' },
      el('h2', { id: 'next-heading', text: t('overview.next_advance') }),
      next ? el('p', { class: 'big', id: 'next-advance', text: money(next.amount) }) : el('p', { text: t('overview.no_advance') }),
      next ? el('p', { text: t('overview.expected_on', { date: day(next.expected_on) }) }) : null),
    el('section', { class: 'card', 'aria-labelledby': 'you-heading' },
      el('h2', { id: 'you-heading', text: view.customer?.name || '' }),
      el('p', { text: t('overview.customer_number', { number: view.customer?.customer_number || '' }) }),
      el('ul', {},
        el('li', {}, el('a', { href: '/portal/readings.html', text: t('overview.to_readings') })),
        el('li', {}, el('a', { href: '/portal/requests.html', text: t('overview.to_requests') })),
        el('li', {}, el('a', { href: '/complaint/', text: t('nav.complaints') })),
        el('li', {}, el('a', { href: '/portal/payment-plans.html', text: t('nav.payment_plans') })),
        el('li', {}, el('a', { href: '/refund/', text: t('nav.refunds') })))));
  const openTable = open.length ? el('section', { class: 'card', 'aria-labelledby': 'open-heading' },
    el('h2', { id: 'open-heading', text: t('overview.open_invoices') }),
    table('overview.open_invoices', ['invoices.number', 'invoices.due', 'invoices.open'],
      open.map((item) => [item.number, day(item.due_date), money(item.open_amount)]))) : null;
  box.replaceChildren(summary, openTable, ...(view.contracts || []).map(contractCard));
}

start({ area: 'portal', init });
