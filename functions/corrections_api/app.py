"""Corrections API (issue 6): ops credit any past invoice (in full, by line or by amount), read an
invoice with what remains creditable, and issue extraordinary invoices (meter damage, a fee)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.api import ApiError, NotFound, make_resolver, require_group
from wattdesk.domain import corrections as rules
from wattdesk.domain.errors import DomainError
from wattdesk.observability import lambda_handler
from wattdesk.services import corrections
from wattdesk.stores import enrollments as contracts

NUMBER = r"^\d{4}-[A-Z]-\d{6}$"
AMOUNT = r"^\d{1,7}(\.\d{1,2})?$"


class CreditNoteRequest(BaseModel):
    lines: list[Annotated[int, Field(ge=0, le=999)]] | None = Field(default=None, max_length=200, description="Indexes of the invoice lines to credit in full.")
    amount: str | None = Field(default=None, pattern=AMOUNT, description='An amount incl. VAT to credit, e.g. "25.00".')
    reason: str = Field(min_length=1, max_length=500)
    request_id: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Makes a retried request answer the same credit note.")


class FreeLineBody(BaseModel):
    description: str = Field(min_length=1, max_length=120)
    quantity: str = Field(default="1", pattern=r"^\d{1,7}(\.\d{1,3})?$")
    unit: str = Field(default="piece", max_length=10)
    unit_price: str = Field(pattern=r"^-?\d{1,7}(\.\d{1,6})?$", description="Euro excluding VAT.")
    vat_rate: str = Field(default="0.21", pattern=r"^0\.\d{2}$")


class ExtraordinaryRequest(BaseModel):
    contract_id: str | None = Field(default=None, max_length=64)
    lines: list[FreeLineBody] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)
    request_id: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


def _refused(exc: DomainError) -> ApiError:
    # A business rule refused a well-formed request: 422 with the field, as for /ops/products.
    return ApiError(422, exc.code, exc.message, exc.field)


@cache
def _app():
    app = make_resolver()

    @app.get("/ops/invoices/<number>")
    def read_invoice(number: Annotated[str, Path(pattern=NUMBER)]):
        require_group(app, "operators")
        try:
            return corrections.invoice_view(number)
        except corrections.InvoiceNotFound as exc:
            raise NotFound("This invoice") from exc

    @app.post("/ops/invoices/<number>/credit-notes")
    def issue_credit_note(number: Annotated[str, Path(pattern=NUMBER)], body: CreditNoteRequest):
        operator = require_group(app, "operators")
        try:
            result = corrections.credit_note(
                number, lines=body.lines, amount=Decimal(body.amount) if body.amount is not None else None, reason=body.reason,
                actor=operator.username, at=clock.now(), request_id=body.request_id,
            )
        except corrections.InvoiceNotFound as exc:
            raise NotFound("This invoice") from exc
        except DomainError as exc:
            raise _refused(exc) from exc
        return result, 201

    @app.post("/ops/customers/<customer_id>/extraordinary-invoices")
    def issue_extraordinary_invoice(customer_id: Annotated[str, Path(max_length=64)], body: ExtraordinaryRequest):
        operator = require_group(app, "operators")
        try:
            contracts.get_customer(customer_id)
        except contracts.CustomerRecord.DoesNotExist as exc:
            raise NotFound("This customer") from exc
        free = [rules.FreeLine(line.description, Decimal(line.quantity), Decimal(line.unit_price), Decimal(line.vat_rate), line.unit) for line in body.lines]
        try:
            result = corrections.extraordinary_invoice(
                customer_id, contract_id=body.contract_id, lines=free, reason=body.reason, actor=operator.username, at=clock.now(), request_id=body.request_id,
            )
        except DomainError as exc:
            raise _refused(exc) from exc
        return result, 201

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
