"""The local runtime's fault switch (issue 12): what it injects, where, and that it is repeatable."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from wattdesk_local import faults

TABLE = "wattdesk-WattDeskTable"


def put(runtime, n: int) -> None:
    runtime.client("dynamodb").put_item(TableName=TABLE, Item={"PK": {"S": f"FAULT#{n}"}, "SK": {"S": "X"}})


def outcomes(runtime, calls: int, seed: int) -> list[str]:
    runtime.faults.clear()
    runtime.faults.inject(service="dynamodb", operation="PutItem", rate=0.3, seed=seed)
    found = []
    with faults.handler_scope("SomeFunction"):
        for n in range(calls):
            try:
                put(runtime, n)
                found.append("ok")
            except ClientError as exc:
                found.append(exc.response["Error"]["Code"])
    return found


def test_faults_hit_handler_code_only_with_the_code_botocore_calls_throttling(runtime):
    runtime.reset()
    runtime.faults.inject(service="dynamodb", operation="PutItem", rate=1.0)
    put(runtime, 1)  # the test's own setup call is never touched
    with faults.handler_scope("SomeFunction"), pytest.raises(ClientError) as raised:
        put(runtime, 2)
    dynamodb = runtime.client("dynamodb")
    assert isinstance(raised.value, dynamodb.exceptions.ProvisionedThroughputExceededException)
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    from botocore.retries import standard

    # The codes botocore's standard retry mode itself calls throttling / transient.
    assert "ProvisionedThroughputExceededException" in standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert "Throttling" in standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert faults.DEFAULT_ERRORS["s3"][1] in standard.TransientRetryableChecker._TRANSIENT_STATUS_CODES  # S3 InternalError is a 500
    assert runtime.faults.summary() == {"SomeFunction dynamodb.PutItem -> ProvisionedThroughputExceededException": 1}


def test_the_same_seed_injects_the_same_faults_and_the_rate_holds(runtime):
    runtime.reset()
    first, second, other = outcomes(runtime, 200, seed=7), outcomes(runtime, 200, seed=7), outcomes(runtime, 200, seed=8)
    assert first == second and first != other
    assert 40 <= first.count("ProvisionedThroughputExceededException") <= 80  # 30 % of 200, give or take


def test_a_reset_clears_the_faults(runtime):
    runtime.faults.inject(service="s3", rate=1.0)
    runtime.reset()
    assert runtime.faults.rules == []
