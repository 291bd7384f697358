"""Portal access and self-service (issue 10) on the local runtime: invitation at confirmation,
activation, self-registration, overview, invoices, contact data, bank account, staff requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from portal_support import PASSWORD, bill, code_in_last_mail, confirmed_customer, invitation_token, stored_customer, token_of

pytestmark = pytest.mark.workflow

MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def rt(runtime):
    runtime.reset(MONDAY)
    return runtime


def bearer(response) -> dict[str, str]:
    assert response.status == 200, response.body
    return {"Authorization": response.json()["id_token"]}


def codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_a_confirmed_customer_is_invited_once_sets_a_password_with_the_link_and_signs_in(rt):
    customer = confirmed_customer(rt, language="de")
    invitations = [mail for mail in rt.outbox(customer["email"]) if "/portal/activate.html" in mail["text"]]
    assert len(invitations) == 1
    assert invitations[0]["language"] == "de" and invitations[0]["subject"] == "Ihr Zugang zu Mein WattDesk"
    assert customer["customer_id"].replace("-", "")[:8].upper() in invitations[0]["text"]
    token = invitation_token(rt, customer["email"])

    weak = rt.handle_api("POST", "/portal/activate", body={"token": token, "password": "short"})
    assert weak.status == 400 and codes(weak) == ["portal.weak_password"]
    # Not yet able to sign in: there is no password.
    assert rt.handle_api("POST", "/portal/sign-in", body={"email": customer["email"], "password": PASSWORD}).status == 401

    done = rt.handle_api("POST", "/portal/activate", body={"token": token, "password": PASSWORD})
    assert done.status == 200, done.body
    assert done.json()["status"] == "ACTIVE" and done.json()["email"] == customer["email"]
    headers = bearer(rt.handle_api("POST", "/portal/sign-in", body={"email": customer["email"], "password": PASSWORD}))
    overview = rt.handle_api("GET", "/me/overview", headers).json()
    assert [point["ean"] for contract in overview["contracts"] for point in contract["delivery_points"]] == [customer["ean"]]

    # The link works once; a wrong password is one answer with an unknown e-mail.
    again = rt.handle_api("POST", "/portal/activate", body={"token": token, "password": PASSWORD + "x"})
    assert again.status == 400 and codes(again) == ["portal.invalid_link"]
    assert rt.handle_api("POST", "/portal/sign-in", body={"email": customer["email"], "password": PASSWORD + "x"}).json()["errors"][0]["code"] == "portal.sign_in_failed"
    assert rt.handle_api("POST", "/portal/sign-in", body={"email": "nobody@example.org", "password": PASSWORD}).status == 401

    # A replayed confirmation step mails no second invitation.
    payload, errored, _ = rt.invoke("EnrollmentTasksFunction", {"action": "confirm", "enrollment_id": customer["enrollment_id"], "status_url": "/enrollments/x?token=y"})
    assert not errored, payload
    assert len([mail for mail in rt.outbox(customer["email"]) if "/portal/activate.html" in mail["text"]]) == 1


def test_an_invitation_link_expires_after_14_days_and_ops_can_send_a_new_one(rt, operator):
    rt.only_schedules("nothing")
    customer = stored_customer(1, language="en")
    old = invitation_token(rt, customer["email"])
    rt.advance(days=15)
    expired = rt.handle_api("POST", "/portal/activate", body={"token": old, "password": PASSWORD})
    assert expired.status == 400 and codes(expired) == ["portal.invalid_link"]

    resent = rt.handle_api("POST", f"/ops/customers/{customer['customer_id']}/invitation", operator)
    assert resent.status == 202 and resent.json()["sent"] is True
    new = invitation_token(rt, customer["email"])
    assert new != old
    assert rt.handle_api("POST", "/portal/activate", body={"token": old, "password": PASSWORD}).status == 400
    assert rt.handle_api("POST", "/portal/activate", body={"token": new, "password": PASSWORD}).status == 200
    detail = rt.handle_api("GET", f"/ops/customers/{customer['customer_id']}", operator).json()
    assert detail["portal"]["status"] == "ACTIVE"
    actions = [entry["action"] for entry in detail["audit"]]
    assert actions[:3] == ["portal_activated", "portal_invited", "portal_invited"]
    assert [entry["actor"] for entry in detail["audit"]][1] == "an.operator@wattdesk.example"


def test_self_registration_with_an_invoice_ogm_or_an_ean_and_a_mailed_code(rt, operator):
    rt.only_schedules("nothing")
    customer = stored_customer(2, language="nl", invite=False)
    stranger = stored_customer(3, language="fr", invite=False)
    bill(rt, operator, "2027-02-01")
    detail = rt.handle_api("GET", f"/ops/customers/{customer['customer_id']}", operator).json()
    ogm = detail["invoices"][0]["ogm"]
    number = customer["customer_id"].replace("-", "")[:8].upper()
    mailbox = "camille.new@example.org"

    # Details that do not match get the same answer and no mail: nothing tells whether a customer exists.
    for wrong in ({"customer_number": number, "ean": stranger["ean"]}, {"customer_number": "ABCDEF12", "ogm": ogm}, {"customer_number": number, "ogm": "+++000/0000/09797+++"}):
        response = rt.handle_api("POST", "/portal/register", body={**wrong, "email": mailbox})
        assert response.status == 202 and response.json() == {"status": "CODE_SENT"}
    assert rt.outbox(mailbox) == []
    missing = rt.handle_api("POST", "/portal/register", body={"customer_number": number, "email": mailbox})
    assert missing.status == 400 and codes(missing) == ["register.proof_required"]

    assert rt.handle_api("POST", "/portal/register", body={"customer_number": number.lower(), "ogm": ogm, "email": mailbox}).status == 202
    mail = rt.outbox(mailbox)[-1]
    assert mail["language"] == "nl" and mail["subject"].startswith("Uw code voor Mijn WattDesk")
    code = code_in_last_mail(rt, mailbox)
    wrong_code = "000000" if code != "000000" else "111111"
    bad = rt.handle_api("POST", "/portal/register/confirm", body={"email": mailbox, "code": wrong_code, "password": PASSWORD})
    assert bad.status == 400 and codes(bad) == ["portal.invalid_code"]
    created = rt.handle_api("POST", "/portal/register/confirm", body={"email": mailbox, "code": code, "password": PASSWORD})
    assert created.status == 201, created.body
    assert created.json()["customer_number"] == number
    headers = bearer(rt.handle_api("POST", "/portal/sign-in", body={"email": mailbox, "password": PASSWORD}))
    assert rt.handle_api("GET", "/me/overview", headers).json()["customer"]["customer_number"] == number
    # The code was used: a second confirmation with it fails.
    assert codes(rt.handle_api("POST", "/portal/register/confirm", body={"email": mailbox, "code": code, "password": PASSWORD})) == ["portal.invalid_code"]

    # With the EAN instead of an OGM (the stranger registers); five wrong codes use the code up.
    other_box = "someone.else@example.org"
    stranger_number = stranger["customer_id"].replace("-", "")[:8].upper()
    assert rt.handle_api("POST", "/portal/register", body={"customer_number": stranger_number, "ean": stranger["ean"], "email": other_box, "language": "en"}).status == 202
    assert rt.outbox(other_box)[-1]["language"] == "en"
    right = code_in_last_mail(rt, other_box)
    for _ in range(5):
        rt.handle_api("POST", "/portal/register/confirm", body={"email": other_box, "code": "000000" if right != "000000" else "111111", "password": PASSWORD})
    assert codes(rt.handle_api("POST", "/portal/register/confirm", body={"email": other_box, "code": right, "password": PASSWORD})) == ["portal.invalid_code"]


def test_overview_and_invoices_show_balance_open_overdue_and_paid_invoices_and_the_payments(rt, operator):
    rt.only_schedules("nothing")
    customer = stored_customer(4, language="fr", start=datetime(2027, 1, 1).date())
    bill(rt, operator, "2027-01-01")
    bill(rt, operator, "2027-02-01")
    headers = token_of(rt, customer)
    invoices = rt.handle_api("GET", "/me/invoices", headers).json()["items"]
    assert [invoice["number"] for invoice in invoices] == sorted((invoice["number"] for invoice in invoices), reverse=True)
    january, february = invoices[1], invoices[0]
    paid = rt.handle_api("POST", "/ops/payments", operator, {"amount": january["total"], "received_on": "2027-01-05", "invoice_number": january["number"], "external_reference": "R-1"})
    assert paid.status in (200, 201), paid.body
    rt.advance(to=datetime(2027, 2, 25, 9, 0, tzinfo=UTC))  # February's advance is past its due date now

    view = rt.handle_api("GET", "/me/invoices", headers).json()
    statuses = {invoice["number"]: invoice["status"] for invoice in view["items"]}
    assert statuses == {january["number"]: "paid", february["number"]: "overdue"}
    assert view["items"][0]["pdf_url"] == f"/me/invoices/{february['number']}/pdf"
    assert [(payment["amount"], payment["invoice_number"]) for payment in view["payments"]] == [(january["total"], january["number"])]

    overview = rt.handle_api("GET", "/me/overview", headers).json()
    assert overview["balance"] == february["total"]
    assert [(item["number"], item["overdue"]) for item in overview["open_invoices"]] == [(february["number"], True)]
    assert overview["next_advance"] == {"contract_id": customer["contract_id"], "amount": "80.00", "expected_on": "2027-03-01"}
    point = overview["contracts"][0]["delivery_points"][0]
    assert point == {"ean": customer["ean"], "energy": "electricity", "meter_type": "dual", "breaker_size_a": None, "outage_notices": False}
    assert overview["contracts"][0]["product_name"] == "Électricité Fixe 1 an"


def test_contact_data_changes_are_audited_and_a_new_email_is_verified_with_a_code(rt, operator, capsys):
    rt.only_schedules("nothing")
    customer = stored_customer(5, language="nl")
    token = invitation_token(rt, customer["email"])
    assert rt.handle_api("POST", "/portal/activate", body={"token": token, "password": PASSWORD}).status == 200
    headers = bearer(rt.handle_api("POST", "/portal/sign-in", body={"email": customer["email"], "password": PASSWORD}))

    bad = rt.handle_api("PUT", "/me/contact", headers, {"phone": "12"})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "phone"
    address = {"street": "Veldstraat", "number": "3", "box": None, "postcode": "9000", "city": "Gent"}
    changed = rt.handle_api("PUT", "/me/contact", headers, {"phone": "0470 99 88 77", "language": "en", "correspondence_address": address})
    assert changed.status == 200, changed.body
    assert changed.json()["phone"] == "+32470998877" and changed.json()["language"] == "en" and changed.json()["correspondence_address"]["street"] == "Veldstraat"

    new = "klant5.nieuw@example.org"
    pending = rt.handle_api("PUT", "/me/contact", headers, {"email": new}).json()
    assert pending["email"] == customer["email"] and pending["pending_email"] == new
    mail = rt.outbox(new)[-1]
    assert mail["language"] == "en" and mail["subject"].startswith("Confirm your new e-mail address")
    assert codes(rt.handle_api("POST", "/me/contact/email-verification", headers, {"code": "99999x"})) == ["portal.invalid_code"]
    verified = rt.handle_api("POST", "/me/contact/email-verification", headers, {"code": code_in_last_mail(rt, new)})
    assert verified.status == 200 and verified.json()["email"] == new and verified.json()["pending_email"] is None
    # The new address is the sign-in name now; the old one no longer signs in.
    assert rt.handle_api("POST", "/portal/sign-in", body={"email": new, "password": PASSWORD}).status == 200
    assert rt.handle_api("POST", "/portal/sign-in", body={"email": customer["email"], "password": PASSWORD}).status == 401

    audit = rt.handle_api("GET", f"/ops/customers/{customer['customer_id']}", operator).json()["audit"]
    contact_entries = [entry for entry in audit if entry["action"] in ("contact_changed", "email_change_requested", "email_changed")]
    assert [entry["action"] for entry in contact_entries] == ["email_changed", "email_change_requested", "contact_changed"]
    assert contact_entries[-1]["details"]["fields"] == ["phone", "language", "correspondence_address"]
    assert {entry["actor"] for entry in contact_entries} == {customer["email"]}
    trail = json.dumps(audit)
    assert "470998877" not in trail and new not in trail
    logs = capsys.readouterr()
    assert "470998877" not in logs.out + logs.err and new not in logs.out + logs.err


def test_bank_account_change_is_verified_masked_and_audited(rt, operator, capsys):
    rt.only_schedules("nothing")
    customer = stored_customer(6)
    headers = token_of(rt, customer)
    wrong = rt.handle_api("PUT", "/me/bank-account", headers, {"iban": "BE71096123456760", "account_holder": "Klant Zes"})
    assert wrong.status == 400 and wrong.json()["errors"][0]["code"].startswith("iban.")
    done = rt.handle_api("PUT", "/me/bank-account", headers, {"iban": "BE68 5390 0754 7034", "account_holder": "Klant Zes"})
    assert done.status == 200, done.body
    assert done.json()["iban"] == "BE68 **** **** 7034" and done.json()["changed_at"].startswith("2027-01-04")
    assert rt.handle_api("GET", "/me/bank-account", headers).json()["iban"] == "BE68 **** **** 7034"
    detail = rt.handle_api("GET", f"/ops/customers/{customer['customer_id']}", operator).json()
    assert detail["bank_account"]["iban"] == "BE68 **** **** 7034"
    entry = next(entry for entry in detail["audit"] if entry["action"] == "bank_account_changed")
    assert entry["actor"] == customer["email"] and "539007547034" not in json.dumps(detail)
    found = rt.handle_api("GET", "/ops/customers?q=BE68539007547034", operator).json()["items"]
    assert [(item["customer_id"], item["iban"], item["matched_on"]) for item in found] == [(customer["customer_id"], "BE68 **** **** 7034", "iban")]
    logs = capsys.readouterr()
    assert "539007547034" not in logs.out + logs.err and "5390 0754 7034" not in logs.out + logs.err


def test_staff_requests_land_in_the_ops_queue_and_the_customer_follows_their_status(rt, operator):
    rt.only_schedules("nothing")
    customer = stored_customer(7)
    headers = token_of(rt, customer)
    body = {"kind": "breaker_size", "contract_id": customer["contract_id"], "ean": customer["ean"], "message": "Van 25 A naar 40 A", "details": {"breaker_size_a": 40}}
    created = rt.handle_api("POST", "/me/requests", headers, body)
    assert created.status == 201, created.body
    request = created.json()
    assert request["status"] == "OPEN" and request["sla_due"] == "2027-01-07"
    assert rt.handle_api("POST", "/me/requests", headers, body).json()["request_id"] == request["request_id"]  # a double submit is one request
    rt.advance(hours=1)
    callback = rt.handle_api("POST", "/me/requests", headers, {"kind": "callback", "message": "Bel me", "preferred_time": "morning"}).json()
    assert callback["phone"] == "+32470123456"
    not_mine = rt.handle_api("POST", "/me/requests", headers, {**body, "contract_id": "00000000-0000-0000-0000-000000000000"})
    assert not_mine.status == 404
    assert codes(rt.handle_api("POST", "/me/requests", headers, {"kind": "product_change", "contract_id": customer["contract_id"], "details": {"product_code": "NOPE"}})) == ["request.product"]

    queue = rt.handle_api("GET", "/ops/requests", operator).json()["items"]
    assert [(item["request_id"], item["customer_id"]) for item in queue] == [(request["request_id"], customer["customer_id"]), (callback["request_id"], customer["customer_id"])]
    assert rt.handle_api("GET", "/ops/requests?kind=callback", operator).json()["items"][0]["request_id"] == callback["request_id"]
    moved = rt.handle_api("POST", f"/ops/requests/{request['request_id']}/status", operator, {"status": "IN_PROGRESS", "note": "Afspraak met de netbeheerder", "internal_note": "DSO ticket 42"})
    assert moved.status == 200 and moved.json()["status"] == "IN_PROGRESS"
    done = rt.handle_api("POST", f"/ops/requests/{request['request_id']}/status", operator, {"status": "DONE", "note": "Vervangen", "breaker_size_a": 40})
    assert done.status == 200, done.body
    again = rt.handle_api("POST", f"/ops/requests/{request['request_id']}/status", operator, {"status": "REJECTED"})
    assert again.status == 400 and codes(again) == ["request.closed"]

    mine = rt.handle_api("GET", "/me/requests", headers).json()["items"]
    followed = next(item for item in mine if item["request_id"] == request["request_id"])
    assert [(h["status"], h["note"]) for h in followed["history"]] == [("OPEN", None), ("IN_PROGRESS", "Afspraak met de netbeheerder"), ("DONE", "Vervangen")]
    assert "DSO ticket 42" not in json.dumps(mine)
    assert rt.handle_api("GET", "/me/overview", headers).json()["contracts"][0]["delivery_points"][0]["breaker_size_a"] == 40
    assert [item["request_id"] for item in rt.handle_api("GET", "/ops/requests", operator).json()["items"]] == [callback["request_id"]]
    # The SLA: three working days; on Friday the open callback is breached.
    rt.advance(to=datetime(2027, 1, 8, 9, 0, tzinfo=UTC))
    assert rt.handle_api("GET", "/ops/requests", operator).json()["items"][0]["sla_breached"] is True
