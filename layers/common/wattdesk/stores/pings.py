"""Ping records: the spine's own workflow, kept to prove the plumbing end to end."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from wattdesk.stores.base import WattDeskItem


class PingNotFound(LookupError):
    pass


class PingNotAwaiting(RuntimeError):
    """The Ping is not waiting for an acknowledgement (already acknowledged, failed or too early)."""


class PingRecord(WattDeskItem):
    status = UnicodeAttribute()
    message = UnicodeAttribute(default="")
    email = UnicodeAttribute()
    language = UnicodeAttribute(default="en")
    fail_times = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    task_token = UnicodeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    failure_error = UnicodeAttribute(null=True)
    failure_cause = UnicodeAttribute(null=True)

    @staticmethod
    def key(ping_id: str) -> tuple[str, str]:
        return f"PING#{ping_id}", "PING"

    @property
    def ping_id(self) -> str:
        return self.PK.removeprefix("PING#")


def create_ping(ping_id: str, *, message: str, email: str, language: str, fail_times: int, at: datetime) -> PingRecord:
    """Creates the Ping once; a retried request with the same id returns the stored one."""
    pk, sk = PingRecord.key(ping_id)
    record = PingRecord(
        pk,
        sk,
        status="RECEIVED",
        message=message,
        email=email,
        language=language,
        fail_times=fail_times,
        created_at=at.isoformat(),
        updated_at=at.isoformat(),
        GSI1PK="PINGS",
        GSI1SK=at.isoformat(),
    )
    try:
        record.save(condition=PingRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return get_ping(ping_id)
    return record


def get_ping(ping_id: str) -> PingRecord:
    try:
        return PingRecord.get(*PingRecord.key(ping_id), consistent_read=True)
    except DoesNotExist as exc:
        raise PingNotFound(ping_id) from exc


def record_attempt(ping_id: str, at: datetime) -> PingRecord:
    record = get_ping(ping_id)
    record.update(actions=[PingRecord.attempts.add(1), PingRecord.status.set("CHECKING"), PingRecord.updated_at.set(at.isoformat())])
    return record


def park_task_token(ping_id: str, task_token: str, at: datetime) -> None:
    record = get_ping(ping_id)
    record.update(
        actions=[
            PingRecord.task_token.set(task_token),
            PingRecord.status.set("AWAITING_ACK"),
            PingRecord.updated_at.set(at.isoformat()),
        ]
    )


def take_task_token(ping_id: str, operator: str, at: datetime) -> str:
    """Claims the parked token exactly once (conditional write), so a double click resumes once."""
    record = get_ping(ping_id)
    token = record.task_token
    try:
        record.update(
            actions=[
                PingRecord.task_token.remove(),
                PingRecord.status.set("ACKNOWLEDGED"),
                PingRecord.acknowledged_by.set(operator),
                PingRecord.updated_at.set(at.isoformat()),
            ],
            condition=(PingRecord.status == "AWAITING_ACK") & PingRecord.task_token.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise PingNotAwaiting(ping_id) from exc
        raise
    assert token is not None
    return token


def mark_done(ping_id: str, at: datetime) -> None:
    get_ping(ping_id).update(actions=[PingRecord.status.set("DONE"), PingRecord.updated_at.set(at.isoformat())])
