"""The moto internals the runtime patches, in one place (each has a regression test in
tests/integration/test_moto_patches.py, so a moto upgrade that moves them fails loudly).

Checked against moto 5.2.5, pinned in pyproject.toml.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import time

import botocore.utils
import moto.awslambda.models as lambda_models
import moto.dynamodb.models as dynamodb_models
import moto.stepfunctions.parser.asl.eval.callback.callback as callback_module
import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_decl
import moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function as wait_function
import moto.stepfunctions.parser.models as sfn_parser_models

LambdaInvoker = Callable[[str, Any], tuple[str, bool, str]]


class _RecordingSleep:
    """Stands in for the `time` module of moto's retrier: records the intervals, sleeps not."""

    def __init__(self) -> None:
        self.intervals: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.intervals.append(seconds)


retry_sleeps = _RecordingSleep()


class _Resumes:
    """Task tokens resumed (SendTaskSuccess/Failure) that the engine has not taken up yet.

    Between the API call and the engine's thread waking, the execution still looks parked;
    waiting for quiescence must not stop there. A notify nobody waits for any more (a token
    whose task timed out) stops counting after STALE_S."""

    STALE_S = 30.0

    def __init__(self) -> None:
        self._pending: dict[int, float] = {}
        self._lock = threading.Lock()

    def notified(self, endpoint: object) -> None:
        with self._lock:
            self._pending[id(endpoint)] = time.monotonic()

    def taken(self, endpoint: object) -> None:
        with self._lock:
            self._pending.pop(id(endpoint), None)

    def pending(self) -> int:
        now = time.monotonic()
        with self._lock:
            return sum(1 for at in self._pending.values() if now - at < self.STALE_S)


resumes = _Resumes()


def _notify(self: Any, outcome: Any) -> None:
    resumes.notified(self)
    _originals["notify"](self, outcome)


def _wait(self: Any, timeout: float | None = None) -> Any:
    outcome = _originals["wait_callback"](self, timeout=timeout)
    if outcome is not None:
        resumes.taken(self)
    return outcome
_originals: dict[str, Any] = {}
_invoker: LambdaInvoker | None = None


