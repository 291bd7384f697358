"""Regression tests for the moto internals the local runtime patches (wattdesk_local/patches.py and
the SES/DynamoDB/S3 backends it reads). Upgrading moto must fail here, loudly, not silently."""

from __future__ import annotations

import inspect
import json
import re
import tomllib
import uuid

import botocore.exceptions
import moto
import moto.awslambda.models as lambda_models
import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_decl
import moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function as wait_function
import pytest
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from support import ROOT
from wattdesk_local import patches
from wattdesk_local.template import REGION

pytestmark = pytest.mark.integration


def test_moto_is_the_pinned_version_these_patches_were_checked_against():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pinned = next(d for d in dependencies if d.startswith("moto["))
    assert pinned.endswith(f"=={moto.__version__}")


def test_lambda_invoke_hook_point_has_the_expected_shape(runtime):
    signature = inspect.signature(patches._originals["invoke"])
    assert list(signature.parameters) == ["self", "event"]
    # Its only caller unpacks (payload, errored, logs) and marks errors as Handled.
    source = inspect.getsource(lambda_models.LambdaFunction.invoke)
    assert "res, errored, logs = self._invoke_lambda(event=body)" in source
    assert 'response_headers["x-amz-function-error"] = "Handled"' in source


def test_lambda_invoke_runs_the_handler_in_process(runtime):
    lam = runtime.client("lambda")
    response = lam.invoke(FunctionName="wattdesk-PingTasksFunction", Payload=json.dumps({"action": "check", "pingid": "x"}))
    payload = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Handled"
    assert payload["errorType"] == "MalformedEvent"
    assert runtime.invocations[-1].function == "PingTasksFunction"


def test_an_invocation_records_its_step_and_its_run_time_without_the_wait_for_its_turn(runtime):
    """The cost benchmark prices Lambda by these durations: a handler queued behind another
    (handlers run one at a time locally) is not billed for the queueing."""
    import threading

    from wattdesk_local.lambdas import handler_environment

    done = threading.Event()
    with handler_environment({}):  # another handler's turn, 2 s long
        worker = threading.Thread(target=lambda: (runtime.invoke("PingTasksFunction", {"action": "check", "pingid": "x"}), done.set()))
        worker.start()
        assert not done.wait(2.0)
    worker.join(30)
    invocation = runtime.invocations[-1]
    assert (invocation.function, invocation.action, invocation.error_type) == ("PingTasksFunction", "check", "MalformedEvent")
    assert invocation.duration_ms < 1000


def test_wait_hook_point_has_the_expected_shape(runtime):
    assert list(inspect.signature(patches._originals["wait"]).parameters) == ["self", "env", "wait_seconds"]
    assert wait_function.WaitFunction._wait_interval is patches._skip_wait


def test_a_long_wait_state_does_not_block(runtime):
    sfn = runtime.client("stepfunctions")
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "Next": "Done"}, "Done": {"Type": "Succeed"}}}
    machine = sfn.create_state_machine(name=f"wait-check-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=runtime.role_arn)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="w", input="{}")
    # Without the patch this waits a day; the wait below gives up after 60 s and fails the test.
    assert runtime.wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"


def test_retry_sleep_hook_point_is_the_retrier_modules_own_time(runtime):
    source = inspect.getsource(retrier_decl)
    assert re.search(r"^import time$", source, re.MULTILINE)
    assert "time.sleep(interval_seconds)" in source
    assert retrier_decl.time is patches.retry_sleeps
    # Only the retrier's reference is replaced: time.sleep stays real for everyone else.
    import time

    assert time.sleep is not patches.retry_sleeps.sleep


def test_retry_intervals_of_the_definition_are_kept_but_not_slept(runtime):
    response = runtime.handle_api("POST", "/pings", {}, {"email": "retry@example.org", "fail_times": 2})
    ping_id = response.json()["ping_id"]
    runtime.wait_for_execution(f"{runtime.state_machines['PingStateMachine'].replace(':stateMachine:', ':execution:')}:ping-{ping_id}")
    # IntervalSeconds 1 with BackoffRate 2 over two retries, as written in ping.asl.json.
    assert patches.retry_sleeps.intervals == [1, 2]


def test_ses_keeps_sent_mail_where_the_outbox_reads_it(runtime):
    ses = runtime.client("ses")
    ses.send_email(Source="no-reply@wattdesk.example", Destination={"ToAddresses": ["x@example.org"]}, Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}})
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1].destinations["ToAddresses"] == ["x@example.org"]
    assert runtime.outbox("x@example.org")[0]["subject"] == "s"


