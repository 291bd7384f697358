"""Group purchases through the local runtime: an organiser's file becomes enrollments, once."""

from __future__ import annotations

import base64
import csv
import io
import json
import sys
import os
from contextlib import contextmanager

import pytest

from support import ROOT, load_event, table_environment

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "group_purchase"))
import generate  # noqa: E402

pytestmark = pytest.mark.workflow

CAMPAIGN = "GP-2027"
ORGANISER = "inschrijvingen@groepsaankoop.example"
# An import of 200 rows runs ~1,000 handler invocations one at a time on this machine.
SETTLE_S = 900


@pytest.fixture
def campaign(runtime, operator):
    response = runtime.handle_api(
        "PUT", f"/ops/campaigns/{CAMPAIGN}", operator,
        {"product_code": "ELEC-FIX-1Y", "organiser_email": ORGANISER, "organiser_language": "nl", "welcome_credit": "25.00", "name": "Samen stroom 2027"},
    )
    assert response.status == 200, response.body
    return response.json()


def upload(runtime, operator, content: bytes, file_name: str = "deelnemers.csv", **extra):
    body = {"campaign_code": CAMPAIGN, "product_code": "ELEC-FIX-1Y", "file_name": file_name, "content_base64": base64.b64encode(content).decode(), **extra}
    return runtime.handle_api("POST", "/ops/group-purchases", operator, body)


def progress(runtime, operator, import_id: str) -> dict:
    return runtime.handle_api("GET", f"/ops/group-purchases/{import_id}", operator).json()


def report(runtime, operator, import_id: str) -> list[dict]:
    response = runtime.handle_api("GET", f"/ops/group-purchases/{import_id}/report", operator)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.body.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the UTF-8 as UTF-8
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def enrollment_executions(runtime) -> list[dict]:
    return [e for e in runtime.executions() if e["stateMachine"] == "EnrollmentStateMachine"]


def two_hundred_rows(today) -> list[generate.Row]:
    """179 good rows (one with a formula as its reference), 12 hard errors (two of each kind),
    8 soft problems, and a duplicate of the first good row, interleaved."""
    kinds = ["good"] * 179 + [kind for kind in generate.HARD_CODES for _ in range(2)] + ["soft_move_in"] * 4 + ["soft_register"] * 4
    order = sorted(range(len(kinds)), key=lambda i: (i * 37) % len(kinds))
    rows = [generate.row(serial, kinds[index], today, CAMPAIGN) for serial, index in enumerate(order, start=1)]
    first_good = next(row for row in rows if row.kind == "good")
    duplicate = generate.Row("duplicate", {**first_good.values, "row_reference": "-copy of the first good row"})
    rows.insert(120, duplicate)
    rows[5].values["row_reference"] = '=HYPERLINK("http://evil.example","click")'
    assert len(rows) == 200
    return rows


