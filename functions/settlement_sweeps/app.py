"""Daily settlement sweep: starts the Settlement state machine for the contracts whose settlement
date has come (explicit as-of date: the scheduled time, as a date in Brussels)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import settlement


class Sweep(BaseModel):
    task: Literal["settlement_sweep"]
    as_of: str = Field(min_length=10)


class Event(BaseModel):
    task: Sweep


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Event, "a settlement sweep")
    as_of = clock.parse_instant(sweep.as_of).astimezone(clock.BRUSSELS).date()
    result = settlement.sweep(as_of)
    logger().info("settlement sweep", extra={"started": len(result["started"]), "waiting": len(result["waiting"])})
    return result
