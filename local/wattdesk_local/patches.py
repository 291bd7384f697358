"""The moto internals the runtime patches, in one place (each has a regression test in
tests/integration/test_moto_patches.py, so a moto upgrade that moves them fails loudly).

Checked against moto 5.2.5, pinned in pyproject.toml.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import time

import botocore.utils
import moto.awslambda.models as lambda_models
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.table as dynamodb_table
import moto.stepfunctions.parser.asl.eval.callback.callback as callback_module
import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_decl
import moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function as wait_function
import moto.stepfunctions.parser.backend.execution_worker as execution_worker
import moto.stepfunctions.parser.models as sfn_parser_models
from moto.stepfunctions.parser.asl.parse import asl_parser

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


def running_history_lengths(account: str, region: str) -> dict[str, tuple[int, Any]]:
    """ARN -> (number of history events, the engine's event manager or None) of every RUNNING
    execution, read in memory from the engine (the API equivalent, list_executions per state
    machine + get_execution_history, costs ~10 ms a call through moto's serialisers) and without
    copying any history: settling polls this many times a second, and with
    thousands of executions parked on a task token (a group purchase of 10,000 rows) copying every
    history per poll took the CPU from the work it waited for (1.8 rows/s fell to 1.0 by row 3,000)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    running = {}
    for machine in list(stepfunctions_parser_backends[account][region].state_machines):
        for execution in list(machine.executions):
            if getattr(execution.exec_status, "value", execution.exec_status) == "RUNNING":
                worker = execution.exec_worker
                # A just-started execution has no environment yet: running, with no events so far.
                manager = worker.env.event_manager if worker is not None and worker.env is not None else None
                running[execution.execution_arn] = (len(manager._history_event_list), manager) if manager is not None else (0, None)
    return running


def history_events(manager: Any) -> list[dict[str, Any]]:
    """An execution's history events from its event manager (None: no events yet)."""
    if manager is None:
        return []
    return [{**event, "type": str(getattr(event["type"], "value", event["type"]))} for event in _history_of(manager)]


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


class _KeyIndex:
    """Primary keys of a table's items by each index's hash-key values, kept up to date from
    the writes. moto answers every Query, on the table or on an index, by walking all items of
    the table (`Table.query` -> `all_items()`), so a query cost O(table size) and a daily sweep
    or billing run over n contracts cost O(n^2). Only keys are kept: items are looked up when
    asked, and moto still checks every condition on them, so a stale key can cost a lookup but
    never add or lose a result."""

    def __init__(self, table: Any) -> None:
        self.hash_attrs = {
            index.name: [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
            for index in table.all_indexes()
        }
        self.buckets: dict[str, dict[tuple[Any, ...], set[tuple[Any, Any]]]] = {name: {} for name in self.hash_attrs}
        self.where: dict[tuple[Any, Any], list[tuple[str, tuple[Any, ...]]]] = {}
        self.dirty: set[tuple[Any, Any]] = set()
        for item in _originals["all_items"](table):
            self._add(item)

    def _add(self, item: Any) -> None:
        key = (item.hash_key, item.range_key)
        places = []
        for name, attrs in self.hash_attrs.items():
            values = tuple(item.attrs.get(attr) for attr in attrs)
            if all(value is not None for value in values):
                self.buckets[name].setdefault(values, set()).add(key)
                places.append((name, values))
        self.where[key] = places

    def _refresh(self, table: Any) -> None:
        for key in self.dirty:
            for name, values in self.where.pop(key, ()):
                self.buckets[name].get(values, set()).discard(key)
            item = table.get_item(*key) if key[1] is not None or not table.has_range_key else None
            if item is not None:
                self._add(item)
        self.dirty.clear()

    def candidates(self, table: Any, index_name: str, values: tuple[Any, ...]) -> list[Any]:
        self._refresh(table)
        found = []
        for hash_key, range_key in self.buckets[index_name].get(values, ()):
            item = table.get_item(hash_key, range_key) if range_key is not None else table.items.get(hash_key)
            if item is not None:
                found.append(item)
        return found


_query_candidates = threading.local()


def _key_index(table: Any) -> _KeyIndex:
    index = table.__dict__.get("_wattdesk_key_index")
    if index is None:
        index = table.__dict__["_wattdesk_key_index"] = _KeyIndex(table)
    return index


def _mark_dirty(table: Any, hash_key: Any, range_key: Any) -> None:
    index = table.__dict__.get("_wattdesk_key_index")
    if index is not None:
        index.dirty.add((hash_key, range_key))


def _table_put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    with _write_lock:
        try:
            return _originals["table.put_item"](self, item_attrs, *args, **kwargs)
        finally:
            if self.hash_key_attr in item_attrs:
                from moto.dynamodb.models.dynamo_type import DynamoType

                range_value = item_attrs.get(self.range_key_attr) if self.range_key_attr else None
                _mark_dirty(self, DynamoType(item_attrs[self.hash_key_attr]), DynamoType(range_value) if range_value is not None else None)


def _table_delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
    with _write_lock:
        try:
            return _originals["table.delete_item"](self, hash_key, range_key)
        finally:
            _mark_dirty(self, hash_key, range_key)


def _update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """UpdateItem changes the stored item in place (no Table.put_item when it exists)."""
    with _write_lock:
        try:
            return _originals["dynamodb.update_item"](self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None and table.hash_key_attr in key:
                try:
                    _mark_dirty(table, *self.get_keys_value(table, key))
                except Exception:  # noqa: BLE001 - a malformed key wrote nothing
                    pass


def _query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    """Table.query with its candidate items narrowed to the queried partition."""
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    with _write_lock:
        if index_name:
            conditions = dict(kwargs.get("hash_key_conditions") or [])
            index = _key_index(self)
            attrs = index.hash_attrs.get(index_name)
            if not attrs or not all(attr in conditions for attr in attrs):
                return _originals["table.query"](self, hash_key, *args, **kwargs)
            candidates = index.candidates(self, index_name, tuple(conditions[attr] for attr in attrs))
        elif self.range_key_attr:
            candidates = list(self.items.get(hash_key, {}).values())
        else:
            candidates = [self.items[hash_key]] if hash_key in self.items else []
    _query_candidates.table, _query_candidates.items = self, candidates
    try:
        return _originals["table.query"](self, hash_key, *args, **kwargs)
    finally:
        _query_candidates.table = _query_candidates.items = None


def _all_items(self: Any) -> list[Any]:
    if getattr(_query_candidates, "table", None) is self:
        return list(_query_candidates.items)
    return _originals["all_items"](self)


# One parsed program per definition. moto parses a definition with ANTLR for every execution it
# starts (0.1-0.3 s for ours): a group purchase starts one enrollment execution per row. The
# parsed states keep no execution state (a distributed Map already runs one parsed ItemProcessor
# in many children at once; the state of a run lives in its Environment), so one copy is shared.
_parsed_programs: dict[str, Any] = {}
_parse_lock = threading.Lock()


def _evaluation_entrypoint(self: Any) -> Any:
    definition = self._evaluation_details.state_machine_details.definition
    program = _parsed_programs.get(definition)
    if program is None:
        with _parse_lock:
            program = _parsed_programs.get(definition)
            if program is None:
                program = _originals["entrypoint"](self)
                _parsed_programs[definition] = program
    return program


# What AWS runs in an Express child workflow: request-response tasks only (no callback, no .sync).
_EXPRESS_REFUSED_SUFFIXES = (".waitForTaskToken", ".sync")


def _nested_states(states: dict[str, Any]):
    """Every state of a States block, with the states of its Parallel branches and Map processors."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _nested_states(branch.get("States", {}))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _nested_states(state[key].get("States", {}))


def express_children_as_standard(definition: str) -> str:
    """moto's ASL grammar knows only STANDARD child executions of a distributed Map, so a definition
    with `"ExecutionType": "EXPRESS"` did not parse. Locally the children run as Standard ones (same
    states, same handlers; on AWS they differ in price and in at-least-once delivery, which the
    items' idempotency covers). A task AWS refuses in an Express child (callback or .sync) is
    refused here too, so a definition that runs locally also deploys."""
    if '"EXPRESS"' not in definition:
        return definition
    document = json.loads(definition)
    for _, state in _nested_states(document.get("States", {})):
        processor = state.get("ItemProcessor") or {}
        config = processor.get("ProcessorConfig") or {}
        if config.get("ExecutionType") != "EXPRESS":
            continue
        for name, child in _nested_states(processor.get("States", {})):
            resource = child.get("Resource", "")
            if resource.endswith(_EXPRESS_REFUSED_SUFFIXES) or ".sync:" in resource:
                raise asl_parser.ASLParserException(errors=[f"state {name}: an Express child workflow cannot run {resource} (only request-response tasks)"])
        config["ExecutionType"] = "STANDARD"
    return json.dumps(document)


def _parse(definition: str) -> Any:
    return _originals["asl_parse"](express_children_as_standard(definition))


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
        _originals["table.query"] = dynamodb_table.Table.query
        _originals["entrypoint"] = execution_worker.ExecutionWorker._get_evaluation_entrypoint
        _originals["all_items"] = dynamodb_table.Table.all_items
        _originals["table.put_item"] = dynamodb_table.Table.put_item
        _originals["table.delete_item"] = dynamodb_table.Table.delete_item
        _originals["getproxies"] = botocore.utils.getproxies
        _originals["proxy_bypass"] = botocore.utils.proxy_bypass
        _originals["asl_parse"] = asl_parser.AmazonStateLanguageParser.parse
    asl_parser.AmazonStateLanguageParser.parse = staticmethod(_parse)
    botocore.utils.getproxies = _getproxies
    botocore.utils.proxy_bypass = _proxy_bypass
    sfn_parser_models.StepFunctionsParserBackend._get_executions = _started_executions
    dynamodb_table.Table.query = _query
    execution_worker.ExecutionWorker._get_evaluation_entrypoint = _evaluation_entrypoint
    dynamodb_table.Table.all_items = _all_items
    dynamodb_table.Table.put_item = _table_put_item
    dynamodb_table.Table.delete_item = _table_delete_item
    for name in _SERIALISED_WRITES:
        operation = {"transact_write_items": _transact_write_items, "update_item": _update_item}.get(name, _originals[f"dynamodb.{name}"])
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
        dynamodb_table.Table.query = _originals["table.query"]
        execution_worker.ExecutionWorker._get_evaluation_entrypoint = _originals["entrypoint"]
        dynamodb_table.Table.all_items = _originals["all_items"]
        dynamodb_table.Table.put_item = _originals["table.put_item"]
        dynamodb_table.Table.delete_item = _originals["table.delete_item"]
        botocore.utils.getproxies = _originals["getproxies"]
        botocore.utils.proxy_bypass = _originals["proxy_bypass"]
        asl_parser.AmazonStateLanguageParser.parse = staticmethod(_originals["asl_parse"])
