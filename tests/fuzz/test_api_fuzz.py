"""Hostile input, generated: schemathesis sends every route of template.yaml examples built from
the OpenAPI documents the local runtime serves (/openapi.json, /openapi-ops.json), in-process,
signed in as the route's audience (staff for /ops, a customer elsewhere). No example may get a
5xx, and every answer must match the document: a documented status, content type and body.

The number of examples per route is WATTDESK_FUZZ_EXAMPLES: a short profile in `make test`,
1,000 in `make fuzz` (measured numbers in docs/hostile-input.md)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from fuzz_support import EXAMPLES, STAFF_GROUPS, RuntimeApp, template_routes
from wattdesk_local import openapi

pytestmark = pytest.mark.workflow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def schemas(_shared_runtime):
    app = RuntimeApp(_shared_runtime)
    return {kind: schemathesis.openapi.from_wsgi(path, app) for path, kind in openapi.DOCUMENT_PATHS.items()}


@pytest.mark.parametrize(("method", "path"), template_routes(), ids=lambda value: value)
def test_generated_requests_get_no_server_error_and_match_the_document(runtime, schemas, method, path):
    kind = openapi.audience(path)
    operation = schemas[kind][path][method]
    if kind == openapi.OPS:
        token = runtime.login("fuzz.staff@wattdesk.example", STAFF_GROUPS)["id_token"]
    else:
        token = runtime.login("fuzz.customer@example.org", ["customers"], {"custom:customer_id": "C-FUZZ0001"})["id_token"]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers={"Authorization": token})
        case.validate_response(response, checks=CHECKS)

    run()
