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
from datetime import UTC, datetime
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


def measure(runtime: LocalRuntime, meter: Meter, name: str, customers: int, work) -> dict:
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
    cost = {
        "lambda": gb_seconds * PRICES["lambda_gb_second_arm"] + len(invocations) * PRICES["lambda_request"],
        "stepfunctions": transitions * PRICES["sfn_standard_transition"],
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


def main(customers: int = 5) -> None:
    runtime = LocalRuntime(RuntimeOptions(start_time=datetime(2027, 1, 4, 9, tzinfo=UTC), settle_timeout_s=3600)).start()
    meter = Meter()
    results = []
    try:
        with meter.installed():
            runtime.reset(datetime(2027, 1, 4, 9, tzinfo=UTC))
            results.append(measure(runtime, meter, "enrollment (once per customer)", customers, enrollment(runtime, customers)))
            work = monthly_advance(runtime, customers)
            results.append(measure(runtime, meter, "monthly advance invoice, PDF + mail", customers, work))
            from collection_support import invoices

            issued = sorted(invoices(runtime).values(), key=lambda invoice: invoice["ogm"])
            paying, unpaid = issued[: len(issued) // 2], issued[len(issued) // 2 :]
            results.append(measure(runtime, meter, "payment import (per camt.053 entry)", len(paying), payment_import(runtime, paying)))
            results.append(measure(runtime, meter, "reminder (per unpaid invoice, 5 daily runs)", len(unpaid), reminder(runtime, len(unpaid))))
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
