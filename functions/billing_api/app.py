"""Billing API: ops start and read billing runs; customers download their invoices."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from wattdesk.adapters import documents
from wattdesk.adapters.aws import client
from wattdesk.api import NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import billing
from wattdesk.settings import get_settings
from wattdesk.stores import invoices as store


class StartRun(BaseModel):
    billing_date: date


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

