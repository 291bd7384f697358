"""Complaints on the simulated clock: intake from the web form and from operators, the
first-response SLA sweep, resolution with compensation, the monthly report, erasure, retention."""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from support import load_event, table_environment

pytestmark = pytest.mark.workflow

TABLE = "wattdesk-WattDeskTable"
BUCKET = "wattdesk-documentsbucket"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"




def web_body(**changes) -> dict:
    body = load_event("complaints_api/web_form")
    body["reported_on"] = None
    body["related"] = {}
    for key, value in changes.items():
        if key in body["reporter"]:
            body["reporter"][key] = value
        else:
            body[key] = value
    return body


def attachment(name: str, content: bytes, content_type: str) -> dict:
    return {"filename": name, "content_type": content_type, "content_base64": base64.b64encode(content).decode()}


def submit(runtime, body: dict, headers: dict | None = None):
    return runtime.handle_api("POST", "/complaints", headers or {}, body)


def detail(runtime, operator, number: str) -> dict:
    response = runtime.handle_api("GET", f"/ops/complaints/{number}", operator)
    assert response.status == 200, response.body
    return response.json()


def post(runtime, who, path: str, body: dict, expected: int = 200) -> dict:
    response = runtime.handle_api("POST", path, who, body)
    assert response.status == expected, response.body
    return response.json()


def scan(runtime) -> list[dict]:
    items, kwargs = [], {"TableName": TABLE}
    while True:
        page = runtime.client("dynamodb").scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def bucket_name(runtime) -> str:
    return next(name for name in (b["Name"] for b in runtime.client("s3").list_buckets()["Buckets"]) if "documents" in name.lower())


def object_versions(runtime, prefix: str = "") -> list[dict]:
    s3 = runtime.client("s3")
    page = s3.list_object_versions(Bucket=bucket_name(runtime), Prefix=prefix)
    return page.get("Versions", []) + page.get("DeleteMarkers", [])


def make_customer(email: str, language: str = "nl", first_name: str = "Els") -> tuple[str, str]:
    from wattdesk.stores import enrollments as store

    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    at = "2027-01-15T09:00:00+00:00"
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=first_name, last_name="Claes", email=email, phone="+32470123456",
        language=language, referral_code=f"WD{uuid.uuid4().hex[:8].upper()}", created_from="test", created_at=at,
    )
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code="ELEC-FIX-1Y", start_date="2027-02-01",
        billing_frequency="monthly", payment={"method": "transfer", "iban": None, "account_holder": None},
        supply_address={"street": "Kerkstraat", "number": "5", "box": None, "postcode": "9000", "city": "Gent"},
        delivery_points=[{"energy": "electricity", "ean": "541414930000123454", "meter_type": "single", "situation": "switch", "eav_kwh": 3000}],
        first_advance="80.00", enrollment_id="test-complaint", created_at=at, GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"2027-02-01#{contract_id}",
    )
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [])
    return customer_id, contract_id


# ------------------------------------------------------------------ intake
def test_web_form_complaint_is_registered_routed_and_acknowledged_in_the_reporters_language(runtime, operator):
    runtime.reset(datetime(2027, 3, 2, 9, 0, tzinfo=UTC))  # a Tuesday
    body = web_body(attachments=[attachment("Jan Peeters - afrekening.pdf", PDF, "application/pdf"), attachment("meter.png", PNG, "image/png")])
    response = submit(runtime, body, {"Idempotency-Key": "form-1"})
    assert response.status == 201, response.body
    answer = response.json()
    number = answer["complaint_number"]
    assert number == "C-2027-000001"
    assert answer["first_response_due"] == "2027-03-09"  # 5 working days after Tuesday 2 March
    # A double click (same key, same body) gives the same complaint, not a second one.
    again = submit(runtime, body, {"Idempotency-Key": "form-1"})
    assert again.status == 201 and again.json()["complaint_number"] == number

    mails = runtime.outbox("jan.peeters@example.org")
    assert len(mails) == 1
    assert mails[0]["language"] == "nl"
    assert number in mails[0]["subject"] and number in mails[0]["text"]
    assert "9 maart 2027" in mails[0]["text"]

    complaint = detail(runtime, operator, number)
    assert complaint["receiver"] == "web_form" and complaint["channel"] == "web_form"
    assert complaint["registered_at"].startswith("2027-03-02T09:00") and complaint["arrival_on"] == "2027-03-02"
    assert complaint["handler"] == "team:billing" and complaint["forwarded_on"] == "2027-03-02"
    assert complaint["reporter"]["phone"] == "+32 9 123 45 67" and complaint["reporter"]["city"] == "Gent"
    assert complaint["status"] == "OPEN" and complaint["sla"] == "on_track" and complaint["working_days_left"] == 5
    assert [(a["filename"], a["content_type"], a["size"]) for a in complaint["attachments"]] == [
        ("Jan Peeters - afrekening.pdf", "application/pdf", len(PDF)), ("meter.png", "image/png", len(PNG))
    ]
    # Stored under a random key that names neither the complaint nor the file.
    keys = [version["Key"] for version in object_versions(runtime, "complaints/attachments/")]
    assert len(keys) == 2
    assert all(number not in key and "Peeters" not in key and len(key.rsplit("/", 1)[-1]) >= 40 for key in keys)
    download = runtime.handle_api("GET", f"/ops/complaints/{number}/attachments/{complaint['attachments'][0]['id']}", operator)
    assert download.status == 200 and download.body == PDF and download.headers["Content-Type"] == "application/pdf"