def _invoke_in_process(self: lambda_models.LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    if _invoker is None:
        raise RuntimeError("no local Lambda invoker installed")
    return _invoker(self.function_name, event)


def _skip_wait(self: Any, env: Any, wait_seconds: int) -> None:
    # Wait states are not used for business time (that is what sweeps with an as-of date are for).
    return None


def clear_executions(account: str, region: str) -> int:
    """Forgets finished executions (between tests), so names can be reused; returns how many."""
    # With execute_state_machine on, the engine's backend is a separate BackendDict.
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    cleared = 0
    for machine in stepfunctions_parser_backends[account][region].state_machines:
        cleared += len(machine.executions)
        machine.executions.clear()
    return cleared


def _history_of(event_manager: Any) -> list[dict[str, Any]]:
    """The engine's own history list, read under its lock without get_event_history's deepcopy:
    settling polls every running execution many times a second, and a billing run's Map history
    of thousands of events deep-copied per poll took the CPU from the run itself. Callers only
    read the events (shallow copies below), never change them."""
    with event_manager._mutex:
        return list(event_manager._history_event_list)


def running_executions(account: str, region: str) -> dict[str, list[dict[str, Any]]]:
    """ARN -> history events of every RUNNING execution, read in memory from the engine.

    The API equivalent (list_executions per state machine + get_execution_history) costs ~10 ms a
    call through moto's serialisers; waiting for quiescence polls this many times per firing.
    """
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    running = {}
    for machine in list(stepfunctions_parser_backends[account][region].state_machines):
        for execution in list(machine.executions):
            if getattr(execution.exec_status, "value", execution.exec_status) == "RUNNING":
                worker = execution.exec_worker
                # A just-started execution has no environment yet: running, with no events so far.
                events = _history_of(worker.env.event_manager) if worker is not None and worker.env is not None else []
                running[execution.execution_arn] = [{**event, "type": str(getattr(event["type"], "value", event["type"]))} for event in events]
    return running


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems deep-copies every table a transaction touches to roll back on
    failure: a transaction costs O(table size), so a billing run of n contracts costs O(n^2).
    Same semantics here, cheaper: every condition is checked against the state before the
    transaction (DynamoDB's rule; one operation per item is enforced, so checking first is
    equivalent), nothing is written unless all pass, and only the touched items are backed up."""
    import copy

    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    operations = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table = self.get_table(op["TableName"])
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        unique = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        operations.append((op_type, op, key))

    errors: list[tuple[Any, Any, Any]] = []
    for _op_type, op, key in operations:
        try:
            current = self.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                expression = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
                if not expression.expr(current):
                    original = current.to_json()["Attributes"] if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current else None
                    raise ConditionalCheckFailed(item=original)
            errors.append((None, None, None))
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), getattr(exc, "item", None)))
        except Exception as exc:  # noqa: BLE001 - reported per item, as moto does
            errors.append((type(exc).__name__, str(exc), None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    backups = [(op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key))) for _t, op, key in operations]
    try:
        for op_type, op, key in operations:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(op["TableName"], key, update_expression=op["UpdateExpression"], expression_attribute_names=names, expression_attribute_values=values)
    except Exception:
        for table_name, key, before in backups:
            table = self.get_table(table_name)
            hash_value = key[table.hash_key_attr]
            range_value = key.get(table.range_key_attr) if table.range_key_attr else None
            from moto.dynamodb.models.dynamo_type import DynamoType

            hash_key, range_key = DynamoType(hash_value), DynamoType(range_value) if range_value is not None else None
            if range_key is not None:
                table.items[hash_key].pop(range_key, None)
                if before is not None:
                    table.items[hash_key][range_key] = before
            else:
                table.items.pop(hash_key, None)
                if before is not None:
                    table.items[hash_key] = before
        raise


# Lambdas run in threads here; moto's DynamoDB checks a condition and then writes, without a
# lock, so two threads could both pass the same condition (two invoices with one number). On
# AWS every write is atomic: here every write operation holds one lock for its whole length.
_write_lock = threading.RLock()
_SERIALISED_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def _serialised(operation: Callable[..., Any]) -> Callable[..., Any]:
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return operation(*args, **kwargs)

    serialised.__wrapped__ = operation  # type: ignore[attr-defined]
    return serialised


def _started_executions(self: Any, execution_status: Any = None) -> list[Any]:
    """moto lists an execution as RUNNING before its worker and the worker's environment exist
    (start_execution appends it, then starts it, and the worker builds its env). Every caller (send_task_success/failure/heartbeat, map runs) reads
    `exec_worker.env`, so one execution caught in that gap made a task-token answer from
    another thread fail with AttributeError: a row of a group purchase was never released and
    its import waited forever. An execution without a worker holds no token and no map run."""
    return [
        execution for execution in _originals["get_executions"](self, execution_status)
        if execution.exec_worker is not None and getattr(execution.exec_worker, "env", None) is not None
    ]


def _getproxies() -> dict[str, str]:
    """botocore iterates os.environ for proxies whenever a client is made (moto's engine makes one
    per Lambda task); a function's call adding and removing its variables at that moment raised
    KeyError inside the engine, which failed the task as States.Runtime (a group-purchase row
    failed or was blocked at random). The lookup now waits for the variables to be in place."""
    from wattdesk_local.lambdas import environ_lock

    with environ_lock:
        return dict(_originals["getproxies"]())


def _proxy_bypass(host: str) -> bool:
    """botocore's other os.environ reader (no_proxy), same lock."""
    from wattdesk_local.lambdas import environ_lock

    with environ_lock:
        return _originals["proxy_bypass"](host)


def install(invoker: LambdaInvoker) -> None:
    """Routes Lambda invocations to `invoker(function_name, event)` and removes engine sleeps."""
    global _invoker
    _invoker = invoker
    if not _originals:
        _originals["invoke"] = lambda_models.LambdaFunction._invoke_lambda
        _originals["wait"] = wait_function.WaitFunction._wait_interval
        _originals["retry_time"] = retrier_decl.time
        _originals["notify"] = callback_module.CallbackEndpoint.notify
        _originals["wait_callback"] = callback_module.CallbackEndpoint.wait
        _originals["transact"] = dynamodb_models.DynamoDBBackend.transact_write_items
        for name in _SERIALISED_WRITES:
            _originals[f"dynamodb.{name}"] = getattr(dynamodb_models.DynamoDBBackend, name)
        _originals["get_executions"] = sfn_parser_models.StepFunctionsParserBackend._get_executions
        _originals["getproxies"] = botocore.utils.getproxies
        _originals["proxy_bypass"] = botocore.utils.proxy_bypass
    botocore.utils.getproxies = _getproxies
    botocore.utils.proxy_bypass = _proxy_bypass
    sfn_parser_models.StepFunctionsParserBackend._get_executions = _started_executions
    for name in _SERIALISED_WRITES:
        operation = _transact_write_items if name == "transact_write_items" else _originals[f"dynamodb.{name}"]
        setattr(dynamodb_models.DynamoDBBackend, name, _serialised(operation))
    lambda_models.LambdaFunction._invoke_lambda = _invoke_in_process
    callback_module.CallbackEndpoint.notify = _notify
    callback_module.CallbackEndpoint.wait = _wait
    wait_function.WaitFunction._wait_interval = _skip_wait
    # Only the retrier module's `time` is replaced: time.sleep itself stays global and real.
    retrier_decl.time = retry_sleeps


def uninstall() -> None:
    global _invoker
    _invoker = None
    if _originals:
        lambda_models.LambdaFunction._invoke_lambda = _originals["invoke"]
        wait_function.WaitFunction._wait_interval = _originals["wait"]
        retrier_decl.time = _originals["retry_time"]
        callback_module.CallbackEndpoint.notify = _originals["notify"]
        callback_module.CallbackEndpoint.wait = _originals["wait_callback"]
        for name in _SERIALISED_WRITES:
            setattr(dynamodb_models.DynamoDBBackend, name, _originals[f"dynamodb.{name}"])
        dynamodb_models.DynamoDBBackend.transact_write_items = _originals["transact"]
        sfn_parser_models.StepFunctionsParserBackend._get_executions = _originals["get_executions"]
        botocore.utils.getproxies = _originals["getproxies"]
        botocore.utils.proxy_bypass = _originals["proxy_bypass"]
