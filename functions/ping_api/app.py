"""Ping API: start a Ping, read it, and let an operator acknowledge it (resumes the task token)."""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.adapters.aws import client
from wattdesk.api import Conflict, NotFound, make_resolver, require_group
from wattdesk.observability import lambda_handler, logger
from wattdesk.settings import get_settings
from wattdesk.stores import pings


class StartPing(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, description="Where the result mail goes.")
    language: Literal["nl", "fr", "de", "en"] = "en"
    message: str = Field(default="", max_length=500)
    fail_times: int = Field(default=0, ge=0, le=10, description="Attempts that fail transiently before the check passes.")


def _view(record: pings.PingRecord) -> dict:
    return {
        "ping_id": record.ping_id,
        "status": record.status,
        "attempts": record.attempts,
        "acknowledged_by": record.acknowledged_by,
        "failure_error": record.failure_error,
        "created_at": record.created_at,
    }


@cache
def _app():
    app = make_resolver()

    @app.post("/pings")
    def start_ping(request: StartPing):
        # A client retry with the same Idempotency-Key maps to the same Ping and execution.
        key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
        ping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ping:{key}")) if key else str(uuid.uuid4())
        record = pings.create_ping(
            ping_id, message=request.message, email=request.email, language=request.language, fail_times=request.fail_times, at=clock.now()
        )
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(stateMachineArn=get_settings().ping_state_machine_arn, name=f"ping-{ping_id}", input=json.dumps({"source": "api", "ping_id": ping_id}))
        except sfn.exceptions.ExecutionAlreadyExists:
            pass
        logger().info("ping started", extra={"ping_id": ping_id})
        return {"ping_id": ping_id, "status": record.status, "status_url": f"/pings/{ping_id}"}, 202

    @app.get("/pings/<ping_id>")
    def read_ping(ping_id: Annotated[str, Path(max_length=64)]):
        try:
            return _view(pings.get_ping(ping_id))
        except pings.PingNotFound as exc:
            raise NotFound("This ping") from exc

    @app.post("/ops/pings/<ping_id>/acknowledge")
    def acknowledge(ping_id: Annotated[str, Path(max_length=64)]):
        operator = require_group(app, "operators")
        now = clock.now()
        try:
            token = pings.take_task_token(ping_id, operator.username, now)
        except pings.PingNotFound as exc:
            raise NotFound("This ping") from exc
        except pings.PingNotAwaiting as exc:
            raise Conflict("ping.not_awaiting", "This ping is not waiting for an acknowledgement.") from exc
        client("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps({"acknowledged_by": operator.username, "acknowledged_at": now.isoformat()})
        )
        logger().info("ping acknowledged", extra={"ping_id": ping_id})
        return {"ping_id": ping_id, "status": "ACKNOWLEDGED"}

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
