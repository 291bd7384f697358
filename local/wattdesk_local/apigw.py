"""API routes of the template and the API Gateway (REST, proxy) events built for them."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml", "application/problem+json")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /enrollments/{enrollment_id}
    function: str  # logical id
    authorizer: str | None  # name of a Cognito authorizer, or None for a public route

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return re.compile(f"^{regex}$")

    @property
    def specificity(self) -> tuple[int, int]:
        # Literal segments win over parameters, as in API Gateway.
        literal = len(re.sub(r"\{[^}]+\}", "", self.path))
        return (-literal, self.path.count("{"))


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in sorted(routes, key=lambda r: r.specificity):
        if route.method not in (method, "ANY"):
            continue
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def path_exists(routes: list[Route], path: str) -> bool:
    return any(route.pattern.match(path) for route in routes)


def build_event(
    route: Route,
    path: str,
    path_parameters: dict[str, str],
    method: str,
    headers: dict[str, str],
    query: dict[str, list[str]],
    body: bytes,
    source_ip: str,
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    content_type = headers.get("content-type", headers.get("Content-Type", ""))
    is_text = not body or any(content_type.startswith(kind) for kind in _TEXT_TYPES)
    request_context: dict[str, Any] = {
        "resourcePath": route.path,
        "httpMethod": method,
        "path": f"/api{path}",
        "stage": "api",
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(time.time() * 1000),
        "accountId": "123456789012",
        "apiId": "local",
        "protocol": "HTTP/1.1",
        "identity": {"sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
    }
    if claims is not None:
        # REST API Cognito authorizers hand every claim over as a string.
        request_context["authorizer"] = {"claims": {key: _claim_text(value) for key, value in claims.items()}}
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
        "multiValueQueryStringParameters": dict(query) or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": (body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii")) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def decode_response(response: Any) -> tuple[int, dict[str, str], bytes]:
    """An API Gateway proxy result to (status, headers, body); anything else is a 502, as on AWS."""
    if not isinstance(response, dict) or "statusCode" not in response:
        return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
    headers = {key: str(value) for key, value in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(value) for value in values)
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
    return int(response["statusCode"]), headers, raw
