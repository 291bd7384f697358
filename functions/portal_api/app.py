"""Customer portal (issue 10): access (activation link, self-registration, sign-in), self-service
under /me (overview, invoices, contact data, bank account, outage notices, staff requests) and the
ops side of staff requests and planned outages. Shapes: docs/portal.md."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from wattdesk.api import ApiError, Conflict, NotFound, make_resolver, require_group
from wattdesk.observability import lambda_handler
from wattdesk.services import portal as service

EAN = r"^\d{18}$"
STAFF = ("operators", "supervisors")


class Activation(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=1, max_length=256)


class Registration(BaseModel):
    customer_number: str = Field(min_length=4, max_length=16)
    email: str = Field(min_length=3, max_length=254)
    ogm: str | None = Field(default=None, max_length=40)
    ean: str | None = Field(default=None, max_length=40)
    language: Literal["nl", "fr", "de", "en"] | None = None


class RegistrationConfirmation(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    code: str = Field(min_length=4, max_length=12)
    password: str = Field(min_length=1, max_length=256)


class SignIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class Address(BaseModel):
    street: str = Field(min_length=1, max_length=120)
    number: str = Field(min_length=1, max_length=20)
    box: str | None = Field(default=None, max_length=20)
    postcode: str = Field(min_length=4, max_length=4)
    city: str = Field(min_length=1, max_length=80)


class ContactChange(BaseModel):
    phone: str | None = Field(default=None, max_length=30)
    language: Literal["nl", "fr", "de", "en"] | None = None
    correspondence_address: Address | None = None
    email: str | None = Field(default=None, max_length=254)


class Code(BaseModel):
    code: str = Field(min_length=4, max_length=12)


class BankAccountChange(BaseModel):
    iban: str = Field(min_length=15, max_length=42)
    account_holder: str = Field(min_length=1, max_length=70)


class OutageChoice(BaseModel):
    ean: str = Field(pattern=EAN)
    opt_in: bool


class OutageNotices(BaseModel):
    delivery_points: list[OutageChoice] = Field(min_length=1, max_length=50)


class StaffRequestBody(BaseModel):
    kind: Literal["product_change", "breaker_size", "interim_invoice", "callback"]
    contract_id: str | None = Field(default=None, max_length=64)
    ean: str | None = Field(default=None, pattern=EAN)
    message: str | None = Field(default=None, max_length=2000)
    details: dict[str, Any] | None = None
    phone: str | None = Field(default=None, max_length=30)
    preferred_date: date | None = None
    preferred_time: Literal["morning", "afternoon", "evening"] | None = None


class RequestStatus(BaseModel):
    status: Literal["IN_PROGRESS", "DONE", "REJECTED"]
    note: str | None = Field(default=None, max_length=2000, description="Shown to the customer.")
    internal_note: str | None = Field(default=None, max_length=2000, description="Staff only.")
    breaker_size_a: int | None = Field(default=None, ge=6, le=250)


class OutagePost(BaseModel):
    postcode: str = Field(min_length=4, max_length=4)
    streets: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(default_factory=list, max_length=50)
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(default=None, max_length=500)


def _customer(app) -> tuple[str, str]:
    """The customer id from the token (never from the request), and who acts."""
    who = require_group(app, "customers")
    if not who.customer_id:
        raise NotFound("Your customer account")
    return who.customer_id, who.username


def _mine(call, *args):
    try:
        return call(*args)
    except service.NotYours as exc:
        raise NotFound("This item") from exc


@cache
def _app():
    app = make_resolver()

    # ---------------------------------------------------------------- access (public)
    @app.post("/portal/activate")
    def activate(body: Activation):
        try:
            return service.activate(body.token, body.password)
        except service.AlreadyActive as exc:
            raise Conflict("portal.already_active", "This e-mail address already signs in to another account.") from exc

    @app.post("/portal/register")
    def register(body: Registration):
        return service.register(body.customer_number, body.ogm, body.ean, body.email, body.language), 202

    @app.post("/portal/register/confirm")
    def confirm_registration(body: RegistrationConfirmation):
        try:
            return service.confirm_registration(body.email, body.code, body.password), 201
        except service.AlreadyActive as exc:
            raise Conflict("portal.already_active", "This e-mail address already has portal access: sign in instead.") from exc

    @app.post("/portal/sign-in")
    def sign_in(body: SignIn):
        tokens = service.sign_in(body.email, body.password)
        if tokens is None:
            raise ApiError(401, "portal.sign_in_failed", "Wrong e-mail address or password.")
        return tokens

    # ---------------------------------------------------------------- self-service
    @app.get("/me/overview")
    def overview():
        customer_id, _ = _customer(app)
        return _mine(service.overview, customer_id)

    @app.get("/me/invoices")
    def invoices():
        customer_id, _ = _customer(app)
        return service.invoices_view(customer_id)

    @app.get("/me/contact")
    def contact():
        customer_id, _ = _customer(app)
        return _mine(service.contact_view, customer_id)

    @app.put("/me/contact")
    def change_contact(body: ContactChange):
        customer_id, actor = _customer(app)
        changes = body.model_dump(exclude_unset=True)
        return _mine(service.update_contact, customer_id, changes, actor)

    @app.post("/me/contact/email-verification")
    def verify_email(body: Code):
        customer_id, actor = _customer(app)
        return _mine(service.verify_email, customer_id, body.code, actor)

    @app.get("/me/bank-account")
    def bank_account():
        customer_id, _ = _customer(app)
        return service.bank_account_view(customer_id)

    @app.put("/me/bank-account")
    def change_bank_account(body: BankAccountChange):
        customer_id, actor = _customer(app)
        from wattdesk.stores import bank_accounts

        try:
            return service.change_bank_account(customer_id, body.iban, body.account_holder, actor)
        except bank_accounts.AccountChangedMeanwhile as exc:
            raise Conflict("bank_account.changed_meanwhile", "Your bank account was changed meanwhile; reload the page.") from exc

    @app.get("/me/outage-notices")
    def outage_notices():
        customer_id, _ = _customer(app)
        return service.outage_notices_view(customer_id)

    @app.put("/me/outage-notices")
    def change_outage_notices(body: OutageNotices):
        customer_id, actor = _customer(app)
        return _mine(service.set_outage_notices, customer_id, [choice.model_dump() for choice in body.delivery_points], actor)

    @app.post("/me/requests")
    def create_request(body: StaffRequestBody):
        customer_id, actor = _customer(app)
        view, created = _mine(service.create_request, customer_id, body.model_dump(mode="json"), actor)
        return view, 201 if created else 200

    @app.get("/me/requests")
    def my_requests():
        customer_id, _ = _customer(app)
        return service.requests_of(customer_id)

    # ---------------------------------------------------------------- ops
    @app.get("/ops/requests")
    def ops_requests(
        status: Annotated[str | None, Query(max_length=20)] = None,
        kind: Annotated[str | None, Query(max_length=30)] = None,
    ):
        require_group(app, *STAFF)
        return service.ops_requests(status, kind)

    @app.post("/ops/requests/<request_id>/status")
    def move_request(request_id: Annotated[str, Path(pattern=r"^R[0-9a-f]{15}$")], body: RequestStatus):
        operator = require_group(app, *STAFF)
        return _mine(service.move_request, request_id, body.status, body.note, body.internal_note, body.breaker_size_a, operator.username)

    @app.post("/ops/outages")
    def post_outage(body: OutagePost):
        operator = require_group(app, *STAFF)
        if body.starts_at.tzinfo is None or body.ends_at.tzinfo is None:
            raise ApiError(400, "outage.timezone", "Give the times with their offset, e.g. 2027-01-12T08:00:00+01:00.", "starts_at")
        view, created = service.post_outage(body.postcode, body.streets, body.starts_at, body.ends_at, body.reason, operator.username)
        return view, 201 if created else 200

    @app.get("/ops/outages")
    def outages():
        require_group(app, *STAFF)
        return service.outages_view()

    @app.post("/ops/customers/<customer_id>/invitation")
    def resend_invitation(customer_id: Annotated[str, Path(max_length=64)]):
        operator = require_group(app, *STAFF)
        return _mine(service.invite, customer_id, operator.username, True), 202

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
