"""Task steps of the BillingRun state machine; errors are raised by name for Retry/Catch."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import billing

Id = Annotated[str, Field(min_length=1, max_length=80)]


class Prepare(BaseModel):
    action: Literal["prepare_run"]
    as_of: str = Field(min_length=10, description="The scheduled time; the billing date is its date in Brussels.")
    run_id: Id  # the execution's name: one run record per execution
    execution_input: dict = Field(default_factory=dict)  # carries redrive_of for a re-drive of failed items


class Issue(BaseModel):
    action: Literal["issue_advance"]
    run_id: Id
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    billing_date: date
    contract: dict[str, str]


class Send(BaseModel):
    action: Literal["send_invoice"]
    customer_id: Id
    number: str = Field(pattern=r"^\d{4}-[A-Z]-\d{6}$")


class ItemFailure(BaseModel):
    action: Literal["record_item_failure"]
    run_id: Id
    contract: dict[str, str]
    error: str
    cause: str | None = None


class Finish(BaseModel):
    action: Literal["finish_run"]
    run_id: Id


class Task(BaseModel):
    task: Annotated[Prepare | Issue | Send | ItemFailure | Finish, Field(discriminator="action")]


@lambda_handler
def handler(event, context):
    task = parse_task(event, Task, "a BillingRun task")
    logger().info("billing task", extra={"action": task.action})
    match task.action:
        case "prepare_run":
            return billing.prepare_run(billing.billing_date_of(task.as_of), task.run_id, redrive_of=task.execution_input.get("redrive_of"))
        case "issue_advance":
            return billing.issue_advance(task.run_id, task.period, task.billing_date, task.contract["contract_id"], task.contract["customer_id"])
        case "send_invoice":
            return billing.send_invoice(task.customer_id, task.number)
        case "record_item_failure":
            billing.record_item_failure(task.run_id, task.contract["contract_id"], task.contract["customer_id"], task.error, task.cause)
            return {"recorded": True}
        case "finish_run":
            return billing.finish_run(task.run_id)
