"""How fast the local runtime is: start, a Ping round trip, and fast-forwarding a year of schedules.

Run with `make bench`. Numbers are wall-clock on this machine; quote them with the machine size.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import UTC, datetime

from wattdesk_local.runtime import LocalRuntime, RuntimeOptions

START = datetime(2027, 1, 1, 8, tzinfo=UTC)


def execution_arn(runtime: LocalRuntime, ping_id: str) -> str:
    return runtime.state_machines["PingStateMachine"].replace(":stateMachine:", ":execution:") + f":ping-{ping_id}"


def main() -> None:
    started = time.perf_counter()
    runtime = LocalRuntime(RuntimeOptions(start_time=START)).start()
    cold_start = time.perf_counter() - started
    try:
        resets = []
        for _ in range(5):
            began = time.perf_counter()
            runtime.reset(START)
            resets.append(time.perf_counter() - began)

        token = {"Authorization": runtime.login("bench@wattdesk.example", ["operators"])["id_token"]}
        to_parked, to_done, transitions = [], [], []
        for index in range(20):
            began = time.perf_counter()
            ping_id = runtime.handle_api("POST", "/pings", {}, {"email": f"bench{index}@example.org"}).json()["ping_id"]
            arn = execution_arn(runtime, ping_id)
            runtime.wait_for_execution(arn)
            to_parked.append(time.perf_counter() - began)
            began = time.perf_counter()
            runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", token)
            runtime.wait_for_execution(arn)
            to_done.append(time.perf_counter() - began)
            transitions.append(sum(1 for event in runtime.history(arn) if event["type"].endswith("StateEntered")))

        runtime.reset(START)
        began = time.perf_counter()
        fired = runtime.advance(days=364)
        year = time.perf_counter() - began
        # Memory separately: tracemalloc slows everything it traces several times over.
        runtime.reset(START)
        tracemalloc.start()
        for index in range(20):
            runtime.handle_api("POST", "/pings", {}, {"email": f"memory{index}@example.org"})
        runtime.wait_until_settled()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        runtime.stop(save=False)

    print("| measure | value |")
    print("| --- | --- |")
    print(f"| runtime start (first in process, parses every definition) | {cold_start:.2f} s |")
    print(f"| reset between tests (median of 5) | {statistics.median(resets) * 1000:.0f} ms |")
    print(f"| POST /pings until parked on the task token (median of 20) | {statistics.median(to_parked) * 1000:.0f} ms |")
    print(f"| acknowledgement until SUCCEEDED with mail (median of 20) | {statistics.median(to_done) * 1000:.0f} ms |")
    print(f"| state transitions per acknowledged Ping | {statistics.median(transitions):.0f} |")
    print(f"| fast-forward 364 days ({len(fired)} weekly heartbeats fired) | {year:.2f} s ({year / max(1, len(fired)) * 1000:.0f} ms per firing) |")
    print(f"| peak Python memory allocated while 20 Pings run | {peak / 2**20:.1f} MiB |")


if __name__ == "__main__":
    main()
