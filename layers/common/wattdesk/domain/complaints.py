"""Complaint rules: natures, channels, the first-response deadline, the SLA state, what an
assessment allows as resolution, retention, and which attachments are accepted.

Pure: dates are parameters, nothing here reads the clock or does I/O. Working days come from
``wattdesk.domain.working_days`` (Belgian legal holidays through the ``holidays`` library).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from wattdesk.domain.errors import DomainError
from wattdesk.domain.working_days import add_working_days, working_days_between

NATURES = ("billing", "meter_reading", "contract", "payment", "sales_conduct", "service", "other")
WEB_CHANNELS = ("web_form",)
OPERATOR_CHANNELS = ("phone", "email", "letter", "social_media", "counter")
CHANNELS = WEB_CHANNELS + OPERATOR_CHANNELS
LANGUAGES = ("nl", "fr", "de", "en")

# The team a complaint goes to when the receiver names no handler (routing by nature).
DEFAULT_HANDLER = {
    "billing": "team:billing",
    "meter_reading": "team:metering",
    "contract": "team:after-sales",
    "payment": "team:collection",
    "sales_conduct": "team:sales-compliance",
    "service": "team:customer-service",
    "other": "team:customer-service",
}

FIRST_RESPONSE_WORKING_DAYS = 5
DUE_SOON_WORKING_DAYS = 1
RETENTION_YEARS = 5

ASSESSMENTS = ("admissible", "dissatisfaction")
# Admissible: a breach of law, regulation or decent conduct; the three remedies.
ADMISSIBLE_RESOLUTIONS = ("reprimand", "cancellation", "compensation")
# An expression of dissatisfaction still gets a recorded outcome.
DISSATISFACTION_RESOLUTIONS = ("explanation", "correction", "no_action")
COMPENSATION_METHODS = ("credit", "refund")
MAX_COMPENSATION = Decimal("1000.00")

# SLA states of the first response.
MET, BREACHED, DUE_SOON, ON_TRACK = "met", "breached", "due_soon", "on_track"


def first_response_deadline(arrival: date) -> date:
    """The last day the first response may be given: 5 working days after arrival.

    The arrival day does not count (a complaint arriving on a Friday is due the next Friday);
    weekends and Belgian legal holidays are skipped.
    """
    return add_working_days(arrival, FIRST_RESPONSE_WORKING_DAYS)


def working_days_left(deadline: date, today: date) -> int:
    """Working days from today up to the deadline (0 on the deadline, negative once past)."""
    return working_days_between(today, deadline)


def sla_state(deadline: date, first_response_on: date | None, today: date) -> str:
    """met / breached (late or still no answer after the deadline) / due_soon (at most one
    working day left, the deadline day included) / on_track."""
    if first_response_on is not None:
        return MET if first_response_on <= deadline else BREACHED
    if today > deadline:
        return BREACHED
    if working_days_left(deadline, today) <= DUE_SOON_WORKING_DAYS:
        return DUE_SOON
    return ON_TRACK


def queue_rank(state: str, responded: bool) -> int:
    """Position group in the ops queue: breached and unanswered first, then due soon, then the
    rest waiting for a first response, then the answered ones still being handled."""
    if responded:
        return 3
    return {BREACHED: 0, DUE_SOON: 1}.get(state, 2)


def allowed_resolutions(assessment: str | None) -> tuple[str, ...]:
    if assessment == "admissible":
        return ADMISSIBLE_RESOLUTIONS
    if assessment == "dissatisfaction":
        return DISSATISFACTION_RESOLUTIONS
    return ()


def check_resolution(assessment: str | None, kind: str, already: list[str]) -> None:
    if assessment is None:
        raise DomainError("complaint.not_assessed", "Assess the complaint (admissible or dissatisfaction) before recording a resolution.", "kind")
    if kind not in allowed_resolutions(assessment):
        raise DomainError(
            "resolution.not_allowed",
            f"A complaint assessed as {assessment} is resolved by one of: {', '.join(allowed_resolutions(assessment))}.",
            "kind",
        )
    if kind in already:
        raise DomainError("resolution.already_recorded", f"A {kind} resolution was already recorded for this complaint.", "kind")


def check_compensation(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise DomainError("compensation.amount", "The compensation must be more than 0.00.", "amount")
    if amount > MAX_COMPENSATION:
        raise DomainError("compensation.too_high", f"A complaint compensation is at most {MAX_COMPENSATION} euro.", "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("compensation.cents", "The compensation has at most two decimals.", "amount")
    return amount.quantize(Decimal("0.01"))


def check_closing(assessment: str | None, resolutions: list[str], summary: str, measures: str) -> None:
    problems = []
    if not summary.strip():
        problems.append(("close.summary_required", "Write how the complaint was handled.", "summary"))
    if not measures.strip():
        problems.append(("close.measures_required", "Write the measures that prevent it happening again.", "measures"))
    if assessment is None:
        problems.append(("complaint.not_assessed", "Assess the complaint before closing it.", "assessment"))
    elif not resolutions:
        problems.append(("close.resolution_required", "Record a resolution before closing the complaint.", "resolutions"))
    if problems:
        code, message, field = problems[0]
        raise DomainError(code, message, field)


def retention_end(closed_on: date) -> date:
    """Closing date + 5 years (29 February closes into 1 March: never less than 5 years)."""
    try:
        return closed_on.replace(year=closed_on.year + RETENTION_YEARS)
    except ValueError:
        return date(closed_on.year + RETENTION_YEARS, 3, 1)


def arrival_date(channel: str, reported_on: date | None, registered_on: date) -> date:
    """When the complaint reached us, which starts the SLA.

    A web form complaint arrives when it is submitted. For a phone call, letter, e-mail, message
    or counter visit the receiver may register it a day later: it arrived on the report date.
    """
    if channel in WEB_CHANNELS or reported_on is None:
        return registered_on
    if reported_on > registered_on:
        raise DomainError("reported_on.future", "The report date cannot be after today.", "reported_on")
    if reported_on < registered_on - timedelta(days=366):
        raise DomainError("reported_on.too_old", "The report date is more than a year ago.", "reported_on")
    return reported_on


# ------------------------------------------------------------------ attachments
ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024  # all attachments of one request together (Lambda takes 6 MB)


def sniff_content_type(data: bytes) -> str | None:
    """The content type the bytes really are (magic numbers), or None when not PDF/PNG/JPEG."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def check_attachment(declared: str, data: bytes, field: str) -> str:
    """The checked content type: declared as PDF/PNG/JPEG and the bytes agree."""
    declared = declared.split(";", 1)[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in ATTACHMENT_TYPES:
        raise DomainError("attachment.type", "Attach a PDF, PNG or JPEG file.", field)
    if not data:
        raise DomainError("attachment.empty", "The attachment is empty.", field)
    actual = sniff_content_type(data)
    if actual != declared:
        raise DomainError("attachment.content", "The file's content is not the type it claims to be; attach a PDF, PNG or JPEG file.", field)
    return actual


def check_attachment_sizes(sizes: list[int]) -> None:
    if len(sizes) > MAX_ATTACHMENTS:
        raise DomainError("attachment.count", f"At most {MAX_ATTACHMENTS} attachments.", "attachments")
    if sum(sizes) > MAX_ATTACHMENT_BYTES:
        raise DomainError("attachment.size", f"Attachments may total at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.", "attachments")


# ------------------------------------------------------------------ erasure
ERASED = "[erased]"


def scrub(text: str, identifiers: list[str]) -> str:
    """The text with every known identifier of the person (whole name, each name part of three
    letters or more, e-mail, phone, street) replaced, case-insensitively and as whole words."""
    import re

    parts: set[str] = set()
    for identifier in identifiers:
        if not identifier:
            continue
        parts.add(identifier.strip())
        parts.update(word for word in re.split(r"[\s,]+", identifier) if len(word) >= 3)
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text
