"""The monthly billing run on the simulated clock: the right advance invoices, once."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invariants import check_invariants
from support import table_environment

pytestmark = pytest.mark.workflow

MID_JANUARY = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


def billing_only(runtime, *more: str) -> None:
    """These tests are about invoices: the daily collection, dunning and complaint sweeps do not
    run (reminders of the unpaid advances are the dunning tests' business)."""
    runtime.only_schedules("BillingRunStateMachine-", *more)


def make_contract(index: int, frequency: str, advance: str, language: str, start: date, status: str = "CONFIRMED", ended_on: str | None = None, payment: str = "transfer") -> dict:
    from wattdesk.stores import enrollments as store

    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=f"Klant{index}", last_name="Test", email=f"klant{index}@example.org",
        phone="+32470123456", language=language, referral_code=f"WD{index:08d}", created_from="test", created_at=MID_JANUARY.isoformat(),
    )
    address = {"street": "Kerkstraat", "number": str(index), "box": None, "postcode": "9000", "city": "Gent"}
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status=status, product_code="ELEC-FIX-1Y", start_date=start.isoformat(),
        billing_frequency=frequency, payment={"method": payment, "iban": "BE71096123456769" if payment == "direct_debit" else None, "account_holder": "Test" if payment == "direct_debit" else None}, supply_address=address,
        delivery_points=[{"energy": "electricity", "ean": f"54141493{index:09d}1", "meter_type": "single", "situation": "switch", "eav_kwh": 3000}],
        first_advance=advance, enrollment_id=f"test-{index}", created_at=MID_JANUARY.isoformat(), ended_on=ended_on,
        GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"{start.isoformat()}#{contract_id}",
    )
    customer.GSI2PK, customer.GSI2SK = f"REFERRAL#WD{index:08d}", f"CUSTOMER#{customer_id}"
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [])
    return {"customer_id": customer_id, "contract_id": contract_id, "frequency": frequency, "advance": Decimal(advance), "language": language, "email": f"klant{index}@example.org"}


def billing_mails(runtime, email: str) -> list[dict]:
    """The invoice and credit-note mails (reminders of unpaid advances are the dunning tests' business)."""
    return [m for m in runtime.outbox(email) if any(name.startswith(("invoice-", "credit-note-")) for name in m["attachments"])]


def invoices(runtime) -> list[dict]:
    items = runtime.client("dynamodb").scan(TableName="wattdesk-WattDeskTable", FilterExpression="begins_with(SK, :sk)", ExpressionAttributeValues={":sk": {"S": "INVOICE#"}})["Items"]
    import json

    return sorted(
        ({"number": i["number"]["S"], "customer_id": i["customer_id"]["S"], "contract_id": i["contract_id"]["S"], "period": i["period"]["S"], "due_date": i.get("due_date", {}).get("S"), "kind": i["kind"]["S"],
          "issue_date": i["issue_date"]["S"], "total": Decimal(json.loads(i["totals_json"]["S"])["incl_vat"]), "ogm": i["ogm"]["S"], "document_key": i.get("document_key", {}).get("S")} for i in items),
        key=lambda invoice: invoice["number"],
    )


@pytest.fixture
def portfolio(runtime):
    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    languages = ["nl", "fr", "de", "en"]
    contracts = [make_contract(i, "monthly", f"{60 + i}.00", languages[i % 4], date(2027, 2, 1)) for i in range(12)]
    contracts += [make_contract(12 + i, "bimonthly", f"{150 + i}.00", languages[i % 4], date(2027, 2, 1)) for i in range(4)]
    contracts += [make_contract(16 + i, "quarterly", f"{240 + i}.00", languages[i % 4], date(2027, 2, 1)) for i in range(4)]
    later = make_contract(20, "monthly", "70.00", "nl", date(2027, 5, 1))
    ended = make_contract(21, "monthly", "70.00", "fr", date(2026, 6, 1), status="ENDED", ended_on="2027-01-31")
    return {"billed": contracts, "later": later, "ended": ended}


