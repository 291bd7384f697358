"""EventBridge Scheduler expressions (cron, rate, at) and the instants at which they fall due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

_DAY_NAMES = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}


class ScheduleExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str
    timezone: str
    input: str | None
    target_kind: str  # "state_machine" | "function"
    target: str  # logical id of the target
    dead_letter_arn: str | None = None
    enabled: bool = True

    def due_between(self, after: datetime, until: datetime, anchor: datetime) -> list[datetime]:
        """Instants (UTC) in (after, until], in order. `anchor` is when a rate schedule was created."""
        return occurrences(self.expression, self.timezone, after, until, anchor)


def _cron_to_croniter(fields: list[str]) -> tuple[str, str]:
    """EventBridge's 6 fields (min hour dom month dow year) to croniter's 5, plus the year field."""
    if len(fields) != 6:
        raise ScheduleExpressionError(f"a cron expression has 6 fields, got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    dom = "*" if dom == "?" else dom
    if dow == "?":
        dow = "*"
    else:
        # EventBridge numbers days 1-7 from Sunday; croniter 0-6.
        def convert(token: str) -> str:
            name = token.upper()
            if name in _DAY_NAMES:
                return str(_DAY_NAMES[name])
            return str(int(token) - 1) if token.isdigit() else token

        dow = re.sub(r"[A-Za-z]{3}|\d+", lambda m: convert(m.group(0)), dow)
    return f"{minute} {hour} {dom} {month} {dow}", year


def _year_matches(year_field: str, year: int) -> bool:
    if year_field in {"*", "?"}:
        return True
    for part in year_field.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            if int(low) <= year <= int(high):
                return True
        elif int(part) == year:
            return True
    return False


def occurrences(expression: str, timezone: str, after: datetime, until: datetime, anchor: datetime) -> list[datetime]:
    zone = ZoneInfo(timezone or "UTC")
    match = re.fullmatch(r"(cron|rate|at)\((.*)\)", expression.strip())
    if not match:
        raise ScheduleExpressionError(f"not a schedule expression: {expression!r}")
    kind, body = match.groups()
    if until <= after:
        return []
    if kind == "at":
        instant = datetime.fromisoformat(body).replace(tzinfo=zone).astimezone(UTC)
        return [instant] if after < instant <= until else []
    if kind == "rate":
        amount_text, unit = body.split()
        amount = int(amount_text)
        step = {"minute": timedelta(minutes=amount), "hour": timedelta(hours=amount), "day": timedelta(days=amount)}[unit.rstrip("s")]
        start = anchor + step * max(0, (after - anchor) // step)
        found = []
        while start <= until:
            if start > after:
                found.append(start)
            start += step
        return found
    cron5, year_field = _cron_to_croniter(body.split())
    iterator = croniter(cron5, after.astimezone(zone))
    found = []
    while True:
        instant = iterator.get_next(datetime).astimezone(UTC)
        if instant > until:
            return found
        if _year_matches(year_field, instant.astimezone(zone).year):
            found.append(instant)


def scheduler_input(template_input: str | None, scheduled: datetime, schedule_arn: str, execution_id: str) -> str:
    """Fills EventBridge Scheduler's context attributes the way the service does."""
    text = template_input or "{}"
    replacements = {
        "<aws.scheduler.scheduled-time>": scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": "1",
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text
