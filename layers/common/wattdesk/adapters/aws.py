"""boto3 clients, created on first use (never at import) and shared per service and region."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

_clients: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


def client(service: str) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    key = (service, region)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, region_name=region, config=_CONFIG)
        return _clients[key]


def reset_clients() -> None:
    """The local runtime calls this when it starts a fresh emulation."""
    with _lock:
        _clients.clear()