def test_web_form_refuses_a_file_whose_content_is_not_what_it_claims(runtime, operator):
    fake = attachment("invoice.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    response = submit(runtime, web_body(attachments=[fake]))
    assert response.status == 400
    assert response.json()["errors"][0] == {"field": "attachments[0]", "code": "attachment.content", "message": response.json()["errors"][0]["message"]}
    too_big = attachment("scan.pdf", PDF + b"0" * (4 * 1024 * 1024), "application/pdf")
    assert submit(runtime, web_body(attachments=[too_big])).json()["errors"][0]["code"] == "attachment.size"
    assert object_versions(runtime, "complaints/") == []
    assert runtime.outbox() == []
    assert runtime.handle_api("GET", "/ops/complaints", operator).json()["items"] == []


def test_web_form_needs_an_email_and_takes_only_its_own_channel(runtime):
    assert submit(runtime, web_body(email=None)).json()["errors"][0]["code"] == "email.required"
    assert submit(runtime, web_body(channel="phone")).json()["errors"][0]["code"] == "channel.not_allowed"
    assert submit(runtime, web_body(handler="someone")).json()["errors"][0]["code"] == "handler.not_allowed"
    assert submit(runtime, web_body(nature="weather")).status == 400


def test_french_reporter_gets_the_acknowledgement_in_french(runtime):
    submit(runtime, web_body(email="marie@example.org", name="Marie Lambert", language="fr", description="Le service client ne répond jamais au téléphone."))
    mail = runtime.outbox("marie@example.org")[0]
    assert mail["language"] == "fr" and mail["subject"].startswith("Nous avons reçu votre plainte (C-2027-")


def test_operator_registers_a_phone_complaint_the_day_after_the_call(runtime, operator, customer):
    runtime.reset(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))  # Monday; the call came on Friday 1 January (a holiday)
    body = load_event("complaints_api/phone")
    assert runtime.handle_api("POST", "/ops/complaints", customer, body).status == 403
    assert runtime.handle_api("POST", "/ops/complaints", {}, body).status == 401
    assert post(runtime, operator, "/ops/complaints", {**body, "channel": "web_form"}, 400)["errors"][0]["code"] == "channel.not_allowed"
    assert post(runtime, operator, "/ops/complaints", {**body, "related": {"invoice_number": "2027-A-999999"}}, 400)["errors"][0]["code"] == "invoice.unknown"

    number = post(runtime, operator, "/ops/complaints", body, 201)["complaint_number"]
    complaint = detail(runtime, operator, number)
    assert complaint["receiver"] == "an.operator@wattdesk.example"
    assert complaint["channel"] == "phone" and complaint["reported_on"] == "2027-01-01"
    assert complaint["arrival_on"] == "2027-01-01" and complaint["first_response_due"] == "2027-01-08"  # holiday arrival: Mon-Fri after
    assert complaint["handler"] == "team:sales-compliance" and complaint["forwarded_on"] == "2027-01-04"
    assert complaint["reporter"]["phone"] == "+32470123456" and complaint["contact_preference"] == "phone"
    # The acknowledgement still goes by mail when there is an address.
    assert runtime.outbox("camille.dubois@example.org")[0]["language"] == "fr"

    reassigned = post(runtime, operator, f"/ops/complaints/{number}/assignment", {"handler": "Sofie Maes"})
    assert (reassigned["handler"], reassigned["forwarded_on"]) == ("Sofie Maes", "2027-01-04")
    assert [entry["action"] for entry in reassigned["audit"]] == ["registered", "assigned"]

    letter = {**body, "channel": "letter", "reporter": {"name": "Anonymous writer", "street": "Dorp 1", "postcode": "3000", "city": "Leuven", "language": "nl"}, "handler": None}
    number2 = post(runtime, operator, "/ops/complaints", letter, 201)["complaint_number"]
    assert detail(runtime, operator, number2)["handler"] == "team:sales-compliance"  # routed by nature
    nothing = {**letter, "reporter": {"name": "Nobody", "language": "nl"}}
    assert post(runtime, operator, "/ops/complaints", nothing, 400)["errors"][0]["code"] == "contact.required"


