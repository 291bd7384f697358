"""Complaints API: the public web form, operators registering and handling complaints, the
monthly report, and erasure requests (docs/complaints.md)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.adapters.report_chart import complaints_chart_svg
from wattdesk.api import ApiError, Conflict, NotFound, make_resolver, require_group
from wattdesk.domain import complaint_report
from wattdesk.domain.complaints import OPERATOR_CHANNELS, WEB_CHANNELS
from wattdesk.observability import lambda_handler
from wattdesk.services import complaints as service
from wattdesk.settings import get_settings
from wattdesk.stores import complaints as store

IDEMPOTENCY_SECONDS = 24 * 3600
NUMBER = Annotated[str, Path(pattern=r"^C-\d{4}-\d{6}$")]
OPS = ("operators", "supervisors")


class Assignment(BaseModel):
    handler: str = Field(min_length=1, max_length=120, description='A team ("team:billing") or a person.')


class Feedback(BaseModel):
    feedback_on: date
    note: str = Field(default="", max_length=2000)


class Assessment(BaseModel):
    assessment: Literal["admissible", "dissatisfaction"]
    short_description: str | None = Field(default=None, max_length=200)


class Resolution(BaseModel):
    kind: Literal["reprimand", "cancellation", "compensation", "explanation", "correction", "no_action"]
    note: str | None = Field(default=None, max_length=2000)
    employee: str | None = Field(default=None, max_length=120)
    amount: str | None = Field(default=None, pattern=r"^\d{1,6}(\.\d{1,2})?$")
    method: Literal["credit", "refund"] | None = None
    contract_id: str | None = Field(default=None, max_length=64)
    end_on: date | None = None


class Link(BaseModel):
    invoice_number: str = Field(pattern=r"^\d{4}-[A-Z]{1,3}-\d{6}$")


class Attachments(BaseModel):
    attachments: list[dict[str, Any]] = Field(min_length=1, max_length=3)


class Closing(BaseModel):
    summary: str = Field(default="", max_length=5000)
    measures: str = Field(default="", max_length=5000)
    short_description: str | None = Field(default=None, max_length=200)


class Erasure(BaseModel):
    email: str | None = Field(default=None, max_length=254)
    customer_id: str | None = Field(default=None, max_length=64)
    request_reference: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,40}$", description="The verified request's ticket, e.g. PRIV-2027-0042.")


def _problems(exc: service.InvalidComplaint) -> ApiError:
    error = ApiError(400, "invalid", "The complaint has errors.")
    error.errors = exc.problems
    return error


def _accept(submission: dict[str, Any]) -> dict[str, Any]:
    return service.intake(submission["body"], WEB_CHANNELS, "web_form", trusted=False)


@cache
def _idempotent_accept(table_name: str, function_name: str):
    persistence = DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="PK", sort_key_attr="SK", static_pk_value=f"IDEMPOTENCY#{function_name}", expiry_attr="expires_at"
    )
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=IDEMPOTENCY_SECONDS)
    return config, idempotent_function(data_keyword_argument="submission", persistence_store=persistence, config=config)(_accept)


def _guarded(action):
    try:
        return action()
    except service.InvalidComplaint as exc:
        raise _problems(exc) from exc
    except store.ComplaintNotFound as exc:
        raise NotFound("This complaint") from exc
    except service.NotAllowedNow as exc:
        raise Conflict(exc.code, exc.message) from exc


@cache
def _app():
    app = make_resolver()

    @app.post("/complaints")
    def submit(body: dict[str, Any]):
        headers = {key.lower(): value for key, value in (app.current_event.headers or {}).items()}
        key = headers.get("idempotency-key")
        try:
            if not key:
                return _guarded(lambda: _accept({"body": body})), 201
            config, accept = _idempotent_accept(get_settings().table_name, app.lambda_context.function_name)
            config.register_lambda_context(app.lambda_context)
            return _guarded(lambda: accept(submission={"key": key, "body": body})), 201
        except IdempotencyValidationError as exc:
            raise Conflict("idempotency.key_reused", "This Idempotency-Key was used for another complaint.") from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict("idempotency.in_progress", "This complaint is being registered; retry in a moment.") from exc

    @app.post("/ops/complaints")
    def register(body: dict[str, Any]):
        receiver = require_group(app, *OPS)
        return _guarded(lambda: service.intake(body, OPERATOR_CHANNELS, receiver.username, trusted=True)), 201

    @app.get("/ops/complaints")
    def queue(status: Annotated[Literal["open", "closed"], Query()] = "open"):
        require_group(app, *OPS)
        return {"status": status, "items": service.ops_queue(status)}

    @app.get("/ops/complaints/report")
    def monthly_report(
        month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
        format: Annotated[Literal["json", "csv", "svg"], Query()] = "json",  # noqa: A002 - the query parameter's name
        view: Annotated[Literal["summary", "complaints"], Query()] = "summary",
    ):
        require_group(app, *OPS)
        today = clock.today_in_brussels()
        if view == "complaints":
            return Response(200, "text/csv; charset=utf-8", service.listing(month, today), {"Content-Disposition": f'attachment; filename="complaints-{month}-list.csv"'})
        data = service.report(month, today)
        if format == "csv":
            return Response(200, "text/csv; charset=utf-8", complaint_report.report_csv(data), {"Content-Disposition": f'attachment; filename="complaints-{month}.csv"'})
        if format == "svg":
            return Response(200, "image/svg+xml", complaints_chart_svg(data))
        return data

    @app.get("/ops/complaints/<number>")
    def detail(number: NUMBER):
        require_group(app, *OPS)
        return _guarded(lambda: service.detail(number))

    @app.post("/ops/complaints/<number>/assignment")
    def assign(number: NUMBER, body: Assignment):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.assign(number, body.handler, who.username))

    @app.post("/ops/complaints/<number>/feedback")
    def feedback(number: NUMBER, body: Feedback):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.record_feedback(number, body.feedback_on, body.note, who.username))

    @app.post("/ops/complaints/<number>/assessment")
    def assess(number: NUMBER, body: Assessment):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.assess(number, body.assessment, body.short_description, who.username))

    @app.post("/ops/complaints/<number>/resolutions")
    def resolve(number: NUMBER, body: Resolution):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.resolve(number, body.model_dump(), who.username)), 201

    @app.post("/ops/complaints/<number>/links")
    def link(number: NUMBER, body: Link):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.link(number, body.invoice_number, who.username))

    @app.post("/ops/complaints/<number>/attachments")
    def attach(number: NUMBER, body: Attachments):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.add_attachments(number, body.attachments, who.username)), 201

    @app.get("/ops/complaints/<number>/attachments/<attachment_id>")
    def download(number: NUMBER, attachment_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]):
        require_group(app, *OPS)
        content, content_type, filename = _guarded(lambda: service.attachment(number, attachment_id))
        return Response(200, content_type, content, {"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"})

    @app.post("/ops/complaints/<number>/close")
    def close(number: NUMBER, body: Closing):
        who = require_group(app, *OPS)
        return _guarded(lambda: service.close(number, body.summary, body.measures, body.short_description, who.username))

    @app.post("/ops/privacy/erasure")
    def erasure(body: Erasure):
        who = require_group(app, "supervisors")
        return _guarded(lambda: service.erase(body.email, body.customer_id, body.request_reference, who.username))

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
