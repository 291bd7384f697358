"""Hostile uploads through the API, as an attacker or a careless organiser would send them:
oversized files, a zip bomb disguised as a workbook, XML entity expansion and external entities
in bank statements, files that are not what they claim, and spreadsheet formulas in data that
comes back in an exported CSV. Each is refused with a clear 4xx and nothing stored, or escaped."""

from __future__ import annotations

import base64
import csv
import io
import sys
import zipfile
from datetime import date

import pytest

from support import ROOT

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "group_purchase"))
import generate  # noqa: E402
import settlement_support as readings_support  # noqa: E402

pytestmark = pytest.mark.workflow

TABLE = "wattdesk-WattDeskTable"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def items(runtime) -> list[dict]:
    return runtime.client("dynamodb").scan(TableName=TABLE)["Items"]


def stored_objects(runtime) -> list[str]:
    s3 = runtime.client("s3")
    keys = []
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["Name"]):
            keys += [f"{bucket['Name']}/{v['Key']}" for v in page.get("Versions", [])]
    return keys


def error_codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def assert_refused(response, status: int, code: str) -> None:
    assert response.status == status, response.body[:500]
    body = response.json()
    assert code in error_codes(response), body
    assert all(error["message"] for error in body["errors"])


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


# ------------------------------------------------------------------ camt bank statements
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></BkToCstmrStmt></Document>
"""


def external_entity(target: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{target}">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr></BkToCstmrStmt></Document>
""".encode()


