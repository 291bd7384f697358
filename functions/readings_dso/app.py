"""The grid operator's (DSO's) meter readings: a bulk file or one message per EAN, stored once
each. On AWS the market's B2B gateway invokes this function with messages (locally
POST /_local/dso/readings), or drops a CSV bulk file under dso-readings/incoming/ in the DSO
readings bucket (S3 ObjectCreated notification; columns in docs/readings-and-settlement.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from wattdesk.errors import parse_task
from wattdesk.observability import lambda_handler, logger
from wattdesk.services import readings


class DsoReadings(BaseModel):
    task: Literal["dso_readings"]
    readings: list[dict[str, Any]] = Field(max_length=10_000)


class Intake(BaseModel):
    task: DsoReadings


def _dropped_files(event: dict) -> list[dict]:
    reports = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        report = readings.submit_dso_file(s3["bucket"]["name"], s3["object"]["key"])
        logger().info("dso readings file", extra={"stored": report.get("stored"), "repeated": report.get("repeated"), "refused": len(report.get("refused") or [])})
        reports.append(report)
    return reports


@lambda_handler
def handler(event, context):
    if isinstance(event, dict) and event.get("Records") and event["Records"][0].get("eventSource") == "aws:s3":
        return {"files": _dropped_files(event)}
    intake = parse_task(event, Intake, "DSO readings")
    result = readings.submit_dso(intake.readings)
    logger().info("dso readings", extra={"stored": result["stored"], "repeated": result["repeated"], "refused": len(result["refused"])})
    return result