def test_a_200_row_file_ends_with_the_expected_counts_and_report_and_a_second_upload_changes_nothing(runtime, operator, campaign):
    rows = two_hundred_rows(runtime.now().date())
    content = generate.to_csv(rows, delimiter=";", encoding="cp1252")  # how Belgian Excel saves "CSV"

    response = upload(runtime, operator, content)
    assert response.status == 202, response.body
    import_id = response.json()["import_id"]
    runtime.wait_until_settled(timeout=SETTLE_S)

    view = progress(runtime, operator, import_id)
    assert view["status"] == "COMPLETED"
    assert view["progress_percent"] == 100
    assert view["rows"] == {"total": 200, "done": 200, "processing": 0, "waiting": 179, "confirmed": 0, "blocked": 8, "rejected": 12, "duplicate": 1, "failed": 0, "cancelled": 0}

    lines = report(runtime, operator, import_id)
    assert [int(line["row"]) for line in lines] == list(range(2, 202))  # the file's line numbers
    by_reference = {}
    for row, line in zip(rows, lines):
        by_reference[row.values["row_reference"]] = line
        codes = line["error_codes"].split()
        if row.kind == "good":
            assert (line["outcome"], codes) == ("waiting", []) and line["enrollment_id"]
        elif row.kind in generate.HARD_CODES:
            assert line["outcome"] == "rejected" and generate.HARD_CODES[row.kind] in codes and not line["enrollment_id"]
            assert line["columns"].split()  # the organiser is told which column to fix
        elif row.kind in generate.SOFT_CODES:
            assert line["outcome"] == "blocked" and generate.SOFT_CODES[row.kind] in codes and line["enrollment_id"]
        else:
            assert (line["outcome"], codes) == ("duplicate", ["row.duplicate"])
    first_good = next(row for row in rows if row.kind == "good")
    copy = by_reference["-copy of the first good row"]
    assert copy["enrollment_id"] == by_reference[first_good.values["row_reference"]]["enrollment_id"]
    assert copy["row_reference"] == "'-copy of the first good row"  # a leading "-" is escaped too
    assert lines[5]["row_reference"].startswith("'=HYPERLINK")  # never run as a formula
    enrolled = [line["enrollment_id"] for line in lines if line["outcome"] in ("waiting", "blocked")]
    assert len(set(enrolled)) == 187 == len(enrollment_executions(runtime))

    # Mails: every enrolled customer got the usual "received" mail, the organiser the summary with the report.
    outbox = runtime.outbox()
    organiser_mails = [mail for mail in outbox if ORGANISER in mail["to"]]
    assert len(organiser_mails) == 1 and organiser_mails[0]["language"] == "nl"
    assert "179" in organiser_mails[0]["text"] and "geweigerd (fouten in de rij): 12" in organiser_mails[0]["text"]
    attachment = runtime.mail_attachment(organiser_mails[0]["id"], f"{import_id}-report.csv")
    assert attachment is not None and attachment.decode("utf-8").count("\r\n") == 201
    assert len(outbox) - 1 == 187
    good_emails = {row.values["email"] for row in rows if row.kind in ("good", "soft_move_in", "soft_register")}
    assert {mail["to"][0] for mail in outbox if ORGANISER not in mail["to"]} == good_emails

    # Soft problems wait in the After-Sales queue, tagged with the campaign.
    queue = runtime.handle_api("GET", "/ops/enrollments?status=BLOCKED", operator).json()["items"]
    assert len(queue) == 8 and {item["campaign_code"] for item in queue} == {CAMPAIGN} and {item["channel"] for item in queue} == {"group_purchase"}

    # The same file again: the first import's answer; nothing started, nothing mailed.
    again = upload(runtime, operator, content)
    assert again.status == 200 and again.json()["import_id"] == import_id and again.json()["duplicate_upload"] is True
    runtime.wait_until_settled(timeout=SETTLE_S)
    assert progress(runtime, operator, import_id)["rows"] == view["rows"]
    assert len(runtime.outbox()) == len(outbox)

    # The same rows saved again by the organiser (other bytes: comma-separated UTF-8): a new
    # import whose rows are all known, so no second enrollment and no customer mail.
    resaved = upload(runtime, operator, generate.to_csv(rows, delimiter=",", encoding="utf-8"), file_name="deelnemers-v2.csv")
    assert resaved.status == 202
    runtime.wait_until_settled(timeout=SETTLE_S)
    second = progress(runtime, operator, resaved.json()["import_id"])
    assert second["rows"]["duplicate"] == 188 and second["rows"]["rejected"] == 12 and second["rows"]["done"] == 200
    assert len(enrollment_executions(runtime)) == 187
    assert [mail for mail in runtime.outbox() if ORGANISER not in mail["to"]] == [mail for mail in outbox if ORGANISER not in mail["to"]]
    assert {line["error_codes"] for line in report(runtime, operator, resaved.json()["import_id"]) if line["outcome"] == "duplicate"} == {"row.already_imported"}


