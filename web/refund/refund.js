// The public refund page behind the link in the "give your account number" mail:
// /refund/?r=<refund id>&t=<token>. Reads GET /refund-requests/{id}?token= and answers
// POST /refund-requests/{id}/iban {token, iban, account_holder}. The IBAN is checked here with the
// enrollment pages' rules (web/enroll/validation.js mirrors wattdesk.domain.iban) and again by the
// server, whose field errors are shown by their code. Texts in nl/fr/de/en (?lang=, else the
// customer's language from the request, else the browser's).

import { compactIban, formatIban, validateIban } from '/enroll/validation.js';

const LANGUAGES = ['nl', 'fr', 'de', 'en'];

const TEXTS = {
  en: {
    heading: 'Your refund', noscript: 'This page needs JavaScript.', loading: 'Loading…', hello: 'Hello {name},',
    intro: 'We are refunding you {amount}. Tell us the account number (IBAN) we may pay it to.',
    iban: 'Account number (IBAN)', 'iban.hint': 'For example BE68 5390 0754 7034', account_holder: 'Account holder', 'account_holder.hint': 'The name the account is in.',
    submit: 'Send my account number', sending: 'Sending…', privacy: 'We use this account only for refunds and keep it as your account for future refunds.',
    'done.title': 'Thank you', 'done.account': 'We will pay the refund to the account ending in',
    'done.approval': 'A colleague checks every new account number first. You get an e-mail as soon as the money is on its way.',
    'done.approved': 'You get an e-mail as soon as the money is on its way.',
    'error.required': 'Please fill this in.', 'iban.invalid': 'This is not a valid IBAN. Check for typing errors.',
    'iban.not_sepa': 'We can only pay to an account in the SEPA zone.', 'iban.be_national_check': 'This Belgian account number does not exist: check the last two digits.',
    'refund.iban_returned': 'A transfer to this account came back. Please give another account.', 'error.form': 'Please check the marked fields.',
    'error.network': 'We could not send your account number. Please try again.', 'gone.link': 'This link is not valid (any more). Use the link in our latest e-mail, or call us.',
    'gone.incomplete': 'This link is incomplete. Open it again from our e-mail.', 'gone.done': 'This refund no longer waits for an account number. Thank you.',
  },
  nl: {
    heading: 'Uw terugbetaling', noscript: 'Deze pagina heeft JavaScript nodig.', loading: 'Bezig met laden…', hello: 'Beste {name},',
    intro: 'We betalen u {amount} terug. Geef het rekeningnummer (IBAN) op waarop we dit bedrag mogen storten.',
    iban: 'Rekeningnummer (IBAN)', 'iban.hint': 'Bijvoorbeeld BE68 5390 0754 7034', account_holder: 'Rekeninghouder', 'account_holder.hint': 'De naam op de rekening.',
    submit: 'Rekeningnummer versturen', sending: 'Bezig met versturen…', privacy: 'We gebruiken deze rekening alleen voor terugbetalingen en bewaren ze als uw rekening voor volgende terugbetalingen.',
    'done.title': 'Bedankt', 'done.account': 'We storten de terugbetaling op de rekening die eindigt op',
    'done.approval': 'Een collega controleert elk nieuw rekeningnummer eerst. U krijgt een e-mail zodra het geld onderweg is.',
    'done.approved': 'U krijgt een e-mail zodra het geld onderweg is.',
    'error.required': 'Vul dit in.', 'iban.invalid': 'Dit is geen geldig IBAN. Kijk na of er geen tikfout in staat.',
    'iban.not_sepa': 'We kunnen alleen storten op een rekening in de SEPA-zone.', 'iban.be_national_check': 'Dit Belgische rekeningnummer bestaat niet: kijk de laatste twee cijfers na.',
    'refund.iban_returned': 'Een overschrijving naar deze rekening kwam terug. Geef een andere rekening op.', 'error.form': 'Controleer de aangeduide velden.',
    'error.network': 'We konden uw rekeningnummer niet versturen. Probeer het opnieuw.', 'gone.link': 'Deze link is niet (meer) geldig. Gebruik de link in onze laatste e-mail, of bel ons.',
    'gone.incomplete': 'Deze link is onvolledig. Open hem opnieuw vanuit onze e-mail.', 'gone.done': 'Deze terugbetaling wacht niet meer op een rekeningnummer. Bedankt.',
  },
  fr: {
    heading: 'Votre remboursement', noscript: 'Cette page nécessite JavaScript.', loading: 'Chargement…', hello: 'Bonjour {name},',
    intro: 'Nous vous remboursons {amount}. Indiquez le numéro de compte (IBAN) sur lequel nous pouvons le verser.',
    iban: 'Numéro de compte (IBAN)', 'iban.hint': 'Par exemple BE68 5390 0754 7034', account_holder: 'Titulaire du compte', 'account_holder.hint': 'Le nom au nom duquel le compte est ouvert.',
    submit: 'Envoyer mon numéro de compte', sending: 'Envoi…', privacy: 'Nous utilisons ce compte uniquement pour les remboursements et le gardons comme votre compte pour les prochains.',
    'done.title': 'Merci', 'done.account': 'Nous verserons le remboursement sur le compte se terminant par',
    'done.approval': 'Un collègue vérifie d’abord chaque nouveau numéro de compte. Vous recevez un e-mail dès que l’argent est en route.',
    'done.approved': 'Vous recevez un e-mail dès que l’argent est en route.',
    'error.required': 'Complétez ce champ.', 'iban.invalid': 'Cet IBAN n’est pas valide. Vérifiez qu’il n’y a pas de faute de frappe.',
    'iban.not_sepa': 'Nous ne pouvons verser que sur un compte de la zone SEPA.', 'iban.be_national_check': 'Ce numéro de compte belge n’existe pas : vérifiez les deux derniers chiffres.',
    'refund.iban_returned': 'Un virement vers ce compte nous est revenu. Indiquez un autre compte.', 'error.form': 'Vérifiez les champs indiqués.',
    'error.network': 'Nous n’avons pas pu envoyer votre numéro de compte. Réessayez.', 'gone.link': 'Ce lien n’est pas (ou plus) valable. Utilisez le lien de notre dernier e-mail, ou appelez-nous.',
    'gone.incomplete': 'Ce lien est incomplet. Ouvrez-le à nouveau depuis notre e-mail.', 'gone.done': 'Ce remboursement n’attend plus de numéro de compte. Merci.',
  },
  de: {
    heading: 'Ihre Erstattung', noscript: 'Diese Seite benötigt JavaScript.', loading: 'Wird geladen…', hello: 'Guten Tag {name},',
    intro: 'wir erstatten Ihnen {amount}. Bitte nennen Sie die Kontonummer (IBAN), auf die wir den Betrag überweisen dürfen.',
    iban: 'Kontonummer (IBAN)', 'iban.hint': 'Zum Beispiel BE68 5390 0754 7034', account_holder: 'Kontoinhaber', 'account_holder.hint': 'Der Name, auf den das Konto lautet.',
    submit: 'Kontonummer senden', sending: 'Wird gesendet…', privacy: 'Wir verwenden dieses Konto nur für Erstattungen und speichern es als Ihr Konto für künftige Erstattungen.',
    'done.title': 'Vielen Dank', 'done.account': 'Wir überweisen die Erstattung auf das Konto mit der Endung',
    'done.approval': 'Eine Kollegin oder ein Kollege prüft jede neue Kontonummer zuerst. Sie erhalten eine E-Mail, sobald das Geld unterwegs ist.',
    'done.approved': 'Sie erhalten eine E-Mail, sobald das Geld unterwegs ist.',
    'error.required': 'Bitte ausfüllen.', 'iban.invalid': 'Diese IBAN ist ungültig. Bitte prüfen Sie sie auf Tippfehler.',
    'iban.not_sepa': 'Wir können nur auf ein Konto im SEPA-Raum überweisen.', 'iban.be_national_check': 'Diese belgische Kontonummer gibt es nicht: Bitte prüfen Sie die letzten zwei Ziffern.',
    'refund.iban_returned': 'Eine Überweisung auf dieses Konto kam zurück. Bitte nennen Sie ein anderes Konto.', 'error.form': 'Bitte prüfen Sie die markierten Felder.',
    'error.network': 'Wir konnten Ihre Kontonummer nicht senden. Bitte versuchen Sie es erneut.', 'gone.link': 'Dieser Link ist (nicht mehr) gültig. Verwenden Sie den Link aus unserer letzten E-Mail oder rufen Sie uns an.',
    'gone.incomplete': 'Dieser Link ist unvollständig. Öffnen Sie ihn erneut aus unserer E-Mail.', 'gone.done': 'Diese Erstattung wartet nicht mehr auf eine Kontonummer. Vielen Dank.',
  },
};
// Server error codes that belong to a field and have a text of their own here.
const FIELD_CODES = ['iban.invalid', 'iban.not_sepa', 'iban.be_national_check', 'refund.iban_returned'];

