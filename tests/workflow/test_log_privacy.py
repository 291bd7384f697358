"""Log privacy: the main workflows run with every log line captured (Powertools' JSON lines on
stdout/stderr, the runtime's and libraries' records through logging), at DEBUG for our loggers,
and no line holds an IBAN, e-mail address, phone number or national number in clear: neither
the ones the test data uses nor anything that looks like one."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, date, datetime

import pytest

from collection_support import camt053, credit_entry, invoices, make_customer, xml_upload
from enrollment_support import enrollment, next_dso_sweep, status, submit
from support import load_event

pytestmark = pytest.mark.workflow

MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
ENROLLED = {"email": "privacy.camille@example.org", "phone": "+32 470 12 34 56", "iban": "BE71096123456769"}
PAYERS = [("BE68539007547034", "Jan Betaler"), ("BE62510007547061", "An Betaler")]
MISTAKEN_IBAN = "BE43068999999501"
NATIONAL_NUMBER = "86.04.12-123.45"
REPORTER = {"email": "klacht.indiener@example.net", "phone": "0470 98 76 54"}

GENERIC = {
    "IBAN": re.compile(r"\b(?!RF)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"),
    "e-mail": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "national number": re.compile(r"\b\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}\b"),
    "phone": re.compile(r"(?<![\w+\d])(?:\+32|0032)[\s./-]?\d{1,3}(?:[\s./-]?\d{2,3}){3}\b"),
}


def _variants(iban: str) -> list[str]:
    compact = iban.replace(" ", "")
    return [compact, " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)), compact.lower()]


def known_values() -> list[str]:
    values = [ENROLLED["email"], ENROLLED["phone"], ENROLLED["phone"].replace(" ", ""), REPORTER["email"], REPORTER["phone"], REPORTER["phone"].replace(" ", ""), NATIONAL_NUMBER, "86041212345"]
    for iban in [ENROLLED["iban"], MISTAKEN_IBAN, *[iban for iban, _ in PAYERS]]:
        values += _variants(iban)
    values += ["+32470123456", "betaler0@example.org", "betaler1@example.org"]  # what make_customer stores
    return values


@pytest.fixture
def loud_logs(runtime, caplog):
    """Every function logs at DEBUG for the test (the runtime keeps them at WARNING otherwise)."""
    from wattdesk.observability import logger

    saved = {name: function.environment.get("POWERTOOLS_LOG_LEVEL") for name, function in runtime.functions.items()}
    for function in runtime.functions.values():
        function.environment["POWERTOOLS_LOG_LEVEL"] = "DEBUG"
    level = logger().log_level
    logger().setLevel("DEBUG")
    # What Powertools writes (its handler's stream is the stdout of the moment the logger was
    # built): the same formatter, into a buffer of ours.
    emitted = io.StringIO()
    tap = logging.StreamHandler(emitted)
    tap.setFormatter(logger().registered_formatter)
    logger().addHandler(tap)
    caplog.set_level(logging.INFO)
    for name in ("wattdesk", "wattdesk_local", logger().name):
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield emitted
    finally:
        logger().removeHandler(tap)
        logger().setLevel(level)
        for name, value in saved.items():
            runtime.functions[name].environment["POWERTOOLS_LOG_LEVEL"] = value


def run_main_workflows(runtime, operator) -> dict[str, int]:
    done: dict[str, int] = {}
    # Enrollment from the web form to a confirmed contract (mails: received, confirmed, portal invitation).
    runtime.reset(MONDAY)
    body = enrollment(runtime, language="nl", email=ENROLLED["email"])
    body["customer"]["phone"] = ENROLLED["phone"]
    body["payment"] = {"method": "direct_debit", "iban": " ".join(_variants(ENROLLED["iban"])[1:2]), "account_holder": "Camille Dubois"}
    created = submit(runtime, body)
    assert created.status == 202, created.body
    runtime.wait_until_settled()
    next_dso_sweep(runtime)
    assert status(runtime, created.json()["status_url"])["status"] == "CONFIRMED"
    done["enrollment mails"] = len(runtime.outbox(ENROLLED["email"]))

    # Two transfer customers billed by the monthly run on 1 February (invoice mails with PDFs).
    payers = [make_customer(900 + i, iban=iban, holder=holder) for i, (iban, holder) in enumerate(PAYERS)]
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    issued = invoices(runtime)
    done["invoices"] = len(issued)
    done["invoice mails"] = sum(len(runtime.outbox(p["email"])) for p in payers)

    # A payment import: one exact payment, one overpayment, one payment nobody can place.
    runtime.advance(to=datetime(2027, 2, 18, 8, 0, tzinfo=UTC))
    by_customer = {invoice["customer_id"]: (number, invoice) for number, invoice in issued.items()}
    day = date(2027, 2, 17)
    entries = []
    for n, (payer, (iban, holder)) in enumerate(zip(payers, PAYERS, strict=True)):
        number, invoice = by_customer[payer["customer_id"]]
        amount = invoice["total"] + (25 if n else 0)
        entries.append(credit_entry(f"E{n}", f"{amount:.2f}", day, holder, iban, structured=invoice["ogm"]))
    entries.append(credit_entry("E9", "12.34", day, "Iemand Anders", MISTAKEN_IBAN, text=f"huur januari {NATIONAL_NUMBER} tel {REPORTER['phone']}"))
    imported = xml_upload(runtime, "/ops/bank-statements", operator, camt053("PRIV-1", day, *entries))
    assert imported.status == 200, imported.body
    done["payments booked"] = imported.json()["counts"]["booked"]

    # A complaint from the web form, by someone who gives an e-mail address and a phone number.
    complaint = load_event("complaints_api/web_form")
    complaint["reported_on"], complaint["related"] = None, {}
    complaint["reporter"]["email"], complaint["reporter"]["phone"] = REPORTER["email"], REPORTER["phone"]
    complaint["description"] = f"Mijn IBAN {PAYERS[0][0]} werd twee keer gedebiteerd, bel me op {REPORTER['phone']}."
    registered = runtime.handle_api("POST", "/complaints", {}, complaint)
    assert registered.status in (200, 201, 202), registered.body
    runtime.wait_until_settled()
    done["complaint mails"] = len(runtime.outbox(REPORTER["email"]))

    # The refund sweeps and the rest of the month (the overpayment's credit, reminders, sweeps).
    runtime.advance(to=datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    done["mails"] = len(runtime.outbox())
    return done


def test_no_log_line_of_the_main_workflows_holds_personal_data_in_clear(runtime, operator, loud_logs, capfd, caplog):
    from wattdesk.observability import logger

    # The tap sees what Powertools emits, masked by its formatter.
    logger().info("canary", extra={"iban": ENROLLED["iban"], "email": ENROLLED["email"]})
    assert ENROLLED["iban"] not in loud_logs.getvalue() and "[IBAN]" in loud_logs.getvalue() and "[EMAIL]" in loud_logs.getvalue()
    done = run_main_workflows(runtime, operator)
    assert done["enrollment mails"] >= 2 and done["invoices"] >= 2 and done["invoice mails"] >= 2
    assert done["payments booked"] >= 2 and done["complaint mails"] >= 1

    powertools = [line for line in loud_logs.getvalue().splitlines() if line.strip()]
    # The capture saw the handlers' structured lines (else this test would prove nothing).
    assert len(powertools) > 20 and any('"level":"INFO"' in line for line in powertools), powertools[:20]
    out, err = capfd.readouterr()
    lines = powertools + [line for line in (out + "\n" + err).splitlines() if line.strip()]
    # Everything else that went through logging: the runtime's lines, boto, pynamodb, ...
    lines += [caplog.handler.format(record) for record in caplog.records if record.name != logger().name]

    leaks = []
    for line in lines:
        for value in known_values():
            if value in line:
                leaks.append(("known value " + value, line[:400]))
        for kind, pattern in GENERIC.items():
            found = pattern.search(line)
            if found:
                leaks.append((f"{kind} {found.group(0)!r}", line[:400]))
    assert leaks == []
