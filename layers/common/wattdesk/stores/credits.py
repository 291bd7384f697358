"""Account credits waiting for the customer's next invoice (referral, welcome credit, ...).

Keys (docs/data-model.md):
  CUSTOMER#<id> / CREDIT#<source>          a credit; ``booked_on`` is the invoice that used it
  REFERRALPAIR#<referrer>#<referred> / PAIR   a referral pair was rewarded (never twice)

A credit is granted once per source (conditional put) and booked once: the invoice transaction
sets ``booked_on`` only where it is still empty, so two invoices can never both use it.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, transaction_connection


class AccountCredit(WattDeskItem):
    amount = UnicodeAttribute()  # euro excluding VAT, positive: what the invoice line takes off
    reason = UnicodeAttribute()  # description key of the invoice line (referral_credit, welcome_credit, ...)
    params_json = UnicodeAttribute(default="{}")
    granted_at = UnicodeAttribute()
    booked_on = UnicodeAttribute(null=True)

    @property
    def source(self) -> str:
        return self.SK.removeprefix("CREDIT#")

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)


class ReferralPair(WattDeskItem):
    granted_at = UnicodeAttribute()


def _credit(customer_id: str, source: str, amount: Decimal, reason: str, params: dict[str, Any], at: datetime) -> AccountCredit:
    return AccountCredit(
        f"CUSTOMER#{customer_id}", f"CREDIT#{source}", amount=f"{amount:.2f}", reason=reason, params_json=json.dumps(params, sort_keys=True), granted_at=at.isoformat()
    )


def grant_credit(customer_id: str, source: str, amount: Decimal, reason: str, params: dict[str, Any], at: datetime) -> bool:
    """Grants a credit once per (customer, source); False when it was granted before."""
    try:
        _credit(customer_id, source, amount, reason, params, at).save(condition=AccountCredit.PK.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def grant_referral(referrer_id: str, referred_id: str, pair_key: str, amounts: tuple[Decimal, Decimal], params: dict[str, Any], at: datetime) -> bool:
    """Both sides' credits and the pair's marker in one transaction: a pair is rewarded once.

    ``pair_key`` names the referred person (not the customer record), so enrolling again with
    the same referral code does not reward the pair a second time."""
    referrer_amount, referred_amount = amounts
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(ReferralPair(f"REFERRALPAIR#{referrer_id}#{pair_key}", "PAIR", granted_at=at.isoformat()), condition=ReferralPair.PK.does_not_exist())
            transaction.save(_credit(referrer_id, f"REFERRAL#{pair_key}", referrer_amount, "referral_credit", params, at), condition=AccountCredit.PK.does_not_exist())
            transaction.save(_credit(referred_id, f"REFERRED#{referrer_id}", referred_amount, "referral_credit", params, at), condition=AccountCredit.PK.does_not_exist())
    except TransactWriteError as exc:
        codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
        if "ConditionalCheckFailed" in codes:
            return False
        raise
    return True


def pending_credits(customer_id: str) -> list[AccountCredit]:
    """Credits not yet on an invoice, oldest first."""
    credits = AccountCredit.query(f"CUSTOMER#{customer_id}", AccountCredit.SK.startswith("CREDIT#"), consistent_read=True)
    return sorted((c for c in credits if not c.booked_on), key=lambda c: (c.granted_at, c.SK))


def credits(customer_id: str) -> list[AccountCredit]:
    return list(AccountCredit.query(f"CUSTOMER#{customer_id}", AccountCredit.SK.startswith("CREDIT#"), consistent_read=True))
