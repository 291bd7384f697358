"""SEPA payment files for the bank: pain.008 (direct-debit collections) and pain.001 (credit
transfers for refunds, issue 8).

Files are built with the ``sepaxml`` library and validated against the XSD it ships
(``pain.008.001.02.xsd``) before anything is stored: a file that does not validate is never sent.
Identifiers are ours and deterministic (message id, payment-information ids), so a file built
again for the same batch is the same file apart from its creation time, and the bank's camt.053
batch credit can be traced back to the batch.

The creditor (our company) comes from the environment with the defaults of the local runtime;
on AWS the template sets the real creditor identifier, IBAN and BIC.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET  # noqa: S405 - only our own output is read back, never input
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sepaxml
from sepaxml import SepaDD, SepaTransfer

from wattdesk.domain.money import to_cents

PAIN_008 = "pain.008.001.02"
_NS = {"p": f"urn:iso:std:iso:20022:tech:xsd:{PAIN_008}"}


class SepaFileInvalid(Exception):
    """The generated file does not validate against its XSD (a bug or an illegal value)."""


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str  # SEPA creditor identifier, Belgium: BE<check>ZZZ<company number>


def creditor() -> Creditor:
    return Creditor(
        name=os.environ.get("SEPA_CREDITOR_NAME", "WattDesk NV"),
        iban=os.environ.get("SEPA_CREDITOR_IBAN", "BE21001234567803"),
        bic=os.environ.get("SEPA_CREDITOR_BIC", "GEBABEBB"),
        creditor_id=os.environ.get("SEPA_CREDITOR_ID", "BE11ZZZ0403170701"),
    )


def schema_path(schema: str) -> Path:
    return Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd"


def validate(xml: bytes, schema: str = PAIN_008) -> None:
    """Raises SepaFileInvalid with the validator's reasons when ``xml`` breaks the XSD."""
    import xmlschema  # imported late: it patches ElementTree on import (see sepaxml.validation)

    errors = list(xmlschema.XMLSchema(str(schema_path(schema))).iter_errors(xml.decode("utf-8")))
    if errors:
        raise SepaFileInvalid("; ".join(f"{error.path}: {error.reason}" for error in errors[:5]))


# ------------------------------------------------------------------ pain.008 direct debits
@dataclass(frozen=True)
class Collection:
    end_to_end_id: str
    amount: Decimal
    sequence_type: str  # FRST | RCUR
    collection_date: date
    mandate_reference: str
    mandate_signed_on: date
    debtor_name: str
    debtor_iban: str
    remittance: str  # what the customer reads on the bank statement


def pain008(message_id: str, created_at: datetime, collections: list[Collection], who: Creditor | None = None) -> bytes:
    """One pain.008.001.02 file: a payment-information block per (sequence type, collection date),
    ids ``<message_id>-<FRST|RCUR>-<YYYYMMDD>``; validated against the XSD."""
    if not collections:
        raise ValueError("a pain.008 file needs at least one collection")
    if len(message_id) > 21:
        raise ValueError("message ids are at most 21 characters here (payment-information ids add 14; SEPA allows 35)")
    who = who or creditor()
    document = SepaDD({"name": who.name, "IBAN": who.iban, "BIC": who.bic, "batch": True, "creditor_id": who.creditor_id, "currency": "EUR", "instrument": "CORE"}, schema=PAIN_008, clean=True)
    for item in collections:
        cents = to_cents(item.amount)
        if cents <= 0:
            raise ValueError(f"{item.end_to_end_id}: a collection needs a positive amount")
        document.add_payment(
            {
                "name": item.debtor_name,
                "IBAN": item.debtor_iban,
                "amount": int(cents * 100),  # sepaxml takes whole cents as int; exact for Decimal cents
                "type": item.sequence_type,
                "collection_date": item.collection_date,
                "mandate_id": item.mandate_reference,
                "mandate_date": item.mandate_signed_on,
                "description": item.remittance,
                "endtoend_id": item.end_to_end_id,
            }
        )
    raw = document.export(validate=False)
    ET.register_namespace("", _NS["p"])
    tree = ET.fromstring(raw)  # noqa: S314 - our own output
    header = tree.find("p:CstmrDrctDbtInitn/p:GrpHdr", _NS)
    header.find("p:MsgId", _NS).text = message_id
    header.find("p:CreDtTm", _NS).text = created_at.replace(microsecond=0, tzinfo=None).isoformat()
    for block in tree.findall("p:CstmrDrctDbtInitn/p:PmtInf", _NS):
        sequence = block.find("p:PmtTpInf/p:SeqTp", _NS).text
        day = block.find("p:ReqdColltnDt", _NS).text.replace("-", "")
        block.find("p:PmtInfId", _NS).text = payment_info_id(message_id, sequence, day)
    xml = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(tree, encoding="utf-8")
    validate(xml, PAIN_008)
    return xml


