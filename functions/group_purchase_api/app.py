"""Group purchases for ops: campaigns, uploading an organiser's file, progress and the per-row
report; also receives the S3 notification of files dropped under group-purchases/incoming/."""

from __future__ import annotations

import base64
import binascii
import os
from datetime import date
from functools import cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field, field_validator

from wattdesk.api import ApiError, NotFound, make_resolver, require_group
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import group_purchases as service
from wattdesk.stores import group_purchases as store

CAMPAIGN_CODE = r"^[A-Z0-9][A-Z0-9_-]{1,39}$"
Amount = Annotated[str | None, Field(default=None, pattern=r"^\d{1,4}(\.\d{1,2})?$", description='Euro excluding VAT, e.g. "25.00".')]


def _upper(value: str) -> str:
    return value.strip().upper()


class CampaignSettings(BaseModel):
    name: str | None = Field(default=None, max_length=120)
    product_code: str = Field(min_length=1, max_length=40)
    gas_product_code: str | None = Field(default=None, max_length=40)
    organiser_email: str | None = Field(default=None, max_length=254)
    organiser_language: Literal["nl", "fr", "de", "en"] = "nl"
    welcome_credit: Amount = None
    referrer_credit: Amount = None
    referred_credit: Amount = None
    start_date: date | None = Field(default=None, description="Start date for rows that give none.")


class Upload(BaseModel):
    campaign_code: str = Field(min_length=2, max_length=40)
    product_code: str = Field(min_length=1, max_length=40)
    file_name: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=4, max_length=14_000_000, description="The CSV or XLSX file, base64.")
    campaign: CampaignSettings | None = Field(default=None, description="Creates or updates the campaign first.")

    @field_validator("campaign_code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _upper(value)


def _invalid(exc: service.InvalidFile) -> ApiError:
    error = ApiError(400, "invalid", "The file or its campaign cannot be imported.")
    error.errors = [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]
    return error


def _state_machine() -> str:
    return os.environ["GROUP_PURCHASE_STATE_MACHINE_ARN"]


@cache
def _app():
    app = make_resolver()

    @app.put("/ops/campaigns/<campaign_code>")
    def put_campaign(campaign_code: Annotated[str, Path(pattern=CAMPAIGN_CODE)], body: CampaignSettings):
        operator = require_group(app, "operators")
        try:
            return service.campaign_view(service.save_campaign(campaign_code, body.model_dump(mode="json"), operator.username))
        except service.InvalidFile as exc:
            raise _invalid(exc) from exc

    @app.get("/ops/campaigns/<campaign_code>")
    def get_campaign(campaign_code: Annotated[str, Path(pattern=CAMPAIGN_CODE)]):
        require_group(app, "operators")
        campaign = store.get_campaign(campaign_code)
        if campaign is None:
            raise NotFound("This campaign")
        return service.campaign_view(campaign)

    @app.post("/ops/group-purchases")
    def upload(body: Upload):
        operator = require_group(app, "operators")
        try:
            content = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "file.base64", "content_base64 is not valid base64.", field="content_base64") from exc
        try:
            if body.campaign is not None:
                service.save_campaign(body.campaign_code, body.campaign.model_dump(mode="json"), operator.username)
            result, created = service.receive_upload(body.campaign_code, body.product_code, body.file_name, content, operator.username, _state_machine())
        except service.InvalidFile as exc:
            raise _invalid(exc) from exc
        # The same file for the same campaign again: the first import's answer, nothing started.
        return {**result, "duplicate_upload": not created}, 202 if created else 200

    @app.get("/ops/group-purchases")
    def list_imports():
        require_group(app, "operators")
        return {"items": [service.view(record) for record in store.list_imports()]}

    @app.get("/ops/group-purchases/<import_id>")
    def progress(import_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            return service.view(store.get_import(import_id))
        except store.ImportNotFound as exc:
            raise NotFound("This group purchase import") from exc

    @app.get("/ops/group-purchases/<import_id>/report")
    def report(import_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            store.get_import(import_id)
        except store.ImportNotFound as exc:
            raise NotFound("This group purchase import") from exc
        return Response(200, "text/csv; charset=utf-8", service.report_csv(import_id), {"Content-Disposition": f'attachment; filename="{import_id}-report.csv"'})

    @app.post("/ops/group-purchases/<import_id>/rerun")
    def rerun(import_id: Annotated[str, Path(max_length=80)]):
        require_group(app, "operators")
        try:
            return service.rerun_failed(import_id, _state_machine()), 202
        except store.ImportNotFound as exc:
            raise NotFound("This group purchase import") from exc
        except service.NotAllowedNow as exc:
            raise ApiError(409, exc.code, exc.message) from exc

    return app


def _dropped_files(event: dict) -> list[dict]:
    """S3 ObjectCreated notifications: the dropped files start imports as an upload does."""
    results = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        results.append(service.receive_dropped(s3["bucket"]["name"], s3["object"]["key"], _state_machine()))
    logger().info("group purchase files dropped", extra={"files": len(results)})
    return results


@lambda_handler
def handler(event, context):
    if isinstance(event, dict) and event.get("Records") and event["Records"][0].get("eventSource") == "aws:s3":
        return {"imports": _dropped_files(event)}
    return _app().resolve(event, context)
