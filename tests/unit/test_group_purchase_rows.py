"""An organiser's file, row by row: shape, payload, keys, report cells and the file reader's limits."""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import ROOT
from wattdesk.adapters import spreadsheet
from wattdesk.domain import group_purchase as gp
from wattdesk.services.enrollment import InvalidEnrollment, check

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "group_purchase"))
import generate  # noqa: E402

pytestmark = pytest.mark.unit

TODAY = date(2027, 1, 1)
TERMS = gp.CampaignTerms(campaign_code="GP-2027", product_code="ELEC-FIX-1Y", product_energy="electricity", gas_product_code="GAS-FIX-1Y")


def values(kind: str = "good", serial: int = 7, **changes: str) -> dict[str, str]:
    row = generate.row(serial, kind, TODAY).values
    row.update(changes)
    return row


# ------------------------------------------------------------------ shape
def test_a_header_with_every_required_column_is_accepted_whatever_its_case_spaces_and_bom():
    header = ["\ufeffFirst Name", " LAST_NAME ", *[c for c in generate.HEADER if c not in ("first_name", "last_name")], "Remarks"]
    shape = gp.check_shape(header, row_count=3, max_rows=10)
    assert shape.accepted
    assert shape.columns[0] == "first_name" and shape.columns[1] == "last_name"
    assert shape.ignored == ("Remarks",)


def test_missing_columns_refuse_the_whole_file_and_are_named():
    header = [c for c in generate.HEADER if c not in ("iban", "email")]
    shape = gp.check_shape(header, row_count=3, max_rows=10)
    assert not shape.accepted
    (problem,) = shape.problems
    assert problem.code == "file.missing_columns" and set(problem.columns) == {"iban", "email"}


@pytest.mark.parametrize(
    ("header", "rows", "code"),
    [
        (generate.HEADER + ["email"], 1, "file.repeated_columns"),
        (generate.HEADER, 0, "file.no_rows"),
        (generate.HEADER, 11, "file.too_many_rows"),
    ],
)
def test_other_shape_problems(header, rows, code):
    assert [p.code for p in gp.check_shape(header, rows, max_rows=10).problems] == [code]


def test_every_required_column_maps_to_a_field_of_the_enrollment_payload():
    payload, problems = gp.to_payload(values(), TERMS)
    assert problems == []
    for name in gp.REQUIRED_COLUMNS:
        assert gp.column_of(gp.COLUMNS[name][1]) == name


# ------------------------------------------------------------------ row -> payload
def test_a_good_row_becomes_a_group_purchase_enrollment_with_the_campaigns_product_that_passes_the_single_enrollment_rules():
    payload, problems = gp.to_payload(values(), TERMS)
    assert problems == []
    assert payload["channel"] == "group_purchase" and payload["campaign_code"] == "GP-2027"
    assert payload["product_code"] == "ELEC-FIX-1Y" and payload["delivery_points"][0]["energy"] == "electricity"
    assert payload["payment"]["method"] == "direct_debit" and payload["billing_frequency"] == "monthly"
    assert payload["customer"]["type"] == "residential"
    request = check(payload, TODAY)
    assert request.channel == "group_purchase"


def test_defaults_and_spreadsheet_habits():
    row = values(iban="", account_holder="", phone="470123456", start_date="15/02/2027", terms_accepted="Oui", privacy_accepted="X", marketing="", known_annual_kwh="3 500")
    payload, problems = gp.to_payload(row, TERMS)
    assert problems == []
    assert payload["payment"] == {"method": "transfer", "iban": None, "account_holder": None}
    assert payload["customer"]["phone"] == "0470123456"  # the leading 0 a numeric column dropped
    assert payload["start_date"] == "2027-02-15"
    assert payload["consents"] == {"terms_accepted": True, "privacy_accepted": True, "marketing": False}
    assert payload["delivery_points"][0]["known_annual_kwh"] == "3500"


def test_the_campaigns_start_date_fills_rows_without_one_and_a_row_without_any_is_named():
    with_default = gp.CampaignTerms("GP", "ELEC-FIX-1Y", "electricity", start_date=date(2027, 3, 1))
    assert gp.to_payload(values(start_date=""), with_default)[0]["start_date"] == "2027-03-01"
    _, problems = gp.to_payload(values(start_date=""), TERMS)
    assert [(p.code, p.column) for p in problems] == [("cell.start_date_missing", "start_date")]


def test_cells_that_cannot_be_read_are_named_with_their_column():
    _, problems = gp.to_payload(values(terms_accepted="maybe", birth_date="31/31/1980"), TERMS)
    assert {(p.code, p.column) for p in problems} == {("cell.yes_no", "terms_accepted"), ("cell.date", "birth_date")}


def test_a_gas_point_takes_the_campaigns_gas_product_and_is_refused_when_the_campaign_has_none():
    payload, problems = gp.to_payload(values(gas_ean=generate.ean(99)), TERMS)
    assert problems == [] and payload["delivery_points"][1] == {
        "energy": "gas", "ean": generate.ean(99), "meter_type": "single", "situation": "switch", "known_annual_kwh": None, "product_code": "GAS-FIX-1Y",
    }
    check(payload, TODAY)
    _, problems = gp.to_payload(values(gas_ean=generate.ean(99)), gp.CampaignTerms("GP", "ELEC-FIX-1Y", "electricity"))
    assert [p.code for p in problems] == ["campaign.gas_not_offered"]


