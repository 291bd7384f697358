"""Mail texts of refunds (issue 8): the IBAN request with its link, the reminder, and "your refund
was sent" with amount and date. Plain-text Jinja2 per language (nl/fr/de/en), StrictUndefined,
rendered here so the shared mail_texts module needs no change."""

from __future__ import annotations


REFUND_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "refund_iban_request": {
        "nl": (
            "We betalen u {{ amount }} terug: geef uw rekeningnummer",
            "Beste {{ first_name }},\n\nWe betalen u {{ amount }} terug ({{ reason }}, referentie {{ refund_id }}).\n{% if offsets %}{{ offsets }} verrekenden we eerst met uw openstaande facturen.\n{% endif %}We kennen nog geen rekeningnummer (IBAN) waarop we dit bedrag mogen storten. Geef het hier op:\n{{ link }}\n\nDe link werkt tot de terugbetaling vertrokken is.\n\nWattDesk",
        ),
        "fr": (
            "Nous vous remboursons {{ amount }} : indiquez votre numéro de compte",
            "Bonjour {{ first_name }},\n\nNous vous remboursons {{ amount }} ({{ reason }}, référence {{ refund_id }}).\n{% if offsets %}Nous avons d'abord déduit {{ offsets }} de vos factures ouvertes.\n{% endif %}Nous ne connaissons pas encore le numéro de compte (IBAN) sur lequel verser ce montant. Indiquez-le ici :\n{{ link }}\n\nLe lien reste valable jusqu'à l'envoi du remboursement.\n\nWattDesk",
        ),
        "de": (
            "Wir erstatten Ihnen {{ amount }}: Bitte nennen Sie Ihre Kontonummer",
            "Guten Tag {{ first_name }},\n\nwir erstatten Ihnen {{ amount }} ({{ reason }}, Referenz {{ refund_id }}).\n{% if offsets %}{{ offsets }} haben wir zuerst mit Ihren offenen Rechnungen verrechnet.\n{% endif %}Uns fehlt noch die Kontonummer (IBAN), auf die wir den Betrag überweisen dürfen. Bitte geben Sie sie hier ein:\n{{ link }}\n\nDer Link gilt, bis die Erstattung unterwegs ist.\n\nWattDesk",
        ),
        "en": (
            "We are refunding {{ amount }}: please give your account number",
            "Hello {{ first_name }},\n\nWe are refunding {{ amount }} to you ({{ reason }}, reference {{ refund_id }}).\n{% if offsets %}We first offset {{ offsets }} against your open invoices.\n{% endif %}We do not have an account number (IBAN) to pay it to yet. Please enter it here:\n{{ link }}\n\nThe link works until the refund has been sent.\n\nWattDesk",
        ),
    },
    "refund_iban_reminder": {
        "nl": (
            "Herinnering: uw terugbetaling van {{ amount }} wacht op uw rekeningnummer",
            "Beste {{ first_name }},\n\nUw terugbetaling van {{ amount }} (referentie {{ refund_id }}) staat klaar, maar we kennen nog geen rekeningnummer. Geef het hier op:\n{{ link }}\n\nWattDesk",
        ),
        "fr": (
            "Rappel : votre remboursement de {{ amount }} attend votre numéro de compte",
            "Bonjour {{ first_name }},\n\nVotre remboursement de {{ amount }} (référence {{ refund_id }}) est prêt, mais nous ne connaissons pas encore votre numéro de compte. Indiquez-le ici :\n{{ link }}\n\nWattDesk",
        ),
        "de": (
            "Erinnerung: Ihre Erstattung von {{ amount }} wartet auf Ihre Kontonummer",
            "Guten Tag {{ first_name }},\n\nIhre Erstattung von {{ amount }} (Referenz {{ refund_id }}) liegt bereit, aber uns fehlt noch Ihre Kontonummer. Bitte geben Sie sie hier ein:\n{{ link }}\n\nWattDesk",
        ),
        "en": (
            "Reminder: your refund of {{ amount }} is waiting for your account number",
            "Hello {{ first_name }},\n\nYour refund of {{ amount }} (reference {{ refund_id }}) is ready, but we still do not have your account number. Please enter it here:\n{{ link }}\n\nWattDesk",
        ),
    },
    "refund_sent": {
        "nl": (
            "Uw terugbetaling van {{ amount }} is onderweg",
            "Beste {{ first_name }},\n\nOp {{ date }} hebben we {{ amount }} overgeschreven naar rekening {{ iban }} (mededeling: {{ remittance }}). Afhankelijk van uw bank staat het bedrag binnen één à twee werkdagen op uw rekening.\n\nWattDesk",
        ),
        "fr": (
            "Votre remboursement de {{ amount }} est en route",
            "Bonjour {{ first_name }},\n\nLe {{ date }}, nous avons viré {{ amount }} sur le compte {{ iban }} (communication : {{ remittance }}). Selon votre banque, le montant sera sur votre compte dans un à deux jours ouvrables.\n\nWattDesk",
        ),
        "de": (
            "Ihre Erstattung von {{ amount }} ist unterwegs",
            "Guten Tag {{ first_name }},\n\nam {{ date }} haben wir {{ amount }} auf das Konto {{ iban }} überwiesen (Verwendungszweck: {{ remittance }}). Je nach Bank ist der Betrag in ein bis zwei Werktagen auf Ihrem Konto.\n\nWattDesk",
        ),
        "en": (
            "Your refund of {{ amount }} is on its way",
            "Hello {{ first_name }},\n\nOn {{ date }} we transferred {{ amount }} to account {{ iban }} (reference: {{ remittance }}). Depending on your bank, it will be in your account within one or two working days.\n\nWattDesk",
        ),
    },
}

# Why the refund is paid, in the customer's words.
REASONS: dict[str, dict[str, str]] = {
    "SETTLEMENT": {"nl": "tegoed van uw afrekening", "fr": "solde en votre faveur de votre décompte", "de": "Guthaben aus Ihrer Abrechnung", "en": "credit from your settlement"},
    "FINAL": {"nl": "tegoed van uw eindafrekening", "fr": "solde en votre faveur de votre décompte final", "de": "Guthaben aus Ihrer Schlussrechnung", "en": "credit from your final invoice"},
    "OVERPAYMENT": {"nl": "te veel betaald", "fr": "paiement excédentaire", "de": "Überzahlung", "en": "overpayment"},
    "COMPLAINT": {"nl": "compensatie na uw klacht", "fr": "compensation suite à votre plainte", "de": "Entschädigung nach Ihrer Beschwerde", "en": "compensation after your complaint"},
    "OPS": {"nl": "tegoed op uw klantenrekening", "fr": "solde en votre faveur sur votre compte client", "de": "Guthaben auf Ihrem Kundenkonto", "en": "credit on your customer account"},
    "RETURNED_TRANSFER": {"nl": "onze vorige overschrijving kwam terug", "fr": "notre virement précédent nous est revenu", "de": "unsere vorige Überweisung kam zurück", "en": "our previous transfer came back"},
    "MISTAKEN_PAYMENT": {"nl": "foutieve betaling", "fr": "paiement erroné", "de": "irrtümliche Zahlung", "en": "mistaken payment"},
}


def reason_text(source: str, language: str) -> str:
    return REASONS.get(source, REASONS["OPS"])[language]