# ------------------------------------------------------------------ SLA
def test_sla_sweep_flags_due_soon_and_breached_complaints_at_the_top_of_the_queue(runtime, operator):
    runtime.reset(datetime(2027, 3, 22, 9, 0, tzinfo=UTC))  # Monday
    first = submit(runtime, web_body(email="a@example.org", name="A One")).json()  # due Mon 29 -> Easter Monday -> Tue 30 March
    runtime.advance(to=datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    second = submit(runtime, web_body(email="b@example.org", name="B Two")).json()  # Wed 24 -> Thu 1 April
    runtime.advance(to=datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    third = submit(runtime, web_body(email="c@example.org", name="C Three")).json()  # Thu 25 -> Fri 2 April
    assert (first["first_response_due"], second["first_response_due"], third["first_response_due"]) == ("2027-03-30", "2027-04-01", "2027-04-02")

    def queue():
        return [(item["complaint_number"], item["sla_flag"]) for item in runtime.handle_api("GET", "/ops/complaints", operator).json()["items"]]

    # Monday 29 March is Easter Monday; the sweep of Tuesday 30 March, 06:15, sees the first on its deadline day.
    fired = runtime.advance(to=datetime(2027, 3, 30, 7, 0, tzinfo=UTC))
    assert "ComplaintsSweepsFunction-FirstResponseSla" in {f.schedule for f in fired}
    assert queue() == [(first["complaint_number"], "due_soon"), (second["complaint_number"], None), (third["complaint_number"], None)]

    # Wednesday 31 March: the first is breached, the second has 1 working day left.
    runtime.advance(to=datetime(2027, 3, 31, 7, 0, tzinfo=UTC))
    assert queue() == [(first["complaint_number"], "breached"), (second["complaint_number"], "due_soon"), (third["complaint_number"], None)]
    breached = detail(runtime, operator, first["complaint_number"])
    assert breached["sla_breached"] is True and breached["sla"] == "breached" and breached["working_days_left"] == -1
    assert "sla_breached" in [entry["action"] for entry in breached["audit"]]

    # The third gets its first answer in time; the second not: Friday 2 April it is breached too.
    post(runtime, operator, f"/ops/complaints/{third['complaint_number']}/feedback", {"feedback_on": "2027-03-31", "note": "Called back."})
    runtime.advance(to=datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    assert queue() == [(first["complaint_number"], "breached"), (second["complaint_number"], "breached"), (third["complaint_number"], None)]
    assert detail(runtime, operator, third["complaint_number"])["sla"] == "met"
    # A late answer to the first does not undo the recorded breach, and moves it out of the top.
    post(runtime, operator, f"/ops/complaints/{first['complaint_number']}/feedback", {"feedback_on": "2027-04-02"})
    assert [number for number, _ in queue()] == [second["complaint_number"], first["complaint_number"], third["complaint_number"]]
    assert detail(runtime, operator, first["complaint_number"])["sla"] == "breached"
    assert post(runtime, operator, f"/ops/complaints/{second['complaint_number']}/feedback", {"feedback_on": "2027-04-03"}, 400)["errors"][0]["code"] == "feedback_on.future"


# ------------------------------------------------------------------ resolution
def _issue_first_invoice(runtime) -> tuple[str, str, str]:
    """A customer with a contract starting 1 February, billed by the real monthly run."""
    runtime.reset(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    customer_id, contract_id = make_customer("els.claes@example.org")
    runtime.advance(to=datetime(2027, 2, 2, 9, 0, tzinfo=UTC))
    items = runtime.client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)", ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer_id}"}, ":sk": {"S": "INVOICE#"}}
    )["Items"]
    assert len(items) == 1
    return customer_id, contract_id, items[0]["number"]["S"]


def ledger_of(customer_id: str) -> list:
    from wattdesk.stores import ledger

    with table_environment():
        return ledger.entries(customer_id)


