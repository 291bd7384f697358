"""The HTTP side of every API handler: one resolver factory, errors mapped to HTTP in one place,
and the group check for protected routes.

Error bodies always have the same shape, so the web pages and API clients show them one way:
`{"errors": [{"field": "delivery_points[0].ean", "code": "ean.check_digit", "message": "..."}]}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from wattdesk.domain.errors import DomainError
from wattdesk.observability import logger

GROUPS = ("customers", "operators", "approvers", "advisors", "supervisors")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.errors = [{"field": field, "code": code, "message": message}]


class NotFound(ApiError):
    def __init__(self, what: str):
        super().__init__(404, "not_found", f"{what} was not found.")


class Conflict(ApiError):
    def __init__(self, code: str, message: str):
        super().__init__(409, code, message)


@dataclass(frozen=True)
class Principal:
    username: str
    subject: str
    groups: frozenset[str]
    customer_id: str | None


def _error_response(status: int, errors: list[dict[str, Any]]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"errors": errors})


def _field_path(location: tuple[Any, ...]) -> str:
    """('body', 'delivery_points', 0, 'ean') -> 'delivery_points[0].ean'."""
    path = ""
    for part in location[1:] if location and location[0] in {"body", "query", "path", "header"} else location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or (str(location[0]) if location else "")


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        # Powertools validates the body before the route runs its group check: a caller who may
        # not use the route at all is told that first, not which fields would be wrong.
        refused = _audience_refusal(app)
        if refused is not None:
            return _error_response(refused.status, refused.errors)
        errors = [
            {
                "field": _field_path(tuple(error.get("loc", ()))),
                "code": f"invalid.{error.get('type', 'value')}",
                "message": str(error.get("msg", "Invalid value.")),
            }
            for error in exc.errors()
        ]
        return _error_response(400, errors)

    @app.exception_handler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        return _error_response(400, [{"field": exc.field, "code": exc.code, "message": exc.message}])

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return _error_response(exc.status, exc.errors)

    # Hostile input (#12): a record a route reads without checking (e.g. a signed-in customer
    # whose customer record does not exist) is a 404, not a 500.
    from pynamodb.exceptions import DoesNotExist

    @app.exception_handler(DoesNotExist)
    def _missing_record(_exc: DoesNotExist) -> Response:
        return _error_response(404, [{"field": None, "code": "not_found", "message": "This resource was not found."}])

    @app.not_found
    def _no_route(_exc: Exception) -> Response:
        return _error_response(404, [{"field": None, "code": "not_found", "message": "No such resource."}])

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        from wattdesk.errors import transient_code

        if transient_code(exc) is not None:
            logger().warning("dependency busy", extra={"error_type": type(exc).__name__, "code": transient_code(exc)})
            response = _error_response(503, [{"field": None, "code": "busy", "message": "We are busy; please try again in a moment."}])
            response.headers["Retry-After"] = "2"
            return response
        logger().exception("unhandled error", extra={"error_type": type(exc).__name__})
        return _error_response(500, [{"field": None, "code": "internal", "message": "Something went wrong on our side; please try again later."}])

    return app


STAFF_GROUPS = frozenset({"operators", "approvers", "advisors", "supervisors"})
CUSTOMER_GROUPS = frozenset({"customers"})


def _audience_refusal(app: APIGatewayRestResolver) -> ApiError | None:
    """/ops routes are for staff and /me routes for customers, whatever else the route checks."""
    path = app.current_event.path or ""
    audience = STAFF_GROUPS if path.startswith("/ops/") else CUSTOMER_GROUPS if path == "/me" or path.startswith("/me/") else None
    if audience is None:
        return None
    try:
        who = principal(app)
    except ApiError as refusal:
        return refusal
    return None if who.groups & audience else ApiError(403, "forbidden", "You are not allowed to do this.")


def _groups(claims: dict[str, Any]) -> frozenset[str]:
    raw = claims.get("cognito:groups") or ""
    if isinstance(raw, list):
        return frozenset(raw)
    # API Gateway REST authorizers pass the list as text: "a,b" or "[a b]".
    return frozenset(part for part in str(raw).strip("[]").replace(",", " ").split() if part)


def principal(app: APIGatewayRestResolver) -> Principal:
    """Who is calling, from the Cognito authorizer's claims (the authorizer already verified the token)."""
    claims = (app.current_event.request_context.authorizer.claims or {}) if app.current_event.request_context.authorizer else {}
    if not claims or not claims.get("sub"):
        raise ApiError(401, "unauthenticated", "Please sign in.")
    return Principal(
        # Users sign in with their e-mail address; cognito:username is an opaque id in such pools.
        username=str(claims.get("email") or claims.get("cognito:username") or claims["sub"]),
        subject=str(claims["sub"]),
        groups=_groups(claims),
        customer_id=claims.get("custom:customer_id"),
    )


def require_group(app: APIGatewayRestResolver, *allowed: str) -> Principal:
    who = principal(app)
    if not who.groups.intersection(allowed):
        raise ApiError(403, "forbidden", "You are not allowed to do this.")
    return who
