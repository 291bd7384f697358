"""Collection API: bank statements and payments for ops, the suspense queue, direct-debit returns;
customers read their account and choose how they pay."""

from __future__ import annotations

import base64
import json
from datetime import date
from functools import cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from wattdesk.adapters import camt
from wattdesk.api import ApiError, Conflict, NotFound, make_resolver, principal, require_group
from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import parse_amount
from wattdesk.observability import lambda_handler
from wattdesk.services import collection as service

INVOICE_NUMBER = r"^\d{4}-[A-Z]-\d{6}$"


class ManualPayment(BaseModel):
    amount: str = Field(pattern=r"^\d{1,7}(\.\d{1,2})?$", description='Euro received, e.g. "75.00".')
    received_on: date
    customer_id: str | None = Field(default=None, max_length=64)
    invoice_number: str | None = Field(default=None, pattern=INVOICE_NUMBER)
    structured_reference: str | None = Field(default=None, max_length=30, description="The OGM the payer gave, if any.")
    free_text: str | None = Field(default=None, max_length=140)
    debtor_name: str | None = Field(default=None, max_length=70)
    debtor_iban: str | None = Field(default=None, max_length=42)
    external_reference: str | None = Field(default=None, max_length=64, description="Receipt or letter number: the same one is registered once.")
    note: str | None = Field(default=None, max_length=500)


class SuspenseDecision(BaseModel):
    action: Literal["assign", "refund"] = Field(description="assign: book on a customer/invoice; refund: a mistaken payment handed to the refund workflow.")
    customer_id: str | None = Field(default=None, max_length=64)
    invoice_number: str | None = Field(default=None, pattern=INVOICE_NUMBER)
    note: str | None = Field(default=None, max_length=500)


class PaymentMethodChange(BaseModel):
    method: Literal["direct_debit", "transfer"]
    iban: str | None = Field(default=None, max_length=42)
    account_holder: str | None = Field(default=None, max_length=70)
    mandate_accepted: bool = Field(default=False, description="The customer signs the SEPA Core mandate shown in the portal.")


def _raw_body(app) -> bytes:
    event = app.current_event
    body = event.body or ""
    raw = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    content_type = (event.headers or {}).get("content-type") or (event.headers or {}).get("Content-Type") or ""
    if content_type.startswith("application/json"):
        try:
            content = json.loads(raw or b"{}").get("content")
        except (ValueError, AttributeError) as exc:
            raise ApiError(400, "invalid.json", "Send the file as the body, or as JSON {\"content\": \"...\"}.", "content") from exc
        if not isinstance(content, str):
            raise ApiError(400, "invalid.missing", "content is required.", "content")
        raw = content.encode("utf-8")
    return raw


def _file_errors(exc: camt.CamtError) -> ApiError:
    error = ApiError(400, exc.problems[0]["code"], exc.problems[0]["message"])
    error.errors = [{"field": p.get("path"), "code": p["code"], "message": f"line {p['line']}: {p['message']}", "line": p["line"]} for p in exc.problems]
    return error


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except camt.CamtError as exc:
        raise _file_errors(exc) from exc
    except service.NotFound as exc:
        raise NotFound(exc.what) from exc
    except service.Conflict as exc:
        raise Conflict(exc.code, exc.message) from exc


@cache
def _app():
    app = make_resolver()

    @app.post("/ops/bank-statements")
    def import_statement():
        operator = require_group(app, "operators")
        return _call(service.import_statement, _raw_body(app), operator.username)

    @app.post("/ops/bank-statements/returns")
    def import_returns():
        require_group(app, "operators")
        headers = app.current_event.headers or {}
        return _call(service.import_returns, _raw_body(app), headers.get("content-type") or headers.get("Content-Type") or "")

    @app.post("/ops/payments")
    def register_payment(body: ManualPayment):
        operator = require_group(app, "operators")
        amount = parse_amount(body.amount)
        if amount <= 0:
            raise DomainError("payment.amount", "the amount must be more than zero", "amount")
        view, created = _call(service.register_manual_payment, {**body.model_dump(), "amount": amount}, operator.username)
        return view, (201 if created else 200)

    @app.get("/ops/payments/suspense")
    def suspense():
        require_group(app, "operators")
        return {"items": service.suspense_view()}

    @app.post("/ops/payments/suspense/<payment_id>/assignment")
    def decide(payment_id: Annotated[str, Path(max_length=64)], body: SuspenseDecision):
        operator = require_group(app, "operators")
        return _call(service.decide_suspense, payment_id, body.action, operator.username, customer_id=body.customer_id, invoice_number=body.invoice_number, note=body.note)

    @app.get("/ops/customers/<customer_id>/account")
    def customer_account(customer_id: Annotated[str, Path(max_length=64)]):
        require_group(app, "operators")
        return service.account_view(customer_id)

    @app.get("/me/account")
    def my_account():
        who = principal(app)
        if not who.customer_id:
            raise NotFound("Your account")
        return service.account_view(who.customer_id)

    @app.put("/me/payment-method")
    def change_payment_method(body: PaymentMethodChange):
        # The customer comes from the token, never from the request.
        who = principal(app)
        if not who.customer_id:
            raise NotFound("Your account")
        return _call(service.change_payment_method, who.customer_id, body.method, body.iban, body.account_holder, body.mandate_accepted, who.username)

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
