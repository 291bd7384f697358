"""The single-table base model (design in docs/data-model.md).

The table name comes from TABLE_NAME when an operation runs, not when the module is imported,
so handlers import freely and the local runtime can set the environment per invocation.
"""

from __future__ import annotations

import os

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class _TableFromEnvironment(type):
    @property
    def table_name(cls) -> str:
        return os.environ.get("TABLE_NAME", "wattdesk-local")

    @property
    def region(cls) -> str:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"


class WorkListIndex(GlobalSecondaryIndex):
    """GSI1: queues and status lists, sorted by time (projection ALL)."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class LookupIndex(GlobalSecondaryIndex):
    """GSI2: look-ups by business identifier (keys only)."""

    class Meta:
        index_name = "GSI2"
        projection = KeysOnlyProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class WattDeskItem(Model):
    """Every entity of the table: PK/SK plus two overloaded GSIs and a TTL attribute."""

    class Meta(metaclass=_TableFromEnvironment):
        max_retry_attempts = 3
        connect_timeout_seconds = 3
        read_timeout_seconds = 10

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    # Epoch seconds; DynamoDB TTL deletes the item after this (retention rules set it).
    expires_at = NumberAttribute(null=True)

    work_list = WorkListIndex()
    lookup = LookupIndex()


def transaction_connection():
    """The connection transactions use: the models' own, so no new botocore client is built per
    transaction (that costs tens of milliseconds)."""
    return WattDeskItem._get_connection().connection


def plain(value: Any) -> Any:
    """pynamodb hands raw maps back as MapAttribute objects; callers want dicts and lists."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
