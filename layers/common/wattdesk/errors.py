"""Named errors that state machine definitions retry or catch by name.

Step Functions sees the exception's class name as the error name, so these names are part of
the contract with the ASL files: renaming one is a change to the definitions too.
"""

from aws_lambda_powertools.utilities.parser import ValidationError, parse


class WattDeskTaskError(Exception):
    """Base of the errors raised by state machine task handlers."""


class MalformedEvent(WattDeskTaskError):
    """The task's input does not have the shape the handler expects (a bug upstream; not retried)."""


class TransientError(WattDeskTaskError):
    """Worth retrying: a dependency was briefly unavailable."""


class MailThrottled(TransientError):
    """SES refused for rate reasons; the definition retries with backoff."""


# Error codes of AWS services that mean "busy or briefly broken, try again" once the SDK's own
# retries are used up (DynamoDB throttling reaches us as a pynamodb error with this cause code).
TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
    "TooManyRequestsException", "InternalServerError", "InternalError", "InternalFailure", "ServiceUnavailable", "SlowDown",
})


def transient_code(exc: BaseException) -> str | None:
    """The transient AWS error code behind `exc` (following its causes), or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "cause_response_code", None)  # pynamodb
        response = getattr(current, "response", None)  # botocore ClientError
        if code is None and isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
        if code in TRANSIENT_CODES:
            return code
        current = current.__cause__ or current.__context__
    return None


def parse_task(event: object, model: type, what: str):
    """A state machine task's input as `model` (a pydantic model with one field, `task`, that
    holds a discriminated union), or MalformedEvent naming `what` was expected."""
    try:
        return parse(event={"task": event}, model=model).task
    except (ValidationError, TypeError) as exc:
        raise MalformedEvent(f"not {what}: {exc}") from exc
