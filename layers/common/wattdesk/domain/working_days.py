"""Belgian working days (deadlines for switching, payment terms, meter-reading windows).

A working day is Monday-Friday and not a Belgian legal public holiday. Dates
are always parameters: this module never reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays

from wattdesk.domain.errors import DomainError

_ONE_DAY = timedelta(days=1)


@cache
def _holidays_of(year: int) -> frozenset[date]:
    # The 10 federal legal holidays (Easter Monday, 21 July, 11 November, ...).
    # 26 December and regional/community days are not legal holidays and not included.
    return frozenset(holidays.country_holidays("BE", years=year).keys())


def _check_date(value: date) -> None:
    # datetime is a date subclass; accepting it would silently drop a time and zone.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError("date.type", f"expected a date, got {type(value).__name__}")


def is_holiday(day: date) -> bool:
    """True on a Belgian legal public holiday (whatever the weekday)."""
    _check_date(day)
    return day in _holidays_of(day.year)


def is_working_day(day: date) -> bool:
    """True on Monday-Friday unless it is a Belgian legal public holiday."""
    _check_date(day)
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def add_working_days(start: date, n: int) -> date:
    """Return the ``n``-th working day after ``start`` (``start`` itself when n == 0).

    ``start`` does not count even if it is a working day: a 10-working-day
    deadline from a Friday request starts counting on Monday.
    """
    _check_date(start)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DomainError("working_days.count", f"number of working days must be >= 0, got {n!r}")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Number of working days after ``start`` up to and including ``end``.

    Consistent with ``add_working_days``: ``working_days_between(d,
    add_working_days(d, n)) == n``. Negative when ``end`` is before ``start``
    (e.g. how many working days a deadline is overdue).
    """
    _check_date(start)
    _check_date(end)
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        if is_working_day(day):
            count += 1
    return count