def test_three_months_of_advance_invoices_exactly_once(runtime, portfolio, operator):
    fired = [f for f in runtime.advance(to=datetime(2027, 4, 2, 8, 0, tzinfo=UTC)) if f.schedule == "BillingRunStateMachine-MonthlyAdvances"]
    assert [f.at for f in fired] == ["2027-02-01T05:00:00+00:00", "2027-03-01T05:00:00+00:00", "2027-04-01T04:00:00+00:00"]
    issued = invoices(runtime)
    by_contract = {c["contract_id"]: c for c in portfolio["billed"]}
    expected_periods = {
        c["contract_id"]: {"monthly": ["2027-02", "2027-03", "2027-04"], "bimonthly": ["2027-02", "2027-04"], "quarterly": ["2027-02"]}[c["frequency"]] for c in portfolio["billed"]
    }
    # 20 in February, 12 in March (monthly only), 16 in April (monthly and bimonthly).
    failures = [item for run in runtime.handle_api("GET", "/ops/billing-runs", operator).json()["items"] for item in run["failed_items"]]
    assert failures == []
    assert len(issued) == 48
    assert [invoice["number"] for invoice in issued] == [f"2027-A-{n:06d}" for n in range(1, 49)]  # gapless
    assert sorted((i["contract_id"], i["period"]) for i in issued) == sorted((cid, p) for cid, periods in expected_periods.items() for p in periods)
    for invoice in issued:
        contract = by_contract[invoice["contract_id"]]
        assert invoice["total"] == contract["advance"]
        assert invoice["issue_date"] == f"{invoice['period']}-01"
        assert invoice["due_date"] == f"{invoice['period']}-16"
        assert invoice["document_key"] and invoice["number"] not in invoice["document_key"].split("/")[1]
    assert len({invoice["ogm"] for invoice in issued}) == 48
    # One mail per invoice, in the customer's language, with the PDF.
    for contract in portfolio["billed"]:
        mails = billing_mails(runtime, contract["email"])
        assert len(mails) == len(expected_periods[contract["contract_id"]])
        assert {m["language"] for m in mails} == {contract["language"]}
        assert all(len(m["attachments"]) == 1 for m in mails)
    assert billing_mails(runtime, portfolio["later"]["email"]) == [] and billing_mails(runtime, portfolio["ended"]["email"]) == []

    runs = runtime.handle_api("GET", "/ops/billing-runs", operator).json()["items"]
    april = next(run for run in runs if run["period"] == "2027-04")
    assert (april["status"], april["issued"], april["failed"]) == ("COMPLETED", 16, 0)
    assert sorted(item["reason"] for item in april["skipped_items"]) == ["contract ended", "starts later than the period"]

    # Advancing again, and a manual re-run of April, issue nothing new.
    runtime.advance(days=10)
    rerun = runtime.handle_api("POST", "/ops/billing-runs", operator, {"billing_date": "2027-04-01"})
    assert rerun.status == 202
    runtime.wait_until_settled()
    summary = runtime.handle_api("GET", rerun.json()["status_url"], operator).json()
    assert (summary["issued"], summary["failed"]) == (0, 0)
    assert summary["skipped"] == 18  # 16 already issued + ended + starts later
    assert len(invoices(runtime)) == 48
    check_invariants(runtime)  # issue 12: the books' invariants after three runs and a re-run


