"""Helpers shared by the tests: sample events and the project's paths."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/, e.g. load_event("ping_api/start_ping")."""
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


class LocalServer:
    """`python -m wattdesk_local` as a separate process, the way `make run` starts it."""

    def __init__(self, log_path: Path, *args: str, cwd: Path = ROOT):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.args = ["--port", str(self.port), *args]
        self.cwd = cwd
        self.process = None

    def __enter__(self) -> "LocalServer":
        import os
        import subprocess
        import sys
        import time

        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'common'}:{ROOT / 'local'}"}
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "wattdesk_local", *self.args], cwd=self.cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local runtime exited: {self.log_path.read_text()[-2000:]}")
            try:
                self.request("GET", "/_local/clock")
                return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("local runtime did not start in 90 s")

    def __exit__(self, *exc: object) -> None:
        import signal

        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self._log.close()

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
                raw, status, response_headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, response_headers = error.read(), error.code, dict(error.headers)
        is_json = response_headers.get("Content-Type", "").startswith("application/json")
        return status, (json.loads(raw) if is_json and raw else raw), response_headers

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def table_environment():
    """The environment the stores read, for tests that create or read records directly.

    Every function of the template has these same two values, so they are set once and left in
    place: restoring them from the test's thread used to take TABLE_NAME from under a handler
    running in an execution's thread at that moment (it then read another table)."""
    from wattdesk_local.lambdas import environ_lock

    with environ_lock:
        os.environ.update({"TABLE_NAME": "wattdesk-WattDeskTable", "AWS_REGION": "eu-west-1"})
    yield


def function_environment(runtime, logical: str):
    """A block run with one function's whole environment, as that handler would run (one at a
    time with the handlers; the block must not wait for executions)."""
    from wattdesk_local.lambdas import handler_environment

    return handler_environment(runtime.functions[logical].environment)