const params = new URLSearchParams(window.location.search);
const refundId = params.get('r') || '';
const token = params.get('t') || '';
const form = document.getElementById('iban-form');
const alertBox = document.getElementById('form-alert');
let language = 'nl';
let request = null;

function t(key) {
  return TEXTS[language]?.[key] ?? TEXTS.en[key] ?? key;
}

function apiBase() {
  return document.querySelector('meta[name="wattdesk-api-base"]')?.content || '';
}

function money(amount) {
  return new Intl.NumberFormat(`${language}-BE`, { style: 'currency', currency: 'EUR' }).format(Number(amount));
}

function render() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const button of document.querySelectorAll('[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === language));
  document.title = `${t('heading')} — WattDesk`;
  if (request) {
    // "{amount}" in the sentence becomes the amount in bold; the name is text, never markup.
    const [before, after] = t('intro').split('{amount}');
    const amount = document.createElement('strong');
    amount.id = 'amount';
    amount.textContent = money(request.amount);
    document.getElementById('greeting').textContent = request.first_name ? t('hello').replace('{name}', request.first_name) : '';
    const opening = request.first_name ? before : before.charAt(0).toUpperCase() + before.slice(1);
    document.getElementById('intro').replaceChildren(opening, amount, after);
  }
  const gone = document.getElementById('gone');
  if (!gone.hidden && gone.dataset.key) document.getElementById('gone-text').textContent = t(gone.dataset.key);
  const next = document.getElementById('done-next');
  if (next.dataset.key) next.textContent = t(next.dataset.key);
  for (const note of form.querySelectorAll('.error[data-key]')) note.textContent = t(note.dataset.key);
  if (!alertBox.hidden && alertBox.dataset.key) alertBox.textContent = t(alertBox.dataset.key);
}

