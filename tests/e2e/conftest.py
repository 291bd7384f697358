"""Shared fixtures of the browser tests: the runtime as a process, and Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import BrowserMissing, chromium
from support import LocalServer

START = "2027-01-04T09:00:00Z"  # a Monday morning; the pages compute dates from the runtime's clock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """One local runtime process per test module, frozen at START."""
    log = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "runtime.log"
    with LocalServer(log, "--no-state", "--frozen-clock", "--start", START) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        with chromium() as launched:
            yield launched
    except BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)
