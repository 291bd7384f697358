"""Invariants of the books that every workflow must leave true (issue 12), checked from the stored
data alone: the table, the documents bucket and the outbox. Call ``check_invariants(runtime)`` at
the end of a workflow test; it raises AssertionError listing every violation it found.

- invoice numbers are gapless per series and year (2027-A-000001, 2027-A-000002, ...);
- every invoice's total is the sum of its lines (excl. VAT, VAT, incl. VAT);
- every invoice is booked on its customer's ledger exactly once, for its total;
- the account's stored credit is what the ledger's entries naming no invoice hold (balance = sum of entries);
- a payment is booked for at most its amount (no duplicate booking);
- one refund per (source, source id), never paying out more than the credit it refunds;
- every end-to-end id of our pain.001 / pain.008 files appears once across all files;
- every mail key was sent at most once, and every sent-mail marker names one message of the outbox.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

TABLE = "wattdesk-WattDeskTable"
NUMBER = re.compile(r"^(\d{4})-([A-Z])-(\d{6})$")
END_TO_END = re.compile(rb"<EndToEndId>([^<]+)</EndToEndId>")
CENT = Decimal("0.01")


def _plain(attribute: dict) -> object:
    (kind, value), = attribute.items()
    if kind == "M":
        return {k: _plain(v) for k, v in value.items()}
    if kind == "L":
        return [_plain(v) for v in value]
    if kind == "N":
        return Decimal(value)
    return value


def table_items(runtime) -> list[dict]:
    dynamodb = runtime.client("dynamodb")
    items: list[dict] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE):
        items.extend({key: _plain(value) for key, value in item.items()} for item in page["Items"])
    return items


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _documents_bucket(runtime) -> str | None:
    names = [b["Name"] for b in runtime.client("s3").list_buckets()["Buckets"]]
    return next((name for name in names if "document" in name.lower()), None)


def _pain_end_to_end_ids(runtime) -> Counter:
    s3 = runtime.client("s3")
    seen: Counter = Counter()
    bucket = _documents_bucket(runtime)
    if bucket is None:
        return seen
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="sepa/"):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".xml") and b"pain." in (body := s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()):
                for end_to_end in END_TO_END.findall(body):
                    seen[(obj["Key"], end_to_end.decode())] += 1
    return seen


def violations(runtime) -> list[str]:
    items = table_items(runtime)
    problems: list[str] = []

    # ---------------------------------------------------------------- invoices
    invoices = [i for i in items if str(i["SK"]).startswith("INVOICE#") and str(i["PK"]).startswith("CUSTOMER#") and "number" in i]
    by_series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for invoice in invoices:
        match = NUMBER.match(invoice["number"])
        if match is None:
            problems.append(f"invoice number {invoice['number']!r} is not YYYY-S-NNNNNN")
            continue
        by_series[(match[1], match[2])].append(int(match[3]))
        lines = json.loads(invoice["lines_json"])
        totals = json.loads(invoice["totals_json"])
        excl = _money(sum((Decimal(str(line["amount"])) for line in lines), Decimal(0)))
        vat = _money(sum((Decimal(str(line["vat_amount"])) for line in lines), Decimal(0)))
        if (excl, vat, excl + vat) != (_money(totals["excl_vat"]), _money(totals["vat"]), _money(totals["incl_vat"])):
            problems.append(f"invoice {invoice['number']}: totals {totals['excl_vat']}/{totals['vat']}/{totals['incl_vat']} but its lines sum to {excl}/{vat}/{excl + vat}")
    for (year, series), sequences in sorted(by_series.items()):
        duplicates = [n for n, count in Counter(sequences).items() if count > 1]
        if duplicates:
            problems.append(f"series {year}-{series}: numbers used twice: {duplicates}")
        missing = sorted(set(range(1, max(sequences) + 1)) - set(sequences))
        if missing:
            problems.append(f"series {year}-{series}: gaps in the numbering: {missing[:20]}")

    # ---------------------------------------------------------------- ledger
    entries = [i for i in items if str(i["SK"]).startswith("LEDGER#") and "amount" in i]
    per_customer: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        per_customer[entry["PK"]].append(entry)
    for invoice in invoices:
        booked = [e for e in per_customer.get(invoice["PK"], []) if str(e["SK"]).endswith(f"#INVOICE#{invoice['number']}")]
        total = _money(json.loads(invoice["totals_json"])["incl_vat"])
        expected = -total if invoice.get("kind") == "credit_note" and total > 0 else total
        if len(booked) != 1:
            problems.append(f"invoice {invoice['number']} is booked {len(booked)} times on the ledger")
        elif _money(booked[0]["amount"]) != expected:
            problems.append(f"invoice {invoice['number']} is booked for {booked[0]['amount']}, its total is {expected}")
    for account in (i for i in items if i["SK"] == "ACCOUNT" and "credit" in i):
        loose = sum((Decimal(e["amount"]) for e in per_customer.get(account["PK"], []) if not e.get("invoice_number")), Decimal("0.00"))
        if _money(account["credit"]) != _money(max(-loose, Decimal(0))):
            problems.append(f"{account['PK']}: the account says credit {account['credit']}, the ledger's entries naming no invoice hold {-loose}")
    payments = {i["payment_id"]: i for i in items if "payment_id" in i and "received_on" in i and "amount" in i and str(i["SK"]).startswith("PAYMENT")}
    booked_per_payment: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.get("payment_id") and entry.get("kind") == "payment":
            booked_per_payment[entry["payment_id"]] += -Decimal(entry["amount"])
    for payment_id, booked in booked_per_payment.items():
        if payment_id in payments and _money(booked) > _money(payments[payment_id]["amount"]):
            problems.append(f"payment {payment_id} of {payments[payment_id]['amount']} is booked for {booked}")

    # ---------------------------------------------------------------- refunds
    refunds = [i for i in items if "refund_id" in i and "requested_amount" in i and "source_id" in i]
    for key, count in Counter((r["source"], r["source_id"]) for r in refunds).items():
        if count > 1:
            problems.append(f"{count} refunds for {key[0]} {key[1]}")
    for refund in refunds:
        if refund.get("amount") is not None and _money(refund["amount"]) > _money(refund["requested_amount"]):
            problems.append(f"refund {refund['refund_id']} pays {refund['amount']}, more than the {refund['requested_amount']} credit it refunds")

    # ---------------------------------------------------------------- SEPA files
    ids = Counter()
    for (_key, end_to_end), count in _pain_end_to_end_ids(runtime).items():
        ids[end_to_end] += count
    twice = sorted(e2e for e2e, count in ids.items() if count > 1)
    if twice:
        problems.append(f"end-to-end ids in more than one payment-file entry: {twice[:20]}")

    # ---------------------------------------------------------------- mail
    outbox = runtime.outbox()
    by_id = Counter(message["id"] for message in outbox)
    for marker in (i for i in items if str(i["SK"]).startswith("MAIL#") and "sent_at" in i):
        if marker.get("message_id") and by_id[marker["message_id"]] != 1:
            problems.append(f"mail {marker['SK']} of {marker['PK']}: its message is {by_id[marker['message_id']]} times in the outbox")
    same = Counter((tuple(m["to"]), m["subject"], tuple(m["attachments"]), m["text"]) for m in outbox)
    for (to, subject, _attachments, _text), count in same.items():
        if count > 1:
            problems.append(f"the same mail {subject!r} went {count} times to {len(to)} recipient(s)")
    return problems


def check_invariants(runtime) -> None:
    problems = violations(runtime)
    assert not problems, "invariants violated:\n- " + "\n- ".join(problems)
