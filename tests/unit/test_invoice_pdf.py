"""Invoice PDFs: texts in the customer's language, and the EPC payment QR code read back from the PDF."""

from __future__ import annotations

import ast
import io
import re
import string
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import zxingcpp
from pypdf import PdfReader

from wattdesk.adapters import invoice_pdf
from wattdesk.adapters.documents import latin1, long_date, money
from wattdesk.adapters.invoice_pdf import (
    LABELS,
    LINE_TEXTS,
    NOTE_TEXTS,
    REGISTER_TEXTS,
    SUPPLIER,
    TITLES,
    UNIT_TEXTS,
    InvoiceDocument,
    line_text,
    render_invoice,
)
from wattdesk.domain.errors import DomainError
from wattdesk.domain.ogm import make_ogm

pytestmark = pytest.mark.unit

D = Decimal
LANGUAGES = ("nl", "fr", "de", "en")
OGM = make_ogm(271000123)  # what domain.invoice.ogm_for("A", 2027, 123) gives
DOMAIN = Path(__file__).resolve().parents[2] / "layers" / "common" / "wattdesk" / "domain"


# --- stand-ins for domain.invoice's InvoiceLine / InvoiceTotals (duck typing) ----------------------


def line(key: str = "advance", parameters: dict[str, str] | None = None, *, quantity: str | None = "1", unit: str | None = "piece", unit_price: str | None = "116.46", amount: str = "116.46", vat_rate: str = "0.06", vat_amount: str = "6.99") -> SimpleNamespace:
    return SimpleNamespace(
        description_key=key,
        parameters={"month": "2027-01"} if parameters is None else parameters,
        quantity=None if quantity is None else D(quantity),
        unit=unit,
        unit_price=None if unit_price is None else D(unit_price),
        amount=D(amount),
        vat_rate=D(vat_rate),
        vat_amount=D(vat_amount),
    )


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    vat_summary: list[tuple[Decimal, Decimal, Decimal]] = field(default_factory=list)


def totals_of(*lines: SimpleNamespace) -> Totals:
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for item in lines:
        base, vat = by_rate.get(item.vat_rate, (D("0.00"), D("0.00")))
        by_rate[item.vat_rate] = (base + item.amount, vat + item.vat_amount)
    excl = sum((item.amount for item in lines), D("0.00"))
    vat = sum((item.vat_amount for item in lines), D("0.00"))
    return Totals(excl, vat, excl + vat, [(rate, base, tax) for rate, (base, tax) in sorted(by_rate.items())])


def document(language: str = "nl", **changes) -> InvoiceDocument:
    lines = changes.pop("lines", None) or [line()]  # 116.46 + 6.99 = 123.45
    values = {
        "number": "2027-A-000123",
        "kind": "advance",
        "language": language,
        "issue_date": date(2027, 1, 1),
        "due_date": date(2027, 1, 16),
        "ogm": OGM,
        "customer_name": "Anneleen Peeters",
        "customer_address": ["Kerkstraat 12 bus 3", "9000 Gent"],
        "customer_number": "C1A2B3C4",
        "delivery_points": [("541448820000000017", "electricity", "Kerkstraat 12 bus 3, 9000 Gent")],
        "lines": lines,
        "totals": totals_of(*lines),
        "notes": [],
    }
    values.update(changes)
    return InvoiceDocument(**values)


def big_lines() -> list[SimpleNamespace]:
    """1,164.68 + 69.88 VAT = 1,234.56: thousands separators in every language."""
    return [line("energy", {"register": "day", "from": "2027-01-01", "to": "2027-01-31"}, quantity="9438.25", unit="kWh", unit_price="0.1234", amount="1164.68", vat_amount="69.88")]


# --- reading the PDF back -------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace (including no-break spaces) collapsed to single spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\xa0", " ").split())


def shown(text: str) -> str:
    """A text as the PDF shows it (Latin-1 core fonts, single spaces)."""
    return " ".join(latin1(text).replace("\xa0", " ").split())


def qr_payloads(pdf: bytes) -> list[bytes]:
    payloads = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            payloads += [barcode.bytes for barcode in zxingcpp.read_barcodes(image.image) if barcode.format == zxingcpp.BarcodeFormat.QRCode]
    return payloads


def image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def ogm_12_digits(ogm: str) -> str:
    return re.sub(r"\D", "", ogm)