def test_a_file_with_a_missing_column_is_refused_whole_and_nothing_starts(runtime, operator, campaign):
    today = runtime.now().date()
    header = [column for column in generate.HEADER if column not in ("iban", "postcode")]
    content = generate.to_csv([generate.row(n, "good", today, CAMPAIGN) for n in range(1, 6)], header=header)

    # Uploaded by ops: refused at once with the missing columns named; nothing stored.
    response = upload(runtime, operator, content)
    assert response.status == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "file.missing_columns" and "postcode" in error["message"] and "iban" in error["message"]
    assert runtime.handle_api("GET", "/ops/group-purchases", operator).json()["items"] == []

    # Dropped in S3: the state machine refuses it with the same report and tells the organiser.
    runtime.client("s3").put_object(Bucket=inbox_bucket(runtime), Key=f"group-purchases/incoming/{CAMPAIGN}/leden januari.csv", Body=content)
    runtime.wait_until_settled(timeout=SETTLE_S)
    (item,) = runtime.handle_api("GET", "/ops/group-purchases", operator).json()["items"]
    assert item["status"] == "REFUSED" and item["source"] == "s3" and item["file_name"] == "leden januari.csv"
    assert item["problems"][0]["code"] == "file.missing_columns" and set(item["problems"][0]["columns"]) == {"iban", "postcode"}
    assert item["rows"]["total"] == 0
    assert enrollment_executions(runtime) == []
    (mail,) = runtime.outbox()
    assert mail["to"] == [ORGANISER] and "geweigerd" in mail["subject"] and "iban" in mail["text"]


def inbox_bucket(runtime) -> str:
    return runtime.template.physical["GroupPurchaseBucket"]["Ref"]


def test_a_workbook_dropped_in_s3_enrolls_its_rows_and_confirmed_customers_get_the_welcome_credit(runtime, operator, campaign):
    today = runtime.now().date()
    rows = [generate.row(n, "good", today, CAMPAIGN) for n in range(1, 4)] + [generate.row(4, "hard_iban", today, CAMPAIGN)]
    runtime.client("s3").put_object(Bucket=inbox_bucket(runtime), Key=f"group-purchases/incoming/{CAMPAIGN}/deelnemers.xlsx", Body=generate.to_xlsx(rows))
    runtime.wait_until_settled(timeout=SETTLE_S)
    (item,) = runtime.handle_api("GET", "/ops/group-purchases", operator).json()["items"]
    assert item["source"] == "s3" and item["status"] == "COMPLETED"
    assert item["rows"]["waiting"] == 3 and item["rows"]["rejected"] == 1

    # The grid operator answers at the next daily sweep: contracts, confirmation mails, credits.
    runtime.options.settle_timeout_s, saved = SETTLE_S, runtime.options.settle_timeout_s
    try:
        runtime.advance(days=1)
    finally:
        runtime.options.settle_timeout_s = saved
    view = progress(runtime, operator, item["import_id"])
    assert view["rows"]["confirmed"] == 3 and view["rows"]["waiting"] == 0 and view["rows"]["done"] == 4
    for row in rows[:3]:
        subjects = [mail["subject"] for mail in runtime.outbox(to=row.values["email"])]
        assert len(subjects) == 3  # received, confirmed, then the portal invitation
    from wattdesk.stores import credits

    lines = [line for line in report(runtime, operator, item["import_id"]) if line["outcome"] == "confirmed"]
    assert len(lines) == 3
    for line in lines:
        detail = runtime.handle_api("GET", f"/ops/enrollments/{line['enrollment_id']}", operator).json()
        assert detail["status"] == "CONFIRMED" and detail["request"]["channel"] == "group_purchase"
        customer_id = customer_of(runtime, line["enrollment_id"])
        with table_environment():
            granted = credits.credits(customer_id)
        assert [(c.source, c.amount, c.reason) for c in granted] == [(f"WELCOME#{CAMPAIGN}", "25.00", "welcome_credit")]