def test_backends_that_persistence_pickles_are_where_it_reads_them(runtime):
    tables = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][REGION].tables
    buckets = get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"].buckets
    assert "wattdesk-WattDeskTable" in tables
    assert runtime.template.physical["DocumentsBucket"]["Ref"] in buckets


def test_settling_reads_each_parked_execution_once_not_at_every_poll(runtime, monkeypatch):
    """A group purchase parks thousands of enrollments on a task token; copying every history at
    every poll made waiting cost O(parked) per poll and took the CPU from the rows still to do."""
    for n in range(5):
        assert runtime.handle_api("POST", "/pings", {}, {"email": f"p{n}@example.org"}).status == 202
    runtime.wait_until_settled()
    reads = []
    original = patches.history_events
    monkeypatch.setattr(patches, "history_events", lambda manager: reads.append(manager) or original(manager))
    runtime.wait_until_settled()  # at least two polls: settled means unchanged between two looks
    assert len(patches.running_history_lengths(DEFAULT_ACCOUNT_ID, REGION)) == 5
    assert len(reads) == 5


def test_executions_are_kept_on_each_state_machine_where_reset_clears_them(runtime):
    response = runtime.handle_api("POST", "/pings", {}, {"email": "x@example.org"})
    runtime.wait_until_settled()
    assert response.status == 202
    assert patches.clear_executions(DEFAULT_ACCOUNT_ID, REGION) == 1
    assert runtime.executions() == []


def test_running_executions_are_read_from_the_engine_with_their_history(runtime):
    response = runtime.handle_api("POST", "/pings", {}, {"email": "x@example.org"})
    runtime.wait_until_settled()
    running = {arn: patches.history_events(manager) for arn, (_, manager) in patches.running_history_lengths(DEFAULT_ACCOUNT_ID, REGION).items()}
    arn = next(iter(running))
    assert list(running) == [e["executionArn"] for e in runtime.executions("RUNNING")]
    assert arn.endswith(f":ping-{response.json()['ping_id']}")
    # The same events, in the same form, as GetExecutionHistory returns them.
    assert [e["type"] for e in running[arn]] == [e["type"] for e in runtime.history(arn)]
    assert running[arn][-1]["taskSubmittedEventDetails"]["resource"] == "invoke.waitForTaskToken"
    # Read without get_event_history's deepcopy (polled many times a second), under the engine's lock.
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    assert "self._history_event_list.append(history_event)" in inspect.getsource(EventManager._publish_history_event)
    assert "with self._mutex:" in inspect.getsource(EventManager.add_event)


def test_resumed_task_tokens_count_as_work_until_the_engine_takes_them(runtime, operator):
    import moto.stepfunctions.parser.asl.eval.callback.callback as callback_module

    source = inspect.getsource(patches._originals["wait_callback"])
    assert "self._notify_event.wait(timeout=timeout)" in source and "return self._outcome" in source
    assert list(inspect.signature(patches._originals["notify"]).parameters) == ["self", "outcome"]
    assert callback_module.CallbackEndpoint.notify is patches._notify
    ping_id = runtime.handle_api("POST", "/pings", {}, {"email": "x@example.org"}).json()["ping_id"]
    runtime.wait_until_settled()
    assert patches.resumes.pending() == 0
    runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", operator)
    runtime.wait_until_settled()
    # Settled means the engine took the resume and ran on to the end, not just that nothing moved.
    assert patches.resumes.pending() == 0
    assert runtime.handle_api("GET", f"/pings/{ping_id}").json()["status"] == "DONE"


def _transact_table(runtime):
    return runtime.client("dynamodb"), "wattdesk-WattDeskTable"


def test_a_transaction_with_one_failed_condition_writes_nothing_and_names_the_failed_item(runtime):
    from botocore.exceptions import ClientError

    dynamodb, table = _transact_table(runtime)
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "T#1"}, "SK": {"S": "A"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"PK": {"S": "T#1"}, "SK": {"S": "B"}}, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": {"TableName": table, "Key": {"PK": {"S": "T#1"}, "SK": {"S": "A"}}, "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :zero", "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}}}},
        ])
    reasons = [reason["Code"] for reason in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]  # in request order, as AWS reports them
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"PK": {"S": "T#1"}, "SK": {"S": "B"}})
    assert dynamodb.get_item(TableName=table, Key={"PK": {"S": "T#1"}, "SK": {"S": "A"}})["Item"]["n"] == {"N": "1"}


