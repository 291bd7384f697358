"""Mail sent at most once per business event, whatever the retries and replays.

A marker item is written with a condition before sending; a failed send removes it so that the
retry sends. (A crash between the send and the marker's confirmation cannot double-send: the
marker is written first.)
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from wattdesk import clock
from wattdesk.adapters.mail import Mail, send_mail
from wattdesk.stores.base import WattDeskItem


class SentMail(WattDeskItem):
    sent_at = UnicodeAttribute()
    subject = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)


def send_once(owner_pk: str, key: str, mail: Mail) -> bool:
    """Sends unless this owner already got the mail `key`; True when it was sent now."""
    marker = SentMail(owner_pk, f"MAIL#{key}", sent_at=clock.now().isoformat(), subject=mail.subject)
    try:
        marker.save(condition=SentMail.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    try:
        message_id = send_mail(mail)
    except Exception:
        marker.delete()
        raise
    marker.update(actions=[SentMail.message_id.set(message_id)])
    return True


def was_sent(owner_pk: str, key: str) -> bool:
    """True when the mail `key` of this owner was sent (or its send is under way)."""
    try:
        SentMail.get(owner_pk, f"MAIL#{key}", consistent_read=True)
    except SentMail.DoesNotExist:
        return False
    return True


def mark_sent(owner_pk: str, key: str, subject: str) -> None:
    """Records the mail `key` of this owner as sent, when it went out inside another mail (e.g. a
    credit note attached to its replacement invoice's mail)."""
    SentMail(owner_pk, f"MAIL#{key}", sent_at=clock.now().isoformat(), subject=subject).save()
