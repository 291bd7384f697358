"""The sample events of the settlement and readings task handlers parse (and a malformed one is
refused by name, for the state machine's Catch)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from support import ROOT, load_event
from wattdesk.errors import MalformedEvent, parse_task

pytestmark = pytest.mark.unit


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"app_{name}", ROOT / "functions" / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the handler's annotations through it
    spec.loader.exec_module(module)
    return module


def test_settlement_task_events():
    tasks = _module("settlement_tasks")
    step = parse_task(load_event("settlement_tasks/issue"), tasks.Task, "a Settlement task")
    assert (step.action, step.kind, step.settlement_date) == ("issue", "annual", "2028-02-01")
    with pytest.raises(MalformedEvent):
        parse_task(load_event("settlement_tasks/malformed"), tasks.Task, "a Settlement task")


def test_sweep_and_dso_events():
    sweep = parse_task(load_event("settlement_sweeps/daily"), _module("settlement_sweeps").Event, "a settlement sweep")
    assert sweep.as_of.startswith("2028-02-01")
    intake = parse_task(load_event("readings_dso/bulk"), _module("readings_dso").Intake, "DSO readings")
    assert [r["kind"] for r in intake.readings] == ["opening", "meter_change"]
