"""Mail sent once per business event, whatever the retries and replays.

A marker item is written with a condition before sending, and gets the SES message id after the
send; a failed send removes it so that the retry sends. A send cut off in between (the function
timed out or crashed) leaves a marker without a message id: after STALE_AFTER, longer than any
function runs, that attempt is surely dead, and the next retry or re-run takes the marker over and
sends. So an invoice mail is not lost; the price is a second mail in the rare case where SES took
the first one and the function died before recording the message id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from wattdesk import clock
from wattdesk.adapters.mail import Mail, send_mail
from wattdesk.stores.base import WattDeskItem

# Lambda stops a function after 15 minutes at most.
STALE_AFTER = timedelta(minutes=15)
# The message id of a mail that went out inside another one (mark_sent).
INSIDE_ANOTHER_MAIL = "inside-another-mail"


class SentMail(WattDeskItem):
    sent_at = UnicodeAttribute()
    subject = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)


def send_once(owner_pk: str, key: str, mail: Mail) -> bool:
    """Sends unless this owner already got the mail `key` (or its send is under way); True when it
    was sent now."""
    now = clock.now()
    marker = SentMail(owner_pk, f"MAIL#{key}", sent_at=now.isoformat(), subject=mail.subject)
    try:
        marker.save(condition=SentMail.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        if not _take_over_cut_off_send(marker, now):
            return False
    try:
        message_id = send_mail(mail)
    except Exception:
        marker.delete()
        raise
    marker.update(actions=[SentMail.message_id.set(message_id)])
    return True


def _take_over_cut_off_send(marker: SentMail, now: datetime) -> bool:
    """Claims a marker whose send was cut off (no message id, older than STALE_AFTER)."""
    cutoff = (now - STALE_AFTER).isoformat()
    try:
        marker.save(condition=SentMail.message_id.does_not_exist() & (SentMail.sent_at < cutoff))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def was_sent(owner_pk: str, key: str) -> bool:
    """True when the mail `key` of this owner was sent, or its send is under way (not cut off)."""
    try:
        marker = SentMail.get(owner_pk, f"MAIL#{key}", consistent_read=True)
    except SentMail.DoesNotExist:
        return False
    return marker.message_id is not None or marker.sent_at >= (clock.now() - STALE_AFTER).isoformat()


def mark_sent(owner_pk: str, key: str, subject: str) -> None:
    """Records the mail `key` of this owner as sent, when it went out inside another mail (e.g. a
    credit note attached to its replacement invoice's mail)."""
    SentMail(owner_pk, f"MAIL#{key}", sent_at=clock.now().isoformat(), subject=subject, message_id=INSIDE_ANOTHER_MAIL).save()
