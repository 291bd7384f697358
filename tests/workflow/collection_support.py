"""Shared set-up of the payment and direct-debit workflows: customers with a contract created
through the store (as the billing tests do), invoices and documents read back from the emulation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from support import table_environment  # noqa: F401 - re-exported: the payment tests import it from here

MID_JANUARY = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
BANK = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
TABLE = "wattdesk-WattDeskTable"


def make_customer(index: int, advance: str = "75.00", language: str = "nl", start: date = date(2027, 2, 1), payment: str = "transfer", iban: str | None = None, holder: str | None = None) -> dict:
    from wattdesk.stores import enrollments as store

    customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    email = f"betaler{index}@example.org"
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name=f"Betaler{index}", last_name="Test", email=email,
        phone="+32470123456", language=language, referral_code=f"PY{index:08d}", created_from="test", created_at=MID_JANUARY.isoformat(),
    )
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code="ELEC-FIX-1Y", start_date=start.isoformat(),
        billing_frequency="monthly", payment={"method": payment, "iban": iban, "account_holder": holder},
        supply_address={"street": "Stationsstraat", "number": str(index), "box": None, "postcode": "2800", "city": "Mechelen"},
        delivery_points=[{"energy": "electricity", "ean": f"54141493{index + 500:09d}1", "meter_type": "single", "situation": "switch", "eav_kwh": 3000}],
        first_advance=advance, enrollment_id=f"test-{index}", created_at=MID_JANUARY.isoformat(),
        GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"{start.isoformat()}#{contract_id}",
    )
    with table_environment():
        assert store.create_customer_and_contract(customer, contract, [])
    return {"customer_id": customer_id, "contract_id": contract_id, "email": email, "language": language}


def invoices(runtime) -> dict[str, dict]:
    """Invoice number -> customer, status, total, due date and OGM."""
    items = runtime.client("dynamodb").scan(TableName=TABLE, FilterExpression="begins_with(SK, :sk)", ExpressionAttributeValues={":sk": {"S": "INVOICE#"}})["Items"]
    return {
        i["number"]["S"]: {"customer_id": i["customer_id"]["S"], "status": i["status"]["S"], "total": Decimal(json.loads(i["totals_json"]["S"])["incl_vat"]), "due_date": i["due_date"]["S"], "ogm": i["ogm"]["S"]}
        for i in items
    }


def token(runtime, customer: dict) -> dict[str, str]:
    return {"Authorization": runtime.login(customer["email"], ["customers"], {"custom:customer_id": customer["customer_id"]})["id_token"]}


def bucket(runtime) -> str:
    return runtime.template.physical["DocumentsBucket"]["Ref"]


def objects(runtime, prefix: str) -> dict[str, bytes]:
    s3 = runtime.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket(runtime), Prefix=prefix).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=bucket(runtime), Key=item["Key"])["Body"].read() for item in listed}


def xml_upload(runtime, path: str, headers: dict[str, str], content: bytes, content_type: str = "application/xml"):
    return runtime.handle_api("POST", path, {**headers, "Content-Type": content_type}, content)


OUR_ACCOUNT = "BE21001234567803"


def credit_entry(reference: str, amount: str, day: date, debtor: str, iban: str, structured: str | None = None, text: str | None = None) -> str:
    """One booked credit of a camt.053 statement: a structured reference (OGM) in the bank's
    structured field, or a free text the payer typed."""
    remittance = f"<Strd><CdtrRefInf><Ref>{structured}</Ref></CdtrRefInf></Strd>" if structured else f"<Ustrd>{text or ''}</Ustrd>"
    return f"""
      <Ntry>
        <NtryRef>{reference}</NtryRef>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        <NtryDtls><TxDtls>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf>{remittance}</RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(statement_id: str, day: date, *entries: str) -> bytes:
    """A camt.053.001.02 day statement of our account holding ``entries``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>WD-{statement_id}</MsgId><CreDtTm>{day.isoformat()}T21:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>{day.isoformat()}T21:00:00</CreDtTm>
      <Acct><Id><IBAN>{OUR_ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
