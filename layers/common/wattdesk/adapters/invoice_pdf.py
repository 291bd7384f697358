"""Invoices and credit notes as A4 PDF (fpdf2), in the customer's language, with an EPC payment QR code.

What the caller gives is an ``InvoiceDocument``: plain data, with lines and totals duck-typed on the
attribute names of ``wattdesk.domain.invoice`` (InvoiceLine: description_key, parameters, quantity,
unit, unit_price, amount, vat_rate, vat_amount; InvoiceTotals: excl_vat, vat, incl_vat, vat_summary
as (rate, base, vat) rows). Storing the PDF is the caller's business:
``documents.store_document("invoices", f"invoice-{number}.pdf", render_invoice(document))``.

Formatting follows ``documents``: amounts with ``documents.money`` and dates with
``documents.long_date`` (babel, locales from ``documents.LOCALES``), so the PDF shows the same
amount and due date as the mail that carries it. Core fonts are Latin-1 (see ``documents.latin1``):
no euro sign, no typographic dashes or quotes in the texts below.

Payment QR code: EPC069-12 ("SEPA credit transfer" QR, version 002, UTF-8), made by
``segno.helpers.make_epc_qr``. The OGM goes in as its 12 bare digits in the *structured*
remittance field, which is how Belgian banking apps recognise a structured communication
(the "+++123/4567/89012+++" decoration is for people, not for the payload). The code is only
printed when there is something to transfer: not on a credit note, not when the total including
VAT is zero or in the customer's favour, and not when the amount is collected by direct debit.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import segno.helpers
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from wattdesk.adapters.documents import LOCALES, _Latin1PDF, long_date, money
from wattdesk.domain.money import to_cents
from wattdesk.domain.ogm import ogm_digits, validate_ogm

KINDS = ("advance", "settlement", "final", "extraordinary", "credit_note")

# EPC QR amounts: at least one cent, at most 999,999,999.99 (EPC069-12).
_EPC_MIN = Decimal("0.01")
_EPC_MAX = Decimal("999999999.99")


@dataclass(frozen=True)
class Supplier:
    """Who issues the invoice. ``name`` is the account holder's name: it goes into the payment QR
    code, where the payer's bank compares it with the IBAN's holder (verification of payee), so it
    never changes with the language. ``localized`` gives the printed name and address per
    language (Brussels: Dutch and French street names), falling back to ``name``/``address``."""

    name: str
    address: tuple[str, ...]
    vat_number: str
    iban: str
    bic: str
    phone: str
    email: str
    localized: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, hash=False)

    def printed(self, language: str) -> tuple[str, tuple[str, ...]]:
        """(name, address lines) as printed on a document in ``language``."""
        return self.localized.get(language, (self.name, self.address))

    @property
    def iban_display(self) -> str:
        compact = self.iban.replace(" ", "").upper()
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))

    @property
    def vat_display(self) -> str:
        """BE0403170701 -> BE 0403.170.701 (as Belgian documents print it)."""
        compact = self.vat_number.replace(" ", "").replace(".", "").upper()
        if re.fullmatch(r"BE\d{10}", compact):
            digits = compact[2:]
            return f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}"
        return self.vat_number


SUPPLIER = Supplier(
    name="WattDesk NV",
    address=("Voorbeeldstraat 1", "1000 Brussel"),
    vat_number="BE0403170701",
    iban="BE68539007547034",
    bic="GKCCBEBB",
    phone="+32 2 555 01 00",
    email="billing@wattdesk.example",
    # As on the contract (documents.CONTRACT_LABELS footers).
    localized={
        "nl": ("WattDesk NV", ("Voorbeeldstraat 1", "1000 Brussel")),
        "fr": ("WattDesk SA", ("Rue Exemple 1", "1000 Bruxelles")),
        "de": ("WattDesk AG", ("Beispielstraße 1", "1000 Brüssel")),
        "en": ("WattDesk NV", ("Example Street 1", "1000 Brussels")),
    },
)


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    kind: str
    language: str
    issue_date: date
    due_date: date | None
    ogm: str
    customer_name: str
    customer_address: Sequence[str]
    customer_number: str
    lines: Sequence[Any]
    totals: Any
    vat_number: str | None = None
    delivery_points: Sequence[tuple[str, str, str]] = ()
    period: tuple[date, date] | None = None
    corrects: str | None = None
    notes: Sequence[str] = ()
    # The amount is collected by SEPA direct debit: no "scan to pay" QR code (it would be paid twice).
    direct_debit: bool = False

    def __post_init__(self) -> None:
        if self.language not in LOCALES:
            raise ValueError(f"unsupported invoice language {self.language!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown invoice kind {self.kind!r}")
        # Raises DomainError (ogm.format / ogm.check): an invoice with a wrong OGM must not go out.
        validate_ogm(self.ogm)


# --- texts ----------------------------------------------------------------------------------------

TITLES: dict[str, dict[str, str]] = {
    "advance": {"nl": "Voorschotfactuur", "fr": "Facture d'acompte", "de": "Abschlagsrechnung", "en": "Advance invoice"},
    "settlement": {"nl": "Afrekeningsfactuur", "fr": "Facture de régularisation", "de": "Abrechnung", "en": "Settlement invoice"},
    "final": {"nl": "Eindafrekening", "fr": "Facture de clôture", "de": "Schlussrechnung", "en": "Final invoice"},
    "extraordinary": {"nl": "Uitzonderlijke factuur", "fr": "Facture exceptionnelle", "de": "Sonderrechnung", "en": "Extraordinary invoice"},
    "credit_note": {"nl": "Creditnota", "fr": "Note de crédit", "de": "Gutschrift", "en": "Credit note"},
}

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "number": "Nummer", "issue_date": "Datum", "due_date": "Vervaldatum", "customer_number": "Klantnummer",
        "vat_number": "Btw-nummer", "ogm": "Mededeling", "period": "Periode", "points": "Leveringspunten",
        "description": "Omschrijving", "quantity": "Hoeveelheid", "unit": "Eenheid", "unit_price": "Eenheidsprijs (EUR)",
        "amount": "Bedrag excl. btw (EUR)", "vat_rate": "Btw", "vat_summary": "Btw-overzicht", "rate": "Tarief",
        "base": "Maatstaf (EUR)", "vat": "Btw (EUR)", "excl_vat": "Totaal excl. btw", "vat_total": "Btw",
        "incl_vat": "Totaal incl. btw", "to_pay": "Te betalen", "in_favour": "In uw voordeel", "account": "Rekening",
        "scan": "Scan om te betalen", "notes": "Opmerkingen", "page": "Pagina", "vat_short": "Btw",
        "pay": "Gelieve {amount} te betalen vóór {due} op rekening {iban} (BIC {bic}) met de gestructureerde mededeling {ogm}.",
        "pay_no_due": "Gelieve {amount} te betalen op rekening {iban} (BIC {bic}) met de gestructureerde mededeling {ogm}.",
        "direct_debit": "Dit bedrag wordt rond {due} via domiciliëring van uw rekening geïnd. U hoeft niets te doen.",
        "nothing": "Er is niets te betalen.",
        "refund": "Dit bedrag in uw voordeel storten we terug op uw rekening.",
        "corrects": "Deze creditnota corrigeert factuur {invoice}.",
        "credit": "Dit bedrag wordt u terugbetaald of verrekend met een volgende factuur.",
        "credit_vat": "Btw terug te storten aan de Staat in de mate waarin ze oorspronkelijk in aftrek werd gebracht.",
        "electricity": "Elektriciteit", "gas": "Aardgas",
    },
    "fr": {
        "number": "Numéro", "issue_date": "Date", "due_date": "Échéance", "customer_number": "N° de client",
        "vat_number": "N° de TVA", "ogm": "Communication", "period": "Période", "points": "Points de fourniture",
        "description": "Description", "quantity": "Quantité", "unit": "Unité", "unit_price": "Prix unitaire (EUR)",
        "amount": "Montant HTVA (EUR)", "vat_rate": "TVA", "vat_summary": "Récapitulatif TVA", "rate": "Taux",
        "base": "Base (EUR)", "vat": "TVA (EUR)", "excl_vat": "Total HTVA", "vat_total": "TVA",
        "incl_vat": "Total TVAC", "to_pay": "À payer", "in_favour": "En votre faveur", "account": "Compte",
        "scan": "Scannez pour payer", "notes": "Remarques", "page": "Page", "vat_short": "TVA",
        "pay": "Merci de payer {amount} avant le {due} sur le compte {iban} (BIC {bic}) avec la communication structurée {ogm}.",
        "pay_no_due": "Merci de payer {amount} sur le compte {iban} (BIC {bic}) avec la communication structurée {ogm}.",
        "direct_debit": "Ce montant sera encaissé par domiciliation sur votre compte vers le {due}. Vous n'avez rien à faire.",
        "nothing": "Il n'y a rien à payer.",
        "refund": "Nous vous remboursons ce montant en votre faveur sur votre compte.",
        "corrects": "Cette note de crédit corrige la facture {invoice}.",
        "credit": "Ce montant vous sera remboursé ou déduit d'une prochaine facture.",
        "credit_vat": "TVA à reverser à l'État dans la mesure où elle a été initialement déduite.",
        "electricity": "Électricité", "gas": "Gaz naturel",
    },
    "de": {
        "number": "Nummer", "issue_date": "Datum", "due_date": "Fällig am", "customer_number": "Kundennummer",
        "vat_number": "MwSt.-Nummer", "ogm": "Mitteilung", "period": "Zeitraum", "points": "Lieferstellen",
        "description": "Beschreibung", "quantity": "Menge", "unit": "Einheit", "unit_price": "Einzelpreis (EUR)",
        "amount": "Betrag ohne MwSt. (EUR)", "vat_rate": "MwSt.", "vat_summary": "MwSt.-Übersicht", "rate": "Satz",
        "base": "Grundlage (EUR)", "vat": "MwSt. (EUR)", "excl_vat": "Gesamt ohne MwSt.", "vat_total": "MwSt.",
        "incl_vat": "Gesamt inkl. MwSt.", "to_pay": "Zu zahlen", "in_favour": "Zu Ihren Gunsten", "account": "Konto",
        "scan": "Zum Bezahlen scannen", "notes": "Hinweise", "page": "Seite", "vat_short": "MwSt.",
        "pay": "Bitte überweisen Sie {amount} bis zum {due} auf das Konto {iban} (BIC {bic}) mit der strukturierten Mitteilung {ogm}.",
        "pay_no_due": "Bitte überweisen Sie {amount} auf das Konto {iban} (BIC {bic}) mit der strukturierten Mitteilung {ogm}.",
        "direct_debit": "Wir ziehen diesen Betrag um den {due} per Lastschrift von Ihrem Konto ein. Sie müssen nichts tun.",
        "nothing": "Es ist nichts zu zahlen.",
        "refund": "Diesen Betrag zu Ihren Gunsten überweisen wir auf Ihr Konto.",
        "corrects": "Diese Gutschrift berichtigt die Rechnung {invoice}.",
        "credit": "Dieser Betrag wird Ihnen erstattet oder mit einer nächsten Rechnung verrechnet.",
        "credit_vat": "An den Staat zurückzuzahlende MwSt., soweit sie ursprünglich abgezogen wurde.",
        "electricity": "Strom", "gas": "Erdgas",
    },
    "en": {
        "number": "Number", "issue_date": "Date", "due_date": "Due date", "customer_number": "Customer number",
        "vat_number": "VAT number", "ogm": "Reference", "period": "Period", "points": "Delivery points",
        "description": "Description", "quantity": "Quantity", "unit": "Unit", "unit_price": "Unit price (EUR)",
        "amount": "Amount excl. VAT (EUR)", "vat_rate": "VAT", "vat_summary": "VAT summary", "rate": "Rate",
        "base": "Taxable (EUR)", "vat": "VAT (EUR)", "excl_vat": "Total excl. VAT", "vat_total": "VAT",
        "incl_vat": "Total incl. VAT", "to_pay": "Amount due", "in_favour": "In your favour", "account": "Account",
        "scan": "Scan to pay", "notes": "Notes", "page": "Page", "vat_short": "VAT",
        "pay": "Please pay {amount} by {due} to account {iban} (BIC {bic}) quoting the structured reference {ogm}.",
        "pay_no_due": "Please pay {amount} to account {iban} (BIC {bic}) quoting the structured reference {ogm}.",
        "direct_debit": "We will collect this amount from your account by direct debit around {due}. You need not do anything.",
        "nothing": "There is nothing to pay.",
        "refund": "We will refund this amount in your favour to your account.",
        "corrects": "This credit note corrects invoice {invoice}.",
        "credit": "This amount will be refunded to you or set off against a next invoice.",
        "credit_vat": "VAT to be repaid to the State insofar as it was initially deducted.",
        "electricity": "Electricity", "gas": "Natural gas",
    },
}

# Invoice line descriptions by description key. Each language has one text or a tuple of
# variants, most detailed first: the first whose {parameters} the line has all is used, so
# "energy" prints the product and the index of a variable price when pricing gives them.
# Parameters are shown in the language (see _parameter): ISO dates ("2027-01-31") as medium dates,
# months ("2027-01") as "januari 2027", registers and energies by name, VAT rates as percentages.
# "from"/"to" (pricing) and "start"/"end" are the same parameters (_ALIASES).
# Keys used by domain.invoice and domain.pricing: advance, energy, network, levies, network_fee,
# fixed_fee, credit (and any key again on a credit note's negated lines).
LINE_TEXTS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "advance": {
        "nl": ("Voorschot {month}", "Voorschot"),
        "fr": ("Acompte {month}", "Acompte"),
        "de": ("Abschlag {month}", "Abschlag"),
        "en": ("Advance {month}", "Advance"),
    },
    "energy": {
        "nl": (
            "Energie: {product}, {register}, {start} - {end} (index {index} {index_month}: {index_value})",
            "Energie: {product}, {register}, {start} - {end}",
            "Energie {register}, {start} - {end}",
        ),
        "fr": (
            "Énergie : {product}, {register}, {start} - {end} (indice {index} {index_month} : {index_value})",
            "Énergie : {product}, {register}, {start} - {end}",
            "Énergie {register}, {start} - {end}",
        ),
        "de": (
            "Energie: {product}, {register}, {start} - {end} (Index {index} {index_month}: {index_value})",
            "Energie: {product}, {register}, {start} - {end}",
            "Energie {register}, {start} - {end}",
        ),
        "en": (
            "Energy: {product}, {register}, {start} - {end} (index {index} {index_month}: {index_value})",
            "Energy: {product}, {register}, {start} - {end}",
            "Energy {register}, {start} - {end}",
        ),
    },
    "network": {
        "nl": "Netwerkkosten, {start} - {end}",
        "fr": "Frais de réseau, {start} - {end}",
        "de": "Netzkosten, {start} - {end}",
        "en": "Network costs, {start} - {end}",
    },
    "levies": {
        "nl": "Heffingen en bijdragen, {start} - {end}",
        "fr": "Taxes et contributions, {start} - {end}",
        "de": "Abgaben und Beiträge, {start} - {end}",
        "en": "Levies and contributions, {start} - {end}",
    },
    "network_fee": {
        "nl": "Vaste netvergoeding (meting en databeheer), {start} - {end}",
        "fr": "Redevance fixe de réseau (comptage et gestion des données), {start} - {end}",
        "de": "Feste Netzgebühr (Messung und Datenverwaltung), {start} - {end}",
        "en": "Fixed network fee (metering and data management), {start} - {end}",
    },
    "fixed_fee": {
        "nl": ("Vaste vergoeding: {product}, {start} - {end}", "Vaste vergoeding, {start} - {end}"),
        "fr": ("Redevance fixe : {product}, {start} - {end}", "Redevance fixe, {start} - {end}"),
        "de": ("Grundgebühr: {product}, {start} - {end}", "Grundgebühr, {start} - {end}"),
        "en": ("Fixed fee: {product}, {start} - {end}", "Fixed fee, {start} - {end}"),
    },
    "advance_deduction": {
        "nl": ("Aftrek van de gefactureerde voorschotten (aantal: {count})", "Aftrek van de gefactureerde voorschotten"),
        "fr": ("Déduction des acomptes facturés (nombre : {count})", "Déduction des acomptes facturés"),
        "de": ("Abzug der in Rechnung gestellten Abschläge (Anzahl: {count})", "Abzug der in Rechnung gestellten Abschläge"),
        "en": ("Deduction of the advances invoiced (number: {count})", "Deduction of the advances invoiced"),
    },
    "welcome_credit": {
        "nl": ("Welkomstkorting {campaign}", "Welkomstkorting"),
        "fr": ("Réduction de bienvenue {campaign}", "Réduction de bienvenue"),
        "de": ("Willkommensgutschrift {campaign}", "Willkommensgutschrift"),
        "en": ("Welcome credit {campaign}", "Welcome credit"),
    },
    "referral_credit": {
        "nl": "Aanbrengkorting (klant-maakt-klant)",
        "fr": "Réduction de parrainage",
        "de": "Empfehlungsgutschrift",
        "en": "Referral credit",
    },
    "extraordinary": {
        "nl": ("Uitzonderlijke aanrekening: {reason}", "Uitzonderlijke aanrekening"),
        "fr": ("Facturation exceptionnelle : {reason}", "Facturation exceptionnelle"),
        "de": ("Sonderberechnung: {reason}", "Sonderberechnung"),
        "en": ("Extraordinary charge: {reason}", "Extraordinary charge"),
    },
    "credit": {
        "nl": ("Creditering van factuur {invoice}", "Creditering ({vat_rate} btw)", "Creditering"),
        "fr": ("Crédit de la facture {invoice}", "Crédit (TVA {vat_rate})", "Crédit"),
        "de": ("Gutschrift zur Rechnung {invoice}", "Gutschrift (MwSt. {vat_rate})", "Gutschrift"),
        "en": ("Credit of invoice {invoice}", "Credit ({vat_rate} VAT)", "Credit"),
    },
}

# Parameter names that mean the same thing; templates use the second.
_ALIASES = {"from": "start", "to": "end"}

REGISTER_TEXTS: dict[str, dict[str, str]] = {
    "single": {"nl": "enkelvoudig tarief", "fr": "tarif simple", "de": "Einheitstarif", "en": "single rate"},
    "day": {"nl": "dagtarief", "fr": "tarif jour", "de": "Tagtarif", "en": "day rate"},
    "night": {"nl": "nachttarief", "fr": "tarif nuit", "de": "Nachttarif", "en": "night rate"},
    "exclusive_night": {"nl": "exclusief nachttarief", "fr": "tarif exclusif nuit", "de": "exklusiver Nachttarif", "en": "exclusive night rate"},
    "gas": {"nl": "aardgas", "fr": "gaz naturel", "de": "Erdgas", "en": "natural gas"},
}

UNIT_TEXTS: dict[str, dict[str, str]] = {
    "kWh": {"nl": "kWh", "fr": "kWh", "de": "kWh", "en": "kWh"},
    "m3": {"nl": "m³", "fr": "m³", "de": "m³", "en": "m³"},
    "day": {"nl": "dag", "fr": "jour", "de": "Tag", "en": "day"},
    "days": {"nl": "dagen", "fr": "jours", "de": "Tage", "en": "days"},
    "month": {"nl": "maand", "fr": "mois", "de": "Monat", "en": "month"},
    "year": {"nl": "jaar", "fr": "an", "de": "Jahr", "en": "year"},
    "piece": {"nl": "stuk", "fr": "pièce", "de": "Stück", "en": "piece"},
}

# Notes may be keys of this table or ready-made text (printed as given).
NOTE_TEXTS: dict[str, dict[str, str]] = {
    "estimated_reading": {
        "nl": "Deze factuur is gebaseerd op een geschatte meterstand.",
        "fr": "Cette facture est basée sur un relevé estimé.",
        "de": "Diese Rechnung beruht auf einem geschätzten Zählerstand.",
        "en": "This invoice is based on an estimated meter reading.",
    },
}

# French puts a (no-break) space before a colon.
_COLON = {"nl": ": ", "fr": "\xa0: ", "de": ": ", "en": ": "}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"\d{4}-\d{2}")


# --- formatting -----------------------------------------------------------------------------------


def _unbroken(text: str) -> str:
    """Keeps a date, amount or IBAN on one line ("31. Januar" / "2027" reads badly): no-break spaces."""
    return text.replace("\u202f", "\xa0").replace(" ", "\xa0")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def _number(value: Any, language: str, pattern: str) -> str:
    if value is None or value == "":
        return ""
    return format_decimal(_decimal(value), format=pattern, locale=LOCALES[language])


def _amount(value: Any, language: str) -> str:
    return _number(value, language, "#,##0.00")


def _vat_rate(value: Any, language: str) -> str:
    """0.06 -> "6%" (nl, en) or "6 %" (fr, de); a rate given as a percentage (21) is taken as such."""
    if value is None or value == "":
        return ""
    rate = _decimal(value)
    if rate >= 1:
        rate = rate / 100
    pattern = Locale.parse(LOCALES[language]).percent_formats[None].pattern
    pattern = re.sub(r"0(?=[^0#]*%)", "0.##", pattern, count=1)
    return format_percent(rate, format=pattern, locale=LOCALES[language])


def _line_date(day: date, language: str) -> str:
    """Dates inside a line description: babel's medium format ("1 dec 2026", "01.12.2026") keeps
    a line with a period on two rows at most; the document's own dates are long."""
    return format_date(day, format="medium", locale=LOCALES[language])


