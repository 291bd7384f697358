"""Customer mail texts per language, rendered with Jinja2 (plain text; subject and body)."""

from __future__ import annotations

from functools import cache

from jinja2 import DictLoader, Environment, StrictUndefined

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "enrollment_received": {
        "nl": ("We hebben uw aanvraag ontvangen ({{ reference }})", "Beste {{ first_name }},\n\nWe hebben uw aanvraag goed ontvangen. Dit is nog geen contract: we controleren uw gegevens en vragen de netbeheerder om uw leveringspunt te bevestigen. Daarna krijgt u een bevestiging met de startdatum.\n\nProduct: {{ product }}\nAdres: {{ address }}\nGewenste startdatum: {{ start_date }}\nLeveringspunten: {{ eans }}\n\nVolg uw aanvraag: {{ status_link }}\n\nWattDesk"),
        "fr": ("Nous avons reçu votre demande ({{ reference }})", "Bonjour {{ first_name }},\n\nNous avons bien reçu votre demande. Ce n'est pas encore un contrat : nous vérifions vos données et demandons au gestionnaire de réseau de confirmer votre point de fourniture. Vous recevrez ensuite une confirmation avec la date de début.\n\nProduit : {{ product }}\nAdresse : {{ address }}\nDate de début souhaitée : {{ start_date }}\nPoints de fourniture : {{ eans }}\n\nSuivre votre demande : {{ status_link }}\n\nWattDesk"),
        "de": ("Wir haben Ihren Antrag erhalten ({{ reference }})", "Guten Tag {{ first_name }},\n\nwir haben Ihren Antrag erhalten. Dies ist noch kein Vertrag: Wir prüfen Ihre Angaben und bitten den Netzbetreiber, Ihre Lieferstelle zu bestätigen. Danach erhalten Sie eine Bestätigung mit dem Lieferbeginn.\n\nProdukt: {{ product }}\nAdresse: {{ address }}\nGewünschter Lieferbeginn: {{ start_date }}\nLieferstellen: {{ eans }}\n\nAntrag verfolgen: {{ status_link }}\n\nWattDesk"),
        "en": ("We received your enrollment ({{ reference }})", "Hello {{ first_name }},\n\nWe received your enrollment. This is not yet a contract: we are checking your details and asking the grid operator to confirm your delivery point. You will then get a confirmation with the start date.\n\nProduct: {{ product }}\nAddress: {{ address }}\nRequested start date: {{ start_date }}\nDelivery points: {{ eans }}\n\nFollow your enrollment: {{ status_link }}\n\nWattDesk"),
    },
    "enrollment_confirmed": {
        "nl": ("Uw contract is bevestigd: levering vanaf {{ start_date }}", "Beste {{ first_name }},\n\nWelkom bij WattDesk. Uw contract voor {{ product }} is bevestigd. De levering start op {{ start_date }}.\nUw voorschot bedraagt {{ advance }} ({{ frequency }}).\n\nUw contract downloaden: {{ contract_link }}\n\nU kunt binnen 14 dagen kosteloos afzien van dit contract via {{ status_link }}\n\nWattDesk"),
        "fr": ("Votre contrat est confirmé : fourniture à partir du {{ start_date }}", "Bonjour {{ first_name }},\n\nBienvenue chez WattDesk. Votre contrat {{ product }} est confirmé. La fourniture commence le {{ start_date }}.\nVotre acompte s'élève à {{ advance }} ({{ frequency }}).\n\nTélécharger votre contrat : {{ contract_link }}\n\nVous pouvez renoncer à ce contrat sans frais dans les 14 jours via {{ status_link }}\n\nWattDesk"),
        "de": ("Ihr Vertrag ist bestätigt: Lieferung ab {{ start_date }}", "Guten Tag {{ first_name }},\n\nwillkommen bei WattDesk. Ihr Vertrag {{ product }} ist bestätigt. Die Lieferung beginnt am {{ start_date }}.\nIhr Abschlag beträgt {{ advance }} ({{ frequency }}).\n\nVertrag herunterladen: {{ contract_link }}\n\nSie können innerhalb von 14 Tagen kostenlos widerrufen: {{ status_link }}\n\nWattDesk"),
        "en": ("Your contract is confirmed: supply from {{ start_date }}", "Hello {{ first_name }},\n\nWelcome to WattDesk. Your {{ product }} contract is confirmed. Supply starts on {{ start_date }}.\nYour advance is {{ advance }} ({{ frequency }}).\n\nDownload your contract: {{ contract_link }}\n\nYou may withdraw free of charge within 14 days at {{ status_link }}\n\nWattDesk"),
    },
    "enrollment_rejected": {
        "nl": ("Uw aanvraag kon niet worden aanvaard ({{ reference }})", "Beste {{ first_name }},\n\nHelaas kunnen we uw aanvraag niet aanvaarden.\nReden: {{ reason }}\n\nVragen? Antwoord op deze mail of bel ons.\n\nWattDesk"),
        "fr": ("Votre demande n'a pas pu être acceptée ({{ reference }})", "Bonjour {{ first_name }},\n\nNous ne pouvons malheureusement pas accepter votre demande.\nMotif : {{ reason }}\n\nDes questions ? Répondez à ce mail ou appelez-nous.\n\nWattDesk"),
        "de": ("Ihr Antrag konnte nicht angenommen werden ({{ reference }})", "Guten Tag {{ first_name }},\n\nleider können wir Ihren Antrag nicht annehmen.\nGrund: {{ reason }}\n\nFragen? Antworten Sie auf diese Mail oder rufen Sie uns an.\n\nWattDesk"),
        "en": ("Your enrollment could not be accepted ({{ reference }})", "Hello {{ first_name }},\n\nUnfortunately we cannot accept your enrollment.\nReason: {{ reason }}\n\nQuestions? Reply to this mail or call us.\n\nWattDesk"),
    },
    "enrollment_customer_request": {
        "nl": ("We hebben nog informatie nodig ({{ reference }})", "Beste {{ first_name }},\n\nOm uw aanvraag af te ronden hebben we nog het volgende nodig: {{ fields }}.\n{{ message }}\n\nVul het hier aan: {{ fix_link }}\n\nWattDesk"),
        "fr": ("Il nous manque une information ({{ reference }})", "Bonjour {{ first_name }},\n\nPour finaliser votre demande, il nous faut encore : {{ fields }}.\n{{ message }}\n\nComplétez ici : {{ fix_link }}\n\nWattDesk"),
        "de": ("Wir benötigen noch Angaben ({{ reference }})", "Guten Tag {{ first_name }},\n\num Ihren Antrag abzuschließen, benötigen wir noch: {{ fields }}.\n{{ message }}\n\nHier ergänzen: {{ fix_link }}\n\nWattDesk"),
        "en": ("We need a few more details ({{ reference }})", "Hello {{ first_name }},\n\nTo complete your enrollment we still need: {{ fields }}.\n{{ message }}\n\nComplete it here: {{ fix_link }}\n\nWattDesk"),
    },
    "enrollment_cancelled": {
        "nl": ("Uw aanvraag is geannuleerd ({{ reference }})", "Beste {{ first_name }},\n\nUw aanvraag is geannuleerd{% if withdrawal %} (herroeping binnen 14 dagen; er wordt niets geleverd en niets aangerekend){% endif %}.\n\nWattDesk"),
        "fr": ("Votre demande est annulée ({{ reference }})", "Bonjour {{ first_name }},\n\nVotre demande est annulée{% if withdrawal %} (renonciation dans les 14 jours ; rien ne sera fourni ni facturé){% endif %}.\n\nWattDesk"),
        "de": ("Ihr Antrag wurde storniert ({{ reference }})", "Guten Tag {{ first_name }},\n\nIhr Antrag wurde storniert{% if withdrawal %} (Widerruf innerhalb von 14 Tagen; es wird nichts geliefert und nichts berechnet){% endif %}.\n\nWattDesk"),
        "en": ("Your enrollment is cancelled ({{ reference }})", "Hello {{ first_name }},\n\nYour enrollment is cancelled{% if withdrawal %} (withdrawal within 14 days; nothing will be supplied or charged){% endif %}.\n\nWattDesk"),
    },
    "invoice_issued": {
        "nl": ("Uw factuur {{ number }}", "Beste {{ first_name }},\n\nIn bijlage vindt u factuur {{ number }} van {{ amount }}.\n{% if direct_debit %}We innen dit bedrag via domiciliëring rond {{ due_date }}.{% else %}Gelieve te betalen vóór {{ due_date }} met de gestructureerde mededeling {{ ogm }}, of scan de QR-code op de factuur.{% endif %}\n\nWattDesk"),
        "fr": ("Votre facture {{ number }}", "Bonjour {{ first_name }},\n\nVous trouverez en annexe la facture {{ number }} de {{ amount }}.\n{% if direct_debit %}Nous encaisserons ce montant par domiciliation vers le {{ due_date }}.{% else %}Merci de payer avant le {{ due_date }} avec la communication structurée {{ ogm }}, ou scannez le code QR de la facture.{% endif %}\n\nWattDesk"),
        "de": ("Ihre Rechnung {{ number }}", "Guten Tag {{ first_name }},\n\nanbei erhalten Sie die Rechnung {{ number }} über {{ amount }}.\n{% if direct_debit %}Wir ziehen den Betrag um den {{ due_date }} per Lastschrift ein.{% else %}Bitte zahlen Sie bis zum {{ due_date }} mit der strukturierten Mitteilung {{ ogm }} oder scannen Sie den QR-Code auf der Rechnung.{% endif %}\n\nWattDesk"),
        "en": ("Your invoice {{ number }}", "Hello {{ first_name }},\n\nPlease find attached invoice {{ number }} for {{ amount }}.\n{% if direct_debit %}We will collect this amount by direct debit around {{ due_date }}.{% else %}Please pay by {{ due_date }} with the structured reference {{ ogm }}, or scan the QR code on the invoice.{% endif %}\n\nWattDesk"),
    },
}

