"""The OpenAPI documents: generated from the handlers' Powertools resolvers, one for the public
and portal API and one for ops, covering every route of template.yaml, served by the local server."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import ThreadingHTTPServer

import pytest
import schemathesis

from wattdesk_local import openapi
from wattdesk_local.server import make_handler

pytestmark = pytest.mark.integration


@pytest.fixture
def documents(runtime):
    return openapi.documents_for(runtime)


def test_every_route_of_the_template_is_in_the_document_of_its_audience(runtime, documents):
    assert runtime.routes, "the template has API routes"
    assert openapi.missing_routes(runtime, documents) == []
    described = {(method.upper(), path) for kind in documents for path, item in documents[kind]["paths"].items() for method in item}
    assert described == {(route.method, route.path) for route in runtime.routes}
    assert all(path.startswith("/ops/") for path in documents["ops"]["paths"])
    assert not [path for path in documents["public"]["paths"] if path.startswith("/ops")]


def test_operations_describe_their_inputs_security_and_error_shape(runtime, documents):
    protected = {(route.method.lower(), route.path) for route in runtime.routes if route.authorizer}
    for kind, document in documents.items():
        loaded = schemathesis.openapi.from_dict(document)
        for path, item in document["paths"].items():
            for method, operation in item.items():
                assert loaded[path][method] is not None
                assert ("security" in operation) == ((method, path) in protected), (method, path)
                assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors"}
                assert "2XX" in operation["responses"]
                for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
                    assert name in [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"], (method, path, name)
    # A body model of a handler is in the document, e.g. the enrollment request.
    enrollment = documents["public"]["paths"]["/enrollments"]["post"]
    assert enrollment["requestBody"]["content"]["application/json"]["schema"]
    assert json.dumps(documents["public"]).count("#/components/schemas/") > 10


def test_the_local_server_serves_both_documents(runtime, documents):
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(runtime, runtime.root / "web"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path, kind in openapi.DOCUMENT_PATHS.items():
            with urllib.request.urlopen(base + path, timeout=30) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "application/json"
                assert json.loads(response.read()) == json.loads(json.dumps(documents[kind]))
    finally:
        server.shutdown()
        server.server_close()