def _month(day: date, language: str) -> str:
    return format_date(day, format="LLLL y", locale=LOCALES[language])


# Parameters shown as a locale-formatted number or percentage rather than as given.
# Energy prices per kWh read best with 4 decimals at least (0,1240), other unit prices with 2.
_ENERGY_UNITS = {"kWh", "m3"}

_NUMBER_PARAMETERS = {"index_value": "#,##0.00####", "count": "#,##0"}
_PERCENT_PARAMETERS = {"vat_rate"}


def _parameter(name: str, value: Any, language: str) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _unbroken(_line_date(value, language))
    text = "" if value is None else str(value)
    if name == "register" and text in REGISTER_TEXTS:
        return REGISTER_TEXTS[text][language]
    if name == "energy" and text in ("electricity", "gas"):
        return LABELS[language][text]
    try:
        if name in _NUMBER_PARAMETERS:
            return _number(text, language, _NUMBER_PARAMETERS[name])
        if name in _PERCENT_PARAMETERS:
            return _vat_rate(text, language)
    except ArithmeticError:  # decimal.InvalidOperation: not a number, print as given
        return text
    try:
        if _ISO_DATE.fullmatch(text):
            return _unbroken(_line_date(date.fromisoformat(text), language))
        if _ISO_MONTH.fullmatch(text):
            return _unbroken(_month(date.fromisoformat(f"{text}-01"), language))
    except ValueError:
        pass  # "2027-13": not a date after all, print as given
    return text


