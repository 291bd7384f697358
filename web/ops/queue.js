// The ops console's one queue: all work (GET /ops/queue, filters kind / minimum age / SLA), oldest
// first with SLA-breached items first among equals; each item opens its detail page.

import { api, day, el, errorText, say, start, t, table } from '/shared/shell.js';
import { detailHref } from '/ops/queue-links.js';

const $ = (id) => document.getElementById(id);


function query() {
  const params = new URLSearchParams();
  if ($('filter-kind').value) params.set('kind', $('filter-kind').value);
  if ($('filter-age').value) params.set('min_age_days', $('filter-age').value);
  if ($('filter-sla').value) params.set('sla', $('filter-sla').value);
  return params;
}

function render(items, counts, unavailable) {
  const sorted = [...items].sort((a, b) => (b.age_days - a.age_days) || (Number(b.sla_breached) - Number(a.sla_breached)));
  const rows = sorted.map((item) => [
    t(`kind.${item.kind}`),
    el('a', { href: detailHref(item), class: 'open-item', text: item.title || item.id }),
    t('queue.days', { days: item.age_days ?? '—' }),
    item.sla_due ? day(item.sla_due) : '—',
    item.sla_breached ? el('span', { class: 'badge late', text: t('queue.late') }) : el('span', { class: 'badge done', text: t('queue.in_time') }),
  ]);
  $('queue').replaceChildren(table('queue.title', ['queue.col.kind', 'queue.col.item', 'queue.col.age', 'queue.col.sla_due', 'queue.col.sla'], rows, { empty: 'queue.empty' }));
  const parts = Object.entries(counts || {}).filter(([, n]) => n).map(([kind, n]) => `${t(`kind.${kind}`)}: ${n}`);
  $('counts').textContent = [t('queue.count', { count: items.length }), ...parts].join(' · ');
  if (unavailable?.length) say($('page-alert'), t('queue.unavailable', { kinds: unavailable.map((k) => t(`kind.${k}`)).join(', ') }), { kind: 'warn' });
}

async function load() {
  const params = query();
  history.replaceState(null, '', params.toString() ? `?${params}` : window.location.pathname);
  const answer = await api('GET', `/ops/queue?${params}`);
  if (answer.ok) { render(answer.data.items || [], answer.data.counts, answer.data.unavailable); return; }
  say($('page-alert'), answer.status === 404 ? t('error.unavailable') : errorText(answer.data), { kind: 'error' });
}

async function init() {
  const params = new URLSearchParams(window.location.search);
  $('filter-kind').value = params.get('kind') || '';
  $('filter-age').value = params.get('min_age_days') || '';
  $('filter-sla').value = params.get('sla') || '';
  $('filters').addEventListener('submit', (event) => { event.preventDefault(); load(); });
  await load();
}

start({ area: 'ops', init });
