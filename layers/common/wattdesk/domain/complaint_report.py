"""The monthly complaints report: aggregation and its CSV form (pure; the SVG chart is in
``wattdesk.adapters.report_chart``).

Complaints count in the month of their registration date. The report holds counts only: no
name, address or text of a complaint, so it stays correct and publishable after erasures and
after the complaints themselves are deleted at the end of their retention.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from wattdesk.domain.complaints import BREACHED, MET, NATURES, sla_state
from wattdesk.domain.errors import DomainError
from wattdesk.domain.working_days import working_days_between

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ComplaintFacts:
    """What the report needs of one complaint (no personal data)."""

    number: str
    registered_on: date
    arrival_on: date
    nature: str
    channel: str
    assessment: str | None
    closed: bool
    deadline: date
    first_response_on: date | None
    breach_recorded: bool = False


def parse_month(text: str) -> tuple[int, int]:
    found = _MONTH.match(text or "")
    if not found:
        raise DomainError("month.format", "Give the month as YYYY-MM.", "month")
    return int(found[1]), int(found[2])


def previous_month(day: date) -> str:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _median(values: list[int]) -> str | None:
    if not values:
        return None
    return str(Decimal(str(median(values))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def aggregate(month: str, complaints: list[ComplaintFacts], as_of: date) -> dict:
    """Counts of the complaints registered in `month`, SLA outcomes as known on `as_of`."""
    year, number = parse_month(month)
    mine = [c for c in complaints if (c.registered_on.year, c.registered_on.month) == (year, number)]
    by_nature = {nature: 0 for nature in NATURES}
    assessment = {"admissible": 0, "inadmissible": 0, "not_assessed": 0}
    status = {"open": 0, "closed": 0}
    sla = {"met": 0, "breached": 0, "pending": 0}
    days: list[int] = []
    working: list[int] = []
    for complaint in mine:
        by_nature[complaint.nature] = by_nature.get(complaint.nature, 0) + 1
        key = {"admissible": "admissible", "dissatisfaction": "inadmissible"}.get(complaint.assessment or "", "not_assessed")
        assessment[key] += 1
        status["closed" if complaint.closed else "open"] += 1
        state = sla_state(complaint.deadline, complaint.first_response_on, as_of)
        if complaint.breach_recorded or state == BREACHED:
            sla["breached"] += 1
        elif state == MET:
            sla["met"] += 1
        else:
            sla["pending"] += 1
        if complaint.first_response_on is not None:
            days.append((complaint.first_response_on - complaint.arrival_on).days)
            working.append(working_days_between(complaint.arrival_on, complaint.first_response_on))
    return {
        "month": month,
        "as_of": as_of.isoformat(),
        "total": len(mine),
        "by_nature": by_nature,
        "assessment": assessment,
        "status": status,
        "first_response_sla": sla,
        "median_days_to_first_response": _median(days),
        "median_working_days_to_first_response": _median(working),
    }


# ------------------------------------------------------------------ CSV
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab /
    carriage return) gets a leading apostrophe (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def report_rows(report: dict) -> list[list[object]]:
    rows: list[list[object]] = [["section", "item", "value"], ["report", "month", report["month"]], ["report", "as_of", report["as_of"]], ["complaints", "total", report["total"]]]
    rows += [["nature", nature, count] for nature, count in report["by_nature"].items()]
    rows += [["assessment", key, count] for key, count in report["assessment"].items()]
    rows += [["status", key, count] for key, count in report["status"].items()]
    rows += [["first_response_sla", key, count] for key, count in report["first_response_sla"].items()]
    rows += [
        ["first_response", "median_days", report["median_days_to_first_response"] or ""],
        ["first_response", "median_working_days", report["median_working_days_to_first_response"] or ""],
    ]
    return rows


def report_csv(report: dict) -> str:
    return _csv(report_rows(report))


LISTING_HEADER = ["number", "registered_on", "nature", "channel", "handler", "status", "assessment", "first_response_on", "deadline", "sla"]


def listing_csv(rows: list[list[object]]) -> str:
    """One line per complaint of the month (numbers, dates and categories; the handler is
    free text typed by an operator, hence the escaping)."""
    return _csv([LISTING_HEADER, *rows])
