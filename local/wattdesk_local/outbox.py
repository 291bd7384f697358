"""Mail sent through (moto's) SES, as a person would read it."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from moto.ses.models import ses_backends


def _sent(account: str, region: str) -> list[Any]:
    return ses_backends[account][region].sent_messages


def read(account: str, region: str, to: str | None = None) -> list[dict[str, Any]]:
    mails = []
    for message in list(_sent(account, region)):
        if hasattr(message, "raw_data"):
            parsed = message_from_bytes(message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data, policy=policy.default)
            body = parsed.get_body(preferencelist=("plain", "html"))
            mail = {
                "id": message.id,
                "from": str(parsed["From"]),
                "to": [address.strip() for address in str(parsed["To"] or "").split(",") if address.strip()],
                "subject": str(parsed["Subject"]),
                "language": str(parsed["Content-Language"] or ""),
                "text": body.get_content() if body is not None else "",
                "attachments": [part.get_filename() for part in parsed.iter_attachments()],
            }
        else:
            mail = {
                "id": message.id,
                "from": message.source,
                "to": list(message.destinations.get("ToAddresses", [])),
                "subject": getattr(message, "subject", ""),
                "language": "",
                "text": getattr(message, "body", ""),
                "attachments": [],
            }
        if to is None or to.lower() in (address.lower() for address in mail["to"]):
            mails.append(mail)
    return mails


def attachment(account: str, region: str, message_id: str, filename: str) -> bytes | None:
    for message in list(_sent(account, region)):
        if message.id == message_id and hasattr(message, "raw_data"):
            raw = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
            for part in message_from_bytes(raw, policy=policy.default).iter_attachments():
                if part.get_filename() == filename:
                    # The bytes as attached, whatever the type (get_content() gives text/* as str).
                    return part.get_payload(decode=True)
    return None


def clear(account: str, region: str) -> None:
    _sent(account, region).clear()
