"""Daily enrollment sweeps: the grid operator's answers, and escalation of untouched blocked ones."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import enrollment as service


class DsoAnswers(BaseModel):
    task: Literal["dso_answers"]
    as_of: str | None = None
    # Explicit answers (local runtime: POST /_local/dso/answers): {"ean", "outcome", "eav_kwh", "reason", "message"}
    answers: list[dict[str, Any]] | None = None


class Escalation(BaseModel):
    task: Literal["escalate_blocked"]
    as_of: str


class Sweep(BaseModel):
    task: Annotated[DsoAnswers | Escalation, Field(discriminator="task")]


@lambda_handler
def handler(event, context):
    sweep = parse_task(event, Sweep, "an enrollment sweep")
    if sweep.task == "dso_answers":
        explicit = {answer["ean"]: answer for answer in sweep.answers} if sweep.answers is not None else None
        result = service.answer_dso_requests(explicit)
    else:
        as_of = clock.parse_instant(sweep.as_of).astimezone(clock.BRUSSELS).date()
        result = service.escalate_waiting(as_of)
    logger().info("enrollment sweep", extra={"task": sweep.task, **result})
    return result
