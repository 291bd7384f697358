"""Helpers shared by the tests: sample events and the project's paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/, e.g. load_event("ping_api/start_ping")."""
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