def test_customer_downloads_only_their_own_invoice(runtime, portfolio):
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    first = invoices(runtime)[0]
    owner = next(c for c in portfolio["billed"] if c["customer_id"] == first["customer_id"])
    other = next(c for c in portfolio["billed"] if c["customer_id"] != first["customer_id"])
    token = runtime.login(owner["email"], ["customers"], {"custom:customer_id": owner["customer_id"]})["id_token"]
    intruder = runtime.login(other["email"], ["customers"], {"custom:customer_id": other["customer_id"]})["id_token"]
    response = runtime.handle_api("GET", f"/me/invoices/{first['number']}/pdf", {"Authorization": token})
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body)).pages)
    assert first["number"] in text
    assert runtime.handle_api("GET", f"/me/invoices/{first['number']}/pdf", {"Authorization": intruder}).status == 404
    assert runtime.handle_api("GET", f"/me/invoices/{first['number']}/pdf").status == 401


def test_direct_debit_invoices_carry_no_payment_qr(runtime):
    import zxingcpp

    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    transfer = make_contract(30, "monthly", "75.00", "fr", date(2027, 2, 1))
    debit = make_contract(31, "monthly", "75.00", "fr", date(2027, 2, 1), payment="direct_debit")
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))

    def qr_codes(contract):
        mail = billing_mails(runtime, contract["email"])[0]
        pdf = runtime.mail_attachment(mail["id"], mail["attachments"][0])
        return [code.text for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images for code in zxingcpp.read_barcodes(image.image)]

    assert len(qr_codes(transfer)) == 1 and "EUR75" in qr_codes(transfer)[0]
    assert qr_codes(debit) == []
    assert "domiciliation" in billing_mails(runtime, debit["email"])[0]["text"]


def test_customer_changes_the_advance_within_bounds_and_the_next_invoice_uses_it(runtime, operator):
    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    mine = make_contract(40, "monthly", "86.00", "nl", date(2027, 2, 1))
    other = make_contract(41, "monthly", "86.00", "nl", date(2027, 2, 1))
    token = {"Authorization": runtime.login(mine["email"], ["customers"], {"custom:customer_id": mine["customer_id"]})["id_token"]}
    url = f"/me/contracts/{mine['contract_id']}/advance"
    assert runtime.handle_api("GET", url, token).json() == {"contract_id": mine["contract_id"], "computed": "86.00", "current": "86.00", "minimum": "68.80", "maximum": "258.00"}

    too_low = runtime.handle_api("PUT", url, token, {"amount": "68.79"})
    assert too_low.status == 400 and too_low.json()["errors"][0] == {"field": "amount", "code": "advance.below_minimum", "message": too_low.json()["errors"][0]["message"]}
    assert runtime.handle_api("PUT", url, token, {"amount": "258.01"}).json()["errors"][0]["code"] == "advance.above_maximum"
    assert runtime.handle_api("PUT", f"/me/contracts/{other['contract_id']}/advance", token, {"amount": "90.00"}).status == 404
    changed = runtime.handle_api("PUT", url, token, {"amount": "95.00"})
    assert changed.status == 200 and changed.json()["current"] == "95.00"

    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    totals = {invoice["contract_id"]: invoice["total"] for invoice in invoices(runtime)}
    assert totals == {mine["contract_id"]: Decimal("95.00"), other["contract_id"]: Decimal("86.00")}

    ops_url = f"/ops/customers/{mine['customer_id']}/contracts/{mine['contract_id']}/advance"
    assert runtime.handle_api("PUT", ops_url, operator, {"amount": "40.00"}).json()["errors"][0]["code"] == "advance.reason_required"
    assert runtime.handle_api("PUT", ops_url, token, {"amount": "40.00", "reason": "x"}).status == 403
    lowered = runtime.handle_api("PUT", ops_url, operator, {"amount": "40.00", "reason": "Afbetalingsplan besproken"})
    assert lowered.status == 200 and lowered.json()["current"] == "40.00"

    with table_environment():
        from wattdesk.stores import enrollments as store

        trail = [(entry.actor, entry.action, json.loads(entry.details)["to"]) for entry in store.customer_audit(mine["customer_id"])]
    assert trail == [(mine["email"], "advance_changed", "95.00"), ("an.operator@wattdesk.example", "advance_changed", "40.00")]


