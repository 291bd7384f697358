"""Daily refund sweeps (Europe/Brussels): hand-overs of other workflows become refunds, IBAN
requests are reminded (10 working days) and escalated to ops (30), and the approved refunds are
paid out in the day's one pain.001 file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import refunds as service


class RefundSweep(BaseModel):
    task: Literal["take_handovers", "follow_ibans", "payout"]
    as_of: str = Field(min_length=10, description="The scheduled time; its date in Brussels is the sweep's day.")


class Sweep(BaseModel):
    task: Annotated[RefundSweep, Field(discriminator="task")]


SWEEPS = {"take_handovers": service.take_handovers, "follow_ibans": service.follow_ibans, "payout": service.payout_sweep}


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Sweep, "a refund sweep")
    as_of = clock.parse_instant(sweep.as_of).astimezone(clock.BRUSSELS).date()
    result = SWEEPS[sweep.task](as_of)
    logger().info("refund sweep", extra={"task": sweep.task, "as_of": as_of.isoformat()})
    return {"task": sweep.task, "as_of": as_of.isoformat(), "result": result}
