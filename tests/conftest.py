"""One runtime per test worker, built from template.yaml, and reset before every test that uses it.

Parsing the state machine definitions is what costs time, so the runtime is built once and its
data (tables, buckets, queues, outbox, clock) is emptied between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from wattdesk_local.runtime import LocalRuntime, RuntimeOptions

# A Friday morning in Brussels; the weekly heartbeat falls due on the following Monday.
START = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def _shared_runtime() -> Iterator[LocalRuntime]:
    runtime = LocalRuntime(RuntimeOptions(start_time=START, settle_timeout_s=60))
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop(save=False)


@pytest.fixture
def runtime(_shared_runtime: LocalRuntime) -> LocalRuntime:
    """The local runtime, empty, with the clock at START."""
    _shared_runtime.reset(START)
    return _shared_runtime


@pytest.fixture
def operator(runtime: LocalRuntime) -> dict[str, str]:
    """Authorization header of a signed-in After-Sales operator."""
    return {"Authorization": runtime.login("an.operator@wattdesk.example", ["operators"])["id_token"]}


@pytest.fixture
def customer(runtime: LocalRuntime) -> dict[str, str]:
    """Authorization header of a signed-in customer (no ops rights)."""
    return {"Authorization": runtime.login("a.customer@example.org", ["customers"])["id_token"]}