def line_text(key: str, parameters: Mapping[str, Any] | None, language: str) -> str:
    """The description of an invoice line in ``language``.

    Never fails: an unknown key, or a known key without the parameters any of its texts need,
    prints the key and its parameters ("mystery (foo: bar)")."""
    shown = {name: _parameter(name, value, language) for name, value in dict(parameters or {}).items()}
    for alias, name in _ALIASES.items():
        if alias in shown and name not in shown:
            shown[name] = shown[alias]
    texts = LINE_TEXTS.get(key, {}).get(language) if isinstance(key, str) else None
    for template in (texts,) if isinstance(texts, str) else texts or ():
        try:
            return template.format_map(shown)
        except (KeyError, IndexError, ValueError):
            continue
    details = ", ".join(f"{name}: {value}" for name, value in dict(parameters or {}).items())
    return f"{key} ({details})" if details else str(key)


def _unit(unit: Any, language: str) -> str:
    if not unit:
        return ""
    return UNIT_TEXTS.get(str(unit), {}).get(language, str(unit))


def _note(note: str, language: str) -> str:
    return NOTE_TEXTS.get(note, {}).get(language, note)


# --- payment QR -----------------------------------------------------------------------------------


def amount_to_pay(document: InvoiceDocument) -> Decimal | None:
    """What the customer transfers, or None: credit notes, zero or negative totals and direct
    debits have no transfer (and so no QR code)."""
    if document.kind == "credit_note" or document.direct_debit:
        return None
    total = to_cents(_decimal(document.totals.incl_vat))
    return total if _EPC_MIN <= total <= _EPC_MAX else None


