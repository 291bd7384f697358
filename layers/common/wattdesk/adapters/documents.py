"""Documents as PDF (fpdf2, pure Python), in the customer's language, and their storage in S3.

Core PDF fonts cover Latin-1 only, which fits nl/fr/de/en; the euro sign is written "EUR".
Object keys carry a random part, so a key cannot be guessed from a contract or invoice number.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF

from wattdesk.adapters.aws import client
from wattdesk.settings import get_settings

LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "de": "de_BE", "en": "en_BE"}

CONTRACT_LABELS = {
    "nl": {"title": "Leveringscontract", "customer": "Klant", "address": "Leveringsadres", "product": "Product", "start": "Startdatum", "advance": "Voorschot", "frequency": "Facturatie", "points": "Leveringspunten", "prices": "Prijzen (excl. btw)", "fee": "Vaste vergoeding per jaar", "kwh": "per kWh", "payment": "Betaling", "footer": "WattDesk NV - Voorbeeldstraat 1, 1000 Brussel - BE0403170701"},
    "fr": {"title": "Contrat de fourniture", "customer": "Client", "address": "Adresse de fourniture", "product": "Produit", "start": "Date de début", "advance": "Acompte", "frequency": "Facturation", "points": "Points de fourniture", "prices": "Prix (hors TVA)", "fee": "Redevance fixe par an", "kwh": "par kWh", "payment": "Paiement", "footer": "WattDesk SA - Rue Exemple 1, 1000 Bruxelles - BE0403170701"},
    "de": {"title": "Liefervertrag", "customer": "Kunde", "address": "Lieferadresse", "product": "Produkt", "start": "Lieferbeginn", "advance": "Abschlag", "frequency": "Abrechnung", "points": "Lieferstellen", "prices": "Preise (ohne MwSt.)", "fee": "Grundgebühr pro Jahr", "kwh": "pro kWh", "payment": "Zahlung", "footer": "WattDesk AG - Beispielstraße 1, 1000 Brüssel - BE0403170701"},
    "en": {"title": "Supply contract", "customer": "Customer", "address": "Supply address", "product": "Product", "start": "Start date", "advance": "Advance", "frequency": "Billing", "points": "Delivery points", "prices": "Prices (excl. VAT)", "fee": "Fixed fee per year", "kwh": "per kWh", "payment": "Payment", "footer": "WattDesk NV - Example Street 1, 1000 Brussels - BE0403170701"},
}


def latin1(text: str) -> str:
    """What the core fonts can show: Babel's narrow no-break spaces become plain ones."""
    return text.replace("\u202f", " ").replace("\u2009", " ").encode("latin-1", "replace").decode("latin-1")


def money(amount: Decimal, language: str) -> str:
    return f"EUR {format_decimal(amount, format='#,##0.00', locale=LOCALES[language])}"


def long_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale=LOCALES[language])


class _Latin1PDF(FPDF):
    def normalize_text(self, text: str) -> str:
        return super().normalize_text(latin1(text))


def contract_pdf(data: dict, language: str) -> bytes:
    """data: customer_name, address, product_name, start_date (date), advance (Decimal),
    frequency (localised text), payment (text), points [(ean, energy, meter, eav)], prices [(label, Decimal)], yearly_fee."""
    labels = CONTRACT_LABELS[language]
    pdf = _Latin1PDF(format="A4")
    pdf.set_title(labels["title"])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, labels["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)

    def row(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(55, 7, label)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")

    row(labels["customer"], data["customer_name"])
    row(labels["address"], data["address"])
    row(labels["product"], data["product_name"])
    row(labels["start"], long_date(data["start_date"], language))
    row(labels["advance"], f"{money(data['advance'], language)} ({data['frequency']})")
    row(labels["payment"], data["payment"])
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, labels["points"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for ean, energy, meter, eav in data["points"]:
        pdf.cell(0, 7, f"EAN {ean} - {energy} - {meter} - {format_decimal(eav, locale=LOCALES[language])} kWh", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, labels["prices"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for label, price in data["prices"]:
        pdf.cell(0, 7, f"{label}: EUR {format_decimal(price, format='0.0000', locale=LOCALES[language])} {labels['kwh']}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"{labels['fee']}: {money(data['yearly_fee'], language)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-25)
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 6, labels["footer"], align="C")
    return bytes(pdf.output())


def store_document(prefix: str, filename: str, content: bytes, content_type: str = "application/pdf") -> str:
    key = f"{prefix}/{secrets.token_urlsafe(18)}/{filename}"
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=content, ContentType=content_type, ServerSideEncryption="aws:kms")
    return key


def read_document(key: str) -> bytes:
    return client("s3").get_object(Bucket=get_settings().documents_bucket, Key=key)["Body"].read()
