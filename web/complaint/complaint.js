// The public complaint form: posts api-examples/complaint.json's shape to POST /complaints, with
// attachments as base64, and shows the complaint number. Texts in nl/fr/de/en (?lang= or browser).

const LANGUAGES = ['nl', 'fr', 'de', 'en'];
const MAX_FILES = 3;
const MAX_BYTES = 4 * 1024 * 1024;
const TYPES = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };

const TEXTS = {
  en: {},
  nl: {
    heading: 'Een klacht indienen', intro: 'Ook als u geen klant bent. U krijgt een klachtnummer per e-mail en ons antwoord binnen 5 werkdagen.',
    noscript: 'Dit formulier heeft JavaScript nodig.', about_you: 'Over u', name: 'Naam', email: 'E-mailadres', phone: 'Telefoonnummer',
    optional: '(niet verplicht)', street: 'Straat en huisnummer', postcode: 'Postcode', city: 'Gemeente', customer_number: 'Klantnummer',
    your_complaint: 'Uw klacht', nature: 'Waarover gaat het?', choose: 'Kies…', 'nature.billing': 'Mijn factuur', 'nature.meter_reading': 'Een meterstand',
    'nature.contract': 'Mijn contract of aansluiting', 'nature.payment': 'Een betaling of herinnering', 'nature.sales_conduct': 'Hoe mij iets verkocht werd',
    'nature.service': 'Onze dienstverlening', 'nature.other': 'Iets anders', description: 'Beschrijf wat er gebeurde', 'description.hint': 'Minstens 10 tekens.',
    invoice_number: 'Factuurnummer', 'invoice_number.hint': 'Bijvoorbeeld 2027-A-000123', contact_preference: 'Hoe contacteren we u?',
    by_email: 'Per e-mail', by_phone: 'Telefonisch', by_letter: 'Per brief', attachments: 'Documenten of foto’s',
    'attachments.hint': 'Tot 3 PDF-, PNG- of JPEG-bestanden, samen 4 MB.', submit: 'Mijn klacht versturen', sending: 'Bezig met versturen…',
    'done.title': 'We hebben uw klacht ontvangen', 'done.number': 'Uw klachtnummer:', 'done.due': 'We antwoorden uiterlijk op:',
    'done.mail': 'We stuurden u een e-mail met dit nummer.', 'error.required': 'Vul dit in.', 'error.email': 'Dit is geen geldig e-mailadres.',
    'error.short': 'Schrijf minstens 10 tekens.', 'error.invoice': 'Een factuurnummer ziet eruit als 2027-A-000123.',
    'error.files': 'Voeg hoogstens 3 PDF-, PNG- of JPEG-bestanden toe, samen 4 MB.', 'error.form': 'Controleer de aangeduide velden.',
    'error.network': 'We konden uw klacht niet versturen. Probeer het opnieuw.',
  },
  fr: {
    heading: 'Introduire une plainte', intro: 'Même si vous n’êtes pas client. Vous recevez un numéro de plainte par e-mail et notre réponse dans les 5 jours ouvrables.',
    noscript: 'Ce formulaire nécessite JavaScript.', about_you: 'Vous', name: 'Nom', email: 'Adresse e-mail', phone: 'Numéro de téléphone',
    optional: '(facultatif)', street: 'Rue et numéro', postcode: 'Code postal', city: 'Commune', customer_number: 'Numéro de client',
    your_complaint: 'Votre plainte', nature: 'De quoi s’agit-il ?', choose: 'Choisissez…', 'nature.billing': 'Ma facture', 'nature.meter_reading': 'Un relevé de compteur',
    'nature.contract': 'Mon contrat ou mon inscription', 'nature.payment': 'Un paiement ou un rappel', 'nature.sales_conduct': 'La façon dont on m’a vendu quelque chose',
    'nature.service': 'Notre service', 'nature.other': 'Autre chose', description: 'Décrivez ce qui s’est passé', 'description.hint': 'Au moins 10 caractères.',
    invoice_number: 'Numéro de facture', 'invoice_number.hint': 'Par exemple 2027-A-000123', contact_preference: 'Comment vous contacter ?',
    by_email: 'Par e-mail', by_phone: 'Par téléphone', by_letter: 'Par courrier', attachments: 'Documents ou photos',
    'attachments.hint': 'Jusqu’à 3 fichiers PDF, PNG ou JPEG, 4 Mo au total.', submit: 'Envoyer ma plainte', sending: 'Envoi…',
    'done.title': 'Nous avons reçu votre plainte', 'done.number': 'Votre numéro de plainte :', 'done.due': 'Nous répondrons au plus tard le :',
    'done.mail': 'Nous vous avons envoyé un e-mail avec ce numéro.', 'error.required': 'Complétez ce champ.', 'error.email': 'Cette adresse e-mail n’est pas valide.',
    'error.short': 'Écrivez au moins 10 caractères.', 'error.invoice': 'Un numéro de facture ressemble à 2027-A-000123.',
    'error.files': 'Joignez au plus 3 fichiers PDF, PNG ou JPEG, 4 Mo au total.', 'error.form': 'Vérifiez les champs indiqués.',
    'error.network': 'Nous n’avons pas pu envoyer votre plainte. Réessayez.',
  },
  de: {
    heading: 'Eine Beschwerde einreichen', intro: 'Auch wenn Sie kein Kunde sind. Sie erhalten eine Beschwerdenummer per E-Mail und unsere Antwort innerhalb von 5 Werktagen.',
    noscript: 'Dieses Formular benötigt JavaScript.', about_you: 'Über Sie', name: 'Name', email: 'E-Mail-Adresse', phone: 'Telefonnummer',
    optional: '(optional)', street: 'Straße und Hausnummer', postcode: 'Postleitzahl', city: 'Ort', customer_number: 'Kundennummer',
    your_complaint: 'Ihre Beschwerde', nature: 'Worum geht es?', choose: 'Bitte wählen…', 'nature.billing': 'Meine Rechnung', 'nature.meter_reading': 'Ein Zählerstand',
    'nature.contract': 'Mein Vertrag oder meine Anmeldung', 'nature.payment': 'Eine Zahlung oder Mahnung', 'nature.sales_conduct': 'Wie mir etwas verkauft wurde',
    'nature.service': 'Unser Service', 'nature.other': 'Etwas anderes', description: 'Beschreiben Sie, was passiert ist', 'description.hint': 'Mindestens 10 Zeichen.',
    invoice_number: 'Rechnungsnummer', 'invoice_number.hint': 'Zum Beispiel 2027-A-000123', contact_preference: 'Wie sollen wir Sie kontaktieren?',
    by_email: 'Per E-Mail', by_phone: 'Telefonisch', by_letter: 'Per Brief', attachments: 'Dokumente oder Fotos',
    'attachments.hint': 'Bis zu 3 PDF-, PNG- oder JPEG-Dateien, zusammen 4 MB.', submit: 'Beschwerde absenden', sending: 'Wird gesendet…',
    'done.title': 'Wir haben Ihre Beschwerde erhalten', 'done.number': 'Ihre Beschwerdenummer:', 'done.due': 'Wir antworten spätestens am:',
    'done.mail': 'Wir haben Ihnen eine E-Mail mit dieser Nummer geschickt.', 'error.required': 'Bitte ausfüllen.', 'error.email': 'Diese E-Mail-Adresse ist ungültig.',
    'error.short': 'Schreiben Sie mindestens 10 Zeichen.', 'error.invoice': 'Eine Rechnungsnummer sieht aus wie 2027-A-000123.',
    'error.files': 'Höchstens 3 PDF-, PNG- oder JPEG-Dateien, zusammen 4 MB.', 'error.form': 'Bitte prüfen Sie die markierten Felder.',
    'error.network': 'Wir konnten Ihre Beschwerde nicht senden. Bitte versuchen Sie es erneut.',
  },
};
const ENGLISH_ERRORS = {
  sending: 'Sending…', 'error.required': 'Please fill this in.', 'error.email': 'This is not a valid e-mail address.', 'error.short': 'Write at least 10 characters.',
  'error.invoice': 'An invoice number looks like 2027-A-000123.', 'error.files': 'Attach at most 3 PDF, PNG or JPEG files, 4 MB together.',
  'error.form': 'Please check the marked fields.', 'error.network': 'We could not send your complaint. Please try again.',
};

