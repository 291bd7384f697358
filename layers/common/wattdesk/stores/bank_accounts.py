"""The customer's bank account for payments out (refunds): one current account per customer,
every change verified and audited.

Keys (docs/data-model.md, docs/refunds.md):
  CUSTOMER#<id> / BANKACCOUNT                 the current account (IBAN, holder, when and by whom
                                              it was last changed); ``version`` is the optimistic lock
  CUSTOMER#<id> / AUDIT#<at>#<n>              ``bank_account_changed`` (masked IBAN only; the same
                                              audit items as stores/enrollments.customer_audit)

``change`` is the one way to set it (the portal's PUT /me/bank-account, the refund page's IBAN link,
an operator). The four-eyes rule of refunds reads ``changed_at``: a refund to an account changed less
than 30 days ago needs an approver.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import mask_iban, validate_iban
from wattdesk.stores.base import WattDeskItem
from wattdesk.stores.enrollments import AuditEntry


class BankAccount(WattDeskItem):
    customer_id = UnicodeAttribute()
    iban = UnicodeAttribute()  # compact, validated (domain/iban.py); never logged in clear
    holder = UnicodeAttribute()
    changed_at = UnicodeAttribute()  # ISO instant of the last change
    changed_by = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    @property
    def changed_at_instant(self) -> datetime:
        return datetime.fromisoformat(self.changed_at)


class AccountChangedMeanwhile(Exception):
    """Two changes raced; the caller reads again (the API answers 409)."""


def _key(customer_id: str) -> tuple[str, str]:
    return (f"CUSTOMER#{customer_id}", "BANKACCOUNT")


def current(customer_id: str) -> BankAccount | None:
    """The account refunds are paid to, or None when the customer never gave one."""
    try:
        return BankAccount.get(*_key(customer_id), consistent_read=True)
    except DoesNotExist:
        return None


def change(customer_id: str, iban: str, holder: str, by: str, at: datetime, reason: str) -> BankAccount:
    """Sets the customer's account after verifying the IBAN (SEPA zone, BE national check digits:
    DomainError ``iban.*`` otherwise) and a holder name; audited with the masked IBAN.
    Giving the same IBAN and holder again changes nothing (``changed_at`` stays, so re-submitting
    a form does not restart the 30-day four-eyes period)."""
    compact = validate_iban(iban)
    holder = " ".join((holder or "").split())
    if not holder:
        raise DomainError("bank_account.holder_required", "Give the name of the account holder.", "holder")
    if len(holder) > 70:
        raise DomainError("bank_account.holder_too_long", "The account holder's name is at most 70 characters.", "holder")
    before = current(customer_id)
    if before is not None and before.iban == compact and before.holder == holder:
        return before
    account = BankAccount(
        *_key(customer_id), customer_id=customer_id, iban=compact, holder=holder, changed_at=at.isoformat(), changed_by=by, reason=reason,
        version=(int(before.version) + 1) if before is not None else 1,
    )
    try:
        if before is None:
            account.save(condition=BankAccount.PK.does_not_exist())
        else:
            account.save(condition=BankAccount.version == before.version)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise AccountChangedMeanwhile(customer_id) from exc
        raise
    AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=by, action="bank_account_changed",
        details=json.dumps({"iban": mask_iban(compact), "previous": mask_iban(before.iban) if before is not None else None, "reason": reason}, sort_keys=True),
    ).save()
    return account