function chooseLanguage(fromRequest) {
  const asked = params.get('lang');
  if (LANGUAGES.includes(asked)) return asked;
  if (LANGUAGES.includes(fromRequest)) return fromRequest;
  const browser = (navigator.languages || [navigator.language]).map((tag) => String(tag).slice(0, 2).toLowerCase()).find((tag) => LANGUAGES.includes(tag));
  return browser || 'nl';
}

function showGone(key) {
  document.getElementById('loading').hidden = true;
  form.hidden = true;
  const gone = document.getElementById('gone');
  gone.dataset.key = key;
  gone.hidden = false;
  render();
}

function clearErrors() {
  alertBox.hidden = true;
  delete alertBox.dataset.key;
  for (const box of form.querySelectorAll('.invalid')) box.classList.remove('invalid');
  for (const note of form.querySelectorAll('.error')) note.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', input.getAttribute('aria-describedby').split(' ')[0]);
  }
}

// `message` is a text key of this page, or (an unknown server code) the server's own message.
function showError(field, key, message) {
  const input = form.querySelector(`[data-field="${field}"]`);
  if (!input) return false;
  const box = input.closest('.field');
  box.classList.add('invalid');
  const note = document.createElement('p');
  note.className = 'error';
  note.id = `${input.id}-error`;
  if (key) note.dataset.key = key;
  note.textContent = key ? t(key) : message;
  box.append(note);
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} ${note.id}`);
  return true;
}

function showSummary(key, message) {
  if (key) alertBox.dataset.key = key;
  alertBox.textContent = key ? t(key) : message;
  alertBox.hidden = false;
  alertBox.focus();
}

function localProblems(iban, holder) {
  const problems = [];
  if (!iban) problems.push(['iban', 'error.required']);
  else {
    const code = validateIban(iban);
    if (code) problems.push(['iban', code]);
  }
  if (!holder) problems.push(['account_holder', 'error.required']);
  return problems;
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const ibanInput = document.getElementById('iban');
  const iban = compactIban(ibanInput.value);
  const holder = document.getElementById('account_holder').value.trim();
  const problems = localProblems(iban, holder);
  if (problems.length) {
    for (const [field, key] of problems) showError(field, key);
    showSummary('error.form');
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  const button = document.getElementById('submit');
  button.disabled = true;
  button.textContent = t('sending');
  try {
    const response = await fetch(`${apiBase()}/refund-requests/${encodeURIComponent(refundId)}/iban`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, iban, account_holder: holder }), cache: 'no-store',
    });
    const answer = await response.json().catch(() => null);
    if (response.ok) {
      showDone(iban, answer?.status);
      return;
    }
    if (response.status === 404) { showGone('gone.link'); return; }
    if (response.status === 409) { showGone('gone.done'); return; }
    const errors = Array.isArray(answer?.errors) ? answer.errors : [];
    const shown = errors.filter((error) => {
      const field = error.field === 'holder' ? 'account_holder' : error.field;
      return showError(field, FIELD_CODES.includes(error.code) ? error.code : null, error.message);
    }).length;
    if (shown) showSummary('error.form');
    else showSummary(null, errors[0]?.message || t('error.network'));
  } catch {
    showSummary('error.network');
  } finally {
    button.disabled = false;
    button.textContent = t('submit');
  }
}

function showDone(iban, status) {
  form.hidden = true;
  document.getElementById('done-iban').textContent = formatIban(iban).slice(-4);
  const next = document.getElementById('done-next');
  next.dataset.key = status === 'AWAITING_APPROVAL' ? 'done.approval' : 'done.approved';
  next.textContent = t(next.dataset.key);
  const done = document.getElementById('done');
  done.hidden = false;
  done.querySelector('h2').focus();
}

async function start() {
  for (const button of document.querySelectorAll('[data-lang]')) button.addEventListener('click', () => { language = button.dataset.lang; render(); });
  form.addEventListener('submit', submit);
  language = chooseLanguage(null);
  render();
  try {
    if (!/^RF[0-9A-F]{16}$/.test(refundId) || token.length < 10) {
      showGone('gone.incomplete');
      return;
    }
    const response = await fetch(`${apiBase()}/refund-requests/${encodeURIComponent(refundId)}?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (!response.ok) {
      showGone('gone.link');
      return;
    }
    request = await response.json();
    language = chooseLanguage(request.language);
    if (!request.waiting_for_iban) {
      showGone('gone.done');
      return;
    }
    document.getElementById('loading').hidden = true;
    form.hidden = false;
    render();
  } catch {
    showGone('gone.link');
  } finally {
    document.documentElement.dataset.ready = 'true';
  }
}

start();
