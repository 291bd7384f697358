"""Task steps of the Enrollment state machine; errors are raised by name for Retry/Catch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import enrollment as service

Id = Annotated[str, Field(min_length=1, max_length=64)]


class Received(BaseModel):
    action: Literal["send_received_mail"]
    enrollment_id: Id
    status_url: str


class Validate(BaseModel):
    action: Literal["validate"]
    enrollment_id: Id


class Park(BaseModel):
    action: Literal["park_for_operator", "request_dso"]
    enrollment_id: Id
    task_token: str = Field(min_length=1)


class DsoRejection(BaseModel):
    action: Literal["record_dso_rejection"]
    enrollment_id: Id
    reason: str
    message: str | None = None


class CreateContract(BaseModel):
    action: Literal["create_contract"]
    enrollment_id: Id
    eav_kwh: dict[str, int]


class Simple(BaseModel):
    action: Literal["render_contract", "mark_cancelled"]
    enrollment_id: Id


class Confirm(BaseModel):
    action: Literal["confirm"]
    enrollment_id: Id
    status_url: str


class Reject(BaseModel):
    action: Literal["reject"]
    enrollment_id: Id
    reason: str | None = None


class Failure(BaseModel):
    action: Literal["record_failure"]
    enrollment_id: Id
    error: str
    cause: str = ""


class Task(BaseModel):
    task: Annotated[Received | Validate | Park | DsoRejection | CreateContract | Simple | Confirm | Reject | Failure, Field(discriminator="action")]


def run(task) -> dict:
    match task.action:
        case "send_received_mail":
            service.send_received_mail(task.enrollment_id, task.status_url)
        case "validate":
            return service.validate(task.enrollment_id)
        case "park_for_operator":
            service.park_for_operator(task.enrollment_id, task.task_token)
        case "request_dso":
            service.request_dso(task.enrollment_id, task.task_token)
        case "record_dso_rejection":
            service.record_dso_rejection(task.enrollment_id, task.reason, task.message)
        case "create_contract":
            return service.create_contract(task.enrollment_id, task.eav_kwh)
        case "render_contract":
            return service.render_contract(task.enrollment_id)
        case "confirm":
            service.confirm(task.enrollment_id, task.status_url)
        case "reject":
            service.reject(task.enrollment_id, task.reason)
        case "mark_cancelled":
            service.mark_cancelled(task.enrollment_id)
        case "record_failure":
            service.record_failure(task.enrollment_id, task.error, task.cause)
    return {"done": task.action}


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "an Enrollment task")
    logger().info("enrollment task", extra={"action": task.action, "enrollment_id": task.enrollment_id})
    return run(task)
