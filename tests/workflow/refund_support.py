"""Shared set-up of the refund workflows: customers (collection_support), credits booked through the
ledger store as the settlement would book them, camt.053 statements built for a refund's transfer,
and the service called with the emulation's environment."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from collection_support import TABLE, bucket, objects

APPROVER_A = "ann.approver@wattdesk.example"
APPROVER_B = "bob.approver@wattdesk.example"
OUR_ACCOUNT = "BE21001234567803"


def approver(runtime, email: str) -> dict[str, str]:
    return {"Authorization": runtime.login(email, ["operators", "approvers"])["id_token"]}


@contextmanager
def as_a_handler(environment: dict[str, str]):
    """Runs the block the way the runtime runs a Lambda handler: with ``environment`` set, and
    one at a time with the handlers.

    Environment variables are process-global and the runtime sets each function's own per
    invocation (under one lock) and restores the previous values afterwards. A test that sets
    and restores them from its own thread without that lock races with the executions' threads:
    the Refund execution started by ``request_refund`` ran its Plan step while the test thread
    restored the environment, so the step lost TABLE_NAME, read table "wattdesk-local"
    (ResourceNotFoundException) and the execution ended in RefundBroken. Holding the lock, the
    executions' steps wait until the block is done (starting an execution or answering a task
    token does not wait for them, as in a handler)."""
    from wattdesk_local.lambdas import handler_environment

    with handler_environment(environment):
        yield


def table_environment():
    """The environment the stores read, for set-up and checks made directly through them."""
    return as_a_handler({"TABLE_NAME": TABLE, "AWS_REGION": "eu-west-1"})


def service_environment(runtime):
    """What the refund functions get from the template: the table, the bucket, the state machine."""
    return as_a_handler({
        "TABLE_NAME": TABLE, "AWS_REGION": "eu-west-1", "DOCUMENTS_BUCKET": bucket(runtime),
        "REFUND_STATE_MACHINE_ARN": runtime.state_machines["RefundStateMachine"],
    })


def call(runtime, function, *args, **kwargs):
    with service_environment(runtime):
        result = function(*args, **kwargs)
    runtime.wait_until_settled()
    return result


def book_credit(customer_id: str, amount: str, at: datetime, invoice_number: str | None = None, kind: str = "payment") -> None:
    """A credit on the account as another workflow books it: a settlement's credit invoice (naming
    its number) or an overpayment (naming none)."""
    from wattdesk.stores import ledger

    with table_environment():
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        entry = ledger.new_entry(customer_id, at, f"TEST#{kind}#{invoice_number or 'credit'}", 0, kind, -Decimal(amount), invoice_number, invoice_number, None)
        ledger.book(customer_id, version, [entry], ledger.unallocated_credit(customer_id, [*found, entry]), at)


def set_bank_account(customer_id: str, iban: str, holder: str, at: datetime, by: str = "customer") -> None:
    from wattdesk.stores import bank_accounts

    with table_environment():
        bank_accounts.change(customer_id, iban, holder, by, at, "test set-up")


def ledger_view(customer_id: str) -> tuple[Decimal, list[tuple[str, str, str | None]]]:
    """(balance, [(kind, amount, invoice number)]): the balance is the sum of the entries."""
    from wattdesk.stores import ledger

    with table_environment():
        found = ledger.entries(customer_id)
        balance = ledger.balance(customer_id)
    assert balance == sum((Decimal(e.amount) for e in found), Decimal("0.00"))
    return balance, [(e.kind, e.amount, e.invoice_number) for e in found]


def refund(runtime, operator, refund_id: str) -> dict:
    response = runtime.handle_api("GET", f"/ops/refunds/{refund_id}", operator)
    assert response.status == 200, response.body
    return response.json()


def payment_files(runtime) -> dict[str, bytes]:
    return objects(runtime, "sepa/pain.001/")


def _entry(reference: str, amount: str, credit: bool, day: date, details: str) -> str:
    return f"""
      <Ntry>
        <NtryRef>{reference}</NtryRef>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        <NtryDtls><TxDtls>{details}</TxDtls></NtryDtls>
      </Ntry>"""


def transfer_out(refund_id: str, amount: str, iban: str, name: str, day: date, n: int = 1) -> str:
    """The debit of one of our refund transfers, as the bank reports it (end-to-end id = refund id)."""
    return _entry(f"{day:%Y%m%d}-RF{n:04d}", amount, False, day, f"""
          <Refs><EndToEndId>{refund_id}</EndToEndId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
          <RltdPties><Cdtr><Nm>{name}</Nm></Cdtr><CdtrAcct><Id><IBAN>{iban}</IBAN></Id></CdtrAcct></RltdPties>""")


def transfer_back(refund_id: str, amount: str, reason: str, day: date, n: int = 1) -> str:
    """A returned credit transfer: the money comes back with a return reason."""
    return _entry(f"{day:%Y%m%d}-RT{n:04d}", amount, True, day, f"""
          <Refs><EndToEndId>{refund_id}</EndToEndId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
          <RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>""")


def incoming(amount: str, debtor: str, iban: str, text: str, day: date, n: int = 1) -> str:
    return _entry(f"{day:%Y%m%d}-IN{n:04d}", amount, True, day, f"""
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{text}</Ustrd></RmtInf>""")


def statement(statement_id: str, day: date, *entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>TEST-{statement_id}</MsgId><CreDtTm>{day.isoformat()}T21:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>{day.isoformat()}T21:00:00</CreDtTm>
      <Acct><Id><IBAN>{OUR_ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


__all__ = ["TABLE", "table_environment"]
