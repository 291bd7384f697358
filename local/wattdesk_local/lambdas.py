"""Lambda functions of the template, run in-process.

Every function's module is called `app`, so each is loaded from its CodeUri under a unique
module name. Environment variables are process-global: an invocation sets the function's own
and restores the previous values, one invocation at a time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

_invoke_lock = threading.RLock()
# The function's variables are put in os.environ for the length of a call, while engine threads
# may be iterating os.environ (botocore reads proxies from it for every new client): both hold
# this lock (patches.py makes botocore's proxy lookup take it).
environ_lock = threading.Lock()
# How long the last handler call on this thread ran once it had its turn (without the wait for
# _invoke_lock): what Lambda would bill, where the wall time includes other handlers' turns.
last_call = threading.local()


@contextmanager
def handler_environment(environment: dict[str, str]) -> Iterator[None]:
    """Runs a block as a handler runs: one at a time with the handlers, with `environment` in
    os.environ and the previous values back afterwards. Tests calling a service directly use it
    too: restoring variables from another thread while a handler runs took them from under it.
    The block must not wait for executions (their steps wait for the block)."""
    with _invoke_lock:
        with environ_lock:
            saved = {key: os.environ.get(key) for key in environment}
            os.environ.update(environment)
        try:
            yield
        finally:
            with environ_lock:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    function: str
    duration_ms: float  # the handler's own run, not the wait for its turn
    errored: bool
    error_type: str | None
    action: str | None = None  # the event's "action", for functions that serve several steps


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    memory_mb: int
    timeout_s: int
    _module: ModuleType | None = None

    def _load(self) -> Any:
        module_name, attribute = self.handler.rsplit(".", 1)
        if self._module is None:
            source = self.code_dir / f"{module_name.replace('.', '/')}.py"
            unique = f"wattdesk_fn_{self.logical_id}_{module_name.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(unique, source)
            if spec is None or spec.loader is None:
                raise FileNotFoundError(source)
            module = importlib.util.module_from_spec(spec)
            # Registered like Lambda's own `import app`, so pydantic can resolve postponed annotations.
            sys.modules[unique] = module
            spec.loader.exec_module(module)
            self._module = module
        return getattr(self._module, attribute)

    def call(self, event: Any) -> Any:
        """Runs the handler and returns its result; exceptions propagate (API use)."""
        with handler_environment(self.environment):
            context = LambdaContext(
                function_name=self.name,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_s,
                invoked_function_arn=self.arn,
                _deadline=time.monotonic() + self.timeout_s,
            )
            started = time.perf_counter()
            try:
                return self._load()(event, context)
            finally:
                last_call.ms = (time.perf_counter() - started) * 1000

    def invoke(self, event: Any) -> tuple[str, bool, str]:
        """The Lambda service contract: (payload JSON, errored, logs); errors as errorType/errorMessage."""
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        try:
            result = self.call(event)
        except Exception as exc:  # the service turns every uncaught exception into a payload
            payload = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__)[-5:],
            }
            return json.dumps(payload), True, ""
        return json.dumps(result, default=str), False, ""
