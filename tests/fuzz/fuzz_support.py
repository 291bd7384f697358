"""The local runtime as a WSGI application, so schemathesis calls it in-process (no HTTP server):
GET /openapi.json and /openapi-ops.json serve the generated documents, everything else goes to
runtime.handle_api exactly as the local server passes it on."""

from __future__ import annotations

import os
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from wattdesk_local import openapi
from wattdesk_local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
# `make test` runs a short profile, `make fuzz` sets WATTDESK_FUZZ_EXAMPLES=1000 (docs/hostile-input.md).
EXAMPLES = int(os.environ.get("WATTDESK_FUZZ_EXAMPLES", "10"))
STAFF_GROUPS = ["operators", "approvers", "advisors", "supervisors"]


class _Loader(yaml.SafeLoader):
    pass


# CloudFormation short forms (!Ref, !Sub, ...) are kept as plain values: only the routes are read here.
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_routes() -> list[tuple[str, str]]:
    """(METHOD, path) of every Api event of template.yaml, read at collection time."""
    doc = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    routes = []
    for resource in doc["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "Api":
                routes.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return sorted(set(routes))


class RuntimeApp:
    """WSGI front of LocalRuntime.handle_api."""

    def __init__(self, runtime: LocalRuntime):
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        import json

        method = environ["REQUEST_METHOD"]
        # The path as sent (still percent-encoded), as the local server hands it to handle_api:
        # PATH_INFO is decoded, and a decoded "%2F" or "%3F" would change the route.
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path, _, query = raw_uri.partition("?")
        query = query or environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        document = openapi.document_response(self.runtime, method, environ.get("PATH_INFO", "/"))
        if document is not None:
            status, response_headers, raw = 200, {"Content-Type": "application/json"}, json.dumps(document).encode()
        else:
            response = self.runtime.handle_api(method, f"{path}?{query}" if query else path, headers, body)
            status, response_headers, raw = response.status, response.headers, response.body
        start_response(f"{status} {HTTPStatus(status).phrase}", list(response_headers.items()))
        return [raw]