def test_operators_load_monthly_index_values_with_an_audit_trail(runtime, operator, customer):
    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    assert runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-01", operator, {"value": "85.10"}).json() == {"name": "BELPEX_ELEC", "month": "2027-01", "value": "85.10", "replaced": None}
    runtime.advance(hours=1)  # loads happen at different moments; the trail is in time order
    corrected = runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-01", operator, {"value": "85.25"})
    assert corrected.json()["replaced"] == "85.10"
    runtime.advance(hours=1)
    runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-02", operator, {"value": "79.9"})
    values = runtime.handle_api("GET", "/ops/indexes/BELPEX_ELEC", operator).json()["values"]
    assert [(v["month"], v["value"], v["set_by"]) for v in values] == [("2027-01", "85.25", "an.operator@wattdesk.example"), ("2027-02", "79.9", "an.operator@wattdesk.example")]
    bad = runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-13", operator, {"value": "1"})
    assert bad.status == 400 and bad.json()["errors"][0]["code"] == "index.month"
    assert runtime.handle_api("PUT", "/ops/indexes/EPEX/2027-01", operator, {"value": "1"}).json()["errors"][0]["code"] == "index.unknown"
    assert runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-03", customer, {"value": "1"}).status == 403
    assert runtime.handle_api("GET", "/ops/indexes/EPEX", operator).status == 404
    with table_environment():
        from wattdesk.stores import prices

        trail = [json.loads(entry.details) for entry in prices.index_audit("BELPEX_ELEC")]
    assert [(t["month"], t["from"], t["to"]) for t in trail] == [("2027-01", None, "85.10"), ("2027-01", "85.10", "85.25"), ("2027-02", None, "79.9")]


def invoice_lines(runtime, number: str) -> list[dict]:
    with table_environment():
        from wattdesk.stores import invoices as store

        return store.get_by_number(number).lines


