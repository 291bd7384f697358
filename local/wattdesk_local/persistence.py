"""Table items and bucket objects survive a restart: pickled moto backends under .wattdesk/.

A pickle is tied to moto's classes, so it records the moto version and is ignored (with a
warning) after an upgrade. Executions in flight are not saved.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

import moto
from moto.core import DEFAULT_ACCOUNT_ID
from moto.backends import get_backend

log = logging.getLogger("wattdesk_local")
STATE_FILE = "state.pickle"


def _dynamodb(region: str) -> dict[str, Any]:
    return get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][region].tables


def _s3() -> dict[str, Any]:
    return get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"].buckets


def save(state_dir: Path, region: str, extra: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        try:
            payload = pickle.dumps(
                {"moto_version": moto.__version__, "tables": dict(_dynamodb(region)), "buckets": dict(_s3()), "runtime": extra},
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            break
        except RuntimeError:  # another thread changed a dict while it was being pickled: try again
            continue
    else:
        log.warning("state not saved this time: data kept changing")
        return
    temporary = state_dir / (STATE_FILE + ".tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, state_dir / STATE_FILE)


def load(state_dir: Path, region: str, known_tables: set[str], known_buckets: set[str]) -> dict[str, Any]:
    """Restores saved tables and buckets that the template still defines; returns the runtime's extra state."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return {}
    try:
        saved = pickle.loads(path.read_bytes())  # noqa: S301 - our own file under .wattdesk/
    except Exception as exc:  # a file from another moto, or a torn write
        log.warning("ignoring saved state %s: %s (run `make reset`)", path, exc)
        return {}
    if saved.get("moto_version") != moto.__version__:
        log.warning("saved state is from moto %s, this is %s: starting empty (run `make reset`)", saved.get("moto_version"), moto.__version__)
        return {}
    _dynamodb(region).update({name: table for name, table in saved["tables"].items() if name in known_tables})
    _s3().update({name: bucket for name, bucket in saved["buckets"].items() if name in known_buckets})
    return saved.get("runtime", {})
