"""Fault injection for the local runtime (issue 12, "At-least-once and faults").

Two kinds of fault, both switched on per test through ``runtime.faults``:

* **AWS API errors** seen by handler code: every boto3/botocore call (our adapters' clients and
  pynamodb's own) passes through ``BaseClient._make_api_call``; while a Lambda handler runs, a
  rule matching the call's service and operation raises the service's ``ClientError`` instead of
  calling (moto). The error is raised *above* botocore's retry handler: it models the call whose
  SDK retries are already used up, which is what a handler and then the state machine's Retry
  must cope with. Calls made outside a handler (a test's own setup, the runtime's resets, the
  engine's direct service integrations) are never touched.
* **Lambda faults** around a whole invocation: ``timeout`` (the handler ran, possibly with its
  side effects, and Lambda reports ``Sandbox.Timedout``) and ``crash_after`` (the handler ran and
  wrote, then its result is lost before Step Functions saved it: reported as
  ``Lambda.ServiceException`` by default, which every definition retries, so the step runs again).

Decisions are deterministic per rule: the n-th matching call fails when the n-th number drawn
from ``random.Random(seed)`` falls below ``rate``. Sequential handler code therefore sees the same
faults on every run; inside a Map running items in parallel, which item gets the n-th draw
depends on thread scheduling (the number of faults does not). Parameters are not part of the
draw on purpose: execution names carry random suffixes, which would make every run differ.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.client

# The codes botocore's retry rules (standard mode: botocore/data/_retry.json and
# botocore.retries.standard) treat as throttling or transient, per service, with their HTTP status.
DEFAULT_ERRORS: dict[str, tuple[str, int]] = {
    "dynamodb": ("ProvisionedThroughputExceededException", 400),
    "ses": ("Throttling", 400),
    "sesv2": ("TooManyRequestsException", 429),
    "s3": ("InternalError", 500),
    "sqs": ("RequestThrottled", 400),
    "stepfunctions": ("ThrottlingException", 400),
    "scheduler": ("ThrottlingException", 400),
}
STATUS_OF = {code: status for code, status in DEFAULT_ERRORS.values()} | {
    "ThrottlingException": 400,
    "RequestLimitExceeded": 400,
    "SlowDown": 503,
    "ServiceUnavailable": 503,
    "InternalServerError": 500,
    "TransactionConflictException": 400,
}
LAMBDA_ERRORS = {"timeout": "Sandbox.Timedout", "crash_after": "Lambda.ServiceException"}

_inside = threading.local()


def in_handler() -> bool:
    return getattr(_inside, "depth", 0) > 0


@contextmanager
def handler_scope(function: str, event: Any = None) -> Iterator[None]:
    """Marks the current thread as running `function`'s handler (API faults apply only there)."""
    previous = getattr(_inside, "function", None), getattr(_inside, "callback", False)
    _inside.depth = getattr(_inside, "depth", 0) + 1
    _inside.function = function
    _inside.callback = is_callback(event)
    try:
        yield
    finally:
        _inside.depth -= 1
        _inside.function, _inside.callback = previous


def is_callback(event: Any) -> bool:
    """A .waitForTaskToken step's invocation (our definitions pass the token as `task_token`).
    No fault is injected there: moto's engine, unlike the service, keeps such an execution
    waiting for the token when the invocation itself fails, so the test would hang instead of
    seeing the definition's Retry/Catch."""
    return isinstance(event, dict) and "task_token" in event


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()


@dataclass
class FaultRule:
    kind: str  # "api" | "timeout" | "crash_after"
    service: str  # botocore service name ("dynamodb", "ses", "s3"...) or "lambda"
    operation: str | None  # "PutItem", "TransactWriteItems"...; None: every operation
    rate: float
    seed: int
    error: str
    status: int = 400
    function: str | None = None  # a function's logical id; None: every function
    times: int | None = None  # at most this many faults; None: unlimited
    first: int = 0  # > 0: the first `first` identical calls fail, whatever the rate (replay tests)
    raised: int = 0
    seen: int = 0
    log: list[dict[str, str]] = field(default_factory=list)
    _counts: Counter = field(default_factory=Counter)
    _random: random.Random | None = None

    def matches(self, service: str, operation: str, function: str | None) -> bool:
        return (
            self.service == service
            and (self.operation is None or self.operation == operation)
            and (self.function is None or self.function == function)
            and (self.times is None or self.raised < self.times)
        )

    def draw(self, key: str) -> bool:
        """The next draw of this rule (`first`: the first identical calls, by key, always fail)."""
        self._counts[key] += 1
        self.seen += 1
        if self.first:
            return self._counts[key] <= self.first
        if self._random is None:
            self._random = random.Random(self.seed)
        return self._random.random() < self.rate


