"""Building enrollments for the workflow tests (dates from the simulated clock, EANs by outcome)."""

from __future__ import annotations

import copy
import itertools
from datetime import timedelta

from support import load_event
from wattdesk.domain.ean import ean_with_check_digit

_counter = itertools.count(100)


def ean(marker: str = "100") -> str:
    """A valid EAN; digits 15-17 choose the simulated grid operator's answer (see adapters/dso.py)."""
    return ean_with_check_digit(f"5414149{next(_counter):07d}"[:14] + marker)


def enrollment(runtime, *, language: str = "fr", email: str | None = None, point_ean: str | None = None, days_ahead: int = 40, **changes) -> dict:
    body = copy.deepcopy(load_event("enrollment_api/enrollment_body"))
    body["customer"]["language"] = language
    body["customer"]["email"] = email or f"customer{next(_counter)}@example.org"
    body["delivery_points"][0]["ean"] = point_ean or ean()
    body["start_date"] = (runtime.now().date() + timedelta(days=days_ahead)).isoformat()
    for key, value in changes.items():
        body[key] = value
    return body


def execution_arn(runtime, enrollment_id: str) -> str:
    return runtime.state_machines["EnrollmentStateMachine"].replace(":stateMachine:", ":execution:") + f":enrollment-{enrollment_id}"


def submit(runtime, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return runtime.handle_api("POST", "/enrollments", headers, body)


def status(runtime, status_url: str) -> dict:
    return runtime.handle_api("GET", status_url).json()


def next_dso_sweep(runtime):
    """The simulated grid operator answers at the next daily 07:00 sweep."""
    return runtime.advance(days=1)
