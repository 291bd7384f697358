"""Daily payment-plan sweeps: follow accepted plans (kept, reminded, broken, completed) and escalate
plan requests no advisor answered within 5 working days."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import payment_plans


class FollowPlans(BaseModel):
    task: Literal["follow_plans"]
    as_of: str = Field(min_length=10)


class EscalateRequests(BaseModel):
    task: Literal["escalate_plan_requests"]
    as_of: str = Field(min_length=10)


class Sweep(BaseModel):
    task: Annotated[FollowPlans | EscalateRequests, Field(discriminator="task")]


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Sweep, "a payment plan sweep")
    as_of = clock.parse_instant(sweep.as_of).astimezone(clock.BRUSSELS).date()
    result = payment_plans.follow_plans(as_of) if sweep.task == "follow_plans" else payment_plans.escalate_requests(as_of)
    logger().info("payment plan sweep", extra={"task": sweep.task, **{key: len(value) for key, value in result.items()}})
    return result