def test_admissible_billing_complaint_suspends_collection_and_is_compensated_on_the_account(runtime, operator):
    from wattdesk.stores.complaints import open_complaint_about

    customer_id, contract_id, invoice_number = _issue_first_invoice(runtime)
    balance_before = sum(Decimal(entry.amount) for entry in ledger_of(customer_id))
    # Someone else naming the invoice on the web form suspends nothing.
    stranger = submit(runtime, web_body(email="stranger@example.org", related={"invoice_number": invoice_number})).json()
    assert detail(runtime, operator, stranger["complaint_number"])["related"] == {"invoice_number": invoice_number, "verified": False}
    with table_environment():
        assert open_complaint_about(invoice_number) is False

    number = submit(runtime, web_body(email="Els.Claes@example.org", name="Els Claes", related={"invoice_number": invoice_number})).json()["complaint_number"]
    complaint = detail(runtime, operator, number)
    assert complaint["customer_id"] == customer_id and complaint["links"] == [f"INVOICE#{invoice_number}"]
    with table_environment():
        assert open_complaint_about(invoice_number) is True

    assert post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "25.00"}, 400)["errors"][0]["code"] == "complaint.not_assessed"
    post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "admissible", "short_description": "Estimated reading far too high"})
    resolved = post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "25.00", "method": "credit", "note": "Goodwill for the wrong estimate."}, 201)
    assert [(r["kind"], r["amount"], r["method"]) for r in resolved["resolutions"]] == [("compensation", "25.00", "credit")]
    # Replaying the request books nothing twice.
    assert post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "25.00", "method": "credit"}, 400)["errors"][0]["code"] == "resolution.already_recorded"
    compensation = [entry for entry in ledger_of(customer_id) if entry.kind == "compensation"]
    assert [(e.amount, e.reference, e.invoice_number) for e in compensation] == [("-25.00", number, None)]
    assert compensation[0].SK.endswith(f"#COMPENSATION#COMPLAINT#{number}")
    assert sum(Decimal(entry.amount) for entry in ledger_of(customer_id)) == balance_before - Decimal("25.00")

    post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "reprimand", "note": "Meter reader skipped the visit.", "employee": "Tom V."}, 201)
    # A reprimand stays internal; a cancellation hands over to contract end.
    post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "cancellation", "contract_id": contract_id, "end_on": "2027-03-01"}, 201)
    handover = runtime.client("dynamodb").get_item(TableName=TABLE, Key={"PK": {"S": f"CONTRACTEND#{contract_id}"}, "SK": {"S": f"REQUEST#COMPLAINT#{number}"}})["Item"]
    assert (handover["status"]["S"], handover["end_on"]["S"], handover["exit_fee_waived"]["BOOL"]) == ("REQUESTED", "2027-03-01", True)

    assert post(runtime, operator, f"/ops/complaints/{number}/close", {"summary": "We corrected the reading.", "measures": ""}, 400)["errors"][0]["field"] == "measures"
    closed = post(runtime, operator, f"/ops/complaints/{number}/close", {"summary": "We replaced the estimate by your own reading.", "measures": "Estimates above 150 % are reviewed by hand."})
    assert closed["status"] == "CLOSED" and closed["closed_on"] == "2027-02-02" and closed["first_response_on"] == "2027-02-02"
    with table_environment():
        assert open_complaint_about(invoice_number) is False  # collection resumes
    outcome = runtime.outbox("Els.Claes@example.org")[-1]
    assert outcome["language"] == "nl" and outcome["subject"] == f"Uw klacht {number} is afgehandeld"
    assert "EUR 25,00" in outcome["text"] and "1 maart 2027" in outcome["text"] and "Tom V." not in outcome["text"]
    assert post(runtime, operator, f"/ops/complaints/{number}/feedback", {"feedback_on": "2027-02-02"}, 409)["errors"][0]["code"] == "complaint.closed"

    # Every item of the closed complaint expires 5 years after closing (DynamoDB TTL).
    expected = int(datetime(2032, 2, 2, 9, 0, tzinfo=UTC).timestamp())
    mine = [item for item in scan(runtime) if number in item["PK"]["S"] or number in item["SK"]["S"]]
    assert {item["SK"]["S"].split("#")[0] for item in mine} >= {"COMPLAINT", "AUDIT", "NOTE", "MAIL"}
    assert {item["PK"]["S"].split("#")[0] for item in mine} >= {"COMPLAINT", "COMPLAINTS", "INVOICE", "CONTRACTEND"}
    kept_by_other_workflows = ("CONTRACTEND#", "CUSTOMER#")  # the hand-over and the ledger entry are not complaint data
    for item in mine:
        if item["PK"]["S"].startswith(kept_by_other_workflows):
            continue
        assert int(item["expires_at"]["N"]) == expected, item["PK"]["S"] + " " + item["SK"]["S"]


def test_compensation_by_refund_hands_over_to_the_refund_workflow(runtime, operator):
    customer_id, _contract_id, invoice_number = _issue_first_invoice(runtime)
    number = post(runtime, operator, "/ops/complaints", {**load_event("complaints_api/phone"), "nature": "billing", "related": {"invoice_number": invoice_number}}, 201)["complaint_number"]
    post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "dissatisfaction"})
    assert post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "10.00"}, 400)["errors"][0]["code"] == "resolution.not_allowed"
    # Re-assessed before any resolution: admissible, paid back as a refund.
    post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "admissible"})
    post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "40.00", "method": "refund"}, 201)
    request = runtime.client("dynamodb").get_item(TableName=TABLE, Key={"PK": {"S": f"REFUNDREQUEST#COMPLAINT#{number}"}, "SK": {"S": "REQUEST"}})["Item"]
    assert (request["status"]["S"], request["amount"]["S"], request["customer_id"]["S"], request["GSI1PK"]["S"]) == ("REQUESTED", "40.00", customer_id, "QUEUE#REFUNDREQUEST#REQUESTED")
    assert [entry for entry in ledger_of(customer_id) if entry.kind == "compensation"] == []  # the refund workflow pays it
    assert post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "dissatisfaction"}, 409)["errors"][0]["code"] == "assessment.resolved"


