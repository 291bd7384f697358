"""Importing a handler builds nothing: no boto3 client, no Powertools object, no AWS call.
Tests (and Lambda's init phase) can import every handler freely."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support import ROOT

pytestmark = pytest.mark.unit

HANDLERS = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "functions").glob("*/app.py"))

PROBE = """
import importlib.util, json, sys
import boto3, botocore.client
created = []
original = botocore.client.BaseClient.__init__
def spy(self, *args, **kwargs):
    created.append(type(self).__name__)
    return original(self, *args, **kwargs)
botocore.client.BaseClient.__init__ = spy
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
from wattdesk import observability
print(json.dumps({
    "clients": created,
    "powertools": [f.__name__ for f in (observability.logger, observability.tracer, observability.metrics) if f.cache_info().currsize],
    "has_handler": callable(getattr(module, "handler", None)),
}))
"""


@pytest.mark.parametrize("handler", HANDLERS)
def test_import_creates_no_client_and_no_powertools_object(handler):
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT / "layers" / "common")
    completed = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / handler)], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result == {"clients": [], "powertools": [], "has_handler": True}