def test_a_referral_credits_both_sides_once_on_their_next_invoice(runtime):
    from enrollment_support import enrollment, next_dso_sweep, submit

    runtime.reset(MID_JANUARY)
    billing_only(runtime, "EnrollmentSweepsFunction-")
    referrer = make_contract(50, "monthly", "80.00", "nl", date(2027, 2, 1))
    body = enrollment(runtime, language="nl", referral_code="wd00000050")  # codes are not case-sensitive
    assert submit(runtime, body).status == 202
    runtime.wait_until_settled()
    next_dso_sweep(runtime)
    with table_environment():
        from wattdesk.stores import credits, enrollments

        newcomer_id = next(c.PK.removeprefix("CUSTOMER#") for c in enrollments.CustomerRecord.scan(enrollments.CustomerRecord.email == body["customer"]["email"]))
        newcomer_contract = next(enrollments.ContractRecord.query(f"CUSTOMER#{newcomer_id}", enrollments.ContractRecord.SK.startswith("CONTRACT#")))
        assert [(c.amount, c.booked_on) for c in credits.credits(referrer["customer_id"])] == [("25.00", None)]
        assert [(c.amount, c.booked_on) for c in credits.credits(newcomer_id)] == [("25.00", None)]

    # The same person enrolling again with the same code: the pair was rewarded already.
    again = enrollment(runtime, language="nl", email=body["customer"]["email"], referral_code="WD00000050")
    assert submit(runtime, again).status == 202
    runtime.wait_until_settled()
    next_dso_sweep(runtime)
    with table_environment():
        assert len(credits.credits(referrer["customer_id"])) == 1

    runtime.advance(to=datetime(2027, 4, 2, 8, 0, tzinfo=UTC))
    issued = invoices(runtime)
    referrer_invoices = [i for i in issued if i["customer_id"] == referrer["customer_id"]]
    # 25.00 excl. VAT off at 6 %: 26.50 off the 80.00 advance of February only.
    assert [(i["period"], i["total"]) for i in referrer_invoices] == [("2027-02", Decimal("53.50")), ("2027-03", Decimal("80.00")), ("2027-04", Decimal("80.00"))]
    february = invoice_lines(runtime, referrer_invoices[0]["number"])
    assert [(line["description_key"], line["amount"], line["vat_amount"]) for line in february] == [("advance", "75.47", "4.53"), ("referral_credit", "-25.00", "-1.50")]
    first_of_newcomer = next(i for i in issued if i["contract_id"] == newcomer_contract.contract_id)
    assert first_of_newcomer["total"] == Decimal(newcomer_contract.first_advance) - Decimal("26.50")
    with table_environment():
        assert [c.booked_on for c in credits.credits(referrer["customer_id"])] == [referrer_invoices[0]["number"]]
        assert [c.booked_on for c in credits.credits(newcomer_id)] == [first_of_newcomer["number"]]
    first_mail = billing_mails(runtime, referrer["email"])[0]
    pdf = runtime.mail_attachment(first_mail["id"], first_mail["attachments"][0])
    assert "Aanbrengkorting" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_product_change_mid_month_credits_the_months_advance_and_issues_a_new_one(runtime, operator):
    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    running = make_contract(60, "monthly", "80.00", "fr", date(2027, 2, 1))
    future = make_contract(61, "monthly", "80.00", "nl", date(2027, 5, 1))
    runtime.advance(to=datetime(2027, 3, 15, 9, 0, tzinfo=UTC))
    assert [(i["number"], i["period"]) for i in invoices(runtime)] == [("2027-A-000001", "2027-02"), ("2027-A-000002", "2027-03")]
    token = {"Authorization": runtime.login(running["email"], ["customers"], {"custom:customer_id": running["customer_id"]})["id_token"]}
    url = f"/me/contracts/{running['contract_id']}/product-change"

    wrong_energy = runtime.handle_api("POST", url, token, {"product_code": "GAS-VAR-1Y"})
    assert wrong_energy.status == 400 and wrong_energy.json()["errors"][0]["code"] == "product.energy"
    changed = runtime.handle_api("POST", url, token, {"product_code": "ELEC-VAR-1Y"})
    assert changed.status == 200, changed.body
    # Variable product, 3,000 kWh single meter: (3000 x 0.1290 + 3000 x 0.1250 + 48.00) x 1.06 / 12 = 71.55 -> 72.00.
    assert changed.json() == {
        "contract_id": running["contract_id"], "product_code": "ELEC-VAR-1Y", "effective_from": "2027-03-01", "advance": "72.00",
        "correction": {"corrected": "2027-A-000002", "credit_note": "2027-C-000001", "new_invoice": "2027-A-000003"},
    }
    # A retried request answers the same and issues nothing more.
    assert runtime.handle_api("POST", url, token, {"product_code": "ELEC-VAR-1Y"}).json() == changed.json()
    with table_environment():
        from wattdesk.stores import invoices as store
        from wattdesk.stores import ledger

        credit_note, replacement = store.get_by_number("2027-C-000001"), store.get_by_number("2027-A-000003")
        assert (credit_note.kind, credit_note.corrects, credit_note.totals["incl_vat"]) == ("credit_note", "2027-A-000002", "-80.00")
        assert (replacement.period, replacement.issue_date, replacement.due_date, replacement.totals["incl_vat"]) == ("2027-03", "2027-03-15", "2027-03-30", "72.00")
        assert ledger.open_amount(running["customer_id"], "2027-A-000002") == Decimal("0.00")
    mails = billing_mails(runtime, running["email"])
    assert sorted(m["subject"] for m in mails) == ["Note de crédit 2027-C-000001 sur la facture 2027-A-000002", "Votre facture 2027-A-000001", "Votre facture 2027-A-000002", "Votre facture 2027-A-000003"]
    credit_mail = next(m for m in mails if m["subject"].startswith("Note de crédit"))
    pdf = runtime.mail_attachment(credit_mail["id"], credit_mail["attachments"][0])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Note de crédit" in text and "2027-A-000002" in text

    # Before its start, a contract changes product from the start: nothing to correct.
    ops_url = f"/ops/customers/{future['customer_id']}/contracts/{future['contract_id']}/product-change"
    assert runtime.handle_api("POST", ops_url, token, {"product_code": "ELEC-VAR-1Y"}).status == 403
    early = runtime.handle_api("POST", ops_url, operator, {"product_code": "ELEC-VAR-1Y", "reason": "Klant belde"}).json()
    assert (early["effective_from"], early["correction"]) == ("2027-05-01", None)

    # A variable product's advance waits for its month's index value (docs/billing.md): ops load them.
    for month in ("2027-04", "2027-05"):
        assert runtime.handle_api("PUT", f"/ops/indexes/BELPEX_ELEC/{month}", operator, {"value": "85.00"}).status == 200
    runtime.advance(to=datetime(2027, 5, 2, 8, 0, tzinfo=UTC))
    later = [i for i in invoices(runtime) if i["kind"] == "advance"][3:]
    assert [i["number"] for i in later] == ["2027-A-000004", "2027-A-000005", "2027-A-000006"]
    # May's two advances are issued in parallel: which gets which number is not fixed.
    assert sorted((i["contract_id"] == running["contract_id"], i["period"], i["total"]) for i in later) == [
        (False, "2027-05", Decimal("72.00")), (True, "2027-04", Decimal("72.00")), (True, "2027-05", Decimal("72.00"))
    ]


