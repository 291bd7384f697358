"""Task steps of the Refund state machine (one execution per refund, named by the refund id);
errors are raised by name for Retry/Catch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import TransientError, parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import refunds as service
from wattdesk.stores import ledger

RefundId = Annotated[str, Field(pattern=r"^RF[0-9A-F]{16}$")]


class Step(BaseModel):
    action: Literal["plan", "mail_sent", "finish"]
    refund_id: RefundId


class Park(BaseModel):
    action: Literal["park"]
    refund_id: RefundId
    step: Literal["IBAN", "APPROVAL", "PAYOUT", "BANK"]
    task_token: str = Field(min_length=1)


class Failure(BaseModel):
    action: Literal["record_failure"]
    refund_id: RefundId
    error: str = "unknown"
    cause: str = ""


class Task(BaseModel):
    task: Annotated[Step | Park | Failure, Field(discriminator="action")]


def run(task) -> dict:
    match task.action:
        case "plan":
            return service.plan(task.refund_id)
        case "park":
            return service.park(task.refund_id, task.step, task.task_token)
        case "mail_sent":
            return service.mail_sent(task.refund_id)
        case "finish":
            return service.finish(task.refund_id)
        case "record_failure":
            return service.record_failure(task.refund_id, task.error, task.cause)
    return {"done": task.action}


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "a Refund task")
    logger().info("refund task", extra={"action": task.action, "refund_id": task.refund_id})
    try:
        return run(task)
    except RuntimeError as exc:  # an account that kept changing: worth another try later
        raise TransientError(str(exc)) from exc
    except ledger.AccountChanged as exc:
        raise TransientError(f"account changed: {exc}") from exc