@pytest.mark.parametrize("kind", sorted(generate.HARD_CODES))
def test_each_hard_error_of_the_fixture_fails_the_single_enrollment_rule_it_is_built_for(kind):
    payload, problems = gp.to_payload(values(kind), TERMS)
    with pytest.raises(InvalidEnrollment) as caught:
        check(payload, TODAY)
    codes = {p.code for p in caught.value.problems}
    assert generate.HARD_CODES[kind] in codes
    assert all(gp.column_of(p.field) in gp.COLUMNS for p in caught.value.problems)


def test_identifiers_stored_as_numbers_are_refused_before_they_corrupt_an_ean():
    assert [p.code for p in gp.number_cell_problems({"ean": 541414930000123454.0, "phone": 470123456})] == ["cell.stored_as_number"]
    assert gp.number_cell_problems({"ean": "541414930000123454"}) == []


# ------------------------------------------------------------------ keys and report cells
def test_the_row_key_is_campaign_ean_and_email_whatever_their_spelling():
    key = gp.row_key("GP-2027", "541414930000123454", "Camille.Dubois@Example.org")
    assert key == gp.row_key("gp-2027 ", "5414 1493 0000 1234 54", "camille.dubois@example.org ")
    assert key != gp.row_key("GP-2028", "541414930000123454", "camille.dubois@example.org")
    assert key != gp.row_key("GP-2027", "541414930000123461", "camille.dubois@example.org")
    assert key != gp.row_key("GP-2027", "541414930000123454", "other@example.org")
    assert "camille" not in key  # no personal data in the key item


def test_the_same_bytes_for_the_same_campaign_are_the_same_import():
    assert gp.import_id_for("GP-2027", b"a;b") == gp.import_id_for("gp-2027", b"a;b")
    assert gp.import_id_for("GP-2027", b"a;b") != gp.import_id_for("GP-2027", b"a,b")


@given(st.text(max_size=30))
def test_no_report_cell_starts_like_a_formula(text):
    assert not gp.csv_safe(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert gp.csv_safe(text) in (text, "'" + text)


@pytest.mark.parametrize(("status", "outcome"), [("RECEIVED", "processing"), ("AWAITING_DSO", "waiting"), ("BLOCKED", "blocked"), ("AWAITING_CUSTOMER", "blocked"), ("CONFIRMED", "confirmed"), ("REJECTED", "rejected"), ("CANCELLED", "cancelled")])
def test_an_enrollments_status_puts_its_row_in_an_outcome(status, outcome):
    assert gp.outcome_of_status(status) == outcome


# ------------------------------------------------------------------ the file reader
@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "cp1252"), (",", "utf-8"), (";", "utf-8-sig")])
def test_csv_in_the_encodings_and_separators_organisers_send(delimiter, encoding):
    rows = [generate.row(n, "good", TODAY) for n in range(1, 4)]
    rows[0].values["first_name"] = "Émile"
    sheet = spreadsheet.read(generate.to_csv(rows, delimiter=delimiter, encoding=encoding), "x.csv", max_rows=10)
    assert sheet.kind == "csv" and sheet.delimiter == delimiter
    assert sheet.header == generate.HEADER
    assert sheet.rows[0][1] == "Émile" and len(sheet.rows) == 3 and sheet.row_numbers == [2, 3, 4]


def test_xlsx_first_sheet_values_only():
    rows = [generate.row(n, "good", TODAY) for n in range(1, 4)]
    sheet = spreadsheet.read(generate.to_xlsx(rows), "x.xlsx", max_rows=10)
    assert sheet.kind == "xlsx" and sheet.header == generate.HEADER and len(sheet.rows) == 3
    shape = gp.check_shape(sheet.header, len(sheet.rows), 10)
    assert gp.row_values(shape, sheet.rows[1])["email"] == rows[1].values["email"]


def test_xlsx_with_numeric_eans_is_read_and_the_rows_are_flagged():
    rows = [generate.row(n, "good", TODAY) for n in range(1, 3)]
    sheet = spreadsheet.read(generate.to_xlsx(rows, numeric_ean=True), "x.xlsx", max_rows=10)
    index = sheet.header.index("ean")
    assert [p.code for p in gp.number_cell_problems({"ean": sheet.rows[0][index]})] == ["cell.stored_as_number"]


def test_a_zip_bomb_is_refused_before_the_workbook_is_opened():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + "a" * (50 * 1024 * 1024) + ">")
    with pytest.raises(spreadsheet.UnreadableFile) as caught:
        spreadsheet.read(buffer.getvalue(), "bomb.xlsx", max_rows=10)
    assert caught.value.code == "file.xlsx_limits"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "x.csv", "file.empty"),
        (b"x" * (spreadsheet.MAX_FILE_BYTES + 1), "x.csv", "file.too_large"),
        (b"PK\x03\x04 not really a zip", "x.xlsx", "file.xlsx"),
        (("a;" * 101 + "\n1").encode(), "x.csv", "file.too_many_columns"),
        (("first_name\n" + "y" * 600).encode(), "x.csv", "file.cell_too_long"),
    ],
)
def test_files_that_cannot_be_read_are_named(content, name, code):
    with pytest.raises(spreadsheet.UnreadableFile) as caught:
        spreadsheet.read(content, name, max_rows=10)
    assert caught.value.code == code


def test_reading_stops_one_row_past_the_limit():
    rows = [generate.row(n, "good", TODAY) for n in range(1, 30)]
    sheet = spreadsheet.read(generate.to_csv(rows), "x.csv", max_rows=5)
    assert len(sheet.rows) == 6
    assert [p.code for p in gp.check_shape(sheet.header, len(sheet.rows), 5).problems] == ["file.too_many_rows"]
