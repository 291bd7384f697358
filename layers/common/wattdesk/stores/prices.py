"""Monthly index values for variable prices (INDEX#<name> / <YYYY-MM>), loaded by ops.

A value may be corrected (the publisher revises it); every load is audited with the value it
replaced, so an invoice can always be traced to the value it used."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from wattdesk.stores.base import WattDeskItem
from wattdesk.stores.enrollments import AuditEntry


class IndexValue(WattDeskItem):
    value = UnicodeAttribute()
    set_by = UnicodeAttribute()
    set_at = UnicodeAttribute()


def put_index(name: str, month: str, value: str, actor: str, at: datetime) -> str | None:
    """Stores the value and returns the one it replaced, if any."""
    try:
        previous = IndexValue.get(f"INDEX#{name}", month, consistent_read=True).value
    except DoesNotExist:
        previous = None
    IndexValue(f"INDEX#{name}", month, value=value, set_by=actor, set_at=at.isoformat()).save()
    AuditEntry(
        f"INDEX#{name}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action="index_loaded",
        details=json.dumps({"month": month, "from": previous, "to": value}, sort_keys=True),
    ).save()
    return previous


def index_values(name: str) -> list[IndexValue]:
    # Months sort before the AUDIT# entries of the same partition.
    return list(IndexValue.query(f"INDEX#{name}", IndexValue.SK.between("0000-00", "9999-99")))


def index_audit(name: str) -> list[AuditEntry]:
    return list(AuditEntry.query(f"INDEX#{name}", AuditEntry.SK.startswith("AUDIT#")))
