"""Customers for the portal, ops-console and isolation tests: confirmed through the real enrollment
workflow (invitation mail included), or written through the store like tests/workflow/test_billing_run.py
and then given the same portal start (index + invitation) that contract confirmation gives."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from enrollment_support import ean as new_ean
from enrollment_support import enrollment, next_dso_sweep, submit
from support import table_environment

PASSWORD = "Sunny-Garden-2027"


def confirmed_customer(runtime, *, language: str = "fr", email: str | None = None, days_ahead: int = 31, **changes) -> dict:
    """Enrollment -> DSO answer -> confirmed contract, as a customer does it on the web form."""
    body = enrollment(runtime, language=language, email=email, days_ahead=days_ahead, **changes)
    response = submit(runtime, body)
    assert response.status == 202, response.body
    runtime.wait_until_settled()
    enrollment_id = response.json()["enrollment_id"]
    next_dso_sweep(runtime)
    from wattdesk.stores import enrollments

    with table_environment():
        record = enrollments.get(enrollment_id)
    assert record.status == "CONFIRMED", record.status
    return {
        "customer_id": record.customer_id, "contract_id": record.contract_id, "email": body["customer"]["email"].lower(), "enrollment_id": enrollment_id,
        "ean": body["delivery_points"][0]["ean"], "language": language, "body": body,
    }


def invitation_token(runtime, email: str) -> str:
    mails = [mail for mail in runtime.outbox(email) if "/portal/activate.html?token=" in mail["text"]]
    assert mails, f"no invitation mail to {email}"
    return re.search(r"/portal/activate\.html\?token=([A-Za-z0-9_-]+)", mails[-1]["text"]).group(1)


def code_in_last_mail(runtime, email: str) -> str:
    return re.search(r"\b(\d{6})\b", runtime.outbox(email)[-1]["subject"]).group(1)


def stored_customer(index: int, *, language: str = "nl", postcode: str = "9000", street: str = "Kerkstraat", start: date = date(2027, 2, 1),
                    first_name: str | None = None, last_name: str = "Test", payment: str = "transfer", invite: bool = True) -> dict:
    """A customer and a confirmed contract written through the store (no enrollment workflow)."""
    from wattdesk.services import portal
    from wattdesk.stores import enrollments as store

    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    point = new_ean()
    email = f"portal{index}-{customer_id[:6]}@example.org"
    iban = "BE71096123456769" if payment == "direct_debit" else None
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=first_name or f"Klant{index}", last_name=last_name, email=email,
        phone="+32470123456", language=language, referral_code=f"WP{index:08d}", created_from=f"test-{customer_id}", created_at=datetime(2027, 1, 1).isoformat(),
    )
    address = {"street": street, "number": str(index), "box": None, "postcode": postcode, "city": "Gent"}
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code="ELEC-FIX-1Y", start_date=start.isoformat(),
        billing_frequency="monthly", payment={"method": payment, "iban": iban, "account_holder": "Test" if iban else None}, supply_address=address,
        delivery_points=[{"energy": "electricity", "ean": point, "meter_type": "dual", "situation": "switch", "eav_kwh": 3000}],
        first_advance="80.00", enrollment_id=f"test-{customer_id}", created_at=datetime(2027, 1, 1).isoformat(),
        GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"{start.isoformat()}#{contract_id}",
    )
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [point])
        # What contract confirmation does (services/enrollment.confirm -> portal.invite): the search
        # index always, the invitation mail unless the test wants a customer who never got one.
        portal.index_customer(customer_id)
        if invite:
            portal.invite(customer_id)
    return {"customer_id": customer_id, "contract_id": contract_id, "email": email, "ean": point, "language": language, "postcode": postcode, "street": street}


def token_of(runtime, customer: dict, groups: tuple[str, ...] = ("customers",)) -> dict[str, str]:
    """A signed-in customer's Authorization header (the local login sets custom:customer_id, as activation does)."""
    return {"Authorization": runtime.login(customer["email"], list(groups), {"custom:customer_id": customer["customer_id"]})["id_token"]}


def bill(runtime, operator: dict, billing_date: str) -> None:
    """A manual advance billing run for `billing_date`, as ops start it."""
    response = runtime.handle_api("POST", "/ops/billing-runs", operator, {"billing_date": billing_date})
    assert response.status == 202, response.body
    runtime.wait_until_settled()