def test_a_transaction_that_fails_while_writing_restores_the_items_it_touched(runtime):
    from botocore.exceptions import ClientError

    dynamodb, table = _transact_table(runtime)
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "T#2"}, "SK": {"S": "A"}, "n": {"N": "1"}})
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"PK": {"S": "T#2"}, "SK": {"S": "A"}, "n": {"N": "5"}}}},
            {"Put": {"TableName": table, "Item": {"PK": {"S": "T#2"}, "SK": {"S": "C"}}}},
            # Adding a number to a string fails only when applied, after the puts.
            {"Update": {"TableName": table, "Key": {"PK": {"S": "T#2"}, "SK": {"S": "D"}}, "UpdateExpression": "SET s = :s + :one",
                        "ExpressionAttributeValues": {":s": {"S": "x"}, ":one": {"N": "1"}}}},
        ])
    assert dynamodb.get_item(TableName=table, Key={"PK": {"S": "T#2"}, "SK": {"S": "A"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"PK": {"S": "T#2"}, "SK": {"S": "C"}})


def test_transactions_do_not_copy_the_table(runtime):
    # The patch exists because moto deep-copies each touched table per transaction (O(n) each).
    from moto.dynamodb.models import DynamoDBBackend

    assert DynamoDBBackend.transact_write_items.__wrapped__ is patches._transact_write_items
    assert "copy.deepcopy(\n                    self.tables[table_name]" in inspect.getsource(patches._originals["transact"])


def test_concurrent_conditional_writes_let_exactly_one_thread_win(runtime):
    """Lambdas run in threads locally; moto checks a condition and then writes without a lock.
    Eight threads each try to take counter value 1 -> 2 (what numbering does): one may win."""
    import threading

    from botocore.exceptions import ClientError

    dynamodb, table = _transact_table(runtime)
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "COUNTER"}, "SK": {"S": "A"}, "n": {"N": "1"}})
    for round_ in range(5):
        start, wins, lock = threading.Barrier(8), [], threading.Lock()

        def take(worker: int, round_: int = round_) -> None:
            start.wait()
            try:
                dynamodb.transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": {"PK": {"S": "COUNTER"}, "SK": {"S": "A"}}, "UpdateExpression": "SET n = :next",
                                "ConditionExpression": "n = :current", "ExpressionAttributeValues": {":next": {"N": str(round_ + 2)}, ":current": {"N": str(round_ + 1)}}}},
                    {"Put": {"TableName": table, "Item": {"PK": {"S": "NUMBER"}, "SK": {"S": f"{round_}-{worker}"}}}},
                ])
            except ClientError:
                return
            with lock:
                wins.append(worker)

        threads = [threading.Thread(target=take, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1
    numbers = dynamodb.query(TableName=table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "NUMBER"}})["Items"]
    assert len(numbers) == 5


def test_a_task_token_is_answered_while_another_execution_is_still_being_started(runtime):
    """moto lists a new execution as RUNNING before its worker exists; a send_task_success from
    another thread in that gap used to fail with AttributeError (a group-purchase row was then
    never released). The hook point and the gap are checked here, then the answer itself."""
    import moto.stepfunctions.parser.models as sfn_parser_models

    source = inspect.getsource(sfn_parser_models.StepFunctionsParserBackend.send_task_success)
    assert "execution.exec_worker.env.callback_pool_manager.notify" in source
    assert sfn_parser_models.StepFunctionsParserBackend._get_executions is patches._started_executions

    sfn, sqs = runtime.client("stepfunctions"), runtime.client("sqs")
    queue = sqs.create_queue(QueueName=f"token-gap-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    definition = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 60,
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True}}}
    machine = sfn.create_state_machine(name=f"token-gap-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=runtime.role_arn)
    waiting = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    runtime.wait_until_settled(timeout=30)
    token = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])["token"]

    # An execution that exists but has not been started yet: what another thread sees in the gap.
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID][REGION]
    blank = sfn.create_state_machine(name=f"token-gap-blank-{uuid.uuid4().hex[:8]}", definition=json.dumps({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}), roleArn=runtime.role_arn)
    owner = next(sm for sm in backend.state_machines if sm.arn == blank["stateMachineArn"])
    execution_class = next(e for sm in backend.state_machines for e in sm.executions).__class__
    unstarted = execution_class.__new__(execution_class)
    unstarted.exec_worker, unstarted.exec_status = None, ExecutionStatus.RUNNING
    unstarted.execution_arn = blank["stateMachineArn"].replace(":stateMachine:", ":execution:") + ":unstarted"
    # ... and one whose worker exists but has not built its environment yet.
    starting = execution_class.__new__(execution_class)
    starting.exec_worker, starting.exec_status = type("Worker", (), {"env": None})(), ExecutionStatus.RUNNING
    starting.execution_arn = unstarted.execution_arn.replace(":unstarted", ":starting")
    owner.executions[:0] = [unstarted, starting]
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps({"answered": True}))
    finally:
        owner.executions.remove(unstarted)
        owner.executions.remove(starting)
    runtime.wait_until_settled(timeout=30)
    assert sfn.describe_execution(executionArn=waiting)["status"] == "SUCCEEDED"


