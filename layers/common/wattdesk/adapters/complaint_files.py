"""Complaint attachments and stored monthly reports in the documents bucket.

Attachments live under ``complaints/attachments/<random>``: the key has 32 random bytes and
neither the complaint number nor the file name, so it cannot be guessed or read as personal
data. The bucket is versioned, so deleting means deleting every version and delete marker.
At closing an attachment is copied onto itself with the tag ``retention=complaint-closed``:
the copy restarts the object's age, and the lifecycle rule of template.yaml expires tagged
objects 1828 days (5 years, leap days included) later, a backstop for the retention sweep.
"""

from __future__ import annotations

import secrets

from wattdesk.adapters.aws import client
from wattdesk.settings import get_settings

ATTACHMENT_PREFIX = "complaints/attachments/"
REPORT_PREFIX = "reports/complaints/"
CLOSED_TAG = "retention=complaint-closed"


def _bucket() -> str:
    return get_settings().documents_bucket


def store_attachment(content: bytes, content_type: str) -> str:
    key = f"{ATTACHMENT_PREFIX}{secrets.token_urlsafe(32)}"
    client("s3").put_object(Bucket=_bucket(), Key=key, Body=content, ContentType=content_type, ServerSideEncryption="aws:kms")
    return key


def read_attachment(key: str) -> bytes:
    return client("s3").get_object(Bucket=_bucket(), Key=key)["Body"].read()


def delete_everywhere(key: str) -> int:
    """Deletes every version and delete marker of the object; returns how many were removed."""
    s3 = client("s3")
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=_bucket(), Prefix=key):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if entry["Key"] == key:
                s3.delete_object(Bucket=_bucket(), Key=key, VersionId=entry["VersionId"])
                removed += 1
    return removed


def mark_closed(key: str, closed_on: str) -> None:
    """Copy onto itself with the retention tag (the lifecycle rule counts from this copy), then
    remove the older versions so no untagged copy stays behind."""
    s3 = client("s3")
    bucket = _bucket()
    copied = s3.copy_object(
        Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key}, MetadataDirective="REPLACE", Metadata={"closed-on": closed_on},
        TaggingDirective="REPLACE", Tagging=CLOSED_TAG, ServerSideEncryption="aws:kms",
        ContentType=s3.head_object(Bucket=bucket, Key=key).get("ContentType", "application/octet-stream"),
    )
    current = copied.get("VersionId")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for entry in page.get("Versions", []):
            if entry["Key"] == key and current and entry["VersionId"] != current:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])


def store_report(month: str, name: str, content: bytes, content_type: str) -> str:
    key = f"{REPORT_PREFIX}{month}/{name}"
    client("s3").put_object(Bucket=_bucket(), Key=key, Body=content, ContentType=content_type, ServerSideEncryption="aws:kms")
    return key


def read_report(month: str, name: str) -> bytes | None:
    s3 = client("s3")
    try:
        return s3.get_object(Bucket=_bucket(), Key=f"{REPORT_PREFIX}{month}/{name}")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