@pytest.mark.parametrize(
    "name, content",
    [
        ("billion laughs", BILLION_LAUGHS),
        ("external file entity", external_entity("file:///etc/passwd")),
        ("external network entity", external_entity("http://169.254.169.254/latest/meta-data/")),
        ("parameter entity", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><Document/>'),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["raw", "json"])
def test_bank_statement_with_entities_or_a_dtd_is_refused_quickly_and_nothing_is_booked(runtime, operator, name, content, as_json):
    before = items(runtime)
    if as_json:
        response = runtime.handle_api("POST", "/ops/bank-statements", operator, {"content": content.decode()})
    else:
        response = runtime.handle_api("POST", "/ops/bank-statements", {**operator, "Content-Type": "application/xml"}, content)
    assert_refused(response, 400, "camt.forbidden_construct")
    assert b"root:" not in response.body  # nothing of /etc/passwd comes back
    assert items(runtime) == before
    assert stored_objects(runtime) == []


def test_an_oversized_bank_statement_is_refused_before_it_is_parsed(runtime, operator):
    from wattdesk.adapters import camt

    real = (ROOT / "tests" / "fixtures" / "bank" / "camt053_february.xml").read_bytes()
    padded = real.replace(b"</Document>", b"<!--" + b"x" * (camt.MAX_BYTES + 1) + b"--></Document>")
    response = runtime.handle_api("POST", "/ops/bank-statements", {**operator, "Content-Type": "application/xml"}, padded)
    assert response.status == 400, response.body[:300]
    assert any("size" in code or "large" in code for code in error_codes(response)), response.json()
    assert items(runtime) == []


def test_a_bank_statement_that_is_not_xml_is_a_clear_400(runtime, operator):
    for garbage in (b"PK\x03\x04 not a statement", b"\xff\xfe\x00<", "iban;amount\nBE71096123456769;10".encode()):
        response = runtime.handle_api("POST", "/ops/bank-statements", {**operator, "Content-Type": "application/octet-stream"}, garbage)
        assert response.status == 400, (garbage, response.body[:300])
        assert response.json()["errors"][0]["message"]
    assert items(runtime) == []


# ------------------------------------------------------------------ group purchase files (XLSX / CSV)
CAMPAIGN = "GP-HOSTILE"


@pytest.fixture
def campaign(runtime, operator):
    response = runtime.handle_api("PUT", f"/ops/campaigns/{CAMPAIGN}", operator, {"product_code": "ELEC-FIX-1Y", "organiser_language": "nl", "name": "Hostile"})
    assert response.status == 200, response.body
    return response.json()


def upload(runtime, operator, content: bytes, file_name: str):
    body = {"campaign_code": CAMPAIGN, "product_code": "ELEC-FIX-1Y", "file_name": file_name, "content_base64": b64(content)}
    return runtime.handle_api("POST", "/ops/group-purchases", operator, body)


def zip_bomb() -> bytes:
    """A workbook-shaped zip whose sheet unpacks from ~100 kB to 1 GB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"0" * (1024 * 1024)
            for _ in range(1024):
                sheet.write(chunk)
    return buffer.getvalue()


def many_members() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(5000):
            archive.writestr(f"xl/media/{index}.bin", b"")
    return buffer.getvalue()


def group_purchase_state(runtime) -> tuple[list, list, list]:
    imports = [item for item in items(runtime) if "IMPORT" in str(item.get("PK", {}).get("S", "")) or "GROUPPURCHASE" in str(item.get("PK", {}).get("S", ""))]
    return imports, [e for e in runtime.executions() if e["stateMachine"] != "PingStateMachine"], [k for k in stored_objects(runtime) if "group-purchases" in k]


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked_and_nothing_starts(runtime, operator, campaign):
    bomb = zip_bomb()
    assert len(bomb) < 5 * 1024 * 1024
    baseline = items(runtime)
    response = upload(runtime, operator, bomb, "deelnemers.xlsx")
    assert response.status == 400, response.body[:500]
    assert any(code.startswith("file.") for code in error_codes(response)), response.json()
    assert items(runtime) == baseline
    assert runtime.executions() == []
    assert [k for k in stored_objects(runtime) if "group-purchases" in k] == []
    assert runtime.handle_api("GET", "/ops/group-purchases", operator).json()["items"] == []


def test_a_workbook_of_thousands_of_members_and_a_fake_workbook_are_refused(runtime, operator, campaign):
    baseline = items(runtime)
    for content, name in ((many_members(), "deelnemers.xlsx"), (b"PK\x03\x04" + b"\x00" * 200, "deelnemers.xlsx"), (PDF, "deelnemers.xlsx")):
        response = upload(runtime, operator, content, name)
        assert response.status == 400, (name, response.body[:500])
        assert response.json()["errors"][0]["message"]
    assert items(runtime) == baseline
    assert runtime.executions() == []


def test_an_oversized_organiser_file_is_refused_with_a_clear_400(runtime, operator, campaign):
    from wattdesk.adapters import spreadsheet

    too_big = b"row_reference;first_name\r\n" + b"x;y\r\n" * (spreadsheet.MAX_FILE_BYTES // 5 + 1)
    assert len(too_big) > spreadsheet.MAX_FILE_BYTES
    baseline = items(runtime)
    response = upload(runtime, operator, too_big, "deelnemers.csv")
    assert response.status == 400, response.body[:500]
    assert response.json()["errors"][0]["message"]
    assert items(runtime) == baseline
    assert runtime.executions() == []


def test_formulas_in_an_organisers_file_come_back_escaped_in_the_per_row_report(runtime, operator, campaign):
    today = runtime.now().date()
    rows = [generate.row(serial, "hard_email", today, CAMPAIGN) for serial in range(1, len(FORMULAS) + 1)]
    for row, formula in zip(rows, FORMULAS, strict=True):
        row.values["row_reference"] = formula
    response = upload(runtime, operator, generate.to_csv(rows), "deelnemers.csv")
    assert response.status == 202, response.body[:500]
    import_id = response.json()["import_id"]
    runtime.wait_until_settled(timeout=300)
    report = runtime.handle_api("GET", f"/ops/group-purchases/{import_id}/report", operator)
    assert report.status == 200
    lines = list(csv.DictReader(io.StringIO(report.body.decode("utf-8").lstrip("\ufeff")), delimiter=";"))
    references = [line["row_reference"] for line in lines]
    assert references == ["'" + formula for formula in FORMULAS]
    every_cell = [cell for line in lines for cell in line.values()]
    assert not [cell for cell in every_cell if cell[:1] in ("=", "+", "-", "@")]


# ------------------------------------------------------------------ complaint attachments and report
def complaint_body(**changes) -> dict:
    from support import load_event

    body = load_event("complaints_api/web_form")
    body["reported_on"] = None
    body["related"] = {}
    body.update(changes)
    return body


def attachment(name: str, content: bytes, content_type: str) -> dict:
    return {"filename": name, "content_type": content_type, "content_base64": b64(content)}


@pytest.mark.parametrize(
    "declared, content",
    [
        ("text/html", b"<html><script>alert(1)</script></html>"),
        ("application/x-msdownload", b"MZ\x90\x00" + b"\x00" * 100),
        ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("image/png", PDF),  # a PDF that claims to be a picture
        ("application/pdf", b"MZ\x90\x00 an executable named .pdf"),
    ],
)
def test_a_complaint_attachment_of_the_wrong_type_is_refused_and_nothing_is_stored(runtime, operator, declared, content):
    response = runtime.handle_api("POST", "/complaints", {}, complaint_body(attachments=[attachment("evidence.pdf", content, declared)]))
    assert response.status == 400, response.body[:500]
    assert response.json()["errors"][0]["field"] == "attachments[0]"
    assert response.json()["errors"][0]["code"] in ("attachment.type", "attachment.content")
    assert stored_objects(runtime) == []
    assert items(runtime) == []
    assert runtime.outbox() == []


def test_oversized_complaint_attachments_are_refused_and_nothing_is_stored(runtime, operator):
    big = attachment("scan.pdf", PDF + b"0" * (3 * 1024 * 1024), "application/pdf")
    response = runtime.handle_api("POST", "/complaints", {}, complaint_body(attachments=[big, big]))
    assert_refused(response, 400, "attachment.size")
    too_many = [attachment(f"p{i}.png", PNG, "image/png") for i in range(4)]
    assert runtime.handle_api("POST", "/complaints", {}, complaint_body(attachments=too_many)).status == 400
    assert stored_objects(runtime) == [] and items(runtime) == [] and runtime.outbox() == []


def test_a_wrong_type_added_later_by_an_operator_is_refused_and_the_complaint_keeps_its_files(runtime, operator):
    created = runtime.handle_api("POST", "/complaints", {}, complaint_body(attachments=[attachment("bill.pdf", PDF, "application/pdf")]))
    assert created.status in (200, 201, 202), created.body[:500]
    number = created.json()["complaint_number"]
    before = stored_objects(runtime)
    response = runtime.handle_api("POST", f"/ops/complaints/{number}/attachments", operator, {"attachments": [attachment("x.html", b"<html></html>", "text/html")]})
    assert response.status == 400, response.body[:500]
    assert stored_objects(runtime) == before
    assert len(runtime.handle_api("GET", f"/ops/complaints/{number}", operator).json()["attachments"]) == 1


def test_formulas_typed_as_a_handler_come_back_escaped_in_the_complaint_listing_csv(runtime, operator):
    numbers = []
    for formula in FORMULAS:
        created = runtime.handle_api("POST", "/complaints", {}, complaint_body())
        assert created.status in (200, 201, 202), created.body[:500]
        number = created.json()["complaint_number"]
        assigned = runtime.handle_api("POST", f"/ops/complaints/{number}/assignment", operator, {"handler": formula})
        assert assigned.status == 200, assigned.body[:500]
        numbers.append(number)
    month = runtime.now().strftime("%Y-%m")
    listing = runtime.handle_api("GET", f"/ops/complaints/report?month={month}&view=complaints", operator)
    assert listing.status == 200
    lines = list(csv.DictReader(io.StringIO(listing.body.decode("utf-8"))))
    handlers = {line["number"]: line["handler"] for line in lines}
    assert [handlers[number] for number in numbers] == ["'" + formula for formula in FORMULAS]
    summary = runtime.handle_api("GET", f"/ops/complaints/report?month={month}&format=csv", operator)
    assert summary.status == 200
    cells = [cell for row in csv.reader(io.StringIO(summary.body.decode("utf-8"))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not cell[1:].replace(".", "").isdigit())]


# ------------------------------------------------------------------ meter reading photos
@pytest.mark.parametrize(
    "photo, code",
    [
        ({"content_type": "text/html", "data_base64": b64(b"<html><script>alert(1)</script></html>")}, "reading.photo_type"),
        ({"content_type": "image/svg+xml", "data_base64": b64(b"<svg onload='alert(1)'/>")}, "reading.photo_type"),
        ({"content_type": "image/png", "data_base64": "not base64 at all!"}, "reading.photo"),
        ({"content_type": "image/jpeg", "data_base64": b64(b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024))}, "reading.photo_size"),
    ],
    ids=["html", "svg", "not-base64", "oversized"],
)
def test_a_reading_photo_of_the_wrong_type_or_size_is_refused_and_nothing_is_stored(runtime, photo, code):
    contract = readings_support.make_contract(advance="80.00", start=date(2026, 12, 1))
    before = items(runtime)
    body = {"reading_date": runtime.now().date().isoformat(), "registers": readings_support.registers({"single": 1234}), "photo": photo}
    response = runtime.handle_api("POST", f"/me/delivery-points/{contract['ean']}/readings", readings_support.login(runtime, contract), body)
    assert_refused(response, 400, code)
    new = [item for item in items(runtime) if item not in before]
    assert not [item for item in new if "READING" in (item["PK"]["S"] + item["SK"]["S"]).upper()], new
    assert stored_objects(runtime) == []
    readings = runtime.handle_api("GET", f"/me/delivery-points/{contract['ean']}/readings", readings_support.login(runtime, contract))
    assert readings.status == 200 and "1234" not in readings.body.decode()
