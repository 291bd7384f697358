"""AWS cost per customer-month of WattDesk's workflows, measured on the local runtime.

    python benchmarks/workflow_cost.py [customers]        (default 5; keep it small on a shared machine)

For each workflow it counts, while the workflow runs: AWS API calls by service and operation (every
botocore call our handlers and the runtime's schedules make), Step Functions state transitions (from the
execution histories), DynamoDB write/read request units (estimated from item sizes: 1 WRU per started KB
written, x2 in a transaction; 0.5 RRU per started 4 KB read, eventually consistent) and Lambda GB-seconds
(measured duration of every invocation x the MemorySize template.yaml gives the function). Prices: the
public eu-west-1 on-demand price list (see PRICES and docs/performance.md, with the date).

Local durations are an upper bound: moto runs in the same process, on a shared 2-core machine.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "workflow")]

from wattdesk_local.runtime import LocalRuntime, RuntimeOptions  # noqa: E402
from wattdesk_local.template import load_template  # noqa: E402

# eu-west-1 (Ireland) public on-demand prices, read 2026-11-23 (docs/performance.md). USD.
PRICES = {
    "lambda_gb_second_arm": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "sfn_standard_transition": 0.025 / 1000,
    "sfn_express_request": 1.00 / 1e6,
    "sfn_express_gb_second": 0.00001667,  # billed per 100 ms, 64 MB minimum
    "dynamodb_wru": 1.25 / 1e6,  # on-demand write request unit (pre-Nov-2024 list: 1.4135; the 50 % cut applied)
    "dynamodb_rru": 0.25 / 1e6,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "ses_message": 0.10 / 1000,
    "scheduler_invocation": 1.00 / 1e6,
    "api_gateway_rest_request": 3.50 / 1e6,
}
TARGET = 0.0002

TEMPLATE = load_template(ROOT / "template.yaml")
GLOBAL_MEMORY = TEMPLATE["Globals"]["Function"].get("MemorySize", 128)


def memory_mb(logical: str) -> int:
    return TEMPLATE["Resources"][logical]["Properties"].get("MemorySize", GLOBAL_MEMORY)


def _size(value) -> int:
    return len(json.dumps(value, default=str))


class Meter:
    """Counts botocore calls (while `on`) and estimates DynamoDB request units."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self.on = False

    @contextmanager
    def installed(self):
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        meter = self

        def counting(client, operation, params):
            response = original(client, operation, params)
            if meter.on:
                meter.record(client.meta.service_model.service_name, operation, params, response)
            return response

        botocore.client.BaseClient._make_api_call = counting
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original

    def record(self, service: str, operation: str, params: dict, response: dict) -> None:
        self.calls[f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return
        kb = lambda value: max(1, math.ceil(_size(value) / 1024))  # noqa: E731
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.wru += kb(params.get("Item") or params)
        elif operation == "TransactWriteItems":
            self.wru += sum(2 * kb(item) for item in params.get("TransactItems", []))
        elif operation == "BatchWriteItem":
            self.wru += sum(kb(request) for requests in params.get("RequestItems", {}).values() for request in requests)
        elif operation in {"GetItem", "Query", "Scan"}:
            read = response.get("Item") or response.get("Items") or {}
            self.rru += 0.5 * max(1, math.ceil(_size(read) / 4096)) * (2 if params.get("ConsistentRead") else 1)
        elif operation == "TransactGetItems":
            self.rru += sum(2 * max(1, math.ceil(_size(item) / 4096)) for item in response.get("Responses", []))
        elif operation == "BatchGetItem":
            self.rru += sum(0.5 * max(1, math.ceil(_size(item) / 4096)) for items in response.get("Responses", {}).values() for item in items)


EXPRESS_MEMORY_GB = 64 / 1024


def express_children(invocations: list, function: str, item_step: str, steps: set[str]) -> tuple[int, float]:
    """(requests, GB-s) of a distributed Map's Express children, which the local runtime runs but
    does not list: one request per item (an invocation of `item_step`); the duration is that of the
    children's Lambda steps, rounded up to 100 ms per child, at Express's 64 MB."""
    items = sum(1 for i in invocations if i.function == function and i.action == item_step)
    seconds = sum(i.duration_ms for i in invocations if i.function == function and i.action in steps) / 1000
    return items, (seconds + 0.1 * items) * EXPRESS_MEMORY_GB


# The Express Map children of template.yaml's workflows: (function, the step each item starts with, every step of a child).
BILLING_CHILDREN = ("BillingTasksFunction", "issue_advance", {"issue_advance", "send_invoice", "record_item_failure"})
DUNNING_CHILDREN = ("DunningTasksFunction", "chase_customer", {"chase_customer", "record_item_failure"})


def measure(runtime: LocalRuntime, meter: Meter, name: str, customers: int, work, express_map: tuple | None = None) -> dict:
    before_invocations = len(runtime.invocations)
    before = {e["executionArn"] for e in runtime.executions()}
    meter.calls.clear()
    meter.wru = meter.rru = 0.0
    meter.on = True
    started = time.perf_counter()
    try:
        api_requests, schedule_fires = work()
    finally:
        meter.on = False
    elapsed = time.perf_counter() - started
    runtime.wait_until_settled()
    new = [e for e in runtime.executions() if e["executionArn"] not in before]
    transitions = sum(1 for e in new for event in runtime.history(e["executionArn"]) if event["type"].endswith("StateEntered"))
    invocations = runtime.invocations[before_invocations:]
    gb_seconds = sum(i.duration_ms / 1000 * memory_mb(i.function) / 1024 for i in invocations)
    calls = dict(meter.calls)
    s3_puts = sum(v for k, v in calls.items() if k.startswith("s3:") and k.split(":")[1] in {"PutObject", "CopyObject", "PutObjectTagging"})
    s3_gets = sum(v for k, v in calls.items() if k.startswith("s3:") and k.split(":")[1] in {"GetObject", "HeadObject", "ListObjectsV2"})
    mails = sum(v for k, v in calls.items() if k in {"ses:SendRawEmail", "ses:SendEmail", "sesv2:SendEmail"})
    express_requests, express_gb_s = express_children(invocations, *express_map) if express_map else (0, 0.0)
    cost = {
        "lambda": gb_seconds * PRICES["lambda_gb_second_arm"] + len(invocations) * PRICES["lambda_request"],
        "stepfunctions": transitions * PRICES["sfn_standard_transition"]
        + express_requests * PRICES["sfn_express_request"] + express_gb_s * PRICES["sfn_express_gb_second"],
        "dynamodb": meter.wru * PRICES["dynamodb_wru"] + meter.rru * PRICES["dynamodb_rru"],
        "s3": s3_puts * PRICES["s3_put"] + s3_gets * PRICES["s3_get"],
        "ses": mails * PRICES["ses_message"],
        "api": api_requests * PRICES["api_gateway_rest_request"],
        "scheduler": schedule_fires * PRICES["scheduler_invocation"],
    }
    per = lambda value: value / customers  # noqa: E731
    return {
        "workflow": name, "customers": customers, "seconds": elapsed,
        "calls_per_customer": {k: round(per(v), 2) for k, v in sorted(calls.items())},
        "transitions": per(transitions), "wru": per(meter.wru), "rru": per(meter.rru),
        "invocations": per(len(invocations)), "gb_seconds": per(gb_seconds),
        "cost": {k: per(v) for k, v in cost.items()}, "total": per(sum(cost.values())),
    }


def marginal(name: str, small: dict, large: dict) -> dict:
    """Per-customer figures of what the larger measurement added over the smaller one."""
    extra = large["customers"] - small["customers"]

    def grown(small_value: float, large_value: float) -> float:  # per-customer figures back to totals, per extra customer
        return (large_value * large["customers"] - small_value * small["customers"]) / extra

    added = lambda key: grown(small[key], large[key])  # noqa: E731
    calls = {k: grown(small["calls_per_customer"].get(k, 0), large["calls_per_customer"].get(k, 0)) for k in set(small["calls_per_customer"]) | set(large["calls_per_customer"])}
    cost = {k: grown(small["cost"][k], large["cost"][k]) for k in small["cost"]}
    return {
        "workflow": name, "customers": extra, "seconds": large["seconds"],
        "calls_per_customer": {k: round(v, 2) for k, v in sorted(calls.items()) if round(v, 2)},
        "transitions": added("transitions"), "wru": added("wru"), "rru": added("rru"),
        "invocations": added("invocations"), "gb_seconds": added("gb_seconds"),
        "cost": cost, "total": sum(cost.values()),
    }


# ---------------------------------------------------------------- workflows
def enrollment(runtime: LocalRuntime, customers: int):
    from enrollment_support import enrollment as body_for, next_dso_sweep, submit

    def work():
        for _ in range(customers):
            assert submit(runtime, body_for(runtime)).status == 202
        runtime.wait_until_settled()
        next_dso_sweep(runtime)
        return customers * 2, 1  # the POST and one status GET by the customer; one sweep fire

    return work


JANUARY = datetime(2027, 1, 20, 9, tzinfo=UTC)


def monthly_advance(runtime: LocalRuntime, customers: int):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from billing_run import seed

    def work():
        fired = [f for f in runtime.advance(to=datetime(2027, 2, 1, 8, tzinfo=UTC)) if f.schedule == "BillingRunStateMachine-MonthlyAdvances"]
        assert fired, "the monthly billing schedule did not fire"
        return 0, 1

    runtime.reset(JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    os.environ.update({"TABLE_NAME": "wattdesk-WattDeskTable", "AWS_REGION": "eu-west-1"})
    seed(customers)
    return work


def payment_import(runtime: LocalRuntime, paying: list[dict]):
    from collection_support import camt053, credit_entry, xml_upload

    operator = {"Authorization": runtime.login("bench.operator@wattdesk.example", ["operators"])["id_token"]}
    day = datetime(2027, 2, 10, 9, tzinfo=UTC)
    runtime.advance(to=day)
    entries = [credit_entry(f"BENCH{i}", f"{invoice['total']:.2f}", day.date(), "Bench Payer", "BE68539007547034", structured=invoice["ogm"]) for i, invoice in enumerate(paying)]

    def work():
        response = xml_upload(runtime, "/ops/bank-statements", operator, camt053("BENCH-2027-02-10", day.date(), *entries))
        assert response.status == 200 and response.json()["counts"]["booked"] == len(paying), response.body
        return 1, 0

    return work


def reminder(runtime: LocalRuntime, unpaid: int):
    def work():
        runtime.only_schedules("DunningStateMachine-")
        before = len(runtime.outbox())
        runtime.advance(to=datetime(2027, 2, 23, 8, tzinfo=UTC))
        reminders = len(runtime.outbox()) - before
        assert reminders >= unpaid, f"{reminders} reminder mails for {unpaid} unpaid invoices"
        return 0, 4  # the weekday runs of 17-23 February

    return work


REFUND_DAY = datetime(2027, 3, 2, 4, 31, tzinfo=UTC)  # a Tuesday, 05:31 in Brussels: right after the 05:30 settlement sweep
SETTLED_ON = "2027-03-01"
SWEEPS = ("RefundSweepsFunction-TakeRefundHandovers", "RefundSweepsFunction-RefundPayout")  # 06:00 starts it, 14:00 pays it out


def refund(runtime: LocalRuntime, customers: int):
    """One refund per customer as the annual settlement hands it over: a settlement credit on the
    account (credit invoice booked as the settlement books it), no open invoice, the IBAN on file
    for a year (no four eyes), the amount below the approval threshold. Measured from the
    Settlement's hand-over step (after the 05:30 settlement sweep; SettlementTasksFunction is not
    wired to the Refund state machine, so the refund is REQUESTED) through the 06:00 sweep that
    starts the Refund execution (plan: APPROVED, waits for the payout), the 14:00 payout sweep (the
    day's one pain.001 file, the "refund sent" mail) and the next morning's camt.053 import that
    books the transfers PAID and ends the executions."""
    from collection_support import make_customer, xml_upload
    from refund_support import book_credit, set_bank_account, statement, table_environment, transfer_out
    from schwifty import IBAN
    from wattdesk.stores import settlements

    runtime.reset(REFUND_DAY)
    runtime.only_schedules(*SWEEPS)  # the two sweeps a refund needs (not 06:15 follow_ibans, nor other workflows')
    operator = {"Authorization": runtime.login("bench.operator@wattdesk.example", ["operators"])["id_token"]}
    credits = []
    for index in range(1, customers + 1):
        customer = make_customer(index, start=date(2026, 3, 1))
        iban, holder = IBAN.generate("BE", bank_code="096", account_code=f"{index:07d}").compact, f"Betaler{index} Test"
        set_bank_account(customer["customer_id"], iban, holder, datetime(2026, 3, 1, 10, tzinfo=UTC))
        number, amount = f"2027-S-{index:06d}", f"{Decimal('61.40') + 23 * index:.2f}"
        book_credit(customer["customer_id"], amount, REFUND_DAY, invoice_number=number, kind="invoice")
        with table_environment():
            settlements.start(customer["contract_id"], customer["customer_id"], "annual", SETTLED_ON, "bench", REFUND_DAY)
            settlements.update(customer["contract_id"], "annual", SETTLED_ON, REFUND_DAY, status="ISSUED", number=number, outcome="refund", amount=amount)
        credits.append({**customer, "iban": iban, "holder": holder, "amount": amount})

    def work():
        for credit in credits:
            payload, errored, _ = runtime.invoke("SettlementTasksFunction", {
                "action": "hand_over", "contract_id": credit["contract_id"], "customer_id": credit["customer_id"], "kind": "annual", "settlement_date": SETTLED_ON,
            })
            assert not errored, payload
            credit["refund_id"] = json.loads(payload)["refund_id"]
        runtime.wait_until_settled()
        fired = runtime.advance(to=REFUND_DAY.replace(hour=13, minute=30))  # 06:00 starts the executions, 14:00 writes the file
        assert [f.schedule for f in fired] == list(SWEEPS), fired
        runtime.only_schedules("RefundSweepsFunction-RefundPayout")  # the next morning's 06:00 sweep has nothing to do for it
        assert not runtime.advance(to=REFUND_DAY.replace(hour=8) + timedelta(days=1))  # 09:00 the next day: the day's statement
        day = REFUND_DAY.date()
        debits = [transfer_out(c["refund_id"], c["amount"], c["iban"], c["holder"], day, n) for n, c in enumerate(credits, 1)]
        response = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-061", day, *debits))
        assert response.status == 200 and response.json()["refunds"] == {"paid": len(credits)}, response.body
        runtime.wait_until_settled()  # the executions resumed by the import run Finish
        return 1, len(fired)  # the statement upload; the 06:00 and 14:00 sweep fires

    def check() -> None:
        from refund_support import payment_files
        from wattdesk.adapters import sepa_files

        files = payment_files(runtime)
        assert list(files) == [f"sepa/pain.001/{REFUND_DAY:%Y-%m-%d}/WD-RF-{REFUND_DAY:%Y%m%d}.xml"], list(files)  # one file for the day
        paid = sorted((t["end_to_end_id"], t["amount"]) for xml in files.values() for t in sepa_files.read_pain001(xml))
        assert paid == sorted((c["refund_id"], c["amount"]) for c in credits), paid
        executions = {e["name"]: e["status"] for e in runtime.executions()}
        assert all(executions.get(c["refund_id"]) == "SUCCEEDED" for c in credits), executions
        assert len(runtime.outbox()) == len(credits), [m["subject"] for m in runtime.outbox()]

    return work, check


def main(customers: int = 5) -> None:
    runtime = LocalRuntime(RuntimeOptions(start_time=datetime(2027, 1, 4, 9, tzinfo=UTC), settle_timeout_s=3600)).start()
    meter = Meter()
    results = []
    try:
        with meter.installed():
            runtime.reset(datetime(2027, 1, 4, 9, tzinfo=UTC))
            results.append(measure(runtime, meter, "enrollment (once per customer)", customers, enrollment(runtime, customers)))
            work = monthly_advance(runtime, customers)
            results.append(measure(runtime, meter, "monthly advance invoice, PDF + mail", customers, work, express_map=BILLING_CHILDREN))
            from collection_support import invoices

            issued = sorted(invoices(runtime).values(), key=lambda invoice: invoice["ogm"])
            paying, unpaid = issued[: len(issued) // 2], issued[len(issued) // 2 :]
            results.append(measure(runtime, meter, "payment import (per camt.053 entry)", len(paying), payment_import(runtime, paying)))
            results.append(measure(runtime, meter, "reminder (per unpaid invoice, 5 daily runs)", len(unpaid), reminder(runtime, len(unpaid)), express_map=DUNNING_CHILDREN))
            work, check = refund(runtime, customers)
            results.append(measure(runtime, meter, "refund (settlement credit, IBAN on file, to PAID)", customers, work))
            check()
            # A run's fixed part (its own states, the run record, the catalogue seeded on first use)
            # is spread over only a few customers above; the same run with 3x the customers gives
            # what one more customer adds, which is what a real portfolio pays per customer.
            larger = 3 * customers
            work = monthly_advance(runtime, larger)
            big = measure(runtime, meter, "", larger, work, express_map=BILLING_CHILDREN)
            results.append(marginal("monthly advance invoice, PDF + mail: one more customer", results[1], big))
    finally:
        runtime.stop(save=False)
    print(f"prices: eu-west-1 on-demand, USD, read 2026-11-23; customers per workflow: {customers}")
    print("| workflow | API calls / customer (by service) | transitions | WRU | RRU | Lambda GB-s | USD / customer | of which |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        by_service = Counter()
        for key, value in r["calls_per_customer"].items():
            by_service[key.split(":")[0]] += value
        top = ", ".join(f"{k} {v:.1f}" for k, v in by_service.most_common())
        parts = ", ".join(f"{k} {v:.7f}" for k, v in r["cost"].items() if v)
        print(f"| {r['workflow']} | {top} | {r['transitions']:.1f} | {r['wru']:.1f} | {r['rru']:.1f} | {r['gb_seconds']:.3f} | {r['total']:.6f} | {parts} |")
    for r in results:
        print(f"\n{r['workflow']}: {json.dumps(r['calls_per_customer'])}")
    print(f"\ntarget {TARGET} USD per customer-month")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