def payment_info_id(message_id: str, sequence_type: str, collection_day: str) -> str:
    """The id of one payment-information block; the bank books each block as one credit."""
    return f"{message_id}-{sequence_type}-{collection_day}"


# ------------------------------------------------------------------ pain.001 credit transfers (refunds, issue 8)
PAIN_001 = "pain.001.001.03"
_NS_001 = {"p": f"urn:iso:std:iso:20022:tech:xsd:{PAIN_001}"}


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str  # the refund id: the bank's statement names it on the debit and on a return
    amount: Decimal
    creditor_name: str  # the customer (or the sender of a mistaken payment) we pay
    creditor_iban: str
    remittance: str  # what the customer reads on the bank statement (at most 140 characters)


def pain001(message_id: str, created_at: datetime, execution_date: date, transfers: list[Transfer], who: Creditor | None = None) -> bytes:
    """One pain.001.001.03 file (SEPA credit transfers from our account, the ``creditor()`` of the
    direct debits): one payment-information block ``<message_id>-TRF`` executed on
    ``execution_date``; validated against the XSD sepaxml ships."""
    if not transfers:
        raise ValueError("a pain.001 file needs at least one transfer")
    if len(message_id) > 31:
        raise ValueError("message ids are at most 31 characters here (the payment-information id adds 4)")
    who = who or creditor()
    document = SepaTransfer({"name": who.name, "IBAN": who.iban, "BIC": who.bic, "batch": True, "currency": "EUR"}, schema=PAIN_001, clean=True)
    for item in transfers:
        cents = to_cents(item.amount)
        if cents <= 0:
            raise ValueError(f"{item.end_to_end_id}: a transfer needs a positive amount")
        if len(item.end_to_end_id) > 35:
            raise ValueError(f"{item.end_to_end_id}: end-to-end ids are at most 35 characters")
        document.add_payment(
            {
                "name": item.creditor_name,
                "IBAN": item.creditor_iban,
                "amount": int(cents * 100),  # whole cents as int; exact for Decimal cents
                "execution_date": execution_date,
                "description": item.remittance[:140],
                "endtoend_id": item.end_to_end_id,
            }
        )
    raw = document.export(validate=False)
    ET.register_namespace("", _NS_001["p"])
    tree = ET.fromstring(raw)  # noqa: S314 - our own output
    header = tree.find("p:CstmrCdtTrfInitn/p:GrpHdr", _NS_001)
    header.find("p:MsgId", _NS_001).text = message_id
    header.find("p:CreDtTm", _NS_001).text = created_at.replace(microsecond=0, tzinfo=None).isoformat()
    for block in tree.findall("p:CstmrCdtTrfInitn/p:PmtInf", _NS_001):
        block.find("p:PmtInfId", _NS_001).text = f"{message_id}-TRF"
    xml = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(tree, encoding="utf-8")
    validate(xml, PAIN_001)
    return xml


def read_pain001(xml: bytes) -> list[dict[str, str]]:
    """The transfers of one of our pain.001 files (end-to-end id, amount, IBAN, name, remittance):
    ops views and tests read files back with this."""
    tree = ET.fromstring(xml)  # noqa: S314 - our own output
    found = []
    for tx in tree.iter(f"{{{_NS_001['p']}}}CdtTrfTxInf"):
        found.append({
            "end_to_end_id": tx.find("p:PmtId/p:EndToEndId", _NS_001).text,
            "amount": tx.find("p:Amt/p:InstdAmt", _NS_001).text,
            "iban": tx.find("p:CdtrAcct/p:Id/p:IBAN", _NS_001).text,
            "name": tx.find("p:Cdtr/p:Nm", _NS_001).text,
            "remittance": tx.find("p:RmtInf/p:Ustrd", _NS_001).text,
        })
    return found