def _epc_arguments(document: InvoiceDocument, supplier: Supplier) -> dict[str, Any]:
    return {
        "name": supplier.name,
        "iban": supplier.iban.replace(" ", "").upper(),
        "bic": supplier.bic,
        "amount": amount_to_pay(document),
        # Belgian banks read a 12-digit structured reference as the OGM (+++ and / are decoration).
        "reference": ogm_digits(document.ogm),
        "encoding": "utf-8",
    }


def _epc_qr(document: InvoiceDocument, supplier: Supplier) -> Any:
    if amount_to_pay(document) is None:
        return None
    return segno.helpers.make_epc_qr(**_epc_arguments(document, supplier))


def _qr_png(qr: Any) -> io.BytesIO:
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


# --- layout ---------------------------------------------------------------------------------------

_MARGIN = 15
_WIDTH = 210 - 2 * _MARGIN
_GREY = (110, 110, 110)
_LIGHT = (235, 239, 244)
_ACCENT = (20, 70, 130)


class _InvoicePDF(_Latin1PDF):
    def __init__(self, header_text: str, footer_text: str, page_label: str) -> None:
        super().__init__(format="A4")
        self._header_text = header_text
        self._footer_text = footer_text
        self._page_label = page_label

    def header(self) -> None:
        # Continuation pages say which document they belong to.
        if self.page_no() > 1:
            self.set_font("Helvetica", size=8)
            self.set_text_color(*_GREY)
            self.cell(0, 5, self._header_text, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(3)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=7)
        self.set_text_color(*_GREY)
        self.cell(_WIDTH - 25, 5, self._footer_text)
        self.cell(25, 5, f"{self._page_label} {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def render_invoice(document: InvoiceDocument, supplier: Supplier = SUPPLIER) -> bytes:
    """The invoice or credit note as PDF bytes (A4, in ``document.language``). Deterministic: the
    same document gives the same bytes (the PDF's creation date is the issue date)."""
    language = document.language
    labels = LABELS[language]
    title = TITLES[document.kind][language]
    printed_name, printed_address = supplier.printed(language)
    footer = f"{printed_name} - {', '.join(printed_address)} - {labels['vat_short']} {supplier.vat_display} - IBAN {supplier.iban_display} - BIC {supplier.bic}"

    pdf = _InvoicePDF(f"{printed_name} - {title} {document.number}", footer, labels["page"])
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(f"{title} {document.number}")
    pdf.set_author(supplier.name)
    pdf.set_lang(LOCALES[language].replace("_", "-"))
    pdf.set_creation_date(datetime(document.issue_date.year, document.issue_date.month, document.issue_date.day, tzinfo=UTC))
    pdf.add_page()

    _supplier_block(pdf, supplier, language)
    top = 50
    customer_bottom = _customer_block(pdf, document, top)
    _title_block(pdf, document, title, labels, top)
    pdf.set_y(max(pdf.get_y(), customer_bottom) + 6)
    _delivery_block(pdf, document, labels)
    _lines_table(pdf, document, labels)
    _totals_block(pdf, document, labels)
    _payment_block(pdf, document, supplier, labels)
    _notes_block(pdf, document, labels)
    return bytes(pdf.output())


def _supplier_block(pdf: _InvoicePDF, supplier: Supplier, language: str) -> None:
    name, address = supplier.printed(language)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 8, name, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", size=8)
    details = [*address, f"{LABELS[language]['vat_short']} {supplier.vat_display}", f"{supplier.phone} - {supplier.email}", f"IBAN {supplier.iban_display} - BIC {supplier.bic}"]
    for text in details:
        pdf.cell(0, 4, text, new_x="LMARGIN", new_y="NEXT", align="L")


def _customer_block(pdf: _InvoicePDF, document: InvoiceDocument, top: float) -> float:
    # Where the window of a Belgian right-window envelope shows it.
    x = 115
    pdf.set_xy(x, top)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(80, 5.5, document.customer_name, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", size=10)
    for text in document.customer_address:
        pdf.multi_cell(80, 5, text, new_x="LEFT", new_y="NEXT", align="L")
    return pdf.get_y()


def _title_block(pdf: _InvoicePDF, document: InvoiceDocument, title: str, labels: dict[str, str], top: float) -> None:
    language = document.language
    pdf.set_xy(_MARGIN, top)
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(95, 9, title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    rows = [(labels["number"], document.number), (labels["issue_date"], long_date(document.issue_date, language))]
    if document.due_date is not None:
        rows.append((labels["due_date"], long_date(document.due_date, language)))
    rows.append((labels["customer_number"], document.customer_number))
    if document.vat_number:
        rows.append((labels["vat_number"], document.vat_number))
    rows.append((labels["ogm"], validate_ogm(document.ogm)))
    if document.period is not None:
        start, end = document.period
        rows.append((labels["period"], f"{long_date(start, language)} - {long_date(end, language)}"))
    pdf.ln(1)
    for label, value in rows:
        pdf.set_font("Helvetica", size=9)
        pdf.set_text_color(*_GREY)
        pdf.cell(30, 5, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", "B" if label in (labels["due_date"], labels["ogm"]) else "", 9)
        pdf.multi_cell(65, 5, value, new_x="LMARGIN", new_y="NEXT", align="L")


def _section(pdf: _InvoicePDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)


def _delivery_block(pdf: _InvoicePDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    if not document.delivery_points:
        return
    _section(pdf, labels["points"])
    pdf.set_font("Helvetica", size=9)
    for ean, energy, address in document.delivery_points:
        energy_text = labels.get(str(energy), str(energy)) if str(energy) in ("electricity", "gas") else str(energy)
        pdf.multi_cell(0, 4.5, f"EAN {ean} - {energy_text} - {address}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)


def _table_style() -> dict[str, Any]:
    from fpdf.fonts import FontFace

    return {
        "headings_style": FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_ACCENT, size_pt=8),
        "borders_layout": "HORIZONTAL_LINES",
        "cell_fill_color": _LIGHT,
        "cell_fill_mode": "ROWS",
        "line_height": 4.5,
        "padding": (1, 1.5),
    }


def _lines_table(pdf: _InvoicePDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    language = document.language
    pdf.set_font("Helvetica", size=8.5)
    pdf.set_draw_color(190, 190, 190)
    with pdf.table(
        col_widths=(82, 20, 15, 24, 26, 13),
        text_align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        width=_WIDTH,
        **_table_style(),
    ) as table:
        heading = table.row()
        for key in ("description", "quantity", "unit", "unit_price", "amount", "vat_rate"):
            heading.cell(labels[key])
        for line in document.lines:
            unit = getattr(line, "unit", None)
            price_pattern = "#,##0.0000##" if unit in _ENERGY_UNITS else "#,##0.00####"
            row = table.row()
            row.cell(line_text(getattr(line, "description_key", ""), getattr(line, "parameters", None), language))
            row.cell(_number(getattr(line, "quantity", None), language, "#,##0.###"))
            row.cell(_unit(unit, language))
            row.cell(_number(getattr(line, "unit_price", None), language, price_pattern))
            row.cell(_amount(getattr(line, "amount", None), language))
            row.cell(_vat_rate(getattr(line, "vat_rate", None), language))
    pdf.ln(4)


def _totals_block(pdf: _InvoicePDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    language = document.language
    totals = document.totals
    summary = list(getattr(totals, "vat_summary", None) or [])
    needed = 14 + 6 * max(len(summary), 3)
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()

    if summary:
        pdf.set_font("Helvetica", size=8.5)
        with pdf.table(col_widths=(20, 35, 35), text_align=("RIGHT", "RIGHT", "RIGHT"), width=90, align="LEFT", **_table_style()) as table:
            heading = table.row()
            for key in ("rate", "base", "vat"):
                heading.cell(labels[key])
            for rate, base, vat in summary:
                row = table.row()
                row.cell(_vat_rate(rate, language))
                row.cell(_amount(base, language))
                row.cell(_amount(vat, language))
    left_bottom = pdf.get_y()

    x = 120
    pdf.set_xy(x, top)
    rows = [(labels["excl_vat"], totals.excl_vat, False), (labels["vat_total"], totals.vat, False), (labels["incl_vat"], totals.incl_vat, True)]
    for label, value, bold in rows:
        pdf.set_x(x)
        if bold:
            pdf.set_draw_color(*_ACCENT)
            pdf.line(x, pdf.get_y() + 0.5, x + 75, pdf.get_y() + 0.5)
            pdf.ln(1)
            pdf.set_x(x)
        pdf.set_font("Helvetica", "B" if bold else "", 11 if bold else 9.5)
        pdf.cell(40, 6.5 if bold else 5.5, label)
        pdf.cell(35, 6.5 if bold else 5.5, money(_decimal(value), language), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _payment_block(pdf: _InvoicePDF, document: InvoiceDocument, supplier: Supplier, labels: dict[str, str]) -> None:
    language = document.language
    total = _decimal(document.totals.incl_vat)
    ogm = validate_ogm(document.ogm)
    due = long_date(document.due_date, language) if document.due_date is not None else None
    qr = _epc_qr(document, supplier)

    if document.kind == "credit_note":
        lines = []
        if document.corrects:
            lines.append(labels["corrects"].format(invoice=document.corrects))
        lines += [labels["credit"], labels["credit_vat"]]
        _text_box(pdf, None, lines)
        return
    if document.direct_debit and total > 0:
        _text_box(pdf, (labels["to_pay"] + _COLON[language], money(to_cents(total), language)), [labels["direct_debit"].format(due=due or "-")])
        return
    if total < 0:
        _text_box(pdf, (labels["in_favour"] + _COLON[language], money(to_cents(-total), language)), [labels["refund"]])
        return
    if qr is None:
        _text_box(pdf, None, [labels["nothing"]])
        return

    amount = money(to_cents(total), language)
    height = 48
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_fill_color(*_LIGHT)
    pdf.set_draw_color(*_ACCENT)
    pdf.rect(_MARGIN, top, _WIDTH, height, style="DF")

    text_x, text_w = _MARGIN + 5, 118
    pdf.set_xy(text_x, top + 4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(text_w, 7, f"{labels['to_pay']}{_COLON[language]}{amount}", new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", size=9.5)
    details = []
    if due is not None:
        details.append((labels["due_date"], due))
    details += [(labels["account"], f"{supplier.iban_display} - BIC {supplier.bic} - {supplier.name}"), (labels["ogm"], ogm)]
    for label, value in details:
        pdf.set_x(text_x)
        pdf.set_font("Helvetica", size=9.5)
        pdf.cell(28, 5.5, label)
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.cell(text_w - 28, 5.5, value, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_x(text_x)
    pdf.ln(1.5)
    pdf.set_x(text_x)
    pdf.set_font("Helvetica", size=8.5)
    sentence = labels["pay"] if due is not None else labels["pay_no_due"]
    sentence = sentence.format(amount=_unbroken(amount), due=_unbroken(due or ""), iban=_unbroken(supplier.iban_display), bic=supplier.bic, ogm=ogm)
    pdf.multi_cell(text_w, 4.2, sentence, new_x="LEFT", new_y="NEXT", align="L")

    size = 36
    qr_x = _MARGIN + _WIDTH - size - 8
    pdf.image(_qr_png(qr), x=qr_x, y=top + 2, w=size, h=size, alt_text=labels["scan"])
    pdf.set_xy(qr_x - 4, top + 2 + size + 0.5)
    pdf.set_font("Helvetica", "B", 8)
    pdf.cell(size + 8, 4, labels["scan"], align="C")
    pdf.set_y(top + height + 5)


def _text_box(pdf: _InvoicePDF, headline: tuple[str, str] | None, lines: list[str]) -> None:
    if pdf.get_y() + 25 > pdf.page_break_trigger:
        pdf.add_page()
    if headline is not None:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, f"{headline[0]}{headline[1]}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", size=9.5)
    for text in lines:
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)


def _notes_block(pdf: _InvoicePDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    if not document.notes:
        return
    _section(pdf, labels["notes"])
    pdf.set_font("Helvetica", size=9)
    for note in document.notes:
        pdf.multi_cell(0, 4.5, f"- {_note(note, document.language)}", new_x="LMARGIN", new_y="NEXT", align="L")