FREQUENCIES = {
    "monthly": {"nl": "maandelijks", "fr": "mensuel", "de": "monatlich", "en": "monthly"},
    "bimonthly": {"nl": "tweemaandelijks", "fr": "bimestriel", "de": "zweimonatlich", "en": "every two months"},
    "quarterly": {"nl": "per kwartaal", "fr": "trimestriel", "de": "vierteljährlich", "en": "quarterly"},
}


@cache
def _environment() -> Environment:
    templates = {}
    for kind, languages in TEXTS.items():
        for language, (subject, body) in languages.items():
            templates[f"{kind}.{language}.subject"] = subject
            templates[f"{kind}.{language}.body"] = body
    return Environment(loader=DictLoader(templates), undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)  # noqa: S701 - plain text mail


def render(kind: str, language: str, **values: object) -> tuple[str, str]:
    environment = _environment()
    return (
        environment.get_template(f"{kind}.{language}.subject").render(**values),
        environment.get_template(f"{kind}.{language}.body").render(**values),
    )


# Complaints (issue 9): their texts live in their own module and join the same templates.
from wattdesk.adapters.complaint_mail_texts import COMPLAINT_TEXTS  # noqa: E402

TEXTS.update(COMPLAINT_TEXTS)

# Payments and direct debit (issue 7): their texts live in their own module and join the same templates.
from wattdesk.adapters.collection_mail_texts import COLLECTION_TEXTS  # noqa: E402

