"""Task steps of the Dunning state machine (the daily run); errors are raised by name for Retry/Catch."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import dunning

Id = Annotated[str, Field(min_length=1, max_length=80)]


class Prepare(BaseModel):
    action: Literal["prepare_run"]
    as_of: str = Field(min_length=10, description="The scheduled time (or noon of the date ops chose); the as-of date is its date in Brussels.")
    run_id: Id


class Chase(BaseModel):
    action: Literal["chase_customer"]
    run_id: Id
    as_of_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    customer: dict[str, str]


class ItemFailure(BaseModel):
    action: Literal["record_item_failure"]
    run_id: Id
    customer: dict[str, str]
    error: str


class Finish(BaseModel):
    action: Literal["finish_run"]
    run_id: Id


class Task(BaseModel):
    task: Annotated[Prepare | Chase | ItemFailure | Finish, Field(discriminator="action")]


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "a Dunning task")
    logger().info("dunning task", extra={"action": task.action})
    match task.action:
        case "prepare_run":
            return dunning.prepare_run(dunning.as_of_date(task.as_of), task.run_id)
        case "chase_customer":
            return dunning.process_customer(task.run_id, task.customer["customer_id"], date.fromisoformat(task.as_of_date))
        case "record_item_failure":
            dunning.record_item_failure(task.run_id, task.customer["customer_id"], task.error)
            return {"recorded": True}
        case "finish_run":
            return dunning.finish_run(task.run_id)