def test_new_clients_read_proxies_while_a_function_sets_its_variables(runtime):
    """The engine makes a boto client per Lambda task, and botocore iterates os.environ for
    proxies; a function call adding/removing its variables at that moment raised KeyError in the
    engine (States.Runtime: a group-purchase row failed at random). Both now share one lock."""
    import threading

    import botocore.utils

    assert "return getproxies()" in inspect.getsource(botocore.utils.get_environ_proxies)
    assert "proxy_bypass(" in inspect.getsource(botocore.utils.should_bypass_proxies)
    assert botocore.utils.getproxies is patches._getproxies and botocore.utils.proxy_bypass is patches._proxy_bypass
    errors: list[BaseException] = []
    stop = threading.Event()

    def make_clients() -> None:
        while not stop.is_set():
            try:
                botocore.utils.get_environ_proxies("https://lambda.eu-west-1.amazonaws.com")
            except BaseException as exc:  # noqa: BLE001 - the failure this test is about
                errors.append(exc)
                return

    readers = [threading.Thread(target=make_clients) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(300):
            runtime.invoke("PingTasksFunction", {"action": "check"})  # sets and removes its variables
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert errors == []


def test_queries_on_the_table_and_its_indexes_find_what_a_full_scan_finds_after_every_kind_of_write(runtime):
    """Queries read a key index kept from the writes (moto walks the whole table per query):
    after puts, in-place updates that move an item between index partitions, deletes, batch
    writes and a rolled-back transaction, every query answers exactly what filtering all items does."""
    import random

    from botocore.exceptions import ClientError

    dynamodb, table = _transact_table(runtime)
    rng = random.Random(7)
    partitions = [f"IDX#{n}" for n in range(4)]

    def put(pk, sk):
        dynamodb.put_item(TableName=table, Item={"PK": {"S": pk}, "SK": {"S": sk}, "GSI1PK": {"S": rng.choice(partitions)}, "GSI1SK": {"S": sk}})

    def by_query(**where):
        pages = dynamodb.get_paginator("query").paginate(TableName=table, **where)
        return sorted((i["PK"]["S"], i["SK"]["S"]) for page in pages for i in page["Items"])

    def by_scan(attr, value):
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        return sorted((i["PK"]["S"], i["SK"]["S"]) for page in pages for i in page["Items"] if i.get(attr, {}).get("S") == value)

    def check():
        for partition in partitions:
            assert by_query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :p", ExpressionAttributeValues={":p": {"S": partition}}) == by_scan("GSI1PK", partition)
        for owner in ("Q#a", "Q#b"):
            assert by_query(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": owner}}) == by_scan("PK", owner)

    owners = {}
    for n in range(30):
        owners[f"S{n:02d}"] = rng.choice(["Q#a", "Q#b"])
        put(owners[f"S{n:02d}"], f"S{n:02d}")
    check()
    for n in range(0, 30, 3):  # in place: moves the item to another index partition
        dynamodb.update_item(TableName=table, Key={"PK": {"S": owners[f"S{n:02d}"]}, "SK": {"S": f"S{n:02d}"}}, UpdateExpression="SET GSI1PK = :p",
                             ConditionExpression="attribute_exists(PK)", ExpressionAttributeValues={":p": {"S": rng.choice(partitions)}})
    dynamodb.update_item(TableName=table, Key={"PK": {"S": owners["S05"]}, "SK": {"S": "S05"}}, UpdateExpression="REMOVE GSI1PK")  # out of the index
    dynamodb.update_item(TableName=table, Key={"PK": {"S": "Q#a"}, "SK": {"S": "NEW"}}, UpdateExpression="SET GSI1PK = :p, GSI1SK = :s",
                         ExpressionAttributeValues={":p": {"S": partitions[0]}, ":s": {"S": "NEW"}})
    check()
    for n in range(1, 30, 4):
        for owner in ("Q#a", "Q#b"):
            dynamodb.delete_item(TableName=table, Key={"PK": {"S": owner}, "SK": {"S": f"S{n:02d}"}})
    dynamodb.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"PK": {"S": "Q#b"}, "SK": {"S": "BATCH"}, "GSI1PK": {"S": partitions[1]}, "GSI1SK": {"S": "B"}}}},
        {"DeleteRequest": {"Key": {"PK": {"S": "Q#a"}, "SK": {"S": "NEW"}}}},
    ]})
    check()
    with pytest.raises(ClientError):  # the put is applied, then undone when the update fails
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"PK": {"S": "Q#a"}, "SK": {"S": "ROLLED"}, "GSI1PK": {"S": partitions[2]}, "GSI1SK": {"S": "R"}}}},
            {"Update": {"TableName": table, "Key": {"PK": {"S": "Q#a"}, "SK": {"S": "BAD"}}, "UpdateExpression": "SET s = :s + :one",
                        "ExpressionAttributeValues": {":s": {"S": "x"}, ":one": {"N": "1"}}}},
        ])
    check()
    assert ("Q#a", "ROLLED") not in by_scan("GSI1PK", partitions[2])


