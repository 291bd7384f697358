"""Cold-start cost of each handler: import time and memory of functions/<name>/app.py, each in a fresh
subprocess (import time without tracemalloc, median of N runs; tracemalloc peak in one more run;
max RSS of the timing run), against a bare Powertools handler measured in the same run (ratio). Also checks that an
import creates no boto3 client and no Powertools object (tests/unit/test_handlers_import_cleanly.py
asserts the same in make test).

    python benchmarks/handler_import.py [repeats]        (default 3; the median is reported)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, resource, sys, time, tracemalloc
if sys.argv[2] == "memory":  # tracemalloc slows imports several times: time and memory are separate runs
    tracemalloc.start()
started = time.perf_counter()
import botocore.client
created = []
original = botocore.client.BaseClient.__init__
def spy(self, *args, **kwargs):
    created.append(type(self).__name__)
    return original(self, *args, **kwargs)
botocore.client.BaseClient.__init__ = spy
if sys.argv[1] == "bare":
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    app = APIGatewayRestResolver()
    @app.get("/ping")
    def ping():
        return {"ok": True}
    def handler(event, context):
        return app.resolve(event, context)
    powertools = []
else:
    import importlib.util
    spec = importlib.util.spec_from_file_location("app", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    from wattdesk import observability
    powertools = [f.__name__ for f in (observability.logger, observability.tracer, observability.metrics) if f.cache_info().currsize]
elapsed = time.perf_counter() - started
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": elapsed, "peak_bytes": peak, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "clients": created, "powertools": powertools, "modules": len(sys.modules)}))
"""


def probe(target: str, mode: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT / "layers" / "common")
    completed = subprocess.run([sys.executable, "-c", PROBE, target, mode], capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(target: str, repeats: int) -> dict:
    runs = [probe(target, "time") for _ in range(repeats)]
    memory = probe(target, "memory")
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": memory["peak_bytes"] / 1e6,
        "rss_mb": statistics.median(r["rss_kb"] for r in runs) / 1024,
        "modules": runs[0]["modules"],
        "clients": runs[0]["clients"],
        "powertools": runs[0]["powertools"],
    }


def main(repeats: int = 3) -> int:
    bare = measure("bare", repeats)
    print(f"bare Powertools handler: {bare['seconds'] * 1000:.0f} ms, tracemalloc peak {bare['peak_mb']:.1f} MB, RSS {bare['rss_mb']:.0f} MB, {bare['modules']} modules")
    print("| function | import ms | x bare | peak MB (tracemalloc) | x bare | RSS MB | clients/Powertools at import |")
    print("|---|---:|---:|---:|---:|---:|---|")
    dirty = []
    rows = []
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        result = measure(str(app), repeats)
        name = app.parent.name
        clean = not result["clients"] and not result["powertools"]
        if not clean:
            dirty.append(name)
        rows.append((name, result))
        print(f"| {name} | {result['seconds'] * 1000:.0f} | {result['seconds'] / bare['seconds']:.1f} | {result['peak_mb']:.1f} | "
              f"{result['peak_mb'] / bare['peak_mb']:.1f} | {result['rss_mb']:.0f} | {'none' if clean else result['clients'] + result['powertools']} |", flush=True)
    worst = max(rows, key=lambda row: row[1]["seconds"])
    print(f"slowest: {worst[0]} {worst[1]['seconds'] * 1000:.0f} ms ({worst[1]['seconds'] / bare['seconds']:.1f}x bare)")
    if dirty:
        print(f"FAIL: these handlers create a client or Powertools object at import: {dirty}")
        return 1
    print("OK: no handler creates a boto3 client or a Powertools object at import")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