def test_admissible_billing_complaint_holds_the_reminder_and_its_compensation_is_paid_by_the_refund_workflow(runtime, operator):
    """Issue 9 "Done when": an unpaid advance, a complaint about it, no reminder while it is open
    (ops see why), resolved as admissible with a compensation by refund; the customer pays the
    advance, the refund workflow's sweeps put the compensation in the day's pain.001 file and the
    bank statement marks it PAID. The account is square and its balance is the sum of its entries."""
    import dunning_support
    from collection_support import camt053, credit_entry, xml_upload
    from refund_support import ledger_view, payment_files, set_bank_account, statement, transfer_out
    from wattdesk.adapters import sepa_files

    runtime.reset(dunning_support.JANUARY)
    runtime.only_schedules("BillingRunStateMachine-", "DunningStateMachine-", "DunningSweepsFunction-", "ComplaintsSweepsFunction-", "RefundSweepsFunction-")
    debtor = dunning_support.make_customer(21, "9000", "nl")
    control = dunning_support.make_customer(22, "9000", "nl")  # the same advance, no complaint
    customer_id, iban = debtor["customer_id"], "BE71096123456769"
    set_bank_account(customer_id, iban, "Debtor21 Test", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))

    # Thursday 18 February, the advance (70.00, due 16 February) is unpaid: the customer phones.
    runtime.advance(to=dunning_support.at("2027-02-18", 9))
    (invoice,) = dunning_support.invoices_of(customer_id)
    assert (invoice.due_date, invoice.totals["incl_vat"], invoice.status) == ("2027-02-16", "70.00", "OPEN")
    phoned = load_event("complaints_api/phone")
    phoned["reporter"].update(name="Debtor21 Test", email=debtor["email"], language="nl", customer_number=customer_id, postcode="9000", city="Gent", street="Kerkstraat 21")
    body = {**phoned, "reported_on": "2027-02-18", "nature": "billing", "handler": None, "related": {"invoice_number": invoice.number},
            "description": "Het voorschot is twee keer zo hoog als in mijn contract staat."}
    number = post(runtime, operator, "/ops/complaints", body, 201)["complaint_number"]

    # Monday 22 February, the reminder day: the control customer gets the free reminder, the
    # complainant none; ops see the case suspended by the complaint.
    runtime.advance(to=dunning_support.at("2027-02-22"))
    assert len(dunning_support.mails(runtime, control, "Herinnering: factuur")) == 1
    assert dunning_support.mails(runtime, debtor, "Herinnering: factuur") == []
    suspended = runtime.handle_api("GET", "/ops/dunning/cases?status=SUSPENDED", operator).json()["items"]
    (held,) = [item for item in suspended if item["invoice_number"] == invoice.number]
    assert (held["status"], held["steps"]) == ("SUSPENDED", [])
    assert held["suspension"]["reason"] == "complaint" and held["suspension"]["detail"] == "open complaint about the invoice or its reminder"

    # Tuesday 23 February: answered, admissible, compensated by refund; the customer pays the
    # advance by transfer with its OGM; the complaint is closed.
    runtime.advance(to=dunning_support.at("2027-02-23", 10))
    post(runtime, operator, f"/ops/complaints/{number}/feedback", {"feedback_on": "2027-02-23", "note": "Called back: the advance was set from a wrong EAV."})
    post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "admissible", "short_description": "Advance too high"})
    post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "25.00", "method": "refund", "note": "Compensation for the wrong advance."}, 201)
    day = date(2027, 2, 23)
    paid = xml_upload(runtime, "/ops/bank-statements", operator, camt053("2027-054", day, credit_entry("20270223-0001", "70.00", day, "Debtor21 Test", iban, structured=invoice.ogm)))
    assert paid.status == 200 and paid.json()["counts"]["booked"] == 1
    closed = post(runtime, operator, f"/ops/complaints/{number}/close", {"summary": "Advance corrected; 25.00 compensation refunded.", "measures": "Advances are checked against the EAV at enrollment."})
    assert closed["status"] == "CLOSED"

    # Wednesday 24 February 06:00 the hand-over becomes a refund (nothing open to offset against:
    # the whole 25.00 is paid out), approved without four eyes (small amount, IBAN on file for months).
    runtime.advance(to=datetime(2027, 2, 24, 6, 0, tzinfo=UTC))
    approved = [r for r in runtime.handle_api("GET", "/ops/refunds?status=APPROVED", operator).json()["items"] if r["customer_id"] == customer_id]
    assert [(r["source"], r["source_id"], r["amount"]) for r in approved] == [("COMPLAINT", number, "25.00")]
    refund_id = approved[0]["refund_id"]
    # 14:00: the day's pain.001 file, valid against its XSD, pays the compensation to the account on file.
    runtime.advance(to=datetime(2027, 2, 24, 14, 0, tzinfo=UTC))
    files = payment_files(runtime)
    transfers = []
    for xml in files.values():
        sepa_files.validate(xml, sepa_files.PAIN_001)
        transfers += sepa_files.read_pain001(xml)
    assert [(t["end_to_end_id"], t["amount"], t["iban"]) for t in transfers] == [(refund_id, "25.00", iban)]
    assert number in transfers[0]["remittance"]
    assert runtime.handle_api("GET", f"/ops/refunds/{refund_id}", operator).json()["status"] == "SENT"

    # Thursday 25 February the bank statement shows the transfer: PAID.
    out_day = date(2027, 2, 25)
    booked = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-056", out_day, transfer_out(refund_id, "25.00", iban, "Debtor21 Test", out_day)))
    assert booked.status == 200 and booked.json()["refunds"] == {"paid": 1}
    runtime.wait_until_settled()
    assert runtime.handle_api("GET", f"/ops/refunds/{refund_id}", operator).json()["status"] == "PAID"

    # No reminder was ever sent; the case closed as paid; the account is square.
    assert dunning_support.mails(runtime, debtor, "Herinnering: factuur") == []
    final = runtime.handle_api("GET", f"/ops/dunning/cases/{invoice.number}", operator).json()
    assert (final["status"], final["closed_reason"], final["steps"]) == ("CLOSED", "paid", [])
    assert ("SUSPENDED", "suspended: open complaint about the invoice or its reminder") in [(h["status"], h["reason"]) for h in final["history"]]
    balance, entries = ledger_view(customer_id)  # asserts the balance is the sum of the entries
    assert balance == Decimal("0.00")
    assert sorted((kind, amount) for kind, amount, _n in entries) == [("compensation", "-25.00"), ("invoice", "70.00"), ("payment", "-70.00"), ("refund", "25.00")]
    complaint = detail(runtime, operator, number)
    assert complaint["status"] == "CLOSED" and [(r["kind"], r["amount"], r["method"]) for r in complaint["resolutions"]] == [("compensation", "25.00", "refund")]


