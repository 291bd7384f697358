"""Group purchase import speed on the local runtime: rows per second, peak memory, and state
transitions and DynamoDB writes per row.

    python benchmarks/group_purchase.py [rows ...]      (default: 1000; the issue asks 10000)

Each size runs in a fresh runtime. The file mixes 95 % good rows, 3 % hard errors and 2 % soft
problems (tests/fixtures/group_purchase/generate.py). Time runs from the POST to the import's
summary mail (every row's enrollment validated and parked: waiting for the grid operator, or
blocked); the grid operator's answer and contract creation are not part of it.

The local runtime runs one handler at a time (docs/local-runtime.md), so these numbers measure
our code and moto per row, not AWS's parallelism (MaxConcurrency 25 on AWS).
Peak memory is the process's peak resident set (resource.ru_maxrss) above its level before the
import, which includes moto's in-memory DynamoDB, S3 and the parked executions.

Threads: moto holds 3 threads for every execution parked on a task token (the execution's worker,
its program, the task's timeout watch), so 10,000 rows need ~30,000 threads. Linux counts them
against kernel.pid_max (32768 on many machines) and each stack against vm.max_map_count (65530);
the script refuses to start when they are too low for the size asked, e.g.
`sysctl -w kernel.pid_max=65536 vm.max_map_count=262144` (as root) for 10,000 rows.
"""

from __future__ import annotations

import base64
import resource
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "group_purchase"))

import generate  # noqa: E402
from wattdesk_local.runtime import LocalRuntime, RuntimeOptions  # noqa: E402

START = datetime(2027, 1, 1, 8, tzinfo=UTC)


def rows_for(count: int, today) -> list:
    kinds = []
    for index in range(count):
        slot = index % 100
        kinds.append("hard_iban" if slot < 2 else "hard_postcode" if slot < 3 else "soft_move_in" if slot < 5 else "good")
    return [generate.row(serial, kind, today, "BENCH") for serial, kind in enumerate(kinds, start=1)]


def measure(count: int) -> dict:
    runtime = LocalRuntime(RuntimeOptions(start_time=START, settle_timeout_s=6 * 3600)).start()
    try:
        operator = {"Authorization": runtime.login("bench@wattdesk.example", ["operators"])["id_token"]}
        assert runtime.handle_api("PUT", "/ops/campaigns/BENCH", operator, {"product_code": "ELEC-FIX-1Y", "organiser_email": "org@bench.example"}).status == 200
        content = generate.to_csv(rows_for(count, runtime.now().date()), encoding="cp1252")
        writes = {"count": 0}
        import botocore.client

        original = botocore.client.BaseClient._make_api_call

        def counting(self, operation, params):
            if self.meta.service_model.service_name == "dynamodb":
                if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
                    writes["count"] += 1
                elif operation == "TransactWriteItems":
                    writes["count"] += len(params.get("TransactItems", []))
                elif operation == "BatchWriteItem":
                    writes["count"] += sum(len(items) for items in params.get("RequestItems", {}).values())
            return original(self, operation, params)

        botocore.client.BaseClient._make_api_call = counting
        baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            started = time.perf_counter()
            response = runtime.handle_api(
                "POST", "/ops/group-purchases", operator,
                {"campaign_code": "BENCH", "product_code": "ELEC-FIX-1Y", "file_name": f"bench-{count}.csv", "content_base64": base64.b64encode(content).decode()},
            )
            assert response.status == 202, response.body
            import_id = response.json()["import_id"]
            runtime.wait_until_settled(timeout=6 * 3600)
            elapsed = time.perf_counter() - started
        finally:
            botocore.client.BaseClient._make_api_call = original
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        threads = threading.active_count()
        # A new sign-in: the first one's ID token expires after an hour of real time, and 10,000 rows take longer.
        operator = {"Authorization": runtime.login("bench@wattdesk.example", ["operators"])["id_token"]}
        view = runtime.handle_api("GET", f"/ops/group-purchases/{import_id}", operator).json()
        assert view["status"] == "COMPLETED", view
        # Transitions: the parent's own, each Map item's (SubmitRow + its end state, read from
        # the invocations since moto keeps item histories apart), and a sample of enrollments'.
        executions = runtime.executions()
        parent = next(e for e in executions if e["stateMachine"] == "GroupPurchaseImportStateMachine")
        parent_states = sum(1 for e in runtime.history(parent["executionArn"]) if e["type"].endswith("StateEntered"))
        enrollments = [e for e in executions if e["stateMachine"] == "EnrollmentStateMachine"]
        sample = enrollments[:: max(1, len(enrollments) // 100)]
        per_enrollment = sum(sum(1 for e in runtime.history(x["executionArn"]) if e["type"].endswith("StateEntered")) for x in sample) / max(1, len(sample))
        item_states = 2 * count + 2 * view["rows"]["failed"]
        transitions = parent_states + item_states + per_enrollment * len(enrollments)
        return {
            "rows": count, "seconds": elapsed, "rows_per_s": count / elapsed, "counts": view["rows"],
            "peak_mib": peak_kib / 1024, "growth_mib": (peak_kib - baseline_kib) / 1024,
            "writes_per_row": writes["count"] / count, "transitions_per_row": transitions / count, "enrollments": len(enrollments),
            "threads": threads,
        }
    finally:
        runtime.stop(save=False)


THREADS_PER_ROW = 3


def check_thread_limits(rows: int) -> None:
    """Exits with the fix when the kernel cannot hold a thread per parked execution's part."""
    needed = THREADS_PER_ROW * rows + 1000
    limits = {"kernel.pid_max": ("/proc/sys/kernel/pid_max", needed), "vm.max_map_count": ("/proc/sys/vm/max_map_count", 2 * needed + 10000)}
    for name, (path, want) in limits.items():
        try:
            have = int(Path(path).read_text())
        except OSError:
            continue  # not Linux: nothing to check
        if have < want:
            sys.exit(f"{rows} rows park ~{THREADS_PER_ROW * rows} threads; {name} is {have}, needs {want}: sysctl -w {name}={want}")


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000]
    check_thread_limits(max(sizes))
    print("| rows | seconds | rows/s | peak RSS MiB (growth) | transitions/row | DynamoDB writes/row | waiting / blocked / rejected / failed | threads at the end |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        r = measure(size)
        c = r["counts"]
        print(f"| {r['rows']} | {r['seconds']:.0f} | {r['rows_per_s']:.2f} | {r['peak_mib']:.0f} ({r['growth_mib']:.0f}) | {r['transitions_per_row']:.1f} | {r['writes_per_row']:.1f} | {c['waiting']} / {c['blocked']} / {c['rejected']} / {c['failed']} | {r['threads']} |", flush=True)


if __name__ == "__main__":
    main()
