"""Billing API: ops start and read billing runs; customers download their invoices."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.adapters import documents
from wattdesk.adapters.aws import client
from wattdesk.api import NotFound, make_resolver, principal, require_group
from wattdesk.domain.advance import advance_bounds, check_advance_change
from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import format_amount
from wattdesk.domain.pricing import index_names, parse_index_value
from wattdesk.observability import lambda_handler
from wattdesk.services import billing, product_change
from wattdesk.settings import get_settings
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import invoices as store
from wattdesk.stores import prices
from wattdesk.stores import products as products_store


class StartRun(BaseModel):
    billing_date: date


class IndexLoad(BaseModel):
    value: str = Field(min_length=1, max_length=20, description='The published value, e.g. "85.12".')


class AdvanceChange(BaseModel):
    amount: str = Field(pattern=r"^\d{1,6}(\.\d{1,2})?$", description='The new advance in euro, e.g. "95.00".')
    reason: str | None = Field(default=None, max_length=500)


class ProductChange(BaseModel):
    product_code: str = Field(min_length=1, max_length=40, description="The product to switch to, e.g. ELEC-VAR-1Y.")
    reason: str | None = Field(default=None, max_length=500)


def _change_product(customer_id: str, contract_id: str, body: ProductChange, actor: str) -> dict:
    try:
        return product_change.change_product(customer_id, contract_id, body.product_code, actor, body.reason)
    except product_change.ContractNotFound as exc:
        raise NotFound("This contract") from exc


def _advance_view(contract) -> dict:
    computed = Decimal(contract.first_advance)
    lowest, highest = advance_bounds(computed)
    return {
        "contract_id": contract.contract_id,
        "computed": format_amount(computed),
        "current": format_amount(Decimal(contract.advance_amount or contract.first_advance)),
        "minimum": format_amount(lowest),
        "maximum": format_amount(highest),
    }


def _change_advance(customer_id: str, contract_id: str, body: AdvanceChange, actor: str, by_operator: bool) -> dict:
    try:
        contract = contracts.get_contract(customer_id, contract_id)
    except contracts.ContractRecord.DoesNotExist as exc:
        raise NotFound("This contract") from exc
    amount = check_advance_change(Decimal(body.amount), Decimal(contract.first_advance), by_operator=by_operator, reason=body.reason)
    return _advance_view(contracts.change_advance(customer_id, contract_id, format_amount(amount), actor, body.reason, clock.now()))


@cache
def _app():
    app = make_resolver()

    @app.post("/ops/billing-runs")
    def start_run(body: StartRun):
        require_group(app, "operators")
        run_id = billing.run_id_for(body.billing_date, manual=True)
        client("stepfunctions").start_execution(
            stateMachineArn=get_settings().billing_run_state_machine_arn,
            name=run_id,
            # Noon UTC is the same calendar day in Brussels, summer and winter.
            input=json.dumps({"as_of": f"{body.billing_date.isoformat()}T12:00:00Z"}),
        )
        return {"run_id": run_id, "status_url": f"/ops/billing-runs/{run_id}"}, 202

    @app.post("/ops/billing-runs/<run_id>/redrive")
    def redrive_failed_items(run_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            run = billing.run_view(store.get_run(run_id))
        except store.BillingRun.DoesNotExist as exc:
            raise NotFound("This billing run") from exc
        if run["status"] == "RUNNING" or not (run["failed"] or run["held"]):
            raise DomainError("billing_run.nothing_to_redrive", "Only a finished run with failed or held items can be re-driven.", "run_id")
        redrive_id = f"{run_id[:60]}-redrive-{uuid.uuid4().hex[:6]}"
        client("stepfunctions").start_execution(
            stateMachineArn=get_settings().billing_run_state_machine_arn,
            name=redrive_id,
            input=json.dumps({"as_of": f"{run['billing_date']}T12:00:00Z", "redrive_of": run_id}),
        )
        return {"run_id": redrive_id, "redrive_of": run_id, "items": run["failed"] + run["held"], "status_url": f"/ops/billing-runs/{redrive_id}"}, 202

    @app.get("/ops/billing-runs")
    def list_runs():
        require_group(app, "operators")
        return {"items": [billing.run_view(run) for run in store.runs()]}

    @app.get("/ops/billing-runs/<run_id>")
    def read_run(run_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            return billing.run_view(store.get_run(run_id))
        except store.BillingRun.DoesNotExist as exc:
            raise NotFound("This billing run") from exc

    @app.put("/ops/indexes/<name>/<month>")
    def load_index(name: Annotated[str, Path(max_length=40)], month: Annotated[str, Path(max_length=7)], body: IndexLoad):
        operator = require_group(app, "operators")
        value = parse_index_value(name, month, body.value, index_names(products_store.price_book()))
        previous = prices.put_index(name, month, str(value), operator.username, clock.now())
        # A held billing item waits for this value: its alert is resolved (ops then re-drive the run).
        prices.resolve_index_missing(name, month, operator.username, clock.now())
        return {"name": name, "month": month, "value": str(value), "replaced": previous}

    @app.get("/ops/indexes/<name>")
    def read_index(name: Annotated[str, Path(max_length=40)]):
        require_group(app, "operators")
        if name not in index_names(products_store.price_book()):
            raise NotFound("This index")
        return {"name": name, "values": [{"month": item.SK, "value": item.value, "set_by": item.set_by, "set_at": item.set_at} for item in prices.index_values(name)]}

    @app.get("/me/contracts/<contract_id>/advance")
    def read_advance(contract_id: Annotated[str, Path(max_length=64)]):
        who = principal(app)
        try:
            return _advance_view(contracts.get_contract(who.customer_id or "-", contract_id))
        except contracts.ContractRecord.DoesNotExist as exc:
            raise NotFound("This contract") from exc

    @app.put("/me/contracts/<contract_id>/advance")
    def change_advance(contract_id: Annotated[str, Path(max_length=64)], body: AdvanceChange):
        # The customer comes from the token, never from the path: another customer's contract is a 404.
        who = principal(app)
        return _change_advance(who.customer_id or "-", contract_id, body, who.username, by_operator=False)

    @app.put("/ops/customers/<customer_id>/contracts/<contract_id>/advance")
    def change_advance_by_operator(customer_id: Annotated[str, Path(max_length=64)], contract_id: Annotated[str, Path(max_length=64)], body: AdvanceChange):
        operator = require_group(app, "operators")
        return _change_advance(customer_id, contract_id, body, operator.username, by_operator=True)

    @app.post("/me/contracts/<contract_id>/product-change")
    def change_product(contract_id: Annotated[str, Path(max_length=64)], body: ProductChange):
        who = principal(app)
        return _change_product(who.customer_id or "-", contract_id, body, who.username)

    @app.post("/ops/customers/<customer_id>/contracts/<contract_id>/product-change")
    def change_product_by_operator(customer_id: Annotated[str, Path(max_length=64)], contract_id: Annotated[str, Path(max_length=64)], body: ProductChange):
        operator = require_group(app, "operators")
        return _change_product(customer_id, contract_id, body, operator.username)

    @app.get("/me/invoices/<number>/pdf")
    def invoice_pdf(number: Annotated[str, Path(pattern=r"^\d{4}-[A-Z]-\d{6}$")]):
        who = principal(app)
        try:
            invoice = store.get_by_number(number)
        except (store.InvoiceIndex.DoesNotExist, store.InvoiceRecord.DoesNotExist) as exc:
            raise NotFound("This invoice") from exc
        # Tenant isolation: the customer comes from the token, never from the path.
        if who.customer_id is None or invoice.customer_id != who.customer_id or not invoice.document_key:
            raise NotFound("This invoice")
        return Response(200, "application/pdf", documents.read_document(invoice.document_key), {"Content-Disposition": f'attachment; filename="invoice-{number}.pdf"'})

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)

