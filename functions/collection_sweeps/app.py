"""Daily collection sweep: direct debits (settle what was collected, apply account credit,
pre-notify due invoices, write the day's pain.008 file for the bank)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import collection as service


class DirectDebitSweep(BaseModel):
    task: Literal["direct_debit"]
    as_of: str = Field(min_length=10, description="The scheduled time; its date in Brussels is the sweep's day.")


class Sweep(BaseModel):
    task: Annotated[DirectDebitSweep, Field(discriminator="task")]


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Sweep, "a collection sweep")
    as_of = clock.parse_instant(sweep.as_of).astimezone(clock.BRUSSELS).date()
    result = service.direct_debit_sweep(as_of)
    logger().info("collection sweep", extra={"task": sweep.task, **result})
    return result