def test_failed_items_are_listed_with_their_reason_and_re_driven_alone(runtime, operator):
    runtime.reset(MID_JANUARY)
    billing_only(runtime)
    good = [make_contract(70 + i, "monthly", "70.00", "nl", date(2027, 2, 1)) for i in range(3)]
    broken = make_contract(73, "monthly", "70.00", "nl", date(2027, 2, 1))
    # An unexpected error is not retried (only named transient errors are): the item fails once.
    runtime.inject_fault("BillingTasksFunction", "ValueError", times=1, when={"action": "issue_advance", "contract": {"contract_id": broken["contract_id"], "customer_id": broken["customer_id"]}})
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    (run,) = runtime.handle_api("GET", "/ops/billing-runs", operator).json()["items"]
    assert (run["status"], run["issued"], run["failed"]) == ("COMPLETED_WITH_FAILURES", 3, 1)
    assert run["failed_items"] == [{"contract_id": broken["contract_id"], "reason": "ValueError: injected by the local runtime"}]
    assert runtime.handle_api("POST", f"/ops/billing-runs/{run['run_id']}/redrive", {"Authorization": runtime.login("c@example.org", ["customers"])["id_token"]}).status == 403

    redrive = runtime.handle_api("POST", f"/ops/billing-runs/{run['run_id']}/redrive", operator)
    assert redrive.status == 202 and redrive.json()["items"] == 1
    runtime.wait_until_settled()
    summary = runtime.handle_api("GET", redrive.json()["status_url"], operator).json()
    assert (summary["status"], summary["items"], summary["issued"], summary["skipped"], summary["failed"]) == ("COMPLETED", 1, 1, 0, 0)
    issued = invoices(runtime)
    assert [i["number"] for i in issued] == ["2027-A-000001", "2027-A-000002", "2027-A-000003", "2027-A-000004"]
    assert issued[-1]["contract_id"] == broken["contract_id"]
    assert all(len(billing_mails(runtime, c["email"])) == 1 for c in [*good, broken])
    # Nothing failed in the re-drive: a second one is refused.
    again = runtime.handle_api("POST", f"/ops/billing-runs/{summary['run_id']}/redrive", operator)
    assert again.status == 400 and again.json()["errors"][0]["code"] == "billing_run.nothing_to_redrive"
