"""Instalment plans: customers ask, accept or decline in the portal; the counter asks for them;
advisors work their queue (contact within 5 working days, proposal); supervisors approve more than
6 instalments."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from wattdesk.api import ApiError, NotFound, make_resolver, principal, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import payment_plans as service
from wattdesk.stores import enrollments as customers

NUMBER = r"^\d{4}-[A-Z]-\d{6}$"
PlanId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]


class PlanRequest(BaseModel):
    """The body of /work/shared/api-examples/payment-plan-request.json."""

    invoice_numbers: list[Annotated[str, Field(pattern=NUMBER)]] = Field(min_length=1, max_length=50)
    preferred_instalments: int | None = Field(default=None, ge=1, le=24)
    advisor_contact: bool = False
    contact_phone: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, max_length=1000)


class Contact(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class Proposal(BaseModel):
    invoice_numbers: list[Annotated[str, Field(pattern=NUMBER)]] = Field(min_length=1, max_length=50)
    instalments: int = Field(ge=1, le=24)
    reason: str | None = Field(default=None, max_length=1000, description="Required above 6 instalments (the supervisor reads it).")


class Approval(BaseModel):
    approved: bool
    note: str | None = Field(default=None, max_length=1000)


def _customer_id(app) -> str:
    who = principal(app)
    if not who.customer_id:
        raise ApiError(403, "forbidden", "Only customers have payment plans.")
    return who.customer_id


@cache
def _app():
    app = make_resolver()

    # ---------------------------------------------------------------- customers
    @app.post("/me/payment-plans")
    def request_plan(body: PlanRequest):
        customer_id = _customer_id(app)
        return service.request_plan(customer_id, body.model_dump(), "portal", principal(app).username), 201

    @app.get("/me/payment-plans")
    def my_plans():
        return {"items": service.plans_of(_customer_id(app))}

    @app.get("/me/payment-plans/<plan_id>")
    def my_plan(plan_id: PlanId):
        return service.view_for_customer(plan_id, _customer_id(app))

    @app.post("/me/payment-plans/<plan_id>/acceptance")
    def accept(plan_id: PlanId):
        return service.accept(plan_id, _customer_id(app))

    @app.put("/me/payment-plans/<plan_id>/acceptance")
    def accept_put(plan_id: PlanId):
        return service.accept(plan_id, _customer_id(app))

    @app.post("/me/payment-plans/<plan_id>/decline")
    def decline(plan_id: PlanId):
        return service.decline(plan_id, _customer_id(app))

    @app.get("/me/payment-plans/<plan_id>/agreement")
    def agreement(plan_id: PlanId):
        filename, pdf = service.agreement_pdf(plan_id, _customer_id(app))
        return Response(200, "application/pdf", pdf, {"Content-Disposition": f'attachment; filename="{filename}"'})

    # ---------------------------------------------------------------- counter, advisors, supervisors
    @app.post("/ops/customers/<customer_id>/payment-plans")
    def request_at_counter(customer_id: Annotated[str, Path(max_length=64)], body: PlanRequest):
        operator = require_group(app, "operators", "advisors")
        try:
            customers.get_customer(customer_id)
        except customers.CustomerRecord.DoesNotExist as exc:
            raise NotFound("This customer") from exc
        return service.request_plan(customer_id, body.model_dump(), "counter", operator.username), 201

    @app.get("/ops/advisor-queue")
    def advisor_queue():
        require_group(app, "advisors", "supervisors")
        return {"items": service.advisor_queue()}

    @app.get("/ops/approval-queue")
    def approval_queue():
        require_group(app, "supervisors")
        return {"items": service.approval_queue()}

    @app.get("/ops/payment-plans/<plan_id>")
    def read_plan(plan_id: PlanId):
        require_group(app, "advisors", "supervisors", "operators")
        return service.view_for_ops(plan_id)

    @app.post("/ops/payment-plans/<plan_id>/contact")
    def contact(plan_id: PlanId, body: Contact):
        advisor = require_group(app, "advisors")
        return service.record_contact(plan_id, advisor.username, body.note)

    @app.post("/ops/payment-plans/<plan_id>/proposal")
    def propose(plan_id: PlanId, body: Proposal):
        advisor = require_group(app, "advisors")
        return service.propose(plan_id, advisor.username, body.invoice_numbers, body.instalments, body.reason)

    @app.post("/ops/payment-plans/<plan_id>/approval")
    def approve(plan_id: PlanId, body: Approval):
        supervisor = require_group(app, "supervisors")
        return service.approve(plan_id, supervisor.username, body.approved, body.note)

    @app.get("/ops/payment-plans/<plan_id>/agreement")
    def ops_agreement(plan_id: PlanId):
        require_group(app, "advisors", "supervisors", "operators")
        filename, pdf = service.agreement_pdf(plan_id, None)
        return Response(200, "application/pdf", pdf, {"Content-Disposition": f'attachment; filename="{filename}"'})

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