def customer_of(runtime, enrollment_id: str) -> str:
    item = runtime.client("dynamodb").get_item(TableName="wattdesk-WattDeskTable", Key={"PK": {"S": f"ENROLLMENT#{enrollment_id}"}, "SK": {"S": "ENROLLMENT"}})["Item"]
    return item["customer_id"]["S"]




def test_a_row_that_keeps_failing_is_reported_and_its_rerun_creates_no_second_enrollment(runtime, operator, campaign):
    today = runtime.now().date()
    rows = [generate.row(n, "good", today, CAMPAIGN) for n in range(1, 6)]
    # Line 4 of the file fails more often than the definition retries (1 + 3 attempts).
    runtime.inject_fault("GroupPurchaseTasksFunction", "TransientError", times=4, when={"action": "submit_row", "row": 4})
    response = upload(runtime, operator, generate.to_csv(rows))
    import_id = response.json()["import_id"]
    runtime.wait_until_settled(timeout=SETTLE_S)
    view = progress(runtime, operator, import_id)
    assert view["status"] == "COMPLETED" and view["rows"]["failed"] == 1 and view["rows"]["waiting"] == 4 and view["rows"]["done"] == 5
    failed = [line for line in report(runtime, operator, import_id) if line["outcome"] == "failed"]
    assert [(line["row"], line["error_codes"]) for line in failed] == [("4", "row.failed error.TransientError")]
    assert len(enrollment_executions(runtime)) == 4

    # Ops re-run the failed rows: line 4 is enrolled, the others are not touched.
    rerun = runtime.handle_api("POST", f"/ops/group-purchases/{import_id}/rerun", operator)
    assert rerun.status == 202
    runtime.wait_until_settled(timeout=SETTLE_S)
    view = progress(runtime, operator, import_id)
    assert view["rows"]["failed"] == 0 and view["rows"]["waiting"] == 5 and view["runs"] == 2
    assert len(enrollment_executions(runtime)) == 5
    assert len([mail for mail in runtime.outbox() if ORGANISER not in mail["to"]]) == 5
    assert len(runtime.outbox(to=ORGANISER)) == 2  # a summary per run
    again = runtime.handle_api("POST", f"/ops/group-purchases/{import_id}/rerun", operator)
    assert again.status == 409 and again.json()["errors"][0]["code"] == "group_purchase.nothing_failed"


def test_uploads_are_for_operators_and_known_campaigns_only(runtime, operator, customer, campaign):
    content = generate.to_csv([generate.row(1, "good", runtime.now().date(), CAMPAIGN)])
    assert upload(runtime, customer, content).status == 403
    unknown = runtime.handle_api(
        "POST", "/ops/group-purchases", operator, {"campaign_code": "NOPE-1", "product_code": "ELEC-FIX-1Y", "file_name": "a.csv", "content_base64": base64.b64encode(content).decode()}
    )
    assert unknown.status == 400 and unknown.json()["errors"][0]["code"] == "campaign.unknown"
    wrong_product = upload(runtime, operator, content, product_code="GAS-FIX-1Y")
    assert wrong_product.status == 400 and wrong_product.json()["errors"][0]["code"] == "campaign.product_not_offered"
    assert runtime.handle_api("GET", "/ops/group-purchases/gp-NOPE-000", operator).status == 404


def test_task_events_of_the_wrong_shape_and_foreign_s3_keys_are_named_not_guessed(runtime):
    payload, errored, _ = runtime.invoke("GroupPurchaseTasksFunction", load_event("group_purchase_tasks/malformed"))
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"
    payload, errored, _ = runtime.invoke("GroupPurchaseTasksFunction", load_event("group_purchase_tasks/submit_row"))
    assert errored and json.loads(payload)["errorType"] == "ImportNotFound"  # caught by the row's Catch: the row is reported failed
    payload, errored, _ = runtime.invoke("GroupPurchaseApiFunction", load_event("group_purchase_api/s3_object_created"))
    assert not errored and json.loads(payload) == {"imports": [{"ignored": "group-purchases/incoming/README.txt"}]}
