"""Readings API: customers send and read their meter readings; operators enter readings with a
reason and decide on implausible ones (GET /ops/readings?status=IMPLAUSIBLE)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from wattdesk.api import NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import readings
from wattdesk.stores import readings as store

Ean = Annotated[str, Path(min_length=18, max_length=24)]


class Register(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_name: str = Field(alias="register", max_length=20)
    value_kwh: str = Field(max_length=12)


class Photo(BaseModel):
    content_type: str = Field(max_length=40)
    data_base64: str = Field(max_length=7_000_000)


class ReadingBody(BaseModel):
    reading_date: str | None = Field(default=None, max_length=10)
    source: str | None = Field(default=None, max_length=20, description="Ignored: the source is who sends it.")
    registers: list[Register] = Field(min_length=1, max_length=4)
    photo: Photo | None = None


class OperatorReading(ReadingBody):
    customer_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class Decision(BaseModel):
    decision: str = Field(pattern="^(accept|reject)$")
    reason: str = Field(min_length=1, max_length=500)


def _body(body: ReadingBody) -> dict:
    return body.model_dump(exclude={"customer_id", "reason", "source"}, by_alias=True)


@cache
def _app():
    app = make_resolver()

    @app.post("/me/delivery-points/<ean>/readings")
    def submit(ean: Ean, body: ReadingBody):
        who = principal(app)
        try:
            return readings.submit_customer(who.customer_id or "-", ean, _body(body), actor=who.username), 201
        except readings.ContractNotFound as exc:
            raise NotFound("This delivery point") from exc

    @app.get("/me/delivery-points/<ean>/readings")
    def history(ean: Ean):
        who = principal(app)
        try:
            return readings.history(who.customer_id or "-", ean)
        except readings.ContractNotFound as exc:
            raise NotFound("This delivery point") from exc

    @app.post("/ops/delivery-points/<ean>/readings")
    def submit_by_operator(ean: Ean, body: OperatorReading):
        operator = require_group(app, "operators")
        try:
            return readings.submit_customer(body.customer_id, ean, _body(body), actor=operator.username, operator_reason=body.reason), 201
        except readings.ContractNotFound as exc:
            raise NotFound("This delivery point") from exc

    @app.get("/ops/readings")
    def queue(status: Annotated[str, Query(max_length=20)] = "IMPLAUSIBLE"):
        require_group(app, "operators")
        return readings.queue(status)

    @app.post("/ops/readings/<reading_id>/decision")
    def decide(reading_id: Annotated[str, Path(max_length=80)], body: Decision):
        operator = require_group(app, "operators")
        try:
            return readings.decide(reading_id, body.decision, body.reason, operator.username)
        except store.ReadingNotFound as exc:
            raise NotFound("This reading") from exc
        except store.AlreadyDecided as exc:
            from wattdesk.api import Conflict

            raise Conflict("reading.already_decided", "This reading was decided already.") from exc

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
