"""Billing run speed on the local runtime: invoices per second with and without PDF rendering,
and DynamoDB writes and state transitions per invoice.

    python benchmarks/billing_run.py [--pdf=both|no|yes] [contracts ...]     (default: both, 100 1000)

The local runtime runs one handler at a time (see docs/local-runtime.md), so these numbers
measure our code per invoice, not AWS's parallelism.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, date, datetime

from wattdesk_local.runtime import LocalRuntime, RuntimeOptions

JANUARY = datetime(2027, 1, 20, 9, tzinfo=UTC)


def seed(count: int) -> None:
    from wattdesk.stores import enrollments as store

    os.environ.update({"TABLE_NAME": "wattdesk-WattDeskTable", "AWS_REGION": "eu-west-1"})
    for index in range(count):
        customer_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
        store.create_customer_and_contract(
            store.CustomerRecord(f"CUSTOMER#{customer_id}", "CUSTOMER", customer_type="residential", first_name="Bench", last_name=str(index),
                                 email=f"bench{index}@example.org", phone="+32470123456", language="nl", referral_code=f"B{index:08d}", created_from="bench", created_at=JANUARY.isoformat()),
            store.ContractRecord(f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code="ELEC-FIX-1Y",
                                 start_date="2027-02-01", billing_frequency="monthly", payment={"method": "transfer"},
                                 supply_address={"street": "Kerkstraat", "number": "1", "postcode": "9000", "city": "Gent"},
                                 delivery_points=[{"energy": "electricity", "ean": "541414930000123454", "meter_type": "single", "situation": "switch"}],
                                 first_advance="80.00", enrollment_id="bench", created_at=JANUARY.isoformat(),
                                 GSI1PK=store.contract_shard_key(contract_id), GSI1SK=f"2027-02-01#{contract_id}"),
            [],
        )


def measure(runtime: LocalRuntime, count: int, with_pdf: bool) -> dict:
    runtime.reset(JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")  # the daily sweeps of other workflows are not billing's cost
    seed(count)
    if not with_pdf:
        from wattdesk.adapters import invoice_pdf

        invoice_pdf.render_invoice, original = (lambda document: b"%PDF-1.4 benchmark"), invoice_pdf.render_invoice
    dynamodb_writes = 0
    import botocore.client

    original_call = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        nonlocal dynamodb_writes
        if self.meta.service_model.service_name == "dynamodb" and operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            dynamodb_writes += 1
        elif self.meta.service_model.service_name == "dynamodb" and operation == "TransactWriteItems":
            dynamodb_writes += len(params.get("TransactItems", []))
        return original_call(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting
    try:
        started = time.perf_counter()
        fired = [f for f in runtime.advance(to=datetime(2027, 2, 1, 8, tzinfo=UTC)) if f.schedule == "BillingRunStateMachine-MonthlyAdvances"]
        elapsed = time.perf_counter() - started
    finally:
        botocore.client.BaseClient._make_api_call = original_call
        if not with_pdf:
            invoice_pdf.render_invoice = original
    transitions = sum(1 for event in runtime.history(fired[0].execution_arn) if event["type"].endswith("StateEntered"))
    issued = len([mail for mail in runtime.outbox() if mail["subject"].startswith("Uw factuur")])
    from wattdesk.services import billing
    from wattdesk.stores import invoices as invoice_store

    (run,) = invoice_store.runs()
    summary = billing.run_view(run)
    if summary["failed"]:
        print(f"  {summary['failed']} failed: {sorted({item['reason'] for item in summary['failed_items']})}", flush=True)
    return {"failed": summary["failed"], "contracts": count, "pdf": with_pdf, "issued": issued, "seconds": elapsed, "per_second": issued / elapsed,
            "dynamodb_writes_per_invoice": dynamodb_writes / max(1, issued), "parent_transitions": transitions}


def main() -> None:
    pdf = next((arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--pdf=")), "both")
    modes = {"both": (False, True), "no": (False,), "yes": (True,)}[pdf]
    sizes = [int(arg) for arg in sys.argv[1:] if not arg.startswith("--")] or [100, 1000]
    runtime = LocalRuntime(RuntimeOptions(start_time=JANUARY, settle_timeout_s=7200)).start()
    try:
        print("| contracts | PDF | invoices | failed | seconds | invoices/s | DynamoDB writes/invoice |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for size in sizes:
            for with_pdf in modes:
                r = measure(runtime, size, with_pdf)
                print(f"| {r['contracts']} | {'yes' if r['pdf'] else 'no'} | {r['issued']} | {r['failed']} | {r['seconds']:.1f} | {r['per_second']:.2f} | {r['dynamodb_writes_per_invoice']:.1f} |", flush=True)
        print("State transitions per invoice: the parent's few states are shared by the run; each item "
              "child runs IssueAdvanceInvoice, WasIssued, SendInvoice, ItemDone = 4 per invoice.")
    finally:
        runtime.stop(save=False)


if __name__ == "__main__":
    main()
