"""Bank statements in ISO 20022 XML: camt.053 (end-of-day statement) and camt.054 (debit/credit
notification, which banks use for SEPA direct-debit R-transactions).

Parsed safely: defusedxml's expat parser with DTDs, entity declarations and external references
forbidden (no XXE, no "billion laughs", no network), a size limit checked before parsing, and a
structural check of the elements we rely on. Every problem is reported with its line number, all
at once, so an operator can tell the bank what is wrong with a file.

The official camt XSDs are not shipped with the layer; the check below covers the elements and
value formats this import reads (message id, statement id, account IBAN, entry amount, currency,
credit/debit indicator, status and dates) with the schema's own rules for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from xml.etree.ElementTree import ParseError

MAX_BYTES = 5 * 1024 * 1024  # API Gateway takes 10 MB; banks split larger statements into pages
_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d{2})$")
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CamtError(Exception):
    """The file cannot be imported; ``problems`` lists every problem with its line."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(f"line {p['line']}: {p['message']}" for p in problems))
        self.problems = problems


@dataclass
class Node:
    tag: str  # local name, namespace removed
    attrib: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find(self, path: str) -> Node | None:
        node: Node | None = self
        for part in path.split("/"):
            node = next((child for child in node.children if child.tag == part), None) if node else None
        return node

    def findall(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def value(self, path: str) -> str | None:
        node = self.find(path)
        return node.text.strip() if node is not None and node.text.strip() else None


class _Builder:
    """An expat target that keeps the line of every element."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.stack: list[Node] = []
        self.root: Node | None = None
        self.namespace: str | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        node = Node(local, dict(attrs), self.parser.parser.CurrentLineNumber if self.parser else 0)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root, self.namespace = node, namespace
        self.stack.append(node)

    def end(self, _tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text

    def close(self) -> Node | None:
        return self.root


@dataclass(frozen=True)
class Transaction:
    amount: Decimal
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    payment_info_id: str | None = None
    account_servicer_reference: str | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    structured_reference: str | None = None
    unstructured: str | None = None
    return_reason: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Entry:
    line: int
    reference: str  # NtryRef, else AcctSvcrRef, else the entry's position ("POS<n>")
    amount: Decimal
    currency: str
    credit: bool
    status: str
    booking_date: date | None
    value_date: date | None
    bank_transaction_code: str | None
    reversal: bool
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class Statement:
    kind: str  # camt.053 | camt.054
    version: str
    message_id: str
    statement_id: str
    account_iban: str
    created_at: str | None
    entries: tuple[Entry, ...]


def _parse_tree(raw: bytes) -> tuple[Node, str]:
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(raw)
        root = parser.close()
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 0
        raise CamtError([{"line": line, "path": None, "code": "camt.not_xml", "message": f"not well-formed XML: {exc}"}]) from exc
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber if getattr(parser, "parser", None) else 0
        raise CamtError([{"line": line, "path": None, "code": "camt.forbidden_construct", "message": f"DTDs, entities and external references are not accepted ({type(exc).__name__})"}]) from exc
    if root is None:
        raise CamtError([{"line": 1, "path": None, "code": "camt.empty", "message": "the file holds no XML element"}])
    return root, builder.namespace or ""


def _date(node: Node | None) -> date | None:
    if node is None:
        return None
    text = node.value("Dt") or (node.value("DtTm") or "")[:10]
    return date.fromisoformat(text) if text and _ISO_DATE.match(text) else None


def _transaction(tx: Node, entry_amount: Decimal, single: bool) -> Transaction:
    amount_text = tx.value("AmtDtls/TxAmt/Amt") or tx.value("Amt") or tx.value("AmtDtls/InstdAmt/Amt")
    try:
        amount = Decimal(amount_text) if amount_text else entry_amount
    except InvalidOperation:
        amount = entry_amount
    if single:
        amount = entry_amount
    # Incoming credit transfer: the payer is the debtor. For an R-transaction of our own direct
    # debit, the debtor is our customer too.
    structured = None
    for strd in (tx.find("RmtInf").findall("Strd") if tx.find("RmtInf") else []):
        structured = strd.value("CdtrRefInf/Ref") or structured
    unstructured = " ".join(node.text.strip() for node in (tx.find("RmtInf").findall("Ustrd") if tx.find("RmtInf") else []) if node.text.strip()) or None
    return Transaction(
        amount=amount,
        end_to_end_id=tx.value("Refs/EndToEndId"),
        mandate_id=tx.value("Refs/MndtId"),
        payment_info_id=tx.value("Refs/PmtInfId"),
        account_servicer_reference=tx.value("Refs/AcctSvcrRef"),
        debtor_name=tx.value("RltdPties/Dbtr/Nm"),
        debtor_iban=tx.value("RltdPties/DbtrAcct/Id/IBAN"),
        structured_reference=structured,
        unstructured=unstructured,
        return_reason=tx.value("RtrInf/Rsn/Cd") or tx.value("RtrInf/Rsn/Prtry"),
        line=tx.line,
    )


def parse(raw: bytes, max_bytes: int = MAX_BYTES) -> Statement:
    """A camt.053 statement or camt.054 notification, or CamtError listing every problem."""
    if not isinstance(raw, (bytes, bytearray)):
        raise TypeError("raw must be bytes")
    if len(raw) > max_bytes:
        raise CamtError([{"line": 0, "path": None, "code": "camt.too_large", "message": f"the file has {len(raw)} bytes; at most {max_bytes} are accepted (ask the bank for pages)"}])
    if not raw.strip():
        raise CamtError([{"line": 0, "path": None, "code": "camt.empty", "message": "the file is empty"}])
    root, namespace = _parse_tree(bytes(raw))
    problems: list[dict] = []

    def problem(node: Node | None, path: str, code: str, message: str) -> None:
        problems.append({"line": node.line if node is not None else root.line, "path": path, "code": code, "message": message})

    version_match = _NAMESPACE.match(namespace)
    if root.tag != "Document" or not version_match:
        problem(root, "Document", "camt.namespace", f"expected a camt.053 or camt.054 Document, found {root.tag!r} in namespace {namespace!r}")
        raise CamtError(problems)
    kind, version = version_match.group(1), version_match.group(2)
    container, item = ("BkToCstmrStmt", "Stmt") if kind == "camt.053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    body = root.find(container)
    if body is None:
        problem(root, f"Document/{container}", "camt.missing", f"{container} is missing")
        raise CamtError(problems)
    message_id = body.value("GrpHdr/MsgId")
    if not message_id:
        problem(body.find("GrpHdr") or body, f"{container}/GrpHdr/MsgId", "camt.missing", "GrpHdr/MsgId is missing")
    statements = body.findall(item)
    if len(statements) != 1:
        problem(body, f"{container}/{item}", "camt.statements", f"expected exactly one {item} per file, found {len(statements)}")
        raise CamtError(problems)
    statement = statements[0]
    statement_id = statement.value("Id")
    if not statement_id:
        problem(statement, f"{item}/Id", "camt.missing", f"{item}/Id is missing")
    elif len(statement_id) > 35:
        problem(statement.find("Id"), f"{item}/Id", "camt.length", "Id is longer than 35 characters")
    account_iban = (statement.value("Acct/Id/IBAN") or "").replace(" ", "").upper()
    if not account_iban:
        problem(statement.find("Acct") or statement, f"{item}/Acct/Id/IBAN", "camt.missing", "the account IBAN is missing")
    elif not _IBAN.match(account_iban):
        problem(statement.find("Acct/Id/IBAN"), f"{item}/Acct/Id/IBAN", "camt.iban", f"{account_iban!r} is not an IBAN")

    entries: list[Entry] = []
    for position, ntry in enumerate(statement.findall("Ntry"), start=1):
        path = f"{item}/Ntry[{position}]"
        amount_node = ntry.find("Amt")
        amount = Decimal("0")
        if amount_node is None or not amount_node.text.strip():
            problem(ntry, f"{path}/Amt", "camt.missing", "Amt is missing")
        elif not _AMOUNT.match(amount_node.text.strip()):
            problem(amount_node, f"{path}/Amt", "camt.amount", f"{amount_node.text.strip()!r} is not an amount")
        else:
            amount = Decimal(amount_node.text.strip())
        currency = amount_node.attrib.get("Ccy", "") if amount_node is not None else ""
        if amount_node is not None and not re.fullmatch(r"[A-Z]{3}", currency):
            problem(amount_node, f"{path}/Amt/@Ccy", "camt.currency", "the Ccy attribute must be a 3-letter currency code")
        elif amount_node is not None and currency != "EUR":
            problem(amount_node, f"{path}/Amt/@Ccy", "camt.currency", f"only EUR is accepted, found {currency}")
        indicator = ntry.value("CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            problem(ntry.find("CdtDbtInd") or ntry, f"{path}/CdtDbtInd", "camt.indicator", "CdtDbtInd must be CRDT or DBIT")
        status = ntry.value("Sts/Cd") or ntry.value("Sts") or ""
        if status not in ("BOOK", "PDNG", "INFO"):
            problem(ntry.find("Sts") or ntry, f"{path}/Sts", "camt.status", "Sts must be BOOK, PDNG or INFO")
        booking_node = ntry.find("BookgDt")
        if booking_node is None:
            problem(ntry, f"{path}/BookgDt", "camt.missing", "BookgDt is missing")
        elif _date(booking_node) is None:
            problem(booking_node, f"{path}/BookgDt", "camt.date", "BookgDt needs Dt (YYYY-MM-DD) or DtTm")
        reversal = (ntry.value("RvslInd") or "").lower() == "true"
        code = "/".join(part for part in (ntry.value("BkTxCd/Domn/Cd"), ntry.value("BkTxCd/Domn/Fmly/Cd"), ntry.value("BkTxCd/Domn/Fmly/SubFmlyCd")) if part) or None
        details = [tx for dtls in ntry.findall("NtryDtls") for tx in dtls.findall("TxDtls")]
        # A batch booking (e.g. the bank's credit for one of our direct-debit batches) names the
        # payment-information block at entry level.
        batch_id = next((dtls.value("Btch/PmtInfId") for dtls in ntry.findall("NtryDtls") if dtls.value("Btch/PmtInfId")), None)
        transactions = tuple(_transaction(tx, amount, single=len(details) == 1) for tx in details) or (Transaction(amount=amount, line=ntry.line),)
        if batch_id:
            transactions = tuple(tx if tx.payment_info_id else replace(tx, payment_info_id=batch_id) for tx in transactions)
        if len(details) > 1:
            total = sum((tx.amount for tx in transactions), Decimal("0"))
            if total != amount:
                problem(ntry, f"{path}/NtryDtls", "camt.batch_sum", f"the transactions add up to {total}, the entry says {amount}")
        entries.append(
            Entry(
                line=ntry.line,
                reference=ntry.value("NtryRef") or ntry.value("AcctSvcrRef") or f"POS{position}",
                amount=amount,
                currency=currency,
                credit=indicator == "CRDT",
                status=status,
                booking_date=_date(booking_node),
                value_date=_date(ntry.find("ValDt")),
                bank_transaction_code=code,
                reversal=reversal,
                transactions=transactions,
            )
        )
    references = [entry.reference for entry in entries]
    for entry in entries:
        if references.count(entry.reference) > 1 and not entry.reference.startswith("POS"):
            problem(None, f"{item}/Ntry", "camt.duplicate_reference", f"entry reference {entry.reference!r} appears more than once")
            problems[-1]["line"] = entry.line
    if problems:
        raise CamtError(problems)
    created = body.value("GrpHdr/CreDtTm")
    if created:
        try:
            datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            created = None
    return Statement(kind, version, message_id or "", statement_id or "", account_iban, created, tuple(entries))