# ------------------------------------------------------------------ monthly report
def _march(runtime, operator) -> list[str]:
    """Known complaints registered in March 2027."""
    runtime.reset(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))  # Monday
    numbers = []
    numbers.append(submit(runtime, web_body(email="r1@example.org", nature="billing")).json()["complaint_number"])
    numbers.append(post(runtime, operator, "/ops/complaints", {**load_event("complaints_api/phone"), "reported_on": "2027-03-01", "nature": "meter_reading", "handler": "=HYPERLINK(\"http://x\")"}, 201)["complaint_number"])
    runtime.advance(to=datetime(2027, 3, 3, 9, 0, tzinfo=UTC))
    post(runtime, operator, f"/ops/complaints/{numbers[0]}/feedback", {"feedback_on": "2027-03-03"})  # 2 days
    post(runtime, operator, f"/ops/complaints/{numbers[0]}/assessment", {"assessment": "dissatisfaction"})
    post(runtime, operator, f"/ops/complaints/{numbers[0]}/resolutions", {"kind": "explanation", "note": "Explained the estimate."}, 201)
    post(runtime, operator, f"/ops/complaints/{numbers[0]}/close", {"summary": "Explained.", "measures": "Clearer invoice text."})
    runtime.advance(to=datetime(2027, 3, 10, 9, 0, tzinfo=UTC))  # the meter reading one is breached (due 8 March)
    post(runtime, operator, f"/ops/complaints/{numbers[1]}/feedback", {"feedback_on": "2027-03-10"})  # 9 days, 7 working days
    post(runtime, operator, f"/ops/complaints/{numbers[1]}/assessment", {"assessment": "admissible"})
    numbers.append(submit(runtime, web_body(email="r3@example.org", nature="billing")).json()["complaint_number"])
    runtime.advance(to=datetime(2027, 3, 15, 9, 0, tzinfo=UTC))
    post(runtime, operator, f"/ops/complaints/{numbers[2]}/feedback", {"feedback_on": "2027-03-15"})  # 5 days, 3 working days
    runtime.advance(to=datetime(2027, 3, 30, 9, 0, tzinfo=UTC))
    numbers.append(submit(runtime, web_body(email="r4@example.org", nature="service")).json()["complaint_number"])  # due 6 April
    runtime.advance(to=datetime(2027, 3, 31, 20, 0, tzinfo=UTC))
    numbers.append(submit(runtime, web_body(email="r5@example.org", nature="other")).json()["complaint_number"])  # 31 March 22:00 in Brussels
    runtime.advance(to=datetime(2027, 3, 31, 23, 0, tzinfo=UTC))
    submit(runtime, web_body(email="r6@example.org", nature="billing"))  # 1 April 01:00 in Brussels: April
    return numbers


EXPECTED_MARCH = [
    ["section", "item", "value"],
    ["report", "month", "2027-03"],
    ["report", "as_of", "2027-04-01"],
    ["complaints", "total", "5"],
    ["nature", "billing", "2"],
    ["nature", "meter_reading", "1"],
    ["nature", "contract", "0"],
    ["nature", "payment", "0"],
    ["nature", "sales_conduct", "0"],
    ["nature", "service", "1"],
    ["nature", "other", "1"],
    ["assessment", "admissible", "1"],
    ["assessment", "inadmissible", "1"],
    ["assessment", "not_assessed", "3"],
    ["status", "open", "4"],
    ["status", "closed", "1"],
    ["first_response_sla", "met", "2"],
    ["first_response_sla", "breached", "1"],
    ["first_response_sla", "pending", "2"],
    ["first_response", "median_days", "5.0"],
    ["first_response", "median_working_days", "3.0"],
]


