"""Enrollment API: the public form and phone agents submit; customers follow, fix or cancel with
their status link; After-Sales operators work the queue."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from pydantic import BaseModel, Field

from wattdesk import clock
from wattdesk.adapters import documents
from wattdesk.api import ApiError, Conflict, NotFound, make_resolver, require_group
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import enrollment as service
from wattdesk.settings import get_settings
from wattdesk.stores import enrollments as store
from wattdesk.stores.base import plain

IDEMPOTENCY_SECONDS = 24 * 3600


class Corrections(BaseModel):
    changes: dict[str, Any] = Field(min_length=1, description='Changed fields by path, e.g. {"delivery_points[0].ean": "54..."}')
    note: str = Field(default="", max_length=1000)


class CustomerRequest(BaseModel):
    fields: list[str] = Field(min_length=1, max_length=20)
    message: str = Field(default="", max_length=1000)


class Decision(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=1000)


class CustomerAction(BaseModel):
    action: Literal["cancel"]


class CustomerAnswer(BaseModel):
    changes: dict[str, Any] = Field(min_length=1)


def _problems(exc: service.InvalidEnrollment) -> ApiError:
    error = ApiError(400, "invalid", "The enrollment has errors.")
    error.errors = [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]
    return error


def _accept(submission: dict[str, Any]) -> dict[str, Any]:
    request = service.check(submission["body"], clock.today_in_brussels())
    return service.submit(request, clock.now(), get_settings().enrollment_state_machine_arn)


@cache
def _idempotent_accept(table_name: str, function_name: str):
    # Same key and body: the stored answer, nothing started again. Same key, other body: 409.
    persistence = DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="PK", sort_key_attr="SK", static_pk_value=f"IDEMPOTENCY#{function_name}", expiry_attr="expires_at"
    )
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=IDEMPOTENCY_SECONDS)
    return config, idempotent_function(data_keyword_argument="submission", persistence_store=persistence, config=config)(_accept)


def _submit(app, body: dict[str, Any], allowed_channels: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    if body.get("channel") not in allowed_channels:
        raise ApiError(400, "channel.not_allowed", f"This route takes the channels {', '.join(allowed_channels)}.", field="channel")
    headers = {key.lower(): value for key, value in (app.current_event.headers or {}).items()}
    key = headers.get("idempotency-key")
    try:
        if not key:
            return _accept({"body": body}), 202
        config, accept = _idempotent_accept(get_settings().table_name, app.lambda_context.function_name)
        config.register_lambda_context(app.lambda_context)
        return accept(submission={"key": key, "body": body}), 202
    except service.InvalidEnrollment as exc:
        raise _problems(exc) from exc
    except IdempotencyValidationError as exc:
        raise Conflict("idempotency.key_reused", "This Idempotency-Key was used for another enrollment.") from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("idempotency.in_progress", "This enrollment is being processed; retry in a moment.") from exc


@cache
def _app():
    app = make_resolver()

    @app.post("/enrollments")
    def submit(body: dict[str, Any]):
        response, status = _submit(app, body, ("web",))
        logger().info("enrollment received", extra={"enrollment_id": response["enrollment_id"], "channel": "web"})
        return response, status

    @app.post("/ops/enrollments")
    def submit_by_phone(body: dict[str, Any]):
        agent = require_group(app, "operators")
        response, status = _submit(app, body, ("phone",))
        store.audit(response["enrollment_id"], agent.username, "registered_by_phone", clock.now())
        return response, status

    @app.get("/enrollments/<enrollment_id>")
    def follow(enrollment_id: Annotated[str, Path(max_length=64)], token: Annotated[str | None, Query(max_length=100)] = None):
        try:
            return service.customer_view(service.authorised(enrollment_id, token))
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc

    @app.post("/enrollments/<enrollment_id>")
    def customer_action(enrollment_id: Annotated[str, Path(max_length=64)], action: CustomerAction, token: Annotated[str | None, Query(max_length=100)] = None):
        try:
            return service.cancel(enrollment_id, token)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc
        except service.NotAllowedNow as exc:
            raise Conflict(exc.code, exc.message) from exc

    @app.get("/enrollments/<enrollment_id>/contract")
    def contract(enrollment_id: Annotated[str, Path(max_length=64)], token: Annotated[str | None, Query(max_length=100)] = None):
        try:
            record = service.authorised(enrollment_id, token)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc
        if not record.contract_document_key:
            raise NotFound("The contract document")
        return Response(200, "application/pdf", documents.read_document(record.contract_document_key), {"Content-Disposition": f'attachment; filename="contract-{record.contract_id}.pdf"'})

    @app.get("/enrollments/<enrollment_id>/answer")
    def asked_fields(enrollment_id: Annotated[str, Path(max_length=64)], token: Annotated[str | None, Query(max_length=100)] = None):
        try:
            return service.asked_fields(enrollment_id, token)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc

    @app.post("/enrollments/<enrollment_id>/answer")
    def customer_answer(enrollment_id: Annotated[str, Path(max_length=64)], answer: CustomerAnswer, token: Annotated[str | None, Query(max_length=100)] = None):
        try:
            return service.customer_answer(enrollment_id, token, answer.changes)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc
        except service.InvalidEnrollment as exc:
            raise _problems(exc) from exc
        except service.NotAllowedNow as exc:
            raise Conflict(exc.code, exc.message) from exc

    @app.get("/ops/enrollments")
    def ops_queue(status: Annotated[Literal["RECEIVED", "VALIDATING", "BLOCKED", "AWAITING_CUSTOMER", "AWAITING_DSO", "CONFIRMED", "REJECTED", "CANCELLED"], Query()] = "BLOCKED"):
        require_group(app, "operators")
        return {"status": status, "items": [service.ops_view(record) for record in store.queue(status)]}

    @app.get("/ops/enrollments/<enrollment_id>")
    def ops_detail(enrollment_id: Annotated[str, Path(max_length=64)]):
        require_group(app, "operators")
        try:
            record = store.get(enrollment_id)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc
        audit = [{"at": e.at, "actor": e.actor, "action": e.action} for e in store.audit_trail(enrollment_id)]
        return {**service.ops_view(record), "request": record.request, "history": plain(list(record.history)), "audit": audit}

    def _operator_action(enrollment_id: str, action):
        operator = require_group(app, "operators")
        try:
            return action(operator.username)
        except store.EnrollmentNotFound as exc:
            raise NotFound("This enrollment") from exc
        except service.InvalidEnrollment as exc:
            raise _problems(exc) from exc
        except (service.NotAllowedNow, store.NotParked) as exc:
            raise Conflict(getattr(exc, "code", "enrollment.not_waiting"), getattr(exc, "message", "This enrollment is not waiting for an operator.")) from exc

    @app.post("/ops/enrollments/<enrollment_id>/corrections")
    def corrections(enrollment_id: Annotated[str, Path(max_length=64)], body: Corrections):
        return _operator_action(enrollment_id, lambda who: service.correct(enrollment_id, body.changes, body.note, who))

    @app.post("/ops/enrollments/<enrollment_id>/customer-request")
    def customer_request(enrollment_id: Annotated[str, Path(max_length=64)], body: CustomerRequest):
        return _operator_action(enrollment_id, lambda who: service.ask_customer(enrollment_id, body.fields, body.message, who))

    @app.post("/ops/enrollments/<enrollment_id>/decision")
    def decision(enrollment_id: Annotated[str, Path(max_length=64)], body: Decision):
        if body.decision == "reject" and not body.reason:
            raise ApiError(400, "reason.required", "A rejection needs a reason; the customer reads it.", field="reason")
        return _operator_action(enrollment_id, lambda who: service.decide(enrollment_id, body.decision, body.reason, who))

    return app


@lambda_handler
def handler(event, context):
    return _app().resolve(event, context)
