"""Outgoing mail through SES, as raw MIME so that documents can be attached.

The message carries `Content-Language`, which the local outbox shows and tests assert on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from wattdesk.adapters.aws import client
from wattdesk.errors import MailThrottled
from wattdesk.settings import get_settings

LANGUAGES = ("nl", "fr", "de", "en")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    language: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    if mail.language not in LANGUAGES:
        raise ValueError(f"unsupported mail language {mail.language!r}")
    message = EmailMessage()
    message["From"] = formataddr(("WattDesk", sender))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, subtype = attachment.mime_type.split("/", 1)
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    # Last: set_content() and friends drop Content-* headers set before them.
    message["Content-Language"] = mail.language
    return message


def send_mail(mail: Mail) -> str:
    """Sends and returns the SES message id; throttling surfaces as MailThrottled for the Retry."""
    sender = get_settings().sender_address
    message = build_message(mail, sender)
    ses = client("ses")
    try:
        response = ses.send_raw_email(Source=sender, Destinations=[mail.to], RawMessage={"Data": message.as_bytes()})
    except ses.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"Throttling", "ThrottlingException", "MaxSendingRateExceeded"}:
            raise MailThrottled(code) from exc
        raise
    return response["MessageId"]
