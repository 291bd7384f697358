"""Moves API: a customer (or an operator, with a reason) reports a move-out with the closing
readings, optionally with the new address to move in to."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from wattdesk.api import ApiError, NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import enrollment, moves, readings

ContractId = Annotated[str, Path(max_length=64)]


class Register(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_name: str = Field(alias="register", max_length=20)
    value_kwh: str = Field(max_length=12)


class PointReading(BaseModel):
    ean: str = Field(min_length=18, max_length=24)
    registers: list[Register] = Field(min_length=1, max_length=4)


class MoveOut(BaseModel):
    move_date: str = Field(max_length=10)
    readings: list[PointReading] = Field(min_length=1, max_length=2)
    new_address: dict[str, Any] | None = Field(default=None, description="supply_address, delivery_points [{energy, ean, meter_type}], start_date, optional product_code")


class OpsMoveOut(MoveOut):
    reason: str = Field(min_length=1, max_length=500)


def _move(customer_id: str, contract_id: str, body: MoveOut, actor: str, reason: str | None):
    try:
        return moves.move_out(customer_id, contract_id, body.model_dump(exclude={"reason"}, by_alias=True), actor=actor, operator_reason=reason)
    except readings.ContractNotFound as exc:
        raise NotFound("This contract") from exc
    except enrollment.InvalidEnrollment as exc:
        error = ApiError(400, "move_in.invalid", "The new address cannot be enrolled as it is.")
        error.errors = [{"field": f"new_address.{p.field}" if p.field else "new_address", "code": p.code, "message": p.message} for p in exc.problems]
        raise error from exc


@cache
def _app():
    app = make_resolver()

    @app.post("/me/contracts/<contract_id>/move-out")
    def move_out(contract_id: ContractId, body: MoveOut):
        who = principal(app)
        return _move(who.customer_id or "-", contract_id, body, who.username, None)

    @app.post("/ops/customers/<customer_id>/contracts/<contract_id>/move-out")
    def move_out_by_operator(customer_id: Annotated[str, Path(max_length=64)], contract_id: ContractId, body: OpsMoveOut):
        operator = require_group(app, "operators")
        return _move(customer_id, contract_id, body, operator.username, body.reason)

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
