// Meter readings: enter a self-reading per register of the meter (helper S's
// POST /me/delivery-points/{ean}/readings, which judges plausibility), the reading history and a
// consumption chart per year (GET on the same path).

import { api, day, el, errorText, has, number, say, start, t, table } from '/shared/shell.js';
import { deliveryPoints, overview, registersOf, today } from '/portal/common.js';

const $ = (id) => document.getElementById(id);
let points = [];
let current = null;

function registerFields(point) {
  const unit = point.energy === 'gas' ? 'm³' : 'kWh';
  return registersOf(point.meter_type).map((register) => el('div', { class: 'field' },
    el('label', { for: `register-${register}`, text: `${t(`register.${register}`)} (${unit})` }),
    el('input', { id: `register-${register}`, 'data-register': register, class: 'short', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '8', required: true, autocomplete: 'off' })));
}

function registersOfReading(reading) {
  // [{register, value_kwh}] as sent, or {register: value}.
  if (Array.isArray(reading.registers)) return Object.fromEntries(reading.registers.map((r) => [r.register, r.value_kwh ?? r.value]));
  return reading.values || reading.registers || {};
}

/** kWh per calendar year, from consecutive readings: the consumption between two readings is split
 *  over the years by days (as the readings issue reads a period [D1, D2)). */
export function consumptionPerYear(readings) {
  const sorted = readings.filter((r) => !r.rejected && r.status !== 'REJECTED').map((r) => ({ date: r.reading_date, total: Object.values(registersOfReading(r)).reduce((sum, v) => sum + Number(v || 0), 0), meter: r.meter_no || 1 }))
    .sort((a, b) => a.date.localeCompare(b.date));
  const years = {};
  for (let i = 1; i < sorted.length; i += 1) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (a.meter !== b.meter || b.total < a.total) continue;
    const start = Date.parse(`${a.date}T00:00:00Z`);
    const end = Date.parse(`${b.date}T00:00:00Z`);
    const days = (end - start) / 86_400_000;
    if (days <= 0) continue;
    for (let d = start; d < end; d += 86_400_000) {
      const year = new Date(d).getUTCFullYear();
      years[year] = (years[year] || 0) + (b.total - a.total) / days;
    }
  }
  return Object.entries(years).map(([year, kwh]) => ({ year: Number(year), kwh: Math.round(kwh) })).sort((x, y) => x.year - y.year);
}

function chart(perYear, unit) {
  if (!perYear.length) return el('p', { class: 'empty', text: t('readings.chart_empty') });
  const width = 560; const barHeight = 28; const gap = 10; const left = 60; const right = 110;
  const max = Math.max(...perYear.map((p) => p.kwh), 1);
  const height = perYear.length * (barHeight + gap) + gap;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-labelledby', 'chart-heading');
  perYear.forEach((point, i) => {
    const y = gap + i * (barHeight + gap);
    const w = Math.max(2, ((width - left - right) * point.kwh) / max);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', '0'); label.setAttribute('y', String(y + barHeight * 0.68)); label.textContent = String(point.year);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('class', 'bar-rect'); rect.setAttribute('x', String(left)); rect.setAttribute('y', String(y));
    rect.setAttribute('width', String(w)); rect.setAttribute('height', String(barHeight));
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', String(left + w + 6)); value.setAttribute('y', String(y + barHeight * 0.68)); value.textContent = `${number(point.kwh)} ${unit}`;
    svg.append(label, rect, value);
  });
  // The same numbers as a table, for screen readers and for copying.
  return el('div', {}, svg, el('details', {}, el('summary', { text: t('readings.chart_table') }),
    table('readings.chart', ['readings.year', 'readings.consumption'], perYear.map((p) => [String(p.year), `${number(p.kwh)} ${unit}`]))));
}

function problemText(problem) {
  const key = `error.${problem.code}`;
  const vars = { register: t(`register.${problem.register}`), min: problem.expected_min ?? '', max: problem.expected_max ?? '' };
  return has(key) ? t(key, vars) : problem.message;
}

