"""Task steps of the Ping state machine. Errors are raised by name for the definition's Retry/Catch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.adapters.mail import Mail, send_mail
from wattdesk.errors import TransientError, parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.stores import pings


class PingTransientError(TransientError):
    """The check is told to fail a number of times first; the definition retries it."""


class CheckTask(BaseModel):
    action: Literal["check"]
    ping_id: str = Field(min_length=1)


class ParkTask(BaseModel):
    action: Literal["park"]
    ping_id: str = Field(min_length=1)
    task_token: str = Field(min_length=1)


class NotifyTask(BaseModel):
    action: Literal["notify"]
    ping_id: str = Field(min_length=1)
    acknowledged_by: str = Field(min_length=1)


class PingTask(BaseModel):
    task: Annotated[CheckTask | ParkTask | NotifyTask, Field(discriminator="action")]


SUBJECTS = {
    "nl": "Uw ping {ping_id} is bevestigd",
    "fr": "Votre ping {ping_id} est confirmé",
    "de": "Ihr Ping {ping_id} wurde bestätigt",
    "en": "Your ping {ping_id} was acknowledged",
}
BODIES = {
    "nl": "Goeiedag,\n\nPing {ping_id} werd bevestigd door {operator}.\n\nWattDesk",
    "fr": "Bonjour,\n\nLe ping {ping_id} a été confirmé par {operator}.\n\nWattDesk",
    "de": "Guten Tag,\n\nPing {ping_id} wurde von {operator} bestätigt.\n\nWattDesk",
    "en": "Hello,\n\nPing {ping_id} was acknowledged by {operator}.\n\nWattDesk",
}


def check(task: CheckTask) -> dict:
    record = pings.record_attempt(task.ping_id, clock.now())
    if record.attempts <= record.fail_times:
        raise PingTransientError(f"attempt {record.attempts} of ping {task.ping_id} failed on purpose")
    return {"attempts": record.attempts}


def park(task: ParkTask) -> dict:
    pings.park_task_token(task.ping_id, task.task_token, clock.now())
    return {"parked": True}


def notify(task: NotifyTask) -> dict:
    record = pings.get_ping(task.ping_id)
    fields = {"ping_id": task.ping_id, "operator": task.acknowledged_by}
    message_id = send_mail(
        Mail(
            to=record.email,
            subject=SUBJECTS[record.language].format(**fields),
            text=BODIES[record.language].format(**fields),
            language=record.language,
        )
    )
    pings.mark_done(task.ping_id, clock.now())
    return {"message_id": message_id}


ACTIONS = {"check": check, "park": park, "notify": notify}


@lambda_handler
def handler(event, context):
    task = parse_task(event, PingTask, "a Ping task")
    logger().info("ping task", extra={"action": task.action, "ping_id": task.ping_id})
    return ACTIONS[task.action](task)
