"""Direct debit on the simulated clock: the mandate from the enrollment, the pre-notification at
least 5 days ahead, the pain.008 file (valid against the XSD, FRST then RCUR), settlement, a
return that reopens the invoice and tells the customer, a re-presentation, the second failure
that switches the customer to transfer, and a new mandate from the portal starting at FRST."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
import xmlschema

from collection_support import BANK, MID_JANUARY, invoices, make_customer, objects, token, xml_upload

pytestmark = pytest.mark.workflow

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
IBAN = "BE71096123456769"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def pain008_files(runtime) -> dict[str, bytes]:
    return objects(runtime, "sepa/pain.008/")


def transactions(xml: bytes) -> list[dict]:
    from wattdesk.adapters.sepa_files import schema_path

    schema = xmlschema.XMLSchema(str(schema_path("pain.008.001.02")))
    schema.validate(xml.decode())  # raises with the reason if the file breaks the XSD
    tree = ET.fromstring(xml)
    found = []
    for block in tree.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS):
        for tx in block.findall("p:DrctDbtTxInf", NS):
            found.append({
                "sequence": block.find("p:PmtTpInf/p:SeqTp", NS).text,
                "date": block.find("p:ReqdColltnDt", NS).text,
                "end_to_end": tx.find("p:PmtId/p:EndToEndId", NS).text,
                "amount": tx.find("p:InstdAmt", NS).text,
                "mandate": tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text,
                "signed": tx.find("p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr", NS).text,
                "iban": tx.find("p:DbtrAcct/p:Id/p:IBAN", NS).text,
            })
    return found


def notices(runtime, email: str) -> list[dict]:
    return [m for m in runtime.outbox(email) if m["subject"].startswith("Annonce de domiciliation")]


def test_direct_debit_from_pre_notification_to_return_and_switch_to_transfer(runtime, operator):
    runtime.reset(MID_JANUARY)
    camille = make_customer(1, language="fr", payment="direct_debit", iban=IBAN, holder="Camille Dubois")
    me = token(runtime, camille)

    # February advance issued on the 1st (due the 16th). The notice comes 8 days before the due
    # date (at least 5 days before the collection), not sooner.
    runtime.advance(to=at(date(2027, 2, 7), 20))
    assert invoices(runtime)["2027-A-000001"]["due_date"] == "2027-02-16"
    assert notices(runtime, camille["email"]) == []
    assert "mandate" not in runtime.handle_api("GET", "/me/account", me).json()["payment_method"]
    runtime.advance(to=at(date(2027, 2, 8)))
    # The mandate was created from the enrollment's details when first needed.
    mandate = runtime.handle_api("GET", "/me/account", me).json()["payment_method"]["mandate"]
    assert (mandate["status"], mandate["iban"], mandate["signed_on"], mandate["creditor_id"]) == ("ACTIVE", "BE71 **** **** 6769", "2027-01-15", "BE11ZZZ0403170701")
    reference = mandate["reference"]
    assert reference.startswith("WD") and reference.endswith("-01")
    [notice] = notices(runtime, camille["email"])
    assert notice["language"] == "fr" and "75,00" in notice["subject"] and "16 février 2027" in notice["subject"]
    assert reference in notice["text"] and "BE11ZZZ0403170701" in notice["text"] and "BE71 **** **** 6769" in notice["text"]
    assert pain008_files(runtime) == {}

    # D-1 (Monday 15th): the pain.008 file for the bank, valid against the XSD, FRST for a new mandate.
    runtime.advance(to=at(date(2027, 2, 15)))
    [(key, xml)] = pain008_files(runtime).items()
    assert key == "sepa/pain.008/2027-02-15/WD-DD-20270215-1.xml"
    assert transactions(xml) == [{"sequence": "FRST", "date": "2027-02-16", "end_to_end": "2027-A-000001-1", "amount": "75.00", "mandate": reference, "signed": "2027-01-15", "iban": IBAN}]

    # The same day's sweep again (a retried schedule) collects nothing twice.
    again = runtime.invoke("CollectionSweepsFunction", {"task": "direct_debit", "as_of": "2027-02-15T06:30:00Z"})
    assert '"submitted": 0' in again[0] and '"prenotified": 0' in again[0]
    assert len(pain008_files(runtime)) == 1

    # Collection day: booked as paid. The bank's batch credit on the statement is recognised as
    # our own batch and books nothing a second time.
    runtime.advance(to=at(date(2027, 2, 16)))
    assert invoices(runtime)["2027-A-000001"]["status"] == "PAID"
    assert runtime.handle_api("GET", "/me/account", me).json()["balance"] == "0.00"
    batch_credit = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>BNPF-20270216-0001</MsgId></GrpHdr>
<Stmt><Id>2027-032</Id><Acct><Id><IBAN>BE21001234567803</IBAN></Id></Acct>
<Ntry><NtryRef>20270216-000001</NtryRef><Amt Ccy="EUR">75.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-02-16</Dt></BookgDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><PmtInfId>WD-DD-20270215-1-FRST-20270216</PmtInfId><NbOfTxs>1</NbOfTxs></Btch></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
    counts = xml_upload(runtime, "/ops/bank-statements", operator, batch_credit).json()["counts"]
    assert counts["direct_debit_settlements"] == 1
    assert runtime.handle_api("GET", "/me/account", me).json()["balance"] == "0.00"

    # Friday 19th: the bank returns it (AM04). The payment is reversed, the invoice reopens, Camille is told.
    runtime.advance(to=at(date(2027, 2, 19)))
    returned = xml_upload(runtime, "/ops/bank-statements/returns", operator, (BANK / "camt054_return_am04.xml").read_bytes())
    assert returned.status == 200, returned.body
    assert returned.json()["returns"] == [{"end_to_end_id": "2027-A-000001-1", "outcome": "returned", "reason": "AM04", "invoice_number": "2027-A-000001", "represent": True, "switched_to_transfer": False, "pay_by": None}]
    assert invoices(runtime)["2027-A-000001"]["status"] == "OPEN"
    view = runtime.handle_api("GET", "/me/account", me).json()
    assert view["balance"] == "75.00" and [e["kind"] for e in view["entries"]] == ["invoice", "payment", "payment_reversal"]
    failed = [m for m in runtime.outbox(camille["email"]) if "n'a pas abouti" in m["subject"]]
    assert len(failed) == 1 and "provision insuffisante" in failed[0]["text"] and "une seconde fois" in failed[0]["text"]
    duplicate = xml_upload(runtime, "/ops/bank-statements/returns", operator, (BANK / "camt054_return_am04.xml").read_bytes())
    assert duplicate.json()["counts"] == {"duplicate": 1}
    assert runtime.handle_api("GET", "/me/account", me).json()["balance"] == "75.00"

    # Presented once more: a new notice (Saturday 20th -> collection Thursday 25th), then RCUR (the FRST was settled).
    runtime.advance(to=at(date(2027, 2, 20)))
    second_notice = notices(runtime, camille["email"])[-1]
    assert len(notices(runtime, camille["email"])) == 2 and "25 février 2027" in second_notice["subject"]
    runtime.advance(to=at(date(2027, 2, 24)))
    files = pain008_files(runtime)
    assert sorted(files) == ["sepa/pain.008/2027-02-15/WD-DD-20270215-1.xml", "sepa/pain.008/2027-02-24/WD-DD-20270224-1.xml"]
    assert [(t["sequence"], t["date"], t["end_to_end"]) for t in transactions(files["sepa/pain.008/2027-02-24/WD-DD-20270224-1.xml"])] == [("RCUR", "2027-02-25", "2027-A-000001-2")]
    runtime.advance(to=at(date(2027, 2, 25)))
    assert invoices(runtime)["2027-A-000001"]["status"] == "PAID"

    # The second consecutive failure (a CSV from the bank's portal): switched to transfer, with a mail.
    csv = "end_to_end_id;reason_code;amount;return_date\n2027-A-000001-2;AM04;75,00;26/02/2027\n"
    second = runtime.handle_api("POST", "/ops/bank-statements/returns", {**operator, "Content-Type": "text/csv"}, csv)
    assert second.status == 200, second.body
    assert second.json()["returns"][0] | {"pay_by": None} == {"end_to_end_id": "2027-A-000001-2", "outcome": "returned", "reason": "AM04", "invoice_number": "2027-A-000001", "represent": False, "switched_to_transfer": True, "pay_by": None}
    assert second.json()["returns"][0]["pay_by"] == "2027-03-13"
    switched = [m for m in runtime.outbox(camille["email"]) if m["subject"] == "Vous payez désormais par virement"]
    assert len(switched) == 1 and reference in switched[0]["text"]
    last_failure = [m for m in runtime.outbox(camille["email"]) if "n'a pas abouti" in m["subject"]][-1]
    assert "13 mars 2027" in last_failure["text"] and "+++027/1000/00143+++" in last_failure["text"]
    view = runtime.handle_api("GET", "/me/account", me).json()
    assert view["payment_method"]["method"] == "transfer" and view["payment_method"]["mandate"]["status"] == "SUSPENDED"
    assert view["open_items"] == [{"invoice_number": "2027-A-000001", "open_amount": "75.00", "due_date": "2027-02-16", "ogm": "+++027/1000/00143+++", "status": "OPEN", "pay_by": "2027-03-13"}]

    # March's advance is a transfer invoice (structured reference, no collection); no notice follows.
    runtime.advance(to=at(date(2027, 3, 1)))
    march_mail = [m for m in runtime.outbox(camille["email"]) if m["subject"] == "Votre facture 2027-A-000002"][0]
    assert "communication structurée" in march_mail["text"]
    runtime.advance(to=at(date(2027, 3, 9)))
    assert len(notices(runtime, camille["email"])) == 2

    # Camille signs a new mandate in the portal for another account: a new reference, FRST again.
    refused = runtime.handle_api("PUT", "/me/payment-method", me, {"method": "direct_debit", "iban": "BE35310123456737", "account_holder": "Camille Dubois"})
    assert refused.status == 400 and refused.json()["errors"][0]["code"] == "mandate.not_accepted"
    assert runtime.handle_api("PUT", "/me/payment-method", me, {"method": "direct_debit", "iban": "BE35310123456738", "account_holder": "C", "mandate_accepted": True}).json()["errors"][0]["field"] == "iban"
    changed = runtime.handle_api("PUT", "/me/payment-method", me, {"method": "direct_debit", "iban": "BE35 3101 2345 6737", "account_holder": "Camille Dubois", "mandate_accepted": True})
    assert changed.status == 200, changed.body
    new_mandate = changed.json()["mandate"]
    assert new_mandate["reference"] == reference[:-2] + "02" and new_mandate["status"] == "ACTIVE" and new_mandate["signed_on"] == "2027-03-09"
    confirmation = [m for m in runtime.outbox(camille["email"]) if m["subject"] == "Votre mode de paiement a changé"]
    assert len(confirmation) == 1 and new_mandate["reference"] in confirmation[0]["text"]
    # The March invoice (due 16 March) is now collected from the new account with FRST; the
    # reopened February invoice stays with its transfer term.
    runtime.advance(to=at(date(2027, 3, 15)))
    march_file = pain008_files(runtime)["sepa/pain.008/2027-03-15/WD-DD-20270315-1.xml"]
    assert [(t["sequence"], t["end_to_end"], t["iban"], t["mandate"]) for t in transactions(march_file)] == [("FRST", "2027-A-000002-1", "BE35310123456737", new_mandate["reference"])]


def test_a_reject_before_settlement_books_nothing_and_the_next_collection_is_frst_again(runtime, operator):
    runtime.reset(MID_JANUARY)
    jan = make_customer(2, language="nl", payment="direct_debit", iban=IBAN, holder="Jan Peeters")
    runtime.advance(to=at(date(2027, 2, 15)))
    assert transactions(pain008_files(runtime)["sepa/pain.008/2027-02-15/WD-DD-20270215-1.xml"])[0]["sequence"] == "FRST"
    csv = "end_to_end_id,reason_code,amount,return_date\n2027-A-000001-1,MS03,75.00,2027-02-15\n"
    rejected = runtime.handle_api("POST", "/ops/bank-statements/returns", {**operator, "Content-Type": "text/csv"}, csv)
    assert rejected.json()["returns"][0]["outcome"] == "rejected"
    runtime.advance(to=at(date(2027, 2, 16)))
    view = runtime.handle_api("GET", "/me/account", token(runtime, jan)).json()
    assert view["balance"] == "75.00" and [e["kind"] for e in view["entries"]] == ["invoice"]
    runtime.advance(to=at(date(2027, 2, 21)))  # re-presented: notice on the 16th, collection on Monday 22nd
    files = pain008_files(runtime)
    assert [(t["sequence"], t["date"]) for t in transactions(files["sepa/pain.008/2027-02-19/WD-DD-20270219-1.xml"])] == [("FRST", "2027-02-22")]
    bad = runtime.handle_api("POST", "/ops/bank-statements/returns", {**operator, "Content-Type": "text/csv"}, "end_to_end_id;reason_code;amount\n2027-A-000001-2;AM04;abc\n")
    assert bad.status == 400 and bad.json()["errors"][0]["line"] == 2


def test_the_sweep_handler_takes_the_sample_event_and_refuses_a_malformed_one(runtime):
    import json

    from support import load_event

    payload, errored, _ = runtime.invoke("CollectionSweepsFunction", load_event("collection_sweep"))
    assert not errored and json.loads(payload)["as_of"] == "2027-02-08"
    payload, errored, _ = runtime.invoke("CollectionSweepsFunction", load_event("collection_sweep_malformed"))
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"


def test_an_invoice_whose_collection_is_suspended_is_not_debited_until_the_suspension_ends(runtime, operator):
    """The direct-debit sweep follows the same suspensions as reminders (complaint, kept plan,
    refund or correction under way): no notice, no debit; once lifted, the usual notice and file."""
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-", "CollectionSweepsFunction-")
    jan = make_customer(2, language="nl", payment="direct_debit", iban=IBAN, holder="Jan Peeters")
    runtime.advance(to=at(date(2027, 2, 2)))
    [number] = [n for n, invoice in invoices(runtime).items() if invoice["customer_id"] == jan["customer_id"]]
    suspended = runtime.handle_api("POST", "/ops/dunning/suspensions", operator, {"invoice_number": number, "reason": "complaint", "reference": "C-2027-0001", "note": "customer disputes the amount"})
    assert suspended.status == 201, suspended.body

    runtime.advance(to=at(date(2027, 2, 20)))
    assert [m for m in runtime.outbox(jan["email"]) if m["subject"].startswith("Aankondiging")] == []
    assert pain008_files(runtime) == {}
    assert invoices(runtime)[number]["status"] == "OPEN"

    lifted = runtime.handle_api("POST", "/ops/dunning/suspensions/lift", operator, {"invoice_number": number, "reason": "complaint", "reference": "C-2027-0001"})
    assert lifted.status == 200, lifted.body
    runtime.advance(to=at(date(2027, 2, 21)))
    [notice] = [m for m in runtime.outbox(jan["email"]) if "75,00" in m["subject"]]
    assert notice["language"] == "nl"
    runtime.advance(to=at(date(2027, 3, 1)))
    collected = [tx for xml in pain008_files(runtime).values() for tx in transactions(xml)]
    assert [(tx["end_to_end"], tx["amount"], tx["iban"]) for tx in collected] == [(f"{number}-1", "75.00", IBAN)]
