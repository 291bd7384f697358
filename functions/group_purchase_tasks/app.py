"""Task steps of the GroupPurchaseImport state machine; errors are raised by name for Retry/Catch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import group_purchases as service

Id = Annotated[str, Field(min_length=1, max_length=80)]


class CheckFile(BaseModel):
    action: Literal["check_file"]
    import_id: Id
    rerun: bool = False


class SubmitRow(BaseModel):
    action: Literal["submit_row"]
    import_id: Id
    row: int = Field(ge=1)
    offset: int = Field(ge=0)
    length: int = Field(ge=1, le=1_000_000)


class RowFailure(BaseModel):
    action: Literal["record_row_failure"]
    import_id: Id
    row: int = Field(ge=1)
    error: str = Field(max_length=200)


class AwaitRow(BaseModel):
    action: Literal["await_row"]
    import_id: Id
    row: int = Field(ge=1)
    task_token: str = Field(min_length=1)


class AwaitRows(BaseModel):
    action: Literal["await_rows"]
    import_id: Id
    task_token: str = Field(min_length=1)


class Finish(BaseModel):
    action: Literal["finish"]
    import_id: Id
    run_name: Id
    timed_out: bool = False


class Simple(BaseModel):
    action: Literal["refuse"]
    import_id: Id


class ImportFailure(BaseModel):
    action: Literal["record_import_failure"]
    import_id: Id
    error: str = Field(max_length=200)


class Task(BaseModel):
    task: Annotated[CheckFile | SubmitRow | RowFailure | AwaitRow | AwaitRows | Finish | Simple | ImportFailure, Field(discriminator="action")]


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "a GroupPurchaseImport task")
    logger().info("group purchase task", extra={"action": task.action, "import_id": task.import_id})
    match task.action:
        case "check_file":
            return service.check_file(task.import_id, task.rerun)
        case "submit_row":
            return service.submit_row(task.import_id, task.row, task.offset, task.length)
        case "record_row_failure":
            service.record_row_failure(task.import_id, task.row, task.error)
        case "await_row":
            service.await_row(task.import_id, task.row, task.task_token)
        case "await_rows":
            service.await_rows(task.import_id, task.task_token)
        case "finish":
            return service.finish(task.import_id, task.run_name, task.timed_out)
        case "refuse":
            return service.refuse(task.import_id)
        case "record_import_failure":
            service.record_import_failure(task.import_id, task.error)
    return {"done": task.action}