let language = 'en';
const defaults = {};
const form = document.getElementById('complaint-form');
const alertBox = document.getElementById('form-alert');

function t(key) {
  return TEXTS[language]?.[key] ?? defaults[key] ?? ENGLISH_ERRORS[key] ?? key;
}

function pickLanguage() {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (LANGUAGES.includes(asked)) return asked;
  const browser = (navigator.languages || [navigator.language]).map((tag) => String(tag).slice(0, 2).toLowerCase()).find((tag) => LANGUAGES.includes(tag));
  return browser || 'nl';
}

function applyLanguage(next) {
  language = next;
  document.documentElement.lang = next;
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const button of document.querySelectorAll('[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === next));
  document.title = `${t('heading')} — WattDesk`;
}

function fieldBox(path) {
  const input = form.querySelector(`[data-field="${path}"]`);
  return input ? (input.closest('.field') || input) : null;
}

function clearErrors() {
  alertBox.hidden = true;
  for (const box of form.querySelectorAll('.invalid')) box.classList.remove('invalid');
  for (const message of form.querySelectorAll('.error')) message.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

function showError(path, message) {
  const box = fieldBox(path.replace(/\[\d+\]$/, '')) || fieldBox(path.split('.')[0]);
  if (!box) return false;
  box.classList.add('invalid');
  const input = box.querySelector('input, select, textarea');
  const note = document.createElement('p');
  note.className = 'error';
  note.id = `${(input?.id || 'field')}-error`;
  note.textContent = message;
  box.append(note);
  if (input) { input.setAttribute('aria-invalid', 'true'); input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') || ''} ${note.id}`.trim()); }
  return true;
}

function value(path) {
  const input = form.querySelector(`[data-field="${path}"]`);
  const text = input?.value?.trim() ?? '';
  return text === '' ? null : text;
}

function localProblems() {
  const problems = [];
  if (!value('reporter.name')) problems.push(['reporter.name', t('error.required')]);
  const email = value('reporter.email');
  if (!email) problems.push(['reporter.email', t('error.required')]);
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(email)) problems.push(['reporter.email', t('error.email')]);
  if (!value('nature')) problems.push(['nature', t('error.required')]);
  if ((value('description') || '').length < 10) problems.push(['description', t('error.short')]);
  const invoice = value('related.invoice_number');
  if (invoice && !/^\d{4}-[A-Z]{1,3}-\d{6}$/.test(invoice)) problems.push(['related.invoice_number', t('error.invoice')]);
  const files = [...document.getElementById('attachments').files];
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const typed = files.every((file) => TYPES[file.name.split('.').pop().toLowerCase()]);
  if (files.length > MAX_FILES || total > MAX_BYTES || !typed) problems.push(['attachments', t('error.files')]);
  return problems;
}

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function body() {
  const files = [...document.getElementById('attachments').files];
  return {
    channel: 'web_form',
    reporter: {
      name: value('reporter.name'), street: value('reporter.street'), postcode: value('reporter.postcode'), city: value('reporter.city'),
      phone: value('reporter.phone'), email: value('reporter.email'), language, customer_number: value('reporter.customer_number'),
    },
    reported_on: null,
    nature: value('nature'),
    description: value('description'),
    related: value('related.invoice_number') ? { invoice_number: value('related.invoice_number') } : {},
    contact_preference: form.querySelector('input[name="contact_preference"]:checked')?.value || 'email',
    attachments: await Promise.all(files.map(async (file) => ({
      filename: file.name, content_type: file.type || TYPES[file.name.split('.').pop().toLowerCase()] || 'application/octet-stream', content_base64: await base64(file),
    }))),
  };
}

function showSummary(message) {
  alertBox.textContent = message;
  alertBox.hidden = false;
  alertBox.focus();
}

let idempotencyKey = null;

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const problems = localProblems();
  if (problems.length) {
    for (const [path, message] of problems) showError(path, message);
    showSummary(t('error.form'));
    return;
  }
  const button = document.getElementById('submit');
  button.disabled = true;
  button.textContent = t('sending');
  // The same key for retries of this submission: a double click registers one complaint.
  idempotencyKey = idempotencyKey || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  const base = document.querySelector('meta[name="wattdesk-api-base"]')?.content || '';
  try {
    const response = await fetch(`${base}/complaints`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey }, body: JSON.stringify(await body()), cache: 'no-store',
    });
    const answer = await response.json().catch(() => null);
    if (response.status === 201) {
      showDone(answer);
      return;
    }
    const errors = Array.isArray(answer?.errors) ? answer.errors : [];
    if (response.status === 400 || response.status === 409) idempotencyKey = null;
    const shown = errors.filter((error) => error.field && showError(error.field, error.message)).length;
    showSummary(shown ? t('error.form') : (errors[0]?.message || t('error.network')));
  } catch {
    showSummary(t('error.network'));
  } finally {
    button.disabled = false;
    button.textContent = t('submit');
  }
}

function showDone(answer) {
  form.hidden = true;
  const done = document.getElementById('done');
  document.getElementById('done-number').textContent = answer.complaint_number;
  const due = new Date(`${answer.first_response_due}T12:00:00Z`);
  document.getElementById('done-due').textContent = new Intl.DateTimeFormat(`${language}-BE`, { dateStyle: 'long', timeZone: 'Europe/Brussels' }).format(due);
  done.hidden = false;
  done.querySelector('h2').focus();
}

function start() {
  for (const element of document.querySelectorAll('[data-i18n]')) defaults[element.dataset.i18n] = element.textContent;
  for (const button of document.querySelectorAll('[data-lang]')) button.addEventListener('click', () => applyLanguage(button.dataset.lang));
  applyLanguage(pickLanguage());
  form.addEventListener('submit', submit);
  form.hidden = false;
  document.documentElement.dataset.ready = 'true';
}

start();
