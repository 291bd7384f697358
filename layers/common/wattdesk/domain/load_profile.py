"""Standard load profiles (SLP): how a year's consumption is spread over the days.

Belgian grid operators allocate the consumption of meters that are read once a year with the
Synergrid standard load profiles (SLP): S21 for residential electricity (no electric heating),
S41 for residential gas. The real profiles are published per quarter-hour for each calendar year;
this module keeps their *monthly* shape, the share of a typical year's consumption that falls in
each month, as a table (rounded to 0.1 %, adding up to exactly 1):

* a month's share is spread evenly over its days: ``weight(day) = share[month] / days in month``;
* the weights of a whole year (any 12 consecutive whole months) add up to exactly 1, so
  ``EAV * weight(period)`` is the consumption the EAV predicts for the period;
* the same table serves every year (the yearly update of the published profile is below the
  precision of a monthly table).

Every register of a meter follows its energy's profile (day, night and exclusive-night registers
keep the meter's register shares of ``catalogue.REGISTERS`` inside each day).

Pure: no clock, no I/O; Decimal only (weights are exact fractions evaluated at 28 digits).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from wattdesk.domain.errors import DomainError

# Share of the yearly consumption per month (January first). S21 / S41 shapes, rounded.
MONTHLY_SHARES: dict[str, tuple[Decimal, ...]] = {
    # Synergrid S21, residential electricity.
    "electricity": tuple(Decimal(s) for s in ("0.101", "0.089", "0.090", "0.078", "0.073", "0.066", "0.067", "0.069", "0.073", "0.084", "0.093", "0.117")),
    # Synergrid S41, residential gas (heating: winter months weigh most).
    "gas": tuple(Decimal(s) for s in ("0.173", "0.145", "0.125", "0.080", "0.045", "0.020", "0.015", "0.015", "0.025", "0.065", "0.115", "0.177")),
}
PROFILE_NAMES: dict[str, str] = {"electricity": "Synergrid SLP S21", "gas": "Synergrid SLP S41"}

assert all(sum(shares) == 1 for shares in MONTHLY_SHARES.values())  # noqa: S101 - table check at import


def _shares(energy: str) -> tuple[Decimal, ...]:
    shares = MONTHLY_SHARES.get(energy)
    if shares is None:
        raise DomainError("profile.energy", f"no load profile for energy {energy!r}")
    return shares


def day_weight(energy: str, day: date) -> Decimal:
    """The share of a year's consumption that falls on ``day``."""
    return _shares(energy)[day.month - 1] / calendar.monthrange(day.year, day.month)[1]


def weight_between(energy: str, start: date, end: date) -> Decimal:
    """The share of a year's consumption in ``[start, end)`` (0 when end <= start).

    Whole months count as their share; partial months by days."""
    _shares(energy)
    total = Decimal(0)
    day = start
    while day < end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = date(day.year, day.month, days_in_month) + timedelta(days=1)
        until = min(end, month_end)
        days = (until - day).days
        share = _shares(energy)[day.month - 1]
        total += share if days == days_in_month else share * days / days_in_month
        day = until
    return total


def expected_kwh(eav_kwh: int | Decimal, energy: str, start: date, end: date) -> Decimal:
    """What the EAV predicts for ``[start, end)`` (not rounded)."""
    return Decimal(eav_kwh) * weight_between(energy, start, end)


def annualised_kwh(consumed_kwh: Decimal, energy: str, start: date, end: date) -> int:
    """A period's consumption scaled to a year by the profile, in whole kWh (ROUND_HALF_UP):
    the basis of the next advances after a settlement. A period without weight gives 0."""
    weight = weight_between(energy, start, end)
    if weight <= 0:
        return 0
    return int((Decimal(consumed_kwh) / weight).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
