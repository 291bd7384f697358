"""Task steps of the Settlement state machine; errors are raised by name for Retry/Catch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import settlement

Id = Annotated[str, Field(min_length=1, max_length=64)]


class Step(BaseModel):
    action: Literal["issue", "send", "hand_over"]
    contract_id: Id
    customer_id: Id
    kind: Literal["annual", "final"]
    settlement_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class Failure(BaseModel):
    action: Literal["record_failure"]
    contract_id: Id
    kind: Literal["annual", "final"]
    settlement_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    error: str
    cause: str | None = None


class Task(BaseModel):
    task: Annotated[Step | Failure, Field(discriminator="action")]


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "a Settlement task")
    logger().info("settlement task", extra={"action": task.action, "kind": task.kind})
    if task.action == "record_failure":
        return settlement.record_failure(task.contract_id, task.kind, task.settlement_date, task.error, task.cause)
    step = {"issue": settlement.issue, "send": settlement.send, "hand_over": settlement.hand_over}[task.action]
    return step(task.contract_id, task.customer_id, task.kind, task.settlement_date)
