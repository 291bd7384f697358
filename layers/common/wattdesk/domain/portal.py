"""Portal rules (issue 10): passwords, search terms, invoice status as the customer sees it,
staff-request statuses and their SLA. Pure: no I/O, no clock reads (time comes in as arguments)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from decimal import Decimal

from wattdesk.domain.errors import DomainError
from wattdesk.domain.working_days import add_working_days

# The user pool's password policy (template.yaml UserPool.Policies): checked here first, so the
# customer gets a field error in their page rather than a Cognito exception.
PASSWORD_MIN_LENGTH = 12

INVITATION_VALID_DAYS = 14
CODE_VALID_MINUTES = 30
CODE_MAX_ATTEMPTS = 5

REQUEST_KINDS = ("product_change", "breaker_size", "interim_invoice", "callback")
REQUEST_STATUSES = ("OPEN", "IN_PROGRESS", "DONE", "REJECTED")
REQUEST_MOVES = {"OPEN": ("IN_PROGRESS", "DONE", "REJECTED"), "IN_PROGRESS": ("DONE", "REJECTED")}
REQUEST_SLA_WORKING_DAYS = 3


def check_password(password: str) -> None:
    if (
        len(password) < PASSWORD_MIN_LENGTH
        or not re.search(r"[a-z]", password)
        or not re.search(r"[A-Z]", password)
        or not re.search(r"\d", password)
    ):
        raise DomainError(
            "portal.weak_password", f"Use at least {PASSWORD_MIN_LENGTH} characters with an upper-case letter, a lower-case letter and a digit.", "password"
        )


def customer_number(customer_id: str) -> str:
    """The number printed on invoices and letters."""
    return customer_id.replace("-", "")[:8].upper()


def folded(text: str) -> str:
    """Lower case without accents or punctuation: 'Rue de la Gare' == 'rue de la  gare' == 'RUE DE LA GARE'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def name_tokens(*names: str | None) -> set[str]:
    return {token for name in names if name for token in folded(name).split() if len(token) >= 2}


def term_hash(kind: str, value: str) -> str:
    """Search keys never hold personal data in clear (docs/data-model.md): a hash of the folded value."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]


def invoice_status(kind: str, open_amount: Decimal, due_date: date | None, today: date, credited: bool) -> str:
    """open, paid, overdue or credited, as the portal shows it."""
    if kind == "credit_note" or credited:
        return "credited"
    if open_amount <= 0:
        return "paid"
    if due_date is not None and due_date < today:
        return "overdue"
    return "open"


def check_request_move(current: str, new: str) -> None:
    if new not in REQUEST_STATUSES:
        raise DomainError("request.status", f"Status is one of {', '.join(REQUEST_STATUSES)}.", "status")
    if new not in REQUEST_MOVES.get(current, ()):
        raise DomainError("request.closed", f"A request in status {current} cannot move to {new}.", "status")


def request_sla_due(created_on: date) -> date:
    return add_working_days(created_on, REQUEST_SLA_WORKING_DAYS)


def normalised_street(street: str) -> str:
    return folded(street)