def test_queries_do_not_walk_the_whole_table(runtime):
    dynamodb, table = _transact_table(runtime)
    for n in range(50):
        dynamodb.put_item(TableName=table, Item={"PK": {"S": f"W#{n}"}, "SK": {"S": "A"}, "GSI1PK": {"S": f"WI#{n % 5}"}, "GSI1SK": {"S": str(n)}})
    dynamodb.query(TableName=table, IndexName="GSI1", KeyConditionExpression="GSI1PK = :p", ExpressionAttributeValues={":p": {"S": "WI#0"}})  # builds the key index once
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "W#50"}, "SK": {"S": "A"}, "GSI1PK": {"S": "WI#3"}, "GSI1SK": {"S": "50"}})
    walked = []
    original = patches._originals["all_items"]
    patches._originals["all_items"] = lambda self: walked.append(self) or original(self)
    try:
        dynamodb.query(TableName=table, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "W#3"}})
        found = dynamodb.query(TableName=table, IndexName="GSI1", KeyConditionExpression="GSI1PK = :p", ExpressionAttributeValues={":p": {"S": "WI#3"}})["Items"]
    finally:
        patches._originals["all_items"] = original
    assert walked == []
    assert sorted(int(item["GSI1SK"]["S"]) for item in found) == [3, 8, 13, 18, 23, 28, 33, 38, 43, 48, 50]


def test_a_definition_is_parsed_once_for_all_its_executions_and_each_keeps_its_own_data(runtime):
    """moto parses the definition for every execution it starts (ANTLR, 0.1-0.3 s for ours);
    the runtime keeps one parsed program per definition. Executions running it side by side
    still each get their own input and result."""
    import moto.stepfunctions.parser.backend.execution_worker as execution_worker

    assert execution_worker.ExecutionWorker._get_evaluation_entrypoint is patches._evaluation_entrypoint
    sfn = runtime.client("stepfunctions")
    definition = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {"seen.$": "$.n"}, "End": True}}}
    machine = sfn.create_state_machine(name=f"parse-once-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=runtime.role_arn)["stateMachineArn"]
    parses = []
    original = patches._originals["entrypoint"]
    patches._originals["entrypoint"] = lambda worker: parses.append(1) or original(worker)
    try:
        arns = [sfn.start_execution(stateMachineArn=machine, name=f"n{n}", input=json.dumps({"n": n}))["executionArn"] for n in range(6)]
        runtime.wait_until_settled()
    finally:
        patches._originals["entrypoint"] = original
    outputs = [json.loads(sfn.describe_execution(executionArn=arn)["output"]) for arn in arns]
    assert outputs == [{"seen": n} for n in range(6)]
    assert len(parses) == 1


def _express_map(child: dict) -> dict:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "Child", "States": {"Child": child}},
                "End": True,
            }
        },
    }


def test_a_map_with_express_children_runs_them_locally(runtime):
    """moto's grammar knows only STANDARD children; the billing run's Express children must still run."""
    sfn = runtime.client("stepfunctions")
    definition = _express_map({"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True})
    machine = sfn.create_state_machine(name=f"express-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=runtime.role_arn)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": [{"n": n} for n in range(4)]}))["executionArn"]
    runtime.wait_until_settled()
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"doubled": 2 * n} for n in range(4)]
    # What was deployed is what the template says: the rewrite is only the engine's view.
    assert '"EXPRESS"' in sfn.describe_state_machine(stateMachineArn=machine)["definition"]


def test_an_express_child_that_waits_for_a_callback_is_refused_as_aws_would(runtime):
    sfn = runtime.client("stepfunctions")
    definition = _express_map({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True})
    # (moto's parser backend raises it without an error code, so the class is the generic one)
    with pytest.raises(botocore.exceptions.ClientError, match="state Child: an Express child workflow cannot run .*waitForTaskToken"):
        sfn.create_state_machine(name=f"express-wait-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=runtime.role_arn)
