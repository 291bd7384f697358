"""Collection letters as A4 PDF (fpdf2, like adapters.invoice_pdf): the reminder, the formal notice,
and the payment plan's agreement protocol, in the customer's language.

Core fonts are Latin-1 (documents.latin1): no euro sign ("EUR"), no typographic quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

from wattdesk.adapters.documents import LOCALES, _Latin1PDF, long_date, money
from wattdesk.adapters.invoice_pdf import SUPPLIER

# The personal advisors' team (Flemish rules: letters name the advisor's contact).
ADVISOR = {"phone": "+32 2 555 01 20", "email": "advisor@wattdesk.example"}

TITLES = {
    "reminder": {"nl": "Herinnering", "fr": "Rappel", "de": "Zahlungserinnerung", "en": "Payment reminder"},
    "formal_notice": {"nl": "Ingebrekestelling", "fr": "Mise en demeure", "de": "Inverzugsetzung", "en": "Formal notice"},
    "agreement": {"nl": "Afbetalingsprotocol", "fr": "Protocole d'accord de paiement", "de": "Vereinbarungsprotokoll Ratenzahlung", "en": "Payment plan agreement protocol"},
}

LABELS = {
    "nl": {
        "date": "Datum", "customer_number": "Klantnummer", "reference": "Onze referentie", "invoice": "Factuur", "due": "Vervaldag", "invoice_amount": "Factuurbedrag", "open": "Nog open op de factuur",
        "fee": "Kosten van deze brief", "total": "Te betalen", "deadline": "Te betalen vóór", "ogm": "Gestructureerde mededeling", "account": "Rekening",
        "registered": "Aangetekend verzonden.", "fee_reason": "Grondslag kosten",
        "options": "Uw mogelijkheden", "plan": "Een betalingsplan: vraag het aan in uw klantenzone of bij uw adviseur.",
        "social": "Sociale begeleiding: het OCMW van uw gemeente ({municipality}) kan u helpen.",
        "advisor": "Uw persoonlijke adviseur: {phone}, {email}.",
        "paid": "Hebt u intussen betaald? Dan mag u deze brief als onbestaande beschouwen.",
        "plan_id": "Plan", "invoices": "Facturen in het plan", "debt": "Totaal bedrag", "accepted": "Aanvaard op", "instalment": "Afbetaling", "amount": "Bedrag",
        "terms": "Voorwaarden: elke afbetaling wordt betaald met haar eigen mededeling. Zolang het plan gevolgd wordt, worden voor deze facturen geen herinneringen gestuurd. Een gemiste afbetaling krijgt één herinnering; is ze 15 dagen later nog niet betaald, dan vervalt het plan en wordt het resterende bedrag opnieuw opeisbaar.",
        "approved": "Meer dan 6 afbetalingen, goedgekeurd door een supervisor. Reden: {reason}",
    },
    "fr": {
        "date": "Date", "customer_number": "N° de client", "reference": "Notre référence", "invoice": "Facture", "due": "Échéance", "invoice_amount": "Montant de la facture", "open": "Reste ouvert sur la facture",
        "fee": "Frais de ce courrier", "total": "À payer", "deadline": "À payer avant le", "ogm": "Communication structurée", "account": "Compte",
        "registered": "Envoyé par recommandé.", "fee_reason": "Base des frais",
        "options": "Vos possibilités", "plan": "Un plan de paiement : demandez-le dans votre espace client ou à votre conseiller.",
        "social": "Accompagnement social : le CPAS de votre commune ({municipality}) peut vous aider.",
        "advisor": "Votre conseiller personnel : {phone}, {email}.",
        "paid": "Vous avez payé entre-temps ? Ne tenez pas compte de ce courrier.",
        "plan_id": "Plan", "invoices": "Factures du plan", "debt": "Montant total", "accepted": "Accepté le", "instalment": "Mensualité", "amount": "Montant",
        "terms": "Conditions : chaque mensualité est payée avec sa propre communication. Tant que le plan est respecté, aucun rappel n'est envoyé pour ces factures. Une mensualité manquée fait l'objet d'un rappel ; si elle reste impayée 15 jours plus tard, le plan prend fin et le solde redevient exigible.",
        "approved": "Plus de 6 mensualités, approuvé par un superviseur. Motif : {reason}",
    },
    "de": {
        "date": "Datum", "customer_number": "Kundennummer", "reference": "Unser Zeichen", "invoice": "Rechnung", "due": "Fällig am", "invoice_amount": "Rechnungsbetrag", "open": "Noch offen auf der Rechnung",
        "fee": "Kosten dieses Schreibens", "total": "Zu zahlen", "deadline": "Zu zahlen bis", "ogm": "Strukturierte Mitteilung", "account": "Konto",
        "registered": "Per Einschreiben versandt.", "fee_reason": "Grundlage der Kosten",
        "options": "Ihre Möglichkeiten", "plan": "Ein Zahlungsplan: beantragen Sie ihn im Kundenbereich oder bei Ihrem Berater.",
        "social": "Soziale Begleitung: das ÖSHZ Ihrer Gemeinde ({municipality}) kann helfen.",
        "advisor": "Ihr persönlicher Berater: {phone}, {email}.",
        "paid": "Haben Sie inzwischen bezahlt? Dann betrachten Sie dieses Schreiben als gegenstandslos.",
        "plan_id": "Plan", "invoices": "Rechnungen im Plan", "debt": "Gesamtbetrag", "accepted": "Angenommen am", "instalment": "Rate", "amount": "Betrag",
        "terms": "Bedingungen: Jede Rate wird mit ihrer eigenen Mitteilung gezahlt. Solange der Plan eingehalten wird, gibt es für diese Rechnungen keine Erinnerungen. Eine versäumte Rate erhält eine Erinnerung; ist sie 15 Tage später noch offen, endet der Plan und der Restbetrag wird wieder fällig.",
        "approved": "Mehr als 6 Raten, von einem Supervisor genehmigt. Grund: {reason}",
    },
    "en": {
        "date": "Date", "customer_number": "Customer number", "reference": "Our reference", "invoice": "Invoice", "due": "Due date", "invoice_amount": "Invoice amount", "open": "Still open on the invoice",
        "fee": "Cost of this letter", "total": "Amount to pay", "deadline": "Pay by", "ogm": "Structured reference", "account": "Account",
        "registered": "Sent by registered mail.", "fee_reason": "Basis of the fee",
        "options": "Your options", "plan": "A payment plan: ask for it in your customer area or from your advisor.",
        "social": "Social support: the OCMW/CPAS of your municipality ({municipality}) can help you.",
        "advisor": "Your personal advisor: {phone}, {email}.",
        "paid": "If you have paid in the meantime, please disregard this letter.",
        "plan_id": "Plan", "invoices": "Invoices in the plan", "debt": "Total amount", "accepted": "Accepted on", "instalment": "Instalment", "amount": "Amount",
        "terms": "Terms: each instalment is paid with its own reference. As long as the plan is kept, no reminders are sent for these invoices. A missed instalment gets one reminder; if it is still unpaid 15 days later, the plan ends and the remaining amount is due again.",
        "approved": "More than 6 instalments, approved by a supervisor. Reason: {reason}",
    },
}


@dataclass(frozen=True)
class CollectionLetter:
    kind: str  # reminder | formal_notice
    language: str
    letter_date: date
    customer_name: str
    customer_address: Sequence[str]
    customer_number: str
    invoice_number: str
    invoice_amount: Decimal
    due_date: date
    open_before_fee: Decimal
    fee: Decimal
    fee_reason: str
    deadline: date
    ogm: str
    municipality: str
    registered: bool
    mentions: Sequence[str] = ("payment_plan", "social_support", "advisor")
    reference: str = ""  # quote it in a complaint about this letter


@dataclass(frozen=True)
class AgreementProtocol:
    language: str
    plan_id: str
    accepted_on: date
    customer_name: str
    customer_address: Sequence[str]
    customer_number: str
    invoices: Sequence[tuple[str, Decimal]]
    debt: Decimal
    instalments: Sequence[tuple[int, Decimal, date, str]]  # number, amount, due date, OGM
    approval_reason: str | None = None


def _header(pdf: _Latin1PDF, language: str, title: str, name: str, address: Sequence[str], when: date, customer_number: str) -> None:
    supplier_name, supplier_address = SUPPLIER.printed(language)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, supplier_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in supplier_address:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_x(110)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 5, "\n".join([name, *address]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    labels = LABELS[language]
    pdf.cell(0, 6, f"{labels['date']}: {long_date(when, language)}    {labels['customer_number']}: {customer_number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)


def _row(pdf: _Latin1PDF, label: str, value: str, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(70, 7, label)
    pdf.set_font("Helvetica", "B" if bold else "", 11)
    pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")


def render_letter(letter: CollectionLetter) -> bytes:
    if letter.language not in LOCALES:
        raise ValueError(f"unsupported letter language {letter.language!r}")
    labels = LABELS[letter.language]
    language = letter.language
    pdf = _Latin1PDF(format="A4")
    pdf.set_title(f"{TITLES[letter.kind][language]} {letter.invoice_number}")
    _header(pdf, language, TITLES[letter.kind][language], letter.customer_name, letter.customer_address, letter.letter_date, letter.customer_number)
    if letter.registered:
        pdf.set_font("Helvetica", "I", 10)
        pdf.cell(0, 6, labels["registered"], new_x="LMARGIN", new_y="NEXT")
    if letter.reference:
        _row(pdf, labels["reference"], letter.reference)
    _row(pdf, labels["invoice"], letter.invoice_number)
    _row(pdf, labels["due"], long_date(letter.due_date, language))
    _row(pdf, labels["invoice_amount"], money(letter.invoice_amount, language))
    _row(pdf, labels["open"], money(letter.open_before_fee, language))
    _row(pdf, labels["fee"], money(letter.fee, language))
    if letter.fee:
        _row(pdf, labels["fee_reason"], letter.fee_reason)
    _row(pdf, labels["total"], money(letter.open_before_fee + letter.fee, language), bold=True)
    _row(pdf, labels["deadline"], long_date(letter.deadline, language), bold=True)
    _row(pdf, labels["ogm"], letter.ogm)
    _row(pdf, labels["account"], f"{SUPPLIER.iban_display} (BIC {SUPPLIER.bic})")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, labels["options"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    texts = {
        "payment_plan": labels["plan"],
        "social_support": labels["social"].format(municipality=letter.municipality),
        "advisor": labels["advisor"].format(**ADVISOR),
    }
    for mention in letter.mentions:
        pdf.multi_cell(0, 6, f"- {texts[mention]}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 6, labels["paid"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_agreement(protocol: AgreementProtocol) -> bytes:
    language = protocol.language
    labels = LABELS[language]
    pdf = _Latin1PDF(format="A4")
    pdf.set_title(f"{TITLES['agreement'][language]} {protocol.plan_id}")
    _header(pdf, language, TITLES["agreement"][language], protocol.customer_name, protocol.customer_address, protocol.accepted_on, protocol.customer_number)
    _row(pdf, labels["plan_id"], protocol.plan_id)
    _row(pdf, labels["accepted"], long_date(protocol.accepted_on, language))
    _row(pdf, labels["invoices"], ", ".join(f"{number} ({money(amount, language)})" for number, amount in protocol.invoices))
    _row(pdf, labels["debt"], money(protocol.debt, language), bold=True)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    for width, text in ((25, labels["instalment"]), (40, labels["amount"]), (50, labels["due"]), (0, labels["ogm"])):
        pdf.cell(width, 7, text, border="B", new_x="RIGHT", new_y="TOP") if width else pdf.cell(0, 7, text, border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for number, amount, due, ogm in protocol.instalments:
        pdf.cell(25, 7, str(number))
        pdf.cell(40, 7, money(amount, language))
        pdf.cell(50, 7, long_date(due, language))
        pdf.cell(0, 7, ogm, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if protocol.approval_reason:
        pdf.multi_cell(0, 6, labels["approved"].format(reason=protocol.approval_reason), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, labels["terms"], new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, labels["advisor"].format(**ADVISOR), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