async function loadHistory() {
  const unit = current.energy === 'gas' ? 'm³' : 'kWh';
  const answer = await api('GET', `/me/delivery-points/${current.ean}/readings`);
  if (!answer.ok) {
    const why = answer.status === 404 || answer.status === 405 ? t('error.unavailable') : errorText(answer.data);
    $('history').replaceChildren(el('p', { class: 'empty', text: why }));
    $('chart').replaceChildren();
    return;
  }
  const readings = answer.data.items || answer.data.readings || [];
  const registers = registersOf(current.meter_type);
  const rows = [...readings].sort((a, b) => b.reading_date.localeCompare(a.reading_date)).map((reading) => {
    const values = registersOfReading(reading);
    return [day(reading.reading_date), ...registers.map((r) => (values[r] === undefined ? '—' : `${number(values[r])} ${unit}`)),
      t(`reading.source.${reading.source}`), el('span', { class: `badge ${String(reading.status || '').toLowerCase()}`, text: t(`reading.status.${reading.status}`) })];
  });
  $('history').replaceChildren(table('readings.history', ['readings.date', ...registers.map((r) => `register.${r}`), 'readings.source', 'readings.status'], rows, { empty: 'readings.none' }));
  const perYear = answer.data.consumption_per_year || consumptionPerYear(readings);
  $('chart').replaceChildren(chart(perYear.map((p) => ({ year: Number(p.year), kwh: Number(p.kwh ?? p.consumption_kwh) })), unit));
}

function choose(ean) {
  current = points.find((p) => p.ean === ean) || points[0];
  $('registers').replaceChildren(el('fieldset', {}, el('legend', { text: t('readings.registers', { ean: current.ean }) }), registerFields(current)));
  say($('reading-result'), '');
  loadHistory();
}

async function send(event) {
  event.preventDefault();
  const result = $('reading-result');
  const inputs = [...document.querySelectorAll('#registers input')];
  let firstBad = null;
  for (const input of inputs) {
    const ok = /^\d{1,8}$/.test(input.value.trim());
    if (ok) input.removeAttribute('aria-invalid'); else { input.setAttribute('aria-invalid', 'true'); firstBad ??= input; }
  }
  if (!$('reading-date').value) { $('reading-date').setAttribute('aria-invalid', 'true'); firstBad ??= $('reading-date'); } else $('reading-date').removeAttribute('aria-invalid');
  if (firstBad) { say(result, t('readings.fill_all'), { kind: 'error' }); firstBad.focus(); return; }
  const body = { reading_date: $('reading-date').value, source: 'customer', registers: inputs.map((input) => ({ register: input.dataset.register, value_kwh: input.value.trim() })) };
  $('reading-submit').disabled = true;
  try {
    const answer = await api('POST', `/me/delivery-points/${current.ean}/readings`, body);
    if (!answer.ok) {
      say(result, answer.status === 404 || answer.status === 405 ? t('error.unavailable') : errorText(answer.data), { kind: 'error', focus: true });
      return;
    }
    const reading = answer.data;
    const problems = reading.problems || [];
    if (String(reading.status).toUpperCase() === 'IMPLAUSIBLE' || problems.length) {
      say(result, `${t('readings.implausible')} ${problems.map(problemText).join(' ')}`, { kind: 'warn', focus: true });
    } else {
      say(result, t('readings.thanks', { date: day(body.reading_date) }), { kind: 'ok', focus: true });
    }
    for (const input of inputs) input.value = '';
    await loadHistory();
  } finally {
    $('reading-submit').disabled = false;
  }
}

async function init() {
  const view = await overview();
  points = deliveryPoints(view);
  if (!points.length) { say($('page-alert'), view ? t('readings.no_points') : $('page-alert').textContent, { kind: view ? 'info' : 'error' }); $('reading-form').hidden = true; return; }
  $('reading-date').value = await today();
  $('reading-date').max = $('reading-date').value;
  if (points.length > 1) {
    $('point-choice').hidden = false;
    $('point').replaceChildren(...points.map((p) => el('option', { value: p.ean, text: `${t(`energy.${p.energy}`)} — ${p.ean}` })));
    $('point').addEventListener('change', () => choose($('point').value));
  }
  $('reading-form').addEventListener('submit', send);
  choose(points[0].ean);
}

start({ area: 'portal', init });
