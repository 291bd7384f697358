"""Belgian working days: weekends and legal public holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattdesk.domain.errors import DomainError
from wattdesk.domain.working_days import add_working_days, is_holiday, is_working_day, working_days_between

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 3, 26), True),  # Friday
        (date(2027, 3, 27), False),  # Saturday
        (date(2027, 3, 28), False),  # Easter Sunday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 3, 30), True),
        (date(2027, 5, 6), False),  # Ascension
        (date(2027, 5, 17), False),  # Whit Monday
        (date(2027, 7, 21), False),  # National Day (a Wednesday)
        (date(2027, 7, 22), True),
        (date(2027, 11, 1), False),  # All Saints (a Monday)
        (date(2027, 11, 11), False),  # Armistice (a Thursday)
        (date(2026, 12, 25), False),  # Christmas (a Friday)
        (date(2025, 12, 26), True),  # 26 December is not a legal holiday in Belgium (a Friday)
        (date(2030, 12, 26), True),  # ... nor in 2030 (a Thursday)
        (date(2027, 1, 1), False),
        (date(2027, 5, 1), False),  # Labour Day (a Saturday anyway)
        (date(2027, 8, 16), True),  # Assumption was the Sunday before; no substitute day in Belgium
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_is_holiday_ignores_weekdays() -> None:
    assert is_holiday(date(2027, 8, 15))  # Assumption on a Sunday is still the holiday
    assert not is_holiday(date(2027, 8, 14))  # an ordinary Saturday
    assert not is_holiday(date(2025, 12, 26))


def test_adding_working_days_skips_the_weekend() -> None:
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert add_working_days(friday, 5) == date(2026, 11, 27)
    saturday = date(2026, 11, 21)
    assert add_working_days(saturday, 1) == date(2026, 11, 23)


def test_adding_working_days_skips_easter_monday_2027() -> None:
    assert add_working_days(date(2027, 3, 26), 1) == date(2027, 3, 30)  # Fri -> Tue
    assert add_working_days(date(2027, 3, 25), 2) == date(2027, 3, 30)


def test_adding_working_days_skips_21_july_1_and_11_november() -> None:
    assert add_working_days(date(2027, 7, 20), 1) == date(2027, 7, 22)
    assert add_working_days(date(2027, 10, 29), 1) == date(2027, 11, 2)  # Fri, weekend, 1 Nov Monday
    assert add_working_days(date(2027, 11, 10), 1) == date(2027, 11, 12)


def test_adding_working_days_over_christmas_counts_26_december() -> None:
    # 2030: Christmas on Wednesday, 26 December (Thursday) is a working day.
    assert add_working_days(date(2030, 12, 24), 1) == date(2030, 12, 26)
    # A deadline that runs over New Year: 24/12/2025 + 5 -> 26, 29, 30, 31 Dec, 2 Jan.
    assert add_working_days(date(2025, 12, 24), 5) == date(2026, 1, 2)


def test_adding_zero_working_days_returns_the_date_itself() -> None:
    assert add_working_days(date(2027, 3, 28), 0) == date(2027, 3, 28)


@pytest.mark.parametrize(("start", "n"), [(date(2027, 1, 4), -1), (date(2027, 1, 4), True), (datetime(2027, 1, 4, 9, 0), 1)])
def test_add_working_days_rejects_bad_input(start: date, n: int) -> None:
    with pytest.raises(DomainError):
        add_working_days(start, n)


def test_is_working_day_rejects_datetimes() -> None:
    with pytest.raises(DomainError) as info:
        is_working_day(datetime(2027, 1, 4, 9, 0))
    assert info.value.code == "date.type"


def test_working_days_between() -> None:
    # Mon 22/3 -> Mon 29/3/2027: Tue, Wed, Thu, Fri count; the weekend and Easter Monday do not.
    assert working_days_between(date(2027, 3, 22), date(2027, 3, 29)) == 4
    assert working_days_between(date(2027, 3, 22), date(2027, 3, 22)) == 0
    assert working_days_between(date(2027, 3, 29), date(2027, 3, 22)) == -4
    # Whole year 2027: 261 weekdays minus the 7 holidays that fall on a weekday.
    assert working_days_between(date(2026, 12, 31), date(2027, 12, 31)) == 261 - 7


@PROPERTY
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=0, max_value=60))
def test_add_and_between_agree(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n:
        assert is_working_day(end)
        assert end > start
