"""Portal rules (domain/portal.py): passwords, search terms, the invoice status the customer sees,
staff-request moves and their SLA."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wattdesk.domain import portal as rules
from wattdesk.domain.errors import DomainError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("password", ["short1A", "alllowercase123", "ALLUPPERCASE123", "NoDigitsAtAllHere"])
def test_passwords_follow_the_user_pool_policy(password):
    with pytest.raises(DomainError) as refused:
        rules.check_password(password)
    assert refused.value.code == "portal.weak_password" and refused.value.field == "password"


def test_a_good_password_passes():
    rules.check_password("Sunny-Garden-2027")


def test_customer_number_is_the_first_eight_characters_upper_case():
    assert rules.customer_number("3f2a9c01-1111-2222-3333-444455556666") == "3F2A9C01"


def test_search_terms_ignore_case_accents_and_punctuation():
    assert rules.name_tokens("Émilie", "Van den Broeck-Peeters") == {"emilie", "van", "den", "broeck", "peeters"}
    assert rules.folded(" RUE  de la Gâre ") == rules.folded("rue de la gare")
    assert rules.term_hash("name", "emilie") != rules.term_hash("ean", "emilie")
    assert "emilie" not in rules.term_hash("name", "emilie")


@pytest.mark.parametrize(
    ("kind", "open_amount", "due", "credited", "status"),
    [
        ("advance", Decimal("80.00"), date(2027, 2, 15), False, "open"),
        ("advance", Decimal("80.00"), date(2027, 2, 9), False, "overdue"),
        ("advance", Decimal("80.00"), date(2027, 2, 10), False, "open"),  # due today is not late
        ("advance", Decimal("0.00"), date(2027, 2, 9), False, "paid"),
        ("advance", Decimal("80.00"), date(2027, 2, 9), True, "credited"),
        ("credit_note", Decimal("0.00"), None, False, "credited"),
    ],
)
def test_invoice_status_as_the_customer_sees_it(kind, open_amount, due, credited, status):
    assert rules.invoice_status(kind, open_amount, due, date(2027, 2, 10), credited) == status


def test_request_moves_and_sla():
    rules.check_request_move("OPEN", "IN_PROGRESS")
    rules.check_request_move("IN_PROGRESS", "DONE")
    for current, new in (("DONE", "REJECTED"), ("REJECTED", "OPEN"), ("OPEN", "OPEN")):
        with pytest.raises(DomainError) as refused:
            rules.check_request_move(current, new)
        assert refused.value.code == "request.closed"
    # Friday 1 January 2027 is a holiday; three working days after Monday 4 January is Thursday.
    assert rules.request_sla_due(date(2027, 1, 4)) == date(2027, 1, 7)
    assert rules.request_sla_due(date(2026, 12, 31)) == date(2027, 1, 6)