# --- texts in the customer's language -------------------------------------------------------------

EXPECTED = {
    "nl": ("Voorschotfactuur", "16 januari 2027", "Creditnota", "Scan om te betalen"),
    "fr": ("Facture d'acompte", "16 janvier 2027", "Note de crédit", "Scannez pour payer"),
    "de": ("Abschlagsrechnung", "16. Januar 2027", "Gutschrift", "Zum Bezahlen scannen"),
    "en": ("Advance invoice", "16 January 2027", "Credit note", "Scan to pay"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_invoice_shows_title_ogm_total_and_due_date_in_the_language(language: str) -> None:
    doc = document(language, lines=big_lines())
    text = pdf_text(render_invoice(doc))
    title, due, _credit_title, scan = EXPECTED[language]
    assert title in text
    assert OGM in text
    assert due in text
    assert shown(long_date(doc.due_date, language)) in text
    # The same formatting as the mail that carries the PDF (documents.money).
    assert shown(money(D("1234.56"), language)) in text
    assert scan in text
    assert "2027-A-000123" in text
    assert "541448820000000017" in text
    assert "Anneleen Peeters" in text


def test_amounts_and_dates_are_formatted_with_babel() -> None:
    text = pdf_text(render_invoice(document("nl", lines=big_lines())))
    assert "EUR 1.234,56" in text
    assert "1.164,68" in text  # the line amount, without currency in the table
    assert "9.438,25" in text  # the quantity
    assert "0,1234" in text  # the unit price per kWh, 4 to 6 decimals
    assert "6%" in text
    assert "Energie dagtarief, 1 jan 2027 - 31 jan 2027" in text  # medium dates inside lines
    assert "16 januari 2027" in text
    # Other unit prices have 2 decimals: the advance line, per piece.
    assert "Voorschot januari 2027 1 stuk 116,46 116,46 6%" in pdf_text(render_invoice(document("nl")))


def test_a_professional_customer_sees_its_vat_number_and_the_vat_summary_per_rate() -> None:
    lines = [line(), line("extraordinary", {"reason": "Meter moved"}, unit_price="100.00", amount="100.00", vat_rate="0.21", vat_amount="21.00")]
    text = pdf_text(render_invoice(document("en", kind="extraordinary", lines=lines, vat_number="BE0403170701")))
    assert "Extraordinary invoice" in text
    assert "BE0403170701" in text
    assert "Extraordinary charge: Meter moved" in text
    assert "6% 116,46 6,99" in text
    assert "21% 100,00 21,00" in text
    assert "EUR 244,45" in text


@pytest.mark.parametrize(("kind", "titles"), sorted(invoice_pdf.TITLES.items()))
def test_every_kind_has_a_title_in_every_language(kind: str, titles: dict[str, str]) -> None:
    assert set(titles) == set(LANGUAGES)
    due = None if kind == "credit_note" else date(2027, 1, 16)
    for language in LANGUAGES:
        assert titles[language] in pdf_text(render_invoice(document(language, kind=kind, due_date=due)))


def test_notes_are_translated_when_known_and_printed_as_given_otherwise() -> None:
    text = pdf_text(render_invoice(document("fr", notes=["estimated_reading", "Relevé communiqué par le GRD."])))
    assert NOTE_TEXTS["estimated_reading"]["fr"] in text
    assert "Relevé communiqué par le GRD." in text


# --- the EPC payment QR code ----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_qr_code_is_an_epc_credit_transfer_with_the_ogm_as_structured_reference(language: str) -> None:
    doc = document(language)
    payloads = qr_payloads(render_invoice(doc))
    assert len(payloads) == 1
    fields = payloads[0].decode("utf-8").split("\n")
    assert fields == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "GKCCBEBB",
        "WattDesk NV",  # the account holder, whatever the language of the invoice
        "BE68539007547034",
        "EUR123.45",
        "",  # purpose
        ogm_12_digits(OGM),  # structured reference: the OGM's 12 digits
    ]
    reference = fields[9]
    assert len(reference) == 12 and reference.isdigit()
    assert (int(reference[:10]) % 97 or 97) == int(reference[10:])
    assert len(payloads[0]) <= 331


@pytest.mark.parametrize(("incl_vat", "field"), [("123.45", "EUR123.45"), ("1234.56", "EUR1234.56"), ("0.01", "EUR0.01"), ("80.10", "EUR80.1"), ("86.00", "EUR86")])
def test_qr_amount_is_the_exact_total_including_vat(incl_vat: str, field: str) -> None:
    # EPC069-12: "EUR" then the amount with at most 2 decimals; trailing zeros may be left out.
    amount = D(incl_vat)
    doc = document("de", lines=[line(unit_price=str(amount), amount=str(amount), vat_amount="0.00", vat_rate="0")])
    fields = qr_payloads(render_invoice(doc))[0].decode("utf-8").split("\n")
    assert fields[7] == field
    assert re.fullmatch(r"EUR\d{1,9}(\.\d{1,2})?", fields[7])
    assert D(fields[7][3:]) == amount


def test_a_credit_note_has_no_qr_code_and_names_the_invoice_it_corrects() -> None:
    lines = [line("credit", {"vat_rate": "0.06"}, quantity="-1", unit_price="116.46", amount="-116.46", vat_amount="-6.99")]
    for language in LANGUAGES:
        pdf = render_invoice(document(language, kind="credit_note", due_date=None, corrects="2027-A-000100", lines=lines))
        text = pdf_text(pdf)
        assert image_count(pdf) == 0
        assert EXPECTED[language][2] in text
        assert "2027-A-000100" in text
        assert LABELS[language]["due_date"] not in text
        assert shown(LABELS[language]["credit_vat"]) in text


def test_a_zero_amount_invoice_has_no_qr_code() -> None:
    lines = [line("advance_deduction", {"count": "1"}, quantity="1", unit_price="0.00", amount="0.00", vat_amount="0.00")]
    pdf = render_invoice(document("nl", kind="settlement", lines=lines))
    assert image_count(pdf) == 0
    assert qr_payloads(pdf) == []
    assert "Er is niets te betalen." in pdf_text(pdf)


def test_an_invoice_in_the_customers_favour_has_no_qr_code() -> None:
    lines = [line("advance_deduction", {"count": "12"}, quantity="12", unit_price="-10.00", amount="-120.00", vat_amount="-7.20")]
    pdf = render_invoice(document("fr", kind="final", lines=lines))
    assert image_count(pdf) == 0
    text = pdf_text(pdf)
    assert "En votre faveur : EUR 127,20" in text
    assert "Déduction des acomptes facturés (nombre : 12)" in text


def test_a_direct_debit_invoice_has_no_qr_code() -> None:
    pdf = render_invoice(document("en", direct_debit=True))
    assert image_count(pdf) == 0
    assert "direct debit around 16 January 2027" in pdf_text(pdf)


# --- line texts -----------------------------------------------------------------------------------


def test_an_unknown_description_key_renders_as_the_key_and_its_parameters() -> None:
    lines = [line("mystery_key", {"foo": "bar"}), line("no_params", {}, quantity=None, unit=None, unit_price=None)]
    text = pdf_text(render_invoice(document("nl", lines=lines)))
    assert "mystery_key (foo: bar)" in text
    assert "no_params" in text


def test_a_known_key_without_its_parameters_falls_back_instead_of_failing() -> None:
    assert line_text("network", {"region": "flanders"}, "nl") == "network (region: flanders)"
    assert line_text("energy", None, "en") == "energy"


FULL_PARAMETERS = {
    "month": "2027-03",
    "register": "exclusive_night",
    "start": "2027-01-01",
    "end": "2027-01-31",
    "product": "Vast 1 jaar",
    "index": "BELPEX_ELEC",
    "index_month": "2027-01",
    "index_value": "85.5",
    "count": "12",
    "reason": "meter test",
    "invoice": "2027-A-000100",
    "vat_rate": "0.21",
    "campaign": "GROEPSAANKOOP-2027",
}


@pytest.mark.parametrize("key", sorted(LINE_TEXTS))
def test_every_line_text_exists_in_every_language_and_each_variant_renders(key: str) -> None:
    assert set(LINE_TEXTS[key]) == set(LANGUAGES)
    for language, texts in LINE_TEXTS[key].items():
        for template in (texts,) if isinstance(texts, str) else texts:
            needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert needed <= set(FULL_PARAMETERS), (key, language, needed)
            assert "{" not in template.format_map(FULL_PARAMETERS)
        assert not line_text(key, FULL_PARAMETERS, language).startswith(key + " (")


def test_line_parameters_are_shown_in_the_language() -> None:
    # Dates and months keep together on one line (no-break spaces).
    assert line_text("advance", {"month": "2027-03"}, "fr") == "Acompte mars\xa02027"
    assert line_text("energy", {"register": "night", "start": "2027-02-01", "end": "2027-02-28"}, "de") == "Energie Nachttarif, 01.02.2027 - 28.02.2027"
    # pricing's parameters are named from / to
    assert line_text("fixed_fee", {"product": "Vast 1 jaar", "from": "2027-01-01", "to": "2027-12-31", "days_in_year": "365"}, "en") == "Fixed fee: Vast 1 jaar, 01\xa0Jan\xa02027 - 31\xa0Dec\xa02027"
    assert line_text("credit", {"vat_rate": "0.06"}, "nl") == "Creditering (6% btw)"
    assert line_text("credit", {"invoice": "2027-A-000100"}, "en") == "Credit of invoice 2027-A-000100"
    assert line_text("energy", {"product": "Variabel", "register": "day", "from": "2027-01-01", "to": "2027-01-31", "index": "BELPEX_ELEC", "index_month": "2027-01", "index_value": "85.5"}, "nl").endswith("(index BELPEX_ELEC januari\xa02027: 85,50)")


def _keys_used_by(source: Path) -> set[str]:
    """First string argument of make_line(...) / InvoiceLine(...) calls."""
    keys = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"make_line", "InvoiceLine"}:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                keys.add(node.args[0].value)
    return keys


