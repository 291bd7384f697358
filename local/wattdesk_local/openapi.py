"""OpenAPI documents of the template's API, generated from the handlers' Powertools resolvers.

Every API function builds its resolver with `wattdesk.api.make_resolver` (validation on), so
Powertools knows each route's parameters and body models. The template says which functions
serve routes: each such function's module is loaded the way the runtime loads it, its resolver's
document taken, and the paths merged into two documents: one for the public and portal API
(everything not under /ops) and one for the ops API (/ops routes).

The generated documents are made truthful about what `make_resolver` does with errors: a body
that fails validation is answered 400 (not Powertools' 422) and every error, whatever its
status, has the `{"errors": [{field, code, message}]}` shape.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattdesk_local.runtime import LocalRuntime

OPENAPI_VERSION = "3.1.0"
PUBLIC, OPS = "public", "ops"
DOCUMENT_PATHS = {"/openapi.json": PUBLIC, "/openapi-ops.json": OPS}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
# Statuses make_resolver (and the Cognito authorizer, for protected routes) can answer with.
_ERROR_STATUSES = {
    "400": "The request is not valid (body, query or path parameters).",
    "403": "The caller may not do this.",
    "404": "No such resource.",
    "409": "The resource is not in a state that allows this.",
    "413": "The upload is too large.",
    "415": "The upload is not of an accepted type.",
    "422": "The request is valid but breaks a business rule.",
}
_AUTH_ERROR_STATUSES = {"401": "Not signed in, or the token is not valid."}
_UNAUTHORIZED_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}}}


def audience(path: str) -> str:
    return OPS if path == "/ops" or path.startswith("/ops/") else PUBLIC


def _resolver(runtime: LocalRuntime, logical: str) -> Any:
    """The function's resolver, from its module loaded as the runtime loads it (CodeUri, unique name)."""
    from wattdesk_local.lambdas import handler_environment

    function = runtime.functions[logical]
    with handler_environment(function.environment):
        function._load()
        module = function._module
        factory = getattr(module, "_app", None) or getattr(module, "app", None)
        if factory is None:
            raise LookupError(f"{logical}: {function.code_dir}/app.py has no `_app()` resolver factory")
        return factory() if callable(factory) and not hasattr(factory, "get_openapi_schema") else factory


def _rename_components(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed = json.loads(text)
    schemas = renamed.get("components", {}).get("schemas", {})
    for old, new in renames.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)
    return renamed


def _document_errors(operation: dict[str, Any], protected: bool) -> None:
    responses = operation.setdefault("responses", {})
    # Handlers answer 200, 201 or 202 as the case asks (Powertools documents 200 for all), and
    # downloads (PDF, CSV) are not JSON: any 2xx, of any content type.
    success = responses.pop("200", None) or {"description": "Successful Response"}
    responses["2XX"] = {"description": success.get("description", "Successful Response"), "content": {**success.get("content", {}), "*/*": {}}}
    for status, description in _ERROR_STATUSES.items():
        responses[status] = {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}
    # Protected routes: the authorizer answers 401 with API Gateway's {"message": ...} body; a
    # handler answers 401 in the errors shape (e.g. a failed sign-in on a public route).
    responses["401"] = {"description": _AUTH_ERROR_STATUSES["401"], "content": {"application/json": {"schema": {"anyOf": [_UNAUTHORIZED_SCHEMA, {"$ref": "#/components/schemas/Errors"}]}}}}
    if protected:
        operation["security"] = [{"CognitoAuthorizer": []}]


def build_documents(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    """{"public": document, "ops": document}: every route of the template, from its handler's resolver."""
    documents: dict[str, dict[str, Any]] = {}
    for kind, title in ((PUBLIC, "WattDesk public and portal API"), (OPS, "WattDesk ops API")):
        documents[kind] = {
            "openapi": OPENAPI_VERSION,
            "info": {"title": title, "version": "1"},
            "servers": [{"url": "/"}],
            "paths": {},
            "components": {
                "schemas": {"Errors": copy.deepcopy(ERRORS_SCHEMA)},
                "securitySchemes": {"CognitoAuthorizer": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "The Cognito id token"}},
            },
        }
    routes_by_function: dict[str, list[Any]] = {}
    for route in runtime.routes:
        routes_by_function.setdefault(route.function, []).append(route)
    for logical in sorted(routes_by_function):
        template_routes = {(route.method.lower(), route.path): route for route in routes_by_function[logical]}
        generated = json.loads(_resolver(runtime, logical).get_openapi_json_schema())
        for kind in (PUBLIC, OPS):
            target = documents[kind]
            schemas = target["components"]["schemas"]
            own = generated.get("components", {}).get("schemas", {})
            renames = {name: f"{logical}.{name}" for name, schema in own.items() if name in schemas and schemas[name] != schema}
            source = _rename_components(generated, renames)
            used = False
            for path, item in (source.get("paths") or {}).items():
                if audience(path) != kind:
                    continue
                for method in _METHODS:
                    operation = item.get(method)
                    if operation is None or (method, path) not in template_routes:
                        continue  # a resolver route without a template event is not reachable
                    operation = copy.deepcopy(operation)
                    operation["operationId"] = f"{logical}.{operation.get('operationId', method + path)}"
                    operation.get("responses", {}).pop("422", None)  # Powertools' own validation error shape: we answer 400 instead
                    _document_errors(operation, template_routes[(method, path)].authorizer is not None)
                    target["paths"].setdefault(path, {})[method] = operation
                    used = True
            if used:
                for name, schema in (source.get("components", {}).get("schemas") or {}).items():
                    if name not in ("HTTPValidationError", "ValidationError"):
                        schemas.setdefault(name, schema)
    return documents


def missing_routes(runtime: LocalRuntime, documents: dict[str, dict[str, Any]]) -> list[str]:
    """Template routes that no document describes (each should be described by its handler)."""
    return [
        f"{route.method} {route.path} ({route.function})"
        for route in runtime.routes
        if route.method.lower() not in documents[audience(route.path)]["paths"].get(route.path, {})
    ]


_cache: dict[int, dict[str, dict[str, Any]]] = {}


def documents_for(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    """Built once per runtime (the handlers' code does not change while it runs)."""
    key = id(runtime)
    if key not in _cache:
        _cache[key] = build_documents(runtime)
    return _cache[key]


def document_response(runtime: LocalRuntime, method: str, path: str) -> dict[str, Any] | None:
    """The document served at `path` (GET /openapi.json, /openapi-ops.json), or None for any other request."""
    if method.upper() not in ("GET", "HEAD") or path not in DOCUMENT_PATHS:
        return None
    return documents_for(runtime)[DOCUMENT_PATHS[path]]