TEXTS.update(COLLECTION_TEXTS)

# Group purchases (issue 11): their texts live in their own module and join the same templates.
from wattdesk.adapters.group_purchase_mail_texts import GROUP_PURCHASE_TEXTS  # noqa: E402

TEXTS.update(GROUP_PURCHASE_TEXTS)

# Billing corrections (issue 5): credit notes.
from wattdesk.adapters.billing_mail_texts import BILLING_TEXTS  # noqa: E402

TEXTS.update(BILLING_TEXTS)

# Portal (issue 10): invitation, verification codes, outage notices.
from wattdesk.adapters.portal_mail_texts import PORTAL_TEXTS  # noqa: E402

TEXTS.update(PORTAL_TEXTS)

# Refunds (issue 8), corrections and settlements (issues 5 and 6): the same one environment.
from wattdesk.adapters.correction_mail_texts import CORRECTION_TEXTS  # noqa: E402
from wattdesk.adapters.refund_mail_texts import REFUND_TEXTS  # noqa: E402
from wattdesk.adapters.settlement_mail_texts import SETTLEMENT_TEXTS  # noqa: E402

TEXTS.update(REFUND_TEXTS)
TEXTS.update(CORRECTION_TEXTS)
TEXTS.update(SETTLEMENT_TEXTS)