def test_monthly_report_for_march_cell_by_cell_and_stored_on_the_first(runtime, operator):
    numbers = _march(runtime, operator)
    fired = runtime.advance(to=datetime(2027, 4, 1, 8, 0, tzinfo=UTC))
    assert "ComplaintsSweepsFunction-MonthlyReport" in {f.schedule for f in fired}

    response = runtime.handle_api("GET", "/ops/complaints/report?month=2027-03&format=csv", operator)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.body.decode()))) == EXPECTED_MARCH

    data = runtime.handle_api("GET", "/ops/complaints/report?month=2027-03", operator).json()
    assert data["total"] == 5 and data["first_response_sla"] == {"met": 2, "breached": 1, "pending": 2}

    stored = runtime.client("s3").get_object(Bucket=bucket_name(runtime), Key="reports/complaints/2027-03/report.csv")["Body"].read().decode()
    assert list(csv.reader(io.StringIO(stored))) == EXPECTED_MARCH
    stored_json = json.loads(runtime.client("s3").get_object(Bucket=bucket_name(runtime), Key="reports/complaints/2027-03/report.json")["Body"].read())
    assert stored_json == data

    svg = runtime.handle_api("GET", "/ops/complaints/report?month=2027-03&format=svg", operator)
    assert svg.headers["Content-Type"] == "image/svg+xml" and b"Complaints 2027-03: 5 registered" in svg.body
    assert runtime.client("s3").head_object(Bucket=bucket_name(runtime), Key="reports/complaints/2027-03/report.svg")["ContentType"] == "image/svg+xml"

    listing = list(csv.reader(io.StringIO(runtime.handle_api("GET", "/ops/complaints/report?month=2027-03&view=complaints", operator).body.decode())))
    assert [row[0] for row in listing[1:]] == numbers
    assert listing[2][4] == "'=HYPERLINK(\"http://x\")"  # an operator's text cannot become a formula
    assert runtime.handle_api("GET", "/ops/complaints/report?month=2027-13", operator).status == 400


# ------------------------------------------------------------------ erasure and retention
@contextmanager
def captured_logs():
    from wattdesk import observability

    stream = io.StringIO()
    log = observability.logger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.registered_formatter)
    log.addHandler(handler)
    saved = log.log_level
    log.setLevel("DEBUG")
    try:
        yield stream
    finally:
        log.setLevel(saved)
        log._logger.removeHandler(handler)


PERSONAL = ["Jan Peeters", "Peeters", "jan.peeters@example.org", "+3291234567", "+32 9 123 45 67", "Kerkstraat", "afrekening", "geschatte meterstand"]


