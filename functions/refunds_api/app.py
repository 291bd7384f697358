"""Refunds API: ops ask for, list, read, approve/reject, re-route and cancel refunds; customers see
theirs in the portal; the public IBAN page (link from the mail) reads and answers its request."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.api import Conflict, NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import refunds as service

REFUND_ID = Annotated[str, Path(pattern=r"^RF[0-9A-F]{16}$")]
STATUS = Literal["REQUESTED", "OFFSET", "AWAITING_IBAN", "AWAITING_APPROVAL", "APPROVED", "SENT", "PAID", "RETURNED", "REJECTED", "CANCELLED"]
OPS = ("operators", "approvers", "supervisors")


class NewRefund(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    amount: str = Field(pattern=r"^\d{1,6}(\.\d{1,2})?$", description='Euro to refund, e.g. "120.00"; at most the credit on the account.')
    reason: str = Field(min_length=3, max_length=500)
    iban: str | None = Field(default=None, max_length=42, description="Only for this refund; otherwise the customer's bank account on file.")
    account_holder: str | None = Field(default=None, max_length=70)
    request_id: str | None = Field(default=None, min_length=1, max_length=64, description="The same request id is one refund (safe retries).")


class Approval(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=500)


class IbanChange(BaseModel):
    iban: str = Field(min_length=5, max_length=42)
    account_holder: str = Field(min_length=1, max_length=70)


class Cancellation(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class LinkAnswer(BaseModel):
    token: str = Field(min_length=10, max_length=100)
    iban: str = Field(min_length=5, max_length=42)
    account_holder: str = Field(min_length=1, max_length=70)


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except service.NotFound as exc:
        raise NotFound(exc.what) from exc
    except service.Conflict as exc:
        raise Conflict(exc.code, exc.message) from exc


@cache
def _app():
    app = make_resolver()

    @app.post("/ops/refunds")
    def create(body: NewRefund):
        operator = require_group(app, "operators")
        result = _call(
            service.request_refund, customer_id=body.customer_id, amount=body.amount, source="OPS", source_id=body.request_id or uuid.uuid4().hex,
            reason=body.reason, iban=body.iban, holder=body.account_holder, requested_by=operator.username, at=clock.now(),
        )
        return _call(service.detail, result["refund_id"]), 201

    @app.get("/ops/refunds")
    def listing(status: Annotated[STATUS | None, Query()] = None):
        require_group(app, *OPS)
        return {"items": service.ops_list(status)}

    @app.get("/ops/refunds/<refund_id>")
    def read(refund_id: REFUND_ID):
        require_group(app, *OPS)
        return _call(service.detail, refund_id)

    @app.post("/ops/refunds/<refund_id>/approval")
    def decide(refund_id: REFUND_ID, body: Approval):
        who = require_group(app, "approvers")
        return _call(service.decide, refund_id, body.decision, body.reason, who.username, who.groups)

    @app.put("/ops/refunds/<refund_id>/iban")
    def set_iban(refund_id: REFUND_ID, body: IbanChange):
        operator = require_group(app, "operators")
        return _call(service.set_iban_by_ops, refund_id, body.iban, body.account_holder, operator.username)

    @app.post("/ops/refunds/<refund_id>/cancel")
    def cancel(refund_id: REFUND_ID, body: Cancellation):
        operator = require_group(app, "operators", "supervisors")
        return _call(service.cancel, refund_id, body.reason, operator.username)

    @app.get("/ops/refund-files")
    def files():
        require_group(app, *OPS)
        return {"items": service.batches_view()}

    @app.get("/me/refunds")
    def mine():
        who = principal(app)
        if not who.customer_id:
            raise NotFound("Your account")
        return {"items": service.customer_list(who.customer_id)}

    # Public: the page behind the link in the IBAN mail (the token in the link is the key).
    @app.get("/refund-requests/<refund_id>")
    def link_view(refund_id: REFUND_ID, token: Annotated[str, Query(min_length=10, max_length=100)]):
        return _call(service.link_view, refund_id, token)

    @app.post("/refund-requests/<refund_id>/iban")
    def link_answer(refund_id: REFUND_ID, body: LinkAnswer):
        return _call(service.submit_iban_via_link, refund_id, body.token, body.iban, body.account_holder)

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