class FaultSwitch:
    """``runtime.faults``: the rules in force until ``clear()`` (the runtime's reset clears them)."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------ configuring
    def inject(self, *, service: str, operation: str | None = None, rate: float = 1.0, seed: int = 0, error: str | None = None,
               status: int | None = None, function: str | None = None, times: int | None = None) -> FaultRule:
        """AWS API calls of `service` (botocore name) / `operation` made by handler code fail with
        `error` (default: the service's throttling or 5xx code, see DEFAULT_ERRORS) at `rate`."""
        if service == "lambda":
            raise ValueError("Lambda faults: use lambda_timeout() or crash_after()")
        default_error, default_status = DEFAULT_ERRORS.get(service, ("ThrottlingException", 400))
        code = error or default_error
        rule = FaultRule("api", service, operation, rate, seed, code, status or STATUS_OF.get(code, default_status), function, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def lambda_timeout(self, *, function: str | None = None, rate: float = 1.0, seed: int = 0, times: int | None = None, error: str = LAMBDA_ERRORS["timeout"]) -> FaultRule:
        """The handler runs (its writes happen) but Lambda reports a timeout instead of its result."""
        rule = FaultRule("timeout", "lambda", None, rate, seed, error, 0, function, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def crash_after(self, *, function: str | None = None, rate: float = 1.0, seed: int = 0, times: int | None = None, error: str = LAMBDA_ERRORS["crash_after"], first: int = 0) -> FaultRule:
        """Crash after the side effect, before the state is saved: the handler runs to the end,
        then its result is lost and the invocation reports `error` (retried by the definitions).
        `first=1`: every distinct invocation loses its first result, i.e. every step runs twice."""
        rule = FaultRule("crash_after", "lambda", None, rate, seed, error, 0, function, times, first=first)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    @property
    def raised(self) -> int:
        return sum(rule.raised for rule in self.rules)

    def summary(self) -> dict[str, int]:
        """"kind service.operation -> error": count, for test messages and reports."""
        counts: Counter = Counter()
        for rule in self.rules:
            for entry in rule.log:
                counts[f"{entry['function']} {entry['call']} -> {entry['error']}"] += 1
        return dict(counts)

    # ------------------------------------------------------------ deciding
    def _pick(self, kind: str, service: str, operation: str, function: str | None, key: str) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.kind == kind and rule.matches(service, operation, function) and rule.draw(key):
                    rule.raised += 1
                    rule.log.append({"function": function or "-", "call": f"{service}.{operation}", "error": rule.error})
                    return rule
        return None

    def api_fault(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The error response a matching rule injects into this call, or None."""
        if not self.rules or not in_handler() or getattr(_inside, "callback", False):
            return None
        function = getattr(_inside, "function", None)
        rule = self._pick("api", service, operation, function, f"{service}|{operation}|{_digest(params)}")
        if rule is None:
            return None
        return {
            "Error": {"Code": rule.error, "Message": f"injected by the local runtime ({service}.{operation})"},
            "ResponseMetadata": {"HTTPStatusCode": rule.status, "RetryAttempts": 0},
        }

    def lambda_fault(self, kind: str, function: str, event: Any) -> FaultRule | None:
        if not self.rules:
            return None
        if is_callback(event):
            return None  # see is_callback
        return self._pick(kind, "lambda", "Invoke", function, f"lambda|{function}|{_digest(event)}")


# ------------------------------------------------------------------ the botocore hook
_active: FaultSwitch | None = None
_original_make_api_call = None


def _make_api_call(self, operation_name, api_params):  # noqa: ANN001 - botocore's signature
    switch = _active
    if switch is not None:
        response = switch.api_fault(self.meta.service_model.service_name, operation_name, api_params)
        if response is not None:
            # The modelled class where the service has one (ProvisionedThroughputExceededException...),
            # as botocore raises it, so `except client.exceptions.X` behaves as against AWS.
            raise self.exceptions.from_code(response["Error"]["Code"])(response, operation_name)
    return _original_make_api_call(self, operation_name, api_params)


def install(switch: FaultSwitch) -> None:
    global _active, _original_make_api_call
    if _original_make_api_call is None:
        _original_make_api_call = botocore.client.BaseClient._make_api_call
        botocore.client.BaseClient._make_api_call = _make_api_call
    _active = switch


def uninstall() -> None:
    global _active, _original_make_api_call
    _active = None
    if _original_make_api_call is not None:
        botocore.client.BaseClient._make_api_call = _original_make_api_call
        _original_make_api_call = None