def test_erasure_leaves_no_personal_data_in_table_bucket_or_logs_and_keeps_the_report(runtime, operator):
    import hashlib

    supervisor = {"Authorization": runtime.login("a.supervisor@wattdesk.example", ["supervisors"])["id_token"]}
    runtime.reset(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    with captured_logs() as logs:
        first = submit(runtime, web_body(description="Mijn afrekening is gebaseerd op een geschatte meterstand, zegt Jan Peeters.", attachments=[attachment("Jan Peeters afrekening.pdf", PDF, "application/pdf")])).json()["complaint_number"]
        second = post(runtime, operator, "/ops/complaints", {**load_event("complaints_api/web_form"), "channel": "email", "reported_on": "2027-03-01", "nature": "service", "related": {}}, 201)["complaint_number"]
        other = submit(runtime, web_body(email="someone.else@example.org", name="Someone Else", street="Marktplein 1", phone=None, description="De klantendienst antwoordt niet op mijn mails.")).json()["complaint_number"]
        post(runtime, operator, f"/ops/complaints/{second}/attachments", {"attachments": [attachment("foto.png", PNG, "image/png")]}, 201)
        post(runtime, operator, f"/ops/complaints/{second}/assessment", {"assessment": "dissatisfaction", "short_description": "Peeters unhappy about waiting"})
        post(runtime, operator, f"/ops/complaints/{second}/resolutions", {"kind": "explanation", "note": "Called Jan Peeters on +32 9 123 45 67."}, 201)
        post(runtime, operator, f"/ops/complaints/{second}/close", {"summary": "Mr Peeters accepted the explanation.", "measures": "Call-back within a day; Peeters case used in training."})
        # March's report stored as the schedule of 1 April would (the sweep takes its as-of time).
        payload, errored, _ = runtime.invoke("ComplaintsSweepsFunction", load_event("complaints_sweeps/monthly_report"))
        assert not errored and json.loads(payload)["month"] == "2027-03"
        before = runtime.handle_api("GET", "/ops/complaints/report?month=2027-03", operator).json()
        assert before["total"] == 3

        assert runtime.handle_api("POST", "/ops/privacy/erasure", operator, load_event("complaints_api/erasure")).status == 403
        erased = post(runtime, supervisor, "/ops/privacy/erasure", load_event("complaints_api/erasure"))
        assert erased["complaints"] == sorted([first, second]) and erased["attachments_deleted"] >= 2
        after = runtime.handle_api("GET", "/ops/complaints/report?month=2027-03", operator).json()

    assert after == before
    email_hash = hashlib.sha256(b"jan.peeters@example.org").hexdigest()
    table_text = json.dumps(scan(runtime))
    for value in [*PERSONAL, email_hash]:
        assert value.lower() not in table_text.lower(), value
    assert "Someone Else" in table_text  # the other person's complaint is untouched
    complaint = detail(runtime, operator, second)
    assert complaint["reporter"] == {"erased": True, "language": "nl"} and complaint["description"] == "[erased]"
    assert complaint["measures"] == "Call-back within a day; [erased] case used in training."
    assert (complaint["nature"], complaint["channel"], complaint["assessment"], complaint["status"]) == ("service", "email", "dissatisfaction", "CLOSED")
    assert complaint["erased"] is True and "erased" in [entry["action"] for entry in complaint["audit"]]
    # The bucket keeps only the other complaint's nothing and the aggregate reports.
    s3 = runtime.client("s3")
    remaining = object_versions(runtime)
    assert all(not version["Key"].startswith("complaints/") for version in remaining)
    for version in remaining:
        body = s3.get_object(Bucket=bucket_name(runtime), Key=version["Key"], VersionId=version["VersionId"])["Body"].read().decode("utf-8", "replace")
        assert not any(value.lower() in body.lower() for value in PERSONAL), version["Key"]
    # The audit says what was done, not to whom.
    audit = [item for item in scan(runtime) if item["PK"]["S"].startswith("ERASURE#")]
    assert len(audit) == 1 and audit[0]["request_reference"]["S"] == "PRIV-2027-0042" and audit[0]["actor"]["S"] == "a.supervisor@wattdesk.example"
    assert "expires_at" in audit[0]
    log_text = logs.getvalue()
    assert "complaint registered" in log_text and "erasure carried out" in log_text
    for value in PERSONAL:
        assert value.lower() not in log_text.lower(), value
    # A second request finds nothing left to erase.
    assert post(runtime, supervisor, "/ops/privacy/erasure", load_event("complaints_api/erasure"))["complaints"] == []
    assert other in [item["complaint_number"] for item in runtime.handle_api("GET", "/ops/complaints", operator).json()["items"]]


def test_an_item_past_retention_is_removed_with_its_attachments(runtime, operator):
    runtime.reset(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    number = submit(runtime, web_body(attachments=[attachment("scan.pdf", PDF, "application/pdf")])).json()["complaint_number"]
    keep = submit(runtime, web_body(email="still.open@example.org")).json()["complaint_number"]
    post(runtime, operator, f"/ops/complaints/{number}/assessment", {"assessment": "dissatisfaction"})
    post(runtime, operator, f"/ops/complaints/{number}/resolutions", {"kind": "no_action"}, 201)
    closed = post(runtime, operator, f"/ops/complaints/{number}/close", {"summary": "Nothing was wrong.", "measures": "None needed."})
    assert closed["expires_at"] == int(datetime(2032, 1, 4, 9, 0, tzinfo=UTC).timestamp())
    # The attachment was re-copied with the retention tag the bucket's lifecycle rule expires.
    [version] = object_versions(runtime, "complaints/attachments/")
    tags = runtime.client("s3").get_object_tagging(Bucket=bucket_name(runtime), Key=version["Key"])["TagSet"]
    assert tags == [{"Key": "retention", "Value": "complaint-closed"}]

    def sweep(as_of: datetime) -> dict:
        event = {**load_event("complaints_sweeps/retention"), "as_of": as_of.isoformat().replace("+00:00", "Z")}
        payload, errored, _ = runtime.invoke("ComplaintsSweepsFunction", event)
        assert not errored, payload
        return json.loads(payload)

    assert sweep(datetime(2032, 1, 4, 2, 30, tzinfo=UTC))["complaints"] == 0  # the day it expires, before the closing time
    assert detail(runtime, operator, number)["status"] == "CLOSED"
    result = sweep(datetime(2032, 1, 5, 2, 30, tzinfo=UTC))
    assert result["complaints"] == 1 and result["attachment_versions"] == 1
    left = [item for item in scan(runtime) if number in json.dumps(item)]
    assert left == []
    assert object_versions(runtime, "complaints/attachments/") == []
    assert runtime.handle_api("GET", f"/ops/complaints/{number}", operator).status == 404
    assert detail(runtime, operator, keep)["status"] == "OPEN"  # open complaints are kept


def test_sweep_refuses_a_malformed_event(runtime):
    payload, errored, _ = runtime.invoke("ComplaintsSweepsFunction", load_event("complaints_sweeps/malformed"))
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"
    payload, errored, _ = runtime.invoke("ComplaintsSweepsFunction", load_event("complaints_sweeps/sla"))
    assert not errored and json.loads(payload)["checked"] == 0
