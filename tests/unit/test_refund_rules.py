"""Refund rules (issue 8): offsets oldest first, bounds, roll-over threshold, four eyes, IBANs,
statuses. Pure domain: no clock, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from wattdesk.domain import refunds as rules
from wattdesk.domain.errors import DomainError

POLICY = rules.RefundPolicy()
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)


def item(number: str, amount: str, due: date | None) -> rules.OpenItem:
    return rules.OpenItem(number, Decimal(amount), due)


def test_the_credit_is_offset_against_open_invoices_oldest_due_first_and_only_the_rest_is_refunded():
    open_items = [item("2027-A-000003", "40.00", date(2027, 3, 15)), item("2027-A-000001", "25.00", date(2027, 1, 15)), item("2027-A-000002", "30.00", None)]
    decided = rules.plan(Decimal("100.00"), Decimal("100.00"), open_items, POLICY)
    # Oldest due first; an undated invoice comes last.
    assert decided.offsets == (("2027-A-000001", Decimal("25.00")), ("2027-A-000003", Decimal("40.00")), ("2027-A-000002", Decimal("30.00")))
    assert (decided.outcome, decided.payable, decided.offset_total) == ("PAY", Decimal("5.00"), Decimal("95.00"))


def test_a_credit_smaller_than_the_open_invoices_is_fully_offset_and_the_last_one_partly():
    decided = rules.plan(Decimal("50.00"), Decimal("50.00"), [item("A", "30.00", date(2027, 1, 1)), item("B", "30.00", date(2027, 2, 1))], POLICY)
    assert decided.offsets == (("A", Decimal("30.00")), ("B", Decimal("20.00")))
    assert (decided.outcome, decided.payable) == ("OFFSET", Decimal("0.00"))


def test_never_more_than_the_credit():
    decided = rules.plan(Decimal("80.00"), Decimal("60.00"), [], POLICY)
    assert (decided.base, decided.payable, decided.outcome) == (Decimal("60.00"), Decimal("60.00"), "PAY")
    assert rules.plan(Decimal("80.00"), Decimal("0.00"), [], POLICY).outcome == "NO_CREDIT"
    with pytest.raises(DomainError) as refused:
        rules.check_within_credit(Decimal("80.01"), Decimal("80.00"))
    assert refused.value.code == "refund.above_credit"
    rules.check_within_credit(Decimal("80.00"), Decimal("80.00"))
    assert rules.payable_now(Decimal("80.00"), Decimal("80.00")) and not rules.payable_now(Decimal("80.00"), Decimal("79.99"))


@pytest.mark.parametrize("value", ["0", "-5.00", "12.345", "abc", 12.5, "100000.01", "NaN"])
def test_amounts_must_be_positive_cents(value):
    with pytest.raises(DomainError) as refused:
        rules.check_amount(value)
    assert refused.value.code == "refund.amount"


def test_a_remainder_under_the_threshold_rolls_over_and_the_threshold_is_configurable():
    assert rules.plan(Decimal("2.49"), Decimal("2.49"), [], POLICY).outcome == "ROLL_OVER"
    assert rules.plan(Decimal("2.50"), Decimal("2.50"), [], POLICY).outcome == "PAY"
    partly = rules.plan(Decimal("12.00"), Decimal("12.00"), [item("A", "10.00", date(2027, 1, 1))], POLICY)
    assert (partly.outcome, partly.rolled_over, partly.offsets) == ("ROLL_OVER", Decimal("2.00"), (("A", Decimal("10.00")),))
    configured = rules.policy_from({"REFUND_ROLL_OVER_BELOW": "5.00", "REFUND_APPROVAL_ABOVE": "250"})
    assert (configured.roll_over_below, configured.approval_above, configured.recent_iban_days) == (Decimal("5.00"), Decimal("250.00"), 30)
    assert rules.plan(Decimal("4.99"), Decimal("4.99"), [], configured).outcome == "ROLL_OVER"
    with pytest.raises(DomainError):
        rules.policy_from({"REFUND_ROLL_OVER_BELOW": "-1"})


def test_four_eyes_above_the_amount_or_for_an_iban_changed_less_than_30_days_ago():
    assert rules.approval_reasons(Decimal("500.00"), None, NOW, POLICY) == ()
    assert rules.approval_reasons(Decimal("500.01"), None, NOW, POLICY) == ("amount_above_threshold",)
    assert rules.approval_reasons(Decimal("20.00"), NOW - timedelta(days=29, hours=23), NOW, POLICY) == ("iban_changed_recently",)
    assert rules.approval_reasons(Decimal("20.00"), NOW - timedelta(days=30), NOW, POLICY) == ()
    assert rules.approval_reasons(Decimal("900.00"), NOW - timedelta(days=1), NOW, POLICY) == ("amount_above_threshold", "iban_changed_recently")


def test_the_same_operator_cannot_approve_and_only_approvers_can():
    approvers = frozenset({"operators", "approvers"})
    with pytest.raises(DomainError) as same:
        rules.check_approver("Ann@wattdesk.example", approvers, "ann@wattdesk.example", "ann@wattdesk.example")
    assert same.value.code == "refund.four_eyes"
    with pytest.raises(DomainError) as changer:
        rules.check_approver("bob@wattdesk.example", approvers, "ann@wattdesk.example", "bob@wattdesk.example")
    assert changer.value.code == "refund.four_eyes"
    with pytest.raises(DomainError) as account_changer:
        rules.check_approver("bob@wattdesk.example", approvers, "ann@wattdesk.example", "ann@wattdesk.example", iban_changed_by="bob@wattdesk.example")
    assert account_changer.value.code == "refund.four_eyes"
    with pytest.raises(DomainError) as role:
        rules.check_approver("carl@wattdesk.example", frozenset({"operators"}), "ann@wattdesk.example", "ann@wattdesk.example")
    assert role.value.code == "refund.approver_role"
    rules.check_approver("bob@wattdesk.example", approvers, "ann@wattdesk.example", "ann@wattdesk.example")


@pytest.mark.parametrize(
    ("iban", "code"),
    [
        ("BE71 0961 2345 6769", None),
        ("NL91ABNA0417164300", None),
        ("BE71096123456768", "iban.invalid"),  # ISO check digits
        ("BE98096123456768", "iban.be_national_check"),  # ISO check right, Belgian mod-97 wrong
        ("US64SVBKUS6S3300958879", "iban.invalid"),
        ("BR1500000000000010932840814P2", "iban.not_sepa"),
    ],
)
def test_refund_ibans_must_be_sepa_with_belgian_national_check_digits(iban, code):
    if code is None:
        assert rules.accept_iban(iban) == iban.replace(" ", "")
        return
    with pytest.raises(DomainError) as refused:
        rules.accept_iban(iban)
    assert (refused.value.code, refused.value.field) == (code, "iban")


def test_an_account_a_transfer_came_back_from_is_not_used_again():
    assert rules.usable_iban("BE71 0961 2345 6769", ("BE71096123456769",)) is None
    assert rules.usable_iban("BE71096123456769", ()) == "BE71096123456769"


def test_statuses_move_only_forward():
    rules.check_transition("REQUESTED", "AWAITING_IBAN")
    rules.check_transition("SENT", "PAID")
    rules.check_transition("PAID", "RETURNED")
    for current, new in [("PAID", "SENT"), ("REJECTED", "APPROVED"), ("OFFSET", "APPROVED"), ("AWAITING_APPROVAL", "SENT"), ("RETURNED", "SENT")]:
        with pytest.raises(DomainError):
            rules.check_transition(current, new)
    assert set(rules.TRANSITIONS) == set(rules.STATUSES)


def test_iban_requests_are_reminded_after_10_working_days_then_go_to_ops_after_30():
    asked = date(2027, 3, 1)  # Monday; Easter Monday 29 March 2027 is a holiday
    assert rules.iban_follow_up(asked, date(2027, 3, 12), False, False, POLICY) is None  # 9 working days
    assert rules.iban_follow_up(asked, date(2027, 3, 15), False, False, POLICY) == "remind"
    assert rules.iban_follow_up(asked, date(2027, 3, 15), True, False, POLICY) is None
    assert rules.iban_follow_up(asked, date(2027, 4, 12), True, False, POLICY) is None  # 29 working days (Easter Monday)
    assert rules.iban_follow_up(asked, date(2027, 4, 13), True, False, POLICY) == "escalate"
    assert rules.iban_follow_up(asked, date(2027, 4, 14), True, True, POLICY) is None
