"""A mail is sent once per business event: not twice on a retry, and not lost when the function
was cut off between writing its marker and sending (issue 12, "crash after the side effect")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wattdesk.adapters.mail import Mail
from wattdesk.stores import sent_mail
from wattdesk_local.lambdas import handler_environment

pytestmark = pytest.mark.integration

OWNER, KEY = "INVOICE#2027-A-000042", "issued"


def _mail(to: str) -> Mail:
    return Mail(to=to, subject="Uw voorschotfactuur 2027-A-000042", text="Bijgevoegd uw factuur.", language="nl")


def _as_billing(runtime):
    return handler_environment(runtime.functions["BillingTasksFunction"].environment)


def test_a_retry_after_the_mail_went_out_sends_nothing(runtime):
    with _as_billing(runtime):
        assert sent_mail.send_once(OWNER, KEY, _mail("klant@example.org")) is True
        assert sent_mail.send_once(OWNER, KEY, _mail("klant@example.org")) is False
        assert sent_mail.was_sent(OWNER, KEY)
    assert len(runtime.outbox("klant@example.org")) == 1


def test_a_send_cut_off_after_its_marker_is_taken_over_once_the_attempt_is_surely_dead(runtime):
    # The first attempt wrote its marker and died before SES had the mail (no message id).
    with _as_billing(runtime):
        sent_mail.SentMail(OWNER, f"MAIL#{KEY}", sent_at=runtime.now().isoformat(), subject="Uw voorschotfactuur").save()
        # Still within a function's lifetime: the attempt may be sending; nothing is sent twice.
        assert not sent_mail.send_once(OWNER, KEY, _mail("klant@example.org"))
        assert sent_mail.was_sent(OWNER, KEY)
    assert runtime.outbox("klant@example.org") == []

    runtime.advance(to=runtime.now() + sent_mail.STALE_AFTER + timedelta(minutes=1))
    with _as_billing(runtime):
        assert not sent_mail.was_sent(OWNER, KEY)  # a billing re-run routes the invoice to SendInvoice
        assert sent_mail.send_once(OWNER, KEY, _mail("klant@example.org")) is True
        assert sent_mail.send_once(OWNER, KEY, _mail("klant@example.org")) is False
        assert sent_mail.was_sent(OWNER, KEY)
    assert [m["subject"] for m in runtime.outbox("klant@example.org")] == ["Uw voorschotfactuur 2027-A-000042"]


def test_a_mail_that_went_out_inside_another_is_never_sent_alone(runtime):
    with _as_billing(runtime):
        sent_mail.mark_sent(OWNER, KEY, "Uw creditnota")
    runtime.advance(to=runtime.now() + timedelta(days=2))
    with _as_billing(runtime):
        assert sent_mail.was_sent(OWNER, KEY)
        assert sent_mail.send_once(OWNER, KEY, _mail("klant@example.org")) is False
    assert runtime.outbox("klant@example.org") == []
