"""Complaint sweeps on the Scheduler's as-of time: the daily first-response SLA check, the
monthly report stored in S3, and the daily retention clean-up (docs/complaints.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import complaints as service


class SlaSweep(BaseModel):
    task: Literal["sla"]
    as_of: str


class MonthlyReport(BaseModel):
    task: Literal["monthly_report"]
    as_of: str


class Retention(BaseModel):
    task: Literal["retention"]
    as_of: str


class Sweep(BaseModel):
    task: Annotated[SlaSweep | MonthlyReport | Retention, Field(discriminator="task")]


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Sweep, "a complaints sweep")
    instant = clock.parse_instant(sweep.as_of)
    as_of = instant.astimezone(clock.BRUSSELS).date()
    if sweep.task == "sla":
        result = service.sla_sweep(as_of)
    elif sweep.task == "monthly_report":
        result = service.store_monthly_report(as_of)
    else:
        result = service.retention_sweep(instant)
    logger().info("complaints sweep", extra={"task": sweep.task, "as_of": sweep.as_of, **{k: v for k, v in result.items() if isinstance(v, (int, str))}})
    return result