@pytest.mark.parametrize("module", sorted(path.name for path in DOMAIN.glob("*.py") if _keys_used_by(path)))
def test_every_description_key_the_domain_creates_has_a_text(module: str) -> None:
    assert _keys_used_by(DOMAIN / module) <= set(LINE_TEXTS)


def test_all_fixed_texts_fit_the_latin1_core_fonts() -> None:
    tables = [TITLES, LABELS, LINE_TEXTS, REGISTER_TEXTS, UNIT_TEXTS, NOTE_TEXTS]
    texts: list[str] = []
    for table in tables:
        for entry in table.values():
            for value in entry.values():
                texts += [value] if isinstance(value, str) else list(value)
    for text in texts:
        assert latin1(text) == text, text
    assert set(LABELS) == set(LANGUAGES)
    assert all(set(LABELS[language]) == set(LABELS["en"]) for language in LANGUAGES)


# --- document ---------------------------------------------------------------------------------------


def test_many_lines_flow_over_pages_with_one_qr_code() -> None:
    lines = [line("energy", {"register": "day", "from": "2027-01-01", "to": "2027-01-31"}, quantity="10", unit="kWh", unit_price="0.1", amount="1.00", vat_amount="0.06") for _ in range(60)]
    pdf = render_invoice(document("nl", kind="settlement", lines=lines))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "Afrekeningsfactuur 2027-A-000123" in reader.pages[1].extract_text()
    assert f"Pagina 2/{len(reader.pages)}" in pdf_text(pdf)
    fields = qr_payloads(pdf)
    assert len(fields) == 1 and b"\nEUR63.6\n" in fields[0]


def test_rendering_is_deterministic() -> None:
    assert render_invoice(document("fr")) == render_invoice(document("fr"))


def test_the_pdf_is_a4() -> None:
    page = PdfReader(io.BytesIO(render_invoice(document()))).pages[0]
    assert (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4)) == (210, 297)


def test_a_wrong_ogm_language_or_kind_is_refused() -> None:
    digits = ogm_12_digits(OGM)
    wrong = digits[:10] + f"{int(digits[10:]) % 97 + 1:02d}"  # any other check digits
    with pytest.raises(DomainError):
        document(ogm=f"+++{wrong[:3]}/{wrong[3:7]}/{wrong[7:]}+++")
    with pytest.raises(ValueError, match="language"):
        document("es")
    with pytest.raises(ValueError, match="kind"):
        document(kind="quote")


def test_the_default_supplier_has_a_valid_belgian_iban_and_vat_number() -> None:
    from schwifty import IBAN
    from stdnum.be import vat

    assert IBAN(SUPPLIER.iban).country_code == "BE"
    assert vat.is_valid(SUPPLIER.vat_number)
    assert len(SUPPLIER.bic) in (8, 11)
