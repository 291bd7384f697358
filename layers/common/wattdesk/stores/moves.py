"""Move-ins of existing customers: which enrollment continues which contract."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from wattdesk.stores.base import WattDeskItem


class MoveIn(WattDeskItem):
    """ENROLLMENT#<id> / MOVE: this enrollment is a move-in of an existing customer (and
    CONTRACT#<previous contract> / MOVEIN the other way round)."""

    customer_id = UnicodeAttribute()
    previous_contract_id = UnicodeAttribute()
    enrollment_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


def record(customer_id: str, previous_contract_id: str, enrollment_id: str, at: datetime) -> None:
    for pk, sk in ((f"ENROLLMENT#{enrollment_id}", "MOVE"), (f"CONTRACT#{previous_contract_id}", "MOVEIN")):
        MoveIn(pk, sk, customer_id=customer_id, previous_contract_id=previous_contract_id, enrollment_id=enrollment_id, created_at=at.isoformat()).save()


def of_enrollment(enrollment_id: str) -> MoveIn | None:
    try:
        return MoveIn.get(f"ENROLLMENT#{enrollment_id}", "MOVE", consistent_read=True)
    except DoesNotExist:
        return None


def of_previous_contract(contract_id: str) -> MoveIn | None:
    try:
        return MoveIn.get(f"CONTRACT#{contract_id}", "MOVEIN", consistent_read=True)
    except DoesNotExist:
        return None
