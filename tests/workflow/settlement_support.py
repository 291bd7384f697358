"""Building contracts, readings and expectations for the readings/settlement/moves workflow tests.

Contracts are created through the store (as tests/workflow/test_billing_run.py does); the DSO's
readings come through its local endpoint; expectations come from the domain rules and the inputs
of the test, never from the output of the run."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from support import table_environment
from wattdesk.domain.ean import ean_with_check_digit

_counter = itertools.count(500)
CREATED = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def new_ean() -> str:
    return ean_with_check_digit(f"54141493{next(_counter):09d}")


def make_contract(*, advance: str, language: str = "nl", start: date = date(2027, 2, 1), eav: int = 3000, meter_type: str = "single",
                  product: str = "ELEC-FIX-1Y", postcode: str = "9000", payment: str = "transfer", ean: str | None = None) -> dict:
    from wattdesk.stores import enrollments as store

    index = next(_counter)
    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    email = f"settle{index}@example.org"
    ean = ean or new_ean()
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=f"Klant{index}", last_name="Test", email=email,
        phone="+32470123456", language=language, referral_code=f"WS{index:08d}", created_from="test", created_at=CREATED.isoformat(),
    )
    address = {"street": "Kerkstraat", "number": str(index), "box": None, "postcode": postcode, "city": "Gent"}
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code=product, start_date=start.isoformat(),
        billing_frequency="monthly", payment={"method": payment, "iban": "BE71096123456769", "account_holder": f"Klant{index} Test"}, supply_address=address,
        delivery_points=[{"energy": "electricity", "ean": ean, "meter_type": meter_type, "situation": "switch", "eav_kwh": eav}],
        first_advance=advance, enrollment_id=f"test-{index}", created_at=CREATED.isoformat(),
        GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"{start.isoformat()}#{contract_id}",
    )
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [ean])
    return {"customer_id": customer_id, "contract_id": contract_id, "email": email, "ean": ean, "advance": Decimal(advance), "language": language,
            "start": start, "eav": eav, "meter_type": meter_type, "product": product}


def login(runtime, contract: dict) -> dict[str, str]:
    token = runtime.login(contract["email"], ["customers"], {"custom:customer_id": contract["customer_id"]})["id_token"]
    return {"Authorization": token}


def registers(values: dict[str, int]) -> list[dict[str, str]]:
    return [{"register": register, "value_kwh": str(value)} for register, value in values.items()]


def dso_reading(runtime, ean: str, day: date, values: dict[str, int], kind: str = "periodic", **extra) -> dict:
    return dso_readings(runtime, [{"ean": ean, "reading_date": day.isoformat(), "kind": kind, "registers": registers(values), **extra}])


def dso_readings(runtime, messages: list[dict]) -> dict:
    import json

    payload, errored, _ = runtime.invoke("ReadingsDsoFunction", {"task": "dso_readings", "readings": messages})
    assert not errored, payload
    return json.loads(payload)


def invoices_of(customer_id: str) -> list:
    from wattdesk.stores import invoices

    with table_environment():
        return sorted(invoices.of_customer(customer_id), key=lambda i: i.number)


def settlement_mails(runtime, email: str) -> list[dict]:
    return [m for m in runtime.outbox(email) if any(name.startswith("invoice-") and ("-S-" in name or "-F-" in name) for name in m["attachments"])]


def expected_settlement(contract: dict, opening: dict[str, int], closing: dict[str, int], period_start: date, period_end: date, advances: list[Decimal], estimated: bool = False):
    """What the settlement should be, from the domain rules and the test's inputs: consumption lines
    priced per day (profile spread), minus the advances the test expects to have been invoiced."""
    from wattdesk.domain import invoice as invoice_rules
    from wattdesk.domain import settlement as rules
    from wattdesk.domain.advance import vat_rate
    from wattdesk.domain.postcodes import region_of
    from wattdesk.domain.pricing import NETWORK_TARIFFS_EXAMPLE, PRICE_BOOK_EXAMPLE

    kwh = {register: closing[register] - opening[register] for register in closing}
    point = rules.PointConsumption(contract["ean"], "electricity", contract["meter_type"], kwh, estimated, [(contract["product"], period_start, period_end)])
    lines = rules.consumption_invoice_lines([point], PRICE_BOOK_EXAMPLE, {}, NETWORK_TARIFFS_EXAMPLE, region_of("9000"), "residential", contract["language"])
    cost = invoice_rules.totals(lines).incl_vat
    paid = sum(advances, Decimal("0.00"))
    advance_vat = vat_rate("residential", period_start)
    return {"consumption_incl_vat": cost, "advances": paid, "total": cost - paid, "kwh": kwh, "vat": advance_vat}
