"""A throttled or briefly failing AWS call, once the SDK's retries are used up, is a named
TransientError for the state machines (their Retry applies) and a 503 for API callers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError

from wattdesk.errors import TransientError, transient_code
from wattdesk.observability import lambda_handler

pytestmark = pytest.mark.unit


def aws_error(code: str, operation: str = "PutItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "from the test"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


CONTEXT = SimpleNamespace(function_name="wattdesk-TestFunction", memory_limit_in_mb=128, invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:test", aws_request_id="req-1")


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"])
def test_throttling_behind_a_pynamodb_error_is_transient(code):
    assert transient_code(PutError("Failed to put item", aws_error(code))) == code


def test_a_failed_condition_or_a_bug_is_not_transient():
    assert transient_code(UpdateError("Failed to update item", aws_error("ConditionalCheckFailedException", "UpdateItem"))) is None
    assert transient_code(KeyError("TABLE_NAME")) is None


def test_a_task_handler_that_was_throttled_raises_the_named_error_the_definitions_retry():
    @lambda_handler
    def handler(event, context):
        raise PutError("Failed to put item", aws_error("ProvisionedThroughputExceededException"))

    with pytest.raises(TransientError) as raised:
        handler({}, CONTEXT)
    assert "ProvisionedThroughputExceededException" in str(raised.value)
    assert isinstance(raised.value.__cause__, PutError)


def test_other_errors_of_a_task_handler_keep_their_own_name():
    @lambda_handler
    def handler(event, context):
        raise UpdateError("Failed to update item", aws_error("ConditionalCheckFailedException", "UpdateItem"))

    with pytest.raises(UpdateError):
        handler({}, CONTEXT)


def test_an_api_route_that_was_throttled_answers_503_with_retry_after():
    from wattdesk.api import make_resolver

    app = make_resolver()

    @app.get("/busy")
    def busy():
        raise PutError("Failed to put item", aws_error("ThrottlingException"))

    event = {"httpMethod": "GET", "path": "/busy", "resource": "/busy", "headers": {}, "requestContext": {"httpMethod": "GET", "path": "/busy", "resourcePath": "/busy", "stage": "api"}, "body": None, "isBase64Encoded": False}
    response = app.resolve(event, CONTEXT)
    assert response["statusCode"] == 503
    assert (response.get("headers") or {}).get("Retry-After") == "2" or (response.get("multiValueHeaders") or {}).get("Retry-After") == ["2"]
    assert '"code":"busy"' in response["body"].replace(" ", "")
