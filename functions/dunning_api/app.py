"""Dunning for ops: the cases (ops queue, suspended, open) with their steps and reasons, the ops
decision after a formal notice, collection suspensions, the social-tariff flag, and manual runs."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from functools import cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from wattdesk.adapters.aws import client
from wattdesk.api import Conflict, NotFound, make_resolver, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import dunning
from wattdesk.stores import dunning as store
from wattdesk.stores import enrollments as customers
from wattdesk.stores import invoices

NUMBER = r"^\d{4}-[A-Z]-\d{6}$"


class Decision(BaseModel):
    decision: str = Field(min_length=1, max_length=40, description="One of the case's possible_decisions, e.g. request_dso_lac.")
    note: str = Field(min_length=1, max_length=1000)


class SuspensionBody(BaseModel):
    invoice_number: str = Field(pattern=NUMBER)
    reason: Literal["complaint", "refund", "correction", "payment_plan"]
    reference: str = Field(min_length=1, max_length=80, description="The refund, correction or complaint id.")
    note: str | None = Field(default=None, max_length=500)


class LiftBody(BaseModel):
    invoice_number: str = Field(pattern=NUMBER)
    reason: Literal["complaint", "refund", "correction", "payment_plan"]
    reference: str = Field(min_length=1, max_length=80)


class SocialTariffBody(BaseModel):
    protected: bool
    source: str | None = Field(default=None, max_length=200, description='e.g. "FOD Economie automatic application 2027-Q1".')


class StartRun(BaseModel):
    as_of_date: date


def _invoice(number: str) -> invoices.InvoiceRecord:
    try:
        return invoices.get_by_number(number)
    except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist) as exc:
        raise NotFound("This invoice") from exc


@cache
def _app():
    app = make_resolver()

    @app.get("/ops/dunning/cases")
    def list_cases(status: Annotated[Literal["OPEN", "SUSPENDED", "OPS_QUEUE", "DECIDED"], Query()] = "OPS_QUEUE"):
        require_group(app, "operators")
        return {"status": status, "items": [dunning.case_view(case) for case in store.queue(status)]}

    @app.get("/ops/dunning/cases/<number>")
    def read_case(number: Annotated[str, Path(pattern=NUMBER)]):
        require_group(app, "operators")
        case = dunning.find_case(number)
        if case is None:
            raise NotFound("This dunning case")
        invoice = _invoice(number)
        suspended = dunning.suspension_of(invoice.customer_id, number, int(case.round))
        return {**dunning.case_view(case), "suspended_now": {"reason": suspended[0], "detail": suspended[1]} if suspended else None}

    @app.post("/ops/dunning/cases/<number>/decision")
    def decide(number: Annotated[str, Path(pattern=NUMBER)], body: Decision):
        operator = require_group(app, "operators")
        case = dunning.find_case(number)
        if case is None:
            raise NotFound("This dunning case")
        if case.status != "OPS_QUEUE":
            raise Conflict("dunning.not_in_ops_queue", "This case does not wait for an ops decision.")
        try:
            return dunning.case_view(dunning.record_decision(case, body.decision, body.note, operator.username))
        except store.StaleCase as exc:
            raise Conflict("dunning.not_in_ops_queue", "This case was decided already.") from exc

    @app.post("/ops/dunning/suspensions")
    def suspend(body: SuspensionBody):
        operator = require_group(app, "operators")
        invoice = _invoice(body.invoice_number)
        opened = dunning.suspend(invoice.customer_id, body.invoice_number, body.reason, body.reference, operator.username, body.note)
        return {"invoice_number": body.invoice_number, "reason": body.reason, "reference": body.reference, "opened": opened}, 201 if opened else 200

    @app.post("/ops/dunning/suspensions/lift")
    def lift(body: LiftBody):
        operator = require_group(app, "operators")
        invoice = _invoice(body.invoice_number)
        if not dunning.lift(invoice.customer_id, body.invoice_number, body.reason, body.reference, operator.username):
            raise NotFound("This open suspension")
        return {"invoice_number": body.invoice_number, "reason": body.reason, "reference": body.reference, "lifted": True}

    @app.put("/ops/customers/<customer_id>/social-tariff")
    def social_tariff(customer_id: Annotated[str, Path(max_length=64)], body: SocialTariffBody):
        operator = require_group(app, "operators")
        try:
            customers.get_customer(customer_id)
        except customers.CustomerRecord.DoesNotExist as exc:
            raise NotFound("This customer") from exc
        return dunning.set_protected(customer_id, body.protected, body.source, operator.username)

    @app.post("/ops/dunning-runs")
    def start_run(body: StartRun):
        require_group(app, "operators")
        run_id = f"dunning-{body.as_of_date.isoformat()}-manual-{uuid.uuid4().hex[:6]}"
        client("stepfunctions").start_execution(
            stateMachineArn=os.environ["DUNNING_STATE_MACHINE_ARN"], name=run_id,
            # Noon UTC is the same calendar day in Brussels, summer and winter.
            input=json.dumps({"as_of": f"{body.as_of_date.isoformat()}T12:00:00Z"}),
        )
        return {"run_id": run_id, "status_url": f"/ops/dunning-runs/{run_id}"}, 202

    @app.get("/ops/dunning-runs")
    def list_runs():
        require_group(app, "operators")
        return {"items": [dunning.run_view(run) for run in store.runs()]}

    @app.get("/ops/dunning-runs/<run_id>")
    def read_run(run_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            return dunning.run_view(store.get_run(run_id))
        except store.DunningRun.DoesNotExist as exc:
            raise NotFound("This dunning run") from exc

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
