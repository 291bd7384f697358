// Invoices: list with status (open, paid, overdue, credited), PDF download, pay by QR code (EPC
// "SEPA credit transfer" QR, the same payload as on the PDF), and the payment history
// (GET /me/invoices; GET /me/account tells whether the invoices are collected by direct debit).

import qrcode from '/shared/vendor/qrcode-generator.js';
import { api, day, el, groupedIban, money, moment, say, start, t, table } from '/shared/shell.js';
import { showProblem } from '/portal/common.js';

// Who is paid: as wattdesk.adapters.invoice_pdf.SUPPLIER (the payee name never changes with the language).
const PAYEE = { name: 'WattDesk NV', iban: 'BE68539007547034', bic: 'GKCCBEBB' };

const ogmDigits = (ogm) => String(ogm || '').replace(/\D/g, '');

/** EPC069-12 version 002, UTF-8 (1): BIC, name, IBAN, amount, no purpose, the OGM's 12 digits as
 *  structured reference (Belgian banks read it as the OGM), no free text. */
export function epcPayload(invoice) {
  return ['BCD', '002', '1', 'SCT', PAYEE.bic, PAYEE.name, PAYEE.iban, `EUR${Number(invoice.open_amount).toFixed(2)}`, '', ogmDigits(invoice.ogm), ''].join('\n');
}

async function download(invoice, button) {
  button.disabled = true;
  try {
    const answer = await api('GET', invoice.pdf_url || `/me/invoices/${invoice.number}/pdf`, undefined, { raw: true });
    if (!answer.ok) { say(document.getElementById('page-alert'), t('invoices.pdf_missing'), { kind: 'error', focus: true }); return; }
    const url = URL.createObjectURL(answer.data);
    const link = el('a', { href: url, download: `invoice-${invoice.number}.pdf`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } finally {
    button.disabled = false;
  }
}

function showQr(invoice, opener) {
  const dialog = document.getElementById('qr-dialog');
  const qr = qrcode(0, 'M');
  qr.addData(epcPayload(invoice), 'Byte');
  qr.make();
  const box = document.getElementById('qr-code');
  box.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 16, scalable: true, alt: t('qr.alt', { number: invoice.number }) });
  box.querySelector('svg').setAttribute('role', 'img');
  box.querySelector('svg').setAttribute('aria-label', t('qr.alt', { number: invoice.number }));
  document.getElementById('qr-facts').replaceChildren(
    el('dt', { text: t('qr.amount') }), el('dd', { id: 'qr-amount', text: money(invoice.open_amount) }),
    el('dt', { text: t('qr.to') }), el('dd', { text: `${PAYEE.name}, ${groupedIban(PAYEE.iban)}` }),
    el('dt', { text: t('qr.ogm') }), el('dd', { id: 'qr-ogm', text: invoice.ogm }));
  dialog.addEventListener('close', () => opener.focus(), { once: true });
  dialog.showModal();
}

function statusBadge(status) {
  return el('span', { class: `badge ${status}`, text: t(`invoice.status.${status}`) });
}

async function init() {
  document.getElementById('qr-close').addEventListener('click', () => document.getElementById('qr-dialog').close());
  const [invoices, account] = await Promise.all([api('GET', '/me/invoices'), api('GET', '/me/account')]);
  if (!invoices.ok) { showProblem(invoices); document.getElementById('invoices').replaceChildren(); return; }
  const directDebit = account.ok && account.data?.payment_method?.method === 'direct_debit';
  const items = invoices.data.items || [];
  const rows = items.map((invoice) => {
    const pdf = el('button', { type: 'button', class: 'pdf', text: t('invoices.pdf'), 'aria-label': t('invoices.pdf_of', { number: invoice.number }) });
    pdf.addEventListener('click', () => download(invoice, pdf));
    const payable = ['open', 'overdue'].includes(invoice.status) && Number(invoice.open_amount) > 0;
    let pay = null;
    if (payable && directDebit) pay = el('span', { class: 'muted', text: t('invoices.direct_debit') });
    else if (payable) {
      pay = el('button', { type: 'button', class: 'qr-button', text: t('invoices.pay_qr'), 'aria-label': t('invoices.pay_qr_of', { number: invoice.number }) });
      pay.addEventListener('click', () => showQr(invoice, pay));
    }
    return [invoice.number, t(`invoice.kind.${invoice.kind}`), day(invoice.issue_date), day(invoice.due_date),
      el('span', { class: 'amount', text: money(invoice.total) }), el('span', { class: 'amount', text: money(invoice.open_amount) }),
      statusBadge(invoice.status), el('div', { class: 'actions' }, pdf, pay)];
  });
  const list = table('invoices.list', ['invoices.number', 'invoices.kind', 'invoices.issued', 'invoices.due', 'invoices.total', 'invoices.open', 'invoices.status', 'invoices.actions'], rows, { empty: 'invoices.none' });
  document.getElementById('invoices').replaceChildren(list);
  for (const row of document.querySelectorAll('#invoices tbody tr')) row.dataset.invoice = row.firstChild.textContent;
  const payments = (invoices.data.payments || []).map((payment) => [moment(payment.booked_at), t(`payment.kind.${payment.kind}`), payment.invoice_number || '—', el('span', { class: 'amount', text: money(payment.amount) })]);
  document.getElementById('payments').replaceChildren(table('invoices.payments', ['payments.date', 'payments.kind', 'invoices.number', 'payments.amount'], payments, { empty: 'payments.none' }));
}

start({ area: 'portal', init });
