"""The one place handlers read the current time.

On AWS this is the system clock. The local runtime replaces the source so that it can
fast-forward days, months or years; the domain never calls this (time is a parameter there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    current = _source() if _source is not None else datetime.now(UTC)
    return current.astimezone(UTC)


def today_in_brussels():
    """The calendar date in Belgium, which is what contracts and invoices are dated in."""
    return now().astimezone(BRUSSELS).date()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Used by the local runtime only; None restores the system clock."""
    global _source
    _source = source


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant from an event (`Z` accepted); naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
