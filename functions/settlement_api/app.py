"""Settlement API: a customer (or an operator) disputes an estimated settlement with actual
readings; it is cancelled by a credit note and reissued. Operators read a contract's settlements."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from wattdesk.api import Conflict, NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import readings, settlement
from wattdesk.stores import settlements as store

Number = Annotated[str, Path(pattern=r"^\d{4}-[A-Z]-\d{6}$")]


class Register(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_name: str = Field(alias="register", max_length=20)
    value_kwh: str = Field(max_length=12)


class PointReading(BaseModel):
    ean: str = Field(min_length=18, max_length=24)
    reading_date: str | None = Field(default=None, max_length=10)
    registers: list[Register] = Field(min_length=1, max_length=4)


class Rerun(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class Dispute(BaseModel):
    readings: list[PointReading] = Field(min_length=1, max_length=2)
    reason: str | None = Field(default=None, max_length=500)


@cache
def _app():
    app = make_resolver()

    @app.post("/me/settlements/<number>/actual-readings")
    def dispute(number: Number, body: Dispute):
        who = principal(app)
        try:
            return settlement.dispute(number, [r.model_dump(by_alias=True) for r in body.readings], customer_id=who.customer_id or "-", actor=who.username)
        except readings.ContractNotFound as exc:
            raise NotFound("This settlement") from exc

    @app.post("/ops/settlements/<number>/actual-readings")
    def dispute_by_operator(number: Number, body: Dispute):
        operator = require_group(app, "operators")
        try:
            return settlement.dispute(number, [r.model_dump(by_alias=True) for r in body.readings], customer_id=None, actor=operator.username, reason=body.reason or "actual readings given to an operator")
        except readings.ContractNotFound as exc:
            raise NotFound("This settlement") from exc

    @app.get("/ops/contracts/<contract_id>/settlements")
    def of_contract(contract_id: Annotated[str, Path(max_length=64)]):
        require_group(app, "operators")
        return {"items": [settlement.view(r) for r in store.of_contract(contract_id)]}

    @app.post("/ops/contracts/<contract_id>/settlements/<settlement_date>/rerun")
    def rerun(contract_id: Annotated[str, Path(max_length=64)], settlement_date: Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$")], body: Rerun | None = None):
        operator = require_group(app, "operators")
        try:
            return settlement.rerun(contract_id, settlement_date, actor=operator.username, reason=body.reason if body else None)
        except LookupError as exc:
            raise NotFound("This settlement") from exc
        except settlement.NotRerunnable as exc:
            raise Conflict(exc.code, exc.message) from exc

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
