"""Customers with one unpaid advance, payments through the ops API, and reading what a customer
got (mails, PDFs) for the dunning and payment-plan workflows."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from pypdf import PdfReader

from support import table_environment

JANUARY = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
CITIES = {"9000": "Gent", "1000": "Bruxelles", "4000": "Liège"}


def make_customer(index: int, postcode: str, language: str, advance: str = "70.00", months: int = 1) -> dict:
    """A customer billed monthly from 1 February; the contract ends after `months` months, so
    exactly that many advance invoices are issued (on the 1st, due the 16th)."""
    from wattdesk.stores import enrollments as store

    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    email = f"debtor{index}@example.org"
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=f"Debtor{index}", last_name="Test", email=email,
        phone="+32470123456", language=language, referral_code=f"DT{index:08d}", created_from="test", created_at=JANUARY.isoformat(),
    )
    ended = date(2027, 1 + months, 28) if months < 11 else None
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code="ELEC-FIX-1Y", start_date="2027-02-01",
        billing_frequency="monthly", payment={"method": "transfer", "iban": None, "account_holder": None},
        supply_address={"street": "Kerkstraat", "number": str(index), "box": None, "postcode": postcode, "city": CITIES[postcode]},
        delivery_points=[{"energy": "electricity", "ean": f"54141493{index:09d}1", "meter_type": "single", "situation": "switch", "eav_kwh": 3000}],
        first_advance=advance, enrollment_id=f"test-{index}", created_at=JANUARY.isoformat(), ended_on=ended.isoformat() if ended else None,
        GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"2027-02-01#{contract_id}",
    )
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [])
    return {"customer_id": customer_id, "email": email, "language": language}


def invoices_of(customer_id: str) -> list:
    from wattdesk.stores.invoices import InvoiceRecord

    with table_environment():
        return sorted(InvoiceRecord.query(f"CUSTOMER#{customer_id}", InvoiceRecord.SK.startswith("INVOICE#")), key=lambda i: i.number)


def ledger_of(customer_id: str) -> tuple[Decimal, list]:
    from wattdesk.stores import ledger

    with table_environment():
        return ledger.balance(customer_id), ledger.entries(customer_id)


def pay(runtime, operator: dict, customer_id: str, invoice_number: str, amount: str, on: date, ref: str) -> None:
    """A payment registered by ops (POST /ops/payments of the payments workflow)."""
    response = runtime.handle_api(
        "POST", "/ops/payments", operator,
        {"amount": amount, "received_on": on.isoformat(), "customer_id": customer_id, "invoice_number": invoice_number, "external_reference": ref, "note": "test payment"},
    )
    assert response.status in (200, 201), response.json()


def login_customer(runtime, customer: dict) -> dict[str, str]:
    return {"Authorization": runtime.login(customer["email"], ["customers"], {"custom:customer_id": customer["customer_id"]})["id_token"]}


def login(runtime, user: str, groups: list[str]) -> dict[str, str]:
    return {"Authorization": runtime.login(user, groups)["id_token"]}


def mails(runtime, customer: dict, subject_contains: str = "") -> list[dict]:
    return [mail for mail in runtime.outbox(customer["email"]) if subject_contains in mail["subject"]]


def pdf_text(runtime, mail: dict, name: str) -> str:
    content = runtime.mail_attachment(mail["id"], name)
    assert content is not None and content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def at(day: str, hour: int = 8) -> datetime:
    """`hour` o'clock UTC on an ISO day (08:00 UTC is after the 07:00 Brussels run in winter and summer)."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")
