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


# ------------------------------------------------------------------ missing index alerts (issue 5)
# ALERT#INDEX_MISSING#<name>#<month> / ALERT: one alert per index and month, whatever the number
# of contracts or runs that hit it; on the work list ALERTS#OPEN while the value is missing, then
# ALERTS#RESOLVED.
class Alert(WattDeskItem):
    kind = UnicodeAttribute()
    status = UnicodeAttribute()  # OPEN | RESOLVED
    subject = UnicodeAttribute()  # e.g. "BELPEX_ELEC 2027-03"
    message = UnicodeAttribute()
    raised_at = UnicodeAttribute()
    first_run_id = UnicodeAttribute(null=True)
    first_contract_id = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)


def get_index(name: str, month: str) -> str | None:
    try:
        return IndexValue.get(f"INDEX#{name}", month, consistent_read=True).value
    except DoesNotExist:
        return None


def _alert_key(name: str, month: str) -> tuple[str, str]:
    return f"ALERT#INDEX_MISSING#{name}#{month}", "ALERT"


def raise_index_missing(name: str, month: str, run_id: str, contract_id: str, at: datetime) -> bool:
    """Records the alert once per index and month; True when this call raised it."""
    from pynamodb.exceptions import PutError

    alert = Alert(
        *_alert_key(name, month), kind="index_missing", status="OPEN", subject=f"{name} {month}",
        message=f"No value of index {name} for {month}: invoices of contracts priced with it are held until ops load it (PUT /ops/indexes/{name}/{month}), then re-drive the billing run.",
        raised_at=at.isoformat(), first_run_id=run_id, first_contract_id=contract_id, GSI1PK="ALERTS#OPEN", GSI1SK=f"{at.isoformat()}#{name}#{month}",
    )
    try:
        alert.save(condition=Alert.PK.does_not_exist())
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def resolve_index_missing(name: str, month: str, by: str, at: datetime) -> bool:
    """The value was loaded: the alert (if any) is resolved and leaves the open list."""
    from pynamodb.exceptions import UpdateError

    try:
        Alert(*_alert_key(name, month)).update(
            actions=[Alert.status.set("RESOLVED"), Alert.resolved_at.set(at.isoformat()), Alert.resolved_by.set(by), Alert.GSI1PK.set("ALERTS#RESOLVED")],
            condition=Alert.status == "OPEN",
        )
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def alerts(status: str = "OPEN") -> list[Alert]:
    """Open (or resolved) alerts, oldest first."""
    return list(Alert.work_list.query(f"ALERTS#{status}"))


def index_alert(name: str, month: str) -> Alert | None:
    try:
        return Alert.get(*_alert_key(name, month), consistent_read=True)
    except DoesNotExist:
        return None
